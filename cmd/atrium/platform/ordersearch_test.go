package platform_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/access-layer/apiclient"
	"github.com/atriumtrade/atrium/components/dal"
)

// TestOperatorOrderSearch: the operators' order search through HTTP and RPC on both databases:
// every filter, ids of trades and payments in q, windows of time, pages that neither repeat nor
// skip while orders arrive, clear errors for bad parameters, and no other tenant's order; a
// buyer's own list filtered by status and flow.
func TestOperatorOrderSearch(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 100)
		s.seed(admin, "cup", "s2", 500, 100)
		u1, u2 := s.token("acme", "u1", "app", "buyer"), s.token("acme", "u2", "app", "buyer")
		otherAdmin := s.token("rival", "ops9", "", "admin")
		s.seed(otherAdmin, "tea", "s1", 1990, 100)
		n := 0
		place := func(token string, skus ...string) map[string]any {
			t.Helper()
			n++
			var items []any
			for _, sku := range skus {
				items = append(items, map[string]any{"skuId": sku, "quantity": 1})
			}
			return must(t, s.do("POST", "/app/v1/orders", token, map[string]any{"flow": "fixed_price", "items": items, "address": address},
				"Idempotency-Key", "search-"+str(n)), 201, "place").data()
		}
		orderIDs := func(tr map[string]any) []string {
			var out []string
			for _, o := range tr["orders"].([]any) {
				out = append(out, str(o.(map[string]any)["orderId"]))
			}
			return out
		}
		search := func(query string) (ids []string, next string) {
			t.Helper()
			d := must(t, s.do("GET", "/admin/v1/orders?"+query, admin, nil), 200, "search "+query).data()
			for _, o := range d["items"].([]any) {
				ids = append(ids, str(o.(map[string]any)["orderId"]))
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

		start := time.Now().UTC()
		t1 := place(u1, "tea")        // one order
		t2 := place(u2, "cup")        // one order
		t3 := place(u1, "tea", "cup") // two orders: s1's and s2's
		rival := place(s.token("rival", "u1", "app", "buyer"), "tea")
		pay := must(t, s.do("POST", "/app/v1/trades/"+str(t2["tradeId"])+"/payments", u2, map[string]any{"method": "sandbox"},
			"Idempotency-Key", "search-pay"), 201, "pay").data()
		must(t, s.do("POST", "/admin/v1/payments/"+str(pay["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
		all := newest(append(append(orderIDs(t1), orderIDs(t2)...), orderIDs(t3)...)...)
		byID := map[string][]string{"t1": orderIDs(t1), "t2": orderIDs(t2), "t3": orderIDs(t3)}

		for _, c := range []struct {
			query string
			want  []string
		}{
			{"", all},
			{"buyer=u2", byID["t2"]},
			{"buyer=u1", newest(append(byID["t1"], byID["t3"]...)...)},
			{"sku=tea", newest(byID["t1"][0], byID["t3"][0])},
			{"seller=s2", newest(byID["t2"][0], byID["t3"][1])},
			{"status=paid", byID["t2"]},
			{"status=pending_payment&buyer=u1&sku=cup", []string{byID["t3"][1]}},
			{"flow=fixed_price", all},
			{"flow=auction", nil},
			{"q=" + str(t3["tradeId"]), newest(byID["t3"]...)},
			{"q=" + byID["t1"][0], byID["t1"]},
			{"q=" + str(pay["paymentId"]), byID["t2"]},
			{"q=" + orderIDs(rival)[0], nil},
			{"q=nothing-like-it", nil},
			{"createdFrom=" + url.QueryEscape(start.Add(-time.Minute).Format(time.RFC3339)), all},
			{"createdFrom=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), nil},
			{"createdTo=" + start.Add(-48*time.Hour).Format(time.DateOnly), nil},
			{"createdFrom=" + start.Add(-24*time.Hour).Format(time.DateOnly) + "&createdTo=" + start.Add(48*time.Hour).Format(time.DateOnly), all},
		} {
			if got, _ := search(c.query); !slices.Equal(got, c.want) {
				t.Errorf("search %q: got %v; want %v", c.query, got, c.want)
			}
		}
		if got, _ := search(""); len(got) > 0 {
			d := must(t, s.do("GET", "/admin/v1/orders?q="+got[0], admin, nil), 200, "one").data()
			o := d["items"].([]any)[0].(map[string]any)
			if o["userId"] != "u1" || o["flow"] != "fixed_price" || o["total"] != float64(500) {
				t.Errorf("an operator's order shows its buyer, flow and total in minor units: %v", o)
			}
		}

		// Pages of two, with new orders placed after each page: the pages hold exactly the
		// orders there were when the first page was read.
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			ids, next := search("limit=2&cursor=" + url.QueryEscape(cursor))
			seen = append(seen, ids...)
			if next == "" || pages > 10 {
				break
			}
			cursor = next
			place(u2, "tea")
		}
		if !slices.Equal(seen, all) {
			t.Errorf("pages with orders arriving: got %v; want %v", seen, all)
		}

		for _, bad := range []string{"status=lost", "flow=barter", "limit=0", "limit=101", "cursor=%25%25", "createdFrom=yesterday",
			"createdFrom=2026-12-02&createdTo=2026-12-01", "buyer=" + url.QueryEscape("a b"), "q=" + url.QueryEscape(string(make([]byte, 70)))} {
			r := s.do("GET", "/admin/v1/orders?"+bad, admin, nil)
			if r.status != 400 || r.body["code"] == nil || r.body["code"] == "ok" {
				t.Errorf("search %q: got %d %v; want 400 with a code", bad, r.status, r.body)
			}
		}
		if r := s.do("GET", "/admin/v1/orders", u1, nil); r.status != 401 && r.status != 403 {
			t.Errorf("a buyer searching the tenant's orders: got %d; want it refused", r.status)
		}

		// A refund's id finds the order it gave money back for.
		refunded := must(t, s.do("POST", "/admin/v1/orders/"+byID["t2"][0]+"/refund", admin, nil), 200, "refund").data()
		refundID := str(refunded["refund"].(map[string]any)["refundId"])
		if got, _ := search("q=" + refundID); !slices.Equal(got, byID["t2"]) {
			t.Errorf("search by refund %s: got %v; want %v", refundID, got, byID["t2"])
		}
		if got, _ := search("status=refunded"); !slices.Equal(got, byID["t2"]) {
			t.Errorf("refunded orders: got %v; want %v", got, byID["t2"])
		}

		// The same, through the client generated from the API's document.
		cl, err := apiclient.NewClientWithResponses(s.base, apiclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+admin)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		refundedStatus := apiclient.GetAdminV1OrdersParamsStatus("refunded")
		found, err := cl.GetAdminV1OrdersWithResponse(context.Background(), &apiclient.GetAdminV1OrdersParams{Status: &refundedStatus})
		if err != nil || found.JSON200 == nil || found.JSON200.Data.Items == nil || len(*found.JSON200.Data.Items) != 1 ||
			*(*found.JSON200.Data.Items)[0].OrderId != byID["t2"][0] {
			t.Fatalf("the generated client's search: %v %s", err, found.Body)
		}
		story, err := cl.GetAdminV1TradesByTradeIdWithResponse(context.Background(), str(t2["tradeId"]))
		if err != nil || story.JSON200 == nil || *story.JSON200.Data.UserId != "u2" || len(*story.JSON200.Data.Timeline) == 0 {
			t.Fatalf("the generated client's story: %v %s", err, story.Body)
		}
		if bad, err := cl.GetAdminV1OrdersWithResponse(context.Background(), &apiclient.GetAdminV1OrdersParams{Q: ptr("a b")}); err != nil ||
			bad.JSONDefault == nil || bad.JSONDefault.Code != "request.invalid" {
			t.Fatalf("the generated client's error: %v %s", err, bad.Body)
		}

		// A buyer's own list honours status and flow, on both channels.
		mine := must(t, s.do("GET", "/app/v1/orders?status=pending_payment", u2, nil), 200, "mine").data()
		for _, o := range mine["orders"].([]any) {
			if o.(map[string]any)["status"] != "pending_payment" || o.(map[string]any)["userId"] != "u2" {
				t.Errorf("u2's pending orders hold %v", o)
			}
		}
		if got := len(mine["orders"].([]any)); got == 0 {
			t.Errorf("u2's pending orders: none; want the tea orders placed while paging")
		}
		if d := must(t, s.do("GET", "/app/v1/orders?status=refunded", u2, nil), 200, "refunded").data(); len(d["orders"].([]any)) != 1 {
			t.Errorf("u2's refunded orders: got %v; want the one refunded", d["orders"])
		}
		if d := must(t, s.do("GET", "/app/v1/orders?flow=auction", u1, nil), 200, "auctions").data(); len(d["orders"].([]any)) != 0 {
			t.Errorf("u1's auction orders: got %v; want none", d["orders"])
		}
		mp := s.token("acme", "u2", "mp", "buyer")
		if r := s.do("GET", "/mp/v1/orders?status=refunded", mp, nil); r.status != 200 || len(r.data()["orders"].([]any)) != 1 {
			t.Errorf("mp list of refunded orders: %d %v", r.status, r.raw)
		}
		if r := s.do("GET", "/mp/v1/orders?status=lost", mp, nil); r.body["errcode"] == float64(0) {
			t.Errorf("mp list with a bad status: %v; want an errcode", r.raw)
		}
	})
}

func ptr[T any](v T) *T { return &v }
