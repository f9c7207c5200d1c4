package platform_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/components/dal"
)

// TestOperatorPaymentAndRefundLists: an operator lists the tenant's payments by status, provider,
// purpose and mismatch, and its refunds by status, newest first, in pages that neither repeat
// nor skip while payments arrive; another tenant's never appear; bad filters are refused. The
// SKU list answers through the same stack.
func TestOperatorPaymentAndRefundLists(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1000, 100)
		buyer := s.token("acme", "u1", "app", "buyer")
		rival := s.token("rival", "ops9", "", "admin")
		s.seed(rival, "tea", "s1", 1000, 100)
		n := 0
		pay := func(token, outcome string) (paymentID, orderID string) {
			t.Helper()
			n++
			tr := must(t, s.do("POST", "/app/v1/orders", token, orderBody(item("tea", 1)), "Idempotency-Key", "pl-"+str(n)), 201, "order").data()
			p := must(t, s.do("POST", "/app/v1/trades/"+str(tr["tradeId"])+"/payments", token, map[string]any{"method": "sandbox"},
				"Idempotency-Key", "pl-pay-"+str(n)), 201, "pay").data()
			if outcome != "" {
				must(t, s.do("POST", "/admin/v1/payments/"+str(p["paymentId"])+"/simulate", admin, map[string]any{"outcome": outcome}), 200, outcome)
			}
			return str(p["paymentId"]), str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
		}
		list := func(path string) (ids []string, next string) {
			t.Helper()
			d := must(t, s.do("GET", path, admin, nil), 200, path).data()
			for _, it := range d["items"].([]any) {
				it := it.(map[string]any)
				id := str(it["paymentId"])
				if rid, ok := it["refundId"]; ok {
					id = str(rid)
				}
				ids = append(ids, id)
			}
			next, _ = d["nextCursor"].(string)
			return ids, next
		}
		newest := func(ids ...string) []string {
			out := slices.Clone(ids)
			slices.Sort(out)
			slices.Reverse(out)
			return out
		}

		ok1, order1 := pay(buyer, "succeeded")
		ok2, _ := pay(buyer, "succeeded")
		failed, _ := pay(buyer, "failed")
		pending, _ := pay(buyer, "")
		rivalOrder := must(t, s.do("POST", "/app/v1/orders", s.token("rival", "u9", "app", "buyer"), orderBody(item("tea", 1))), 201, "rival order").data()
		rivalPay := must(t, s.do("POST", "/app/v1/trades/"+str(rivalOrder["tradeId"])+"/payments", s.token("rival", "u9", "app", "buyer"),
			map[string]any{"method": "sandbox"}), 201, "rival pay").data()
		refunded := must(t, s.do("POST", "/admin/v1/orders/"+order1+"/refund", admin, nil), 200, "refund").data()
		refundID := str(refunded["refund"].(map[string]any)["refundId"])

		// A provider reports ok2 with another amount: a mismatch is kept.
		p, err := s.trade.Core.Payment(context.Background(), "acme", ok2)
		if err != nil {
			t.Fatal(err)
		}
		body, h := s.trade.Sandbox.CallbackReporting(p, payment.OutcomeSucceeded, p.Amount().Minor()-1, "CNY")
		s.do("POST", "/callbacks/v1/payments/sandbox", "", string(body), sandboxpay.HeaderTimestamp, h.Get(sandboxpay.HeaderTimestamp),
			sandboxpay.HeaderSignature, h.Get(sandboxpay.HeaderSignature))

		all := newest(ok1, ok2, failed, pending)
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"", all},
			{"status=succeeded", newest(ok1, ok2)},
			{"status=failed", []string{failed}},
			{"status=pending&provider=sandbox", []string{pending}},
			{"provider=cod", nil},
			{"purpose=full", all},
			{"purpose=deposit", nil},
			{"mismatched=true", []string{ok2}},
			{"mismatched=true&status=failed", nil},
		} {
			if got, _ := list("/admin/v1/payments?" + c.query); !slices.Equal(got, c.want) {
				t.Errorf("payments %q: got %v; want %v", c.query, got, c.want)
			}
		}
		if got, _ := list("/admin/v1/refunds"); !slices.Equal(got, []string{refundID}) {
			t.Errorf("refunds: got %v; want %v", got, refundID)
		}
		if got, _ := list("/admin/v1/refunds?status=pending"); len(got) > 1 {
			t.Errorf("pending refunds: %v", got)
		}
		d := must(t, s.do("GET", "/admin/v1/payments?status=failed", admin, nil), 200, "failed").data()
		if it := d["items"].([]any)[0].(map[string]any); it["userId"] != "u1" || it["amount"] != float64(1000) || it["purpose"] != "full" {
			t.Errorf("a listed payment: %v", it)
		}

		// Pages of one, with a payment made after each page.
		var seen []string
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			ids, next := list("/admin/v1/payments?limit=1&cursor=" + cursor)
			seen = append(seen, ids...)
			if next == "" {
				break
			}
			cursor = next
			pay(buyer, "")
		}
		if !slices.Equal(seen, all) {
			t.Errorf("pages with payments arriving: got %v; want %v", seen, all)
		}

		for _, bad := range []string{"/admin/v1/payments?status=lost", "/admin/v1/payments?purpose=gift", "/admin/v1/payments?mismatched=yes",
			"/admin/v1/payments?limit=0", "/admin/v1/payments?cursor=%25", "/admin/v1/refunds?status=done"} {
			if r := s.do("GET", bad, admin, nil); r.status != 400 {
				t.Errorf("%s: %d %s; want 400", bad, r.status, r.raw)
			}
		}
		// The catalogue, as operators page through it.
		s.seed(admin, "cup", "s2", 500, 10)
		skus := must(t, s.do("GET", "/admin/v1/skus?seller=s2", admin, nil), 200, "skus").data()
		if items := skus["items"].([]any); len(items) != 1 || items[0].(map[string]any)["skuId"] != "cup" || items[0].(map[string]any)["price"] != float64(500) {
			t.Errorf("s2's SKUs: %v", items)
		}
		if d := must(t, s.do("GET", "/admin/v1/skus?limit=1", admin, nil), 200, "skus page").data(); len(d["items"].([]any)) != 1 || d["nextCursor"] == nil {
			t.Errorf("a page of one SKU: %v", d)
		}
		if r := s.do("GET", "/admin/v1/skus?tag=Bad+Tag", admin, nil); r.status != 400 {
			t.Errorf("a malformed tag: %d %s", r.status, r.raw)
		}
		if r := s.do("GET", "/admin/v1/payments", buyer, nil); r.status != 401 && r.status != 403 {
			t.Errorf("a buyer listing payments: %d", r.status)
		}
		d = must(t, s.do("GET", "/admin/v1/payments?limit=100", rival, nil), 200, "rival").data()
		if items := d["items"].([]any); len(items) != 1 || items[0].(map[string]any)["paymentId"] != rivalPay["paymentId"] {
			t.Errorf("the rival tenant's payments: %v; want only its own %v", items, rivalPay["paymentId"])
		}
	})
}
