package platform_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/paymentsql"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/components/dal"
)

// TestMismatchedReportsAreKept: a provider's signed callback whose amount or currency differs
// from the payment is refused (409 payment.amount_mismatch) for a fixed-price payment, a
// pre-sale deposit and an auction deposit alike; the payment stays pending, the report is kept
// once however often it is replayed, counted on /metrics and emitted as payment.mismatch; the
// true callback then settles it. A refund whose acceptance reports another amount stays pending
// and is kept the same way.
func TestMismatchedReportsAreKept(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin, ann, _ := auctionStack(t, db)
		s.seed(admin, "tea", "s1", 12000, 10)
		must(t, s.do("PUT", "/admin/v1/presales/double11", admin, presaleBody(s.clock.Now())), 200, "put presale")
		must(t, s.do("PUT", "/admin/v1/auctions/vase-1", admin, auctionBody(s.clock.Now())), 200, "put auction")
		ctx := context.Background()
		core := s.trade.Core
		post := func(id string, amount int64, currency string) reply {
			t.Helper()
			p, err := core.Payment(ctx, "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			if amount < 0 {
				amount, currency = p.Amount().Minor(), p.Amount().Currency().Code()
			}
			body, h := s.trade.Sandbox.CallbackReporting(p, payment.OutcomeSucceeded, amount, currency)
			return s.do("POST", "/callbacks/v1/payments/sandbox", "", string(body), sandboxpay.HeaderTimestamp, h.Get(sandboxpay.HeaderTimestamp),
				sandboxpay.HeaderSignature, h.Get(sandboxpay.HeaderSignature))
		}
		status := func(id string) payment.Status {
			t.Helper()
			p, err := core.Payment(ctx, "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			return p.Status()
		}
		metric := func(kind string) string {
			t.Helper()
			raw := s.do("GET", "/metrics", "", nil).raw
			for _, line := range strings.Split(raw, "\n") {
				if strings.HasPrefix(line, `atrium_payment_callback_mismatch_total{kind="`+kind+`"} `) {
					return strings.Fields(line)[1]
				}
			}
			t.Fatalf("/metrics lacks atrium_payment_callback_mismatch_total{kind=%q}", kind)
			return ""
		}

		// What each flow's buyer is asked to pay: a fixed-price order, a pre-sale deposit, an
		// auction deposit.
		fixed := must(t, s.do("POST", "/app/v1/orders", ann, map[string]any{"items": []any{item("tea", 1)}, "address": address}), 201, "order").data()
		fixedPay := str(must(t, s.do("POST", "/app/v1/trades/"+str(fixed["tradeId"])+"/payments", ann, map[string]any{"method": "sandbox"}),
			201, "pay").data()["paymentId"])
		pre := must(t, s.do("POST", "/app/v1/orders", ann, map[string]any{"flow": "presale", "presaleId": "double11",
			"items": []any{item("tea", 1)}, "address": address}), 201, "presale order").data()
		prePay := str(must(t, s.payPurpose(ann, "/app/v1", str(pre["tradeId"]), "deposit"), 201, "deposit").data()["paymentId"])
		dep := must(t, s.do("POST", "/app/v1/auctions/vase-1/deposit", ann, map[string]any{"method": "sandbox", "address": address}), 201,
			"auction deposit").data()
		depPay := str(dep["payment"].(map[string]any)["paymentId"])

		seen := 0
		for _, c := range []struct {
			name, id string
			amount   int64
			currency string
		}{
			{"fixed price, one minor unit short", fixedPay, 12000 - 1, "CNY"},
			{"fixed price, another currency", fixedPay, 12000, "USD"},
			{"pre-sale deposit", prePay, 99999, "CNY"},
			{"auction deposit", depPay, 1, "CNY"},
		} {
			for report := 0; report < 2; report++ { // each post is a report of its own (a new notification id)
				if r := post(c.id, c.amount, c.currency); r.status != 409 || r.body["code"] != "payment.amount_mismatch" {
					t.Fatalf("%s (#%d): %d %s; want 409 payment.amount_mismatch", c.name, report, r.status, r.raw)
				}
			}
			seen++
			if st := status(c.id); st != payment.Pending {
				t.Fatalf("%s: the payment is %s; want pending", c.name, st)
			}
		}
		if got, want := metric("payment"), fmt.Sprint(2*seen); got != want {
			t.Fatalf("atrium_payment_callback_mismatch_total{kind=payment} = %s; want %s", got, want)
		}
		if n := outboxCount(t, db, "payment.mismatch"); n != 2*seen {
			t.Fatalf("payment.mismatch events: %d; want %d", n, 2*seen)
		}
		p, _ := core.Payment(ctx, "acme", fixedPay)
		body, h := s.trade.Sandbox.CallbackReporting(p, payment.OutcomeSucceeded, 1, "CNY")
		for i := 0; i < 3; i++ { // one report delivered three times is kept once
			s.do("POST", "/callbacks/v1/payments/sandbox", "", string(body), sandboxpay.HeaderTimestamp, h.Get(sandboxpay.HeaderTimestamp),
				sandboxpay.HeaderSignature, h.Get(sandboxpay.HeaderSignature))
		}
		if got, want := metric("payment"), fmt.Sprint(2*seen+1); got != want {
			t.Fatalf("after one report delivered three times: %s; want %s", got, want)
		}
		ms, err := dbMismatches(t, db, fixedPay)
		if err != nil || len(ms) != 5 || ms[0].Expected != 12000 || ms[0].Reported != 11999 || ms[0].ReportedCurrency != "CNY" {
			t.Fatalf("the fixed-price payment's mismatches: %+v %v", ms, err)
		}
		for _, id := range []string{fixedPay, prePay, depPay} {
			must(t, post(id, -1, ""), 200, "the true callback of "+id)
			if st := status(id); st != payment.Succeeded {
				t.Fatalf("%s after its true callback: %s", id, st)
			}
		}

		// A refund the provider accepts for another amount stays pending and is kept.
		s.trade.Sandbox.MisreportRefunds(1)
		orderID := str(fixed["orders"].([]any)[0].(map[string]any)["orderId"])
		must(t, s.do("POST", "/app/v1/orders/"+orderID+"/refund", ann, nil), 200, "refund")
		if got := metric("refund"); got != "1" {
			t.Fatalf("atrium_payment_callback_mismatch_total{kind=refund} = %s; want 1", got)
		}
		rs, err := core.Refunds(ctx, "acme", []string{orderID})
		if err != nil || len(rs[orderID]) != 1 || rs[orderID][0].Status() != payment.RefundPending {
			t.Fatalf("the misreported refund: %+v %v; want pending", rs, err)
		}
		if ms, _ := dbMismatches(t, db, fixedPay); len(ms) != 6 || ms[5].Kind != payment.MismatchRefund || ms[5].Reported != ms[5].Expected+1 {
			t.Fatalf("the refund's mismatch: %+v", ms)
		}
	})
}

func dbMismatches(t *testing.T, cfg dal.Config, paymentID string) ([]payment.Mismatch, error) {
	t.Helper()
	db := openDB(t, cfg)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return paymentsql.New(db).MismatchesOf(ctx, "acme", paymentID)
}
