package platform_test

import (
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestOrderStatsFromEvents: orders placed, paid, cancelled and refunded through HTTP reach the
// order-events projection through the outbox, the relay and a consumer, and
// GET /admin/v1/stats/orders reports them: each flow's orders by status with their totals, and
// each SKU's sales and refunds per day. Another tenant sees none of it; a bad range is refused.
func TestOrderStatsFromEvents(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
		s := start(t, db, clk)
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 100)
		s.seed(admin, "cup", "s1", 500, 100)
		buyer := s.token("acme", "u1", "app", "buyer")
		place := func(key string, items ...map[string]any) (string, string) {
			t.Helper()
			tr := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(items...), "Idempotency-Key", key), 201, "place").data()
			return str(tr["tradeId"]), str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
		}
		pay := func(tradeID string) {
			t.Helper()
			p := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", buyer, map[string]any{"method": "sandbox"}), 201, "pay").data()
			must(t, s.do("POST", "/admin/v1/payments/"+str(p["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
		}
		// Two paid (one of them later refunded), one cancelled, one left unpaid.
		t1, _ := place("s-1", item("tea", 2), item("cup", 1))
		pay(t1)
		t2, o2 := place("s-2", item("tea", 1))
		pay(t2)
		_, o3 := place("s-3", item("cup", 3))
		must(t, s.do("POST", "/app/v1/orders/"+o3+"/cancel", buyer, nil), 200, "cancel")
		place("s-4", item("cup", 1))
		must(t, s.do("POST", "/admin/v1/orders/"+o2+"/refund", admin, nil), 200, "refund")

		want := map[string][2]float64{ // status -> orders, amount
			"paid": {1, 2*1990 + 500}, "refunded": {1, 1990}, "cancelled": {1, 1500}, "pending_payment": {1, 500}}
		var got map[string]any
		eventually(t, 20*time.Second, "the projection to catch up", func() bool {
			got = must(t, s.do("GET", "/admin/v1/stats/orders", admin, nil), 200, "stats").data()
			rows := got["byStatus"].([]any)
			if len(rows) != len(want) {
				return false
			}
			for _, r := range rows {
				r := r.(map[string]any)
				w, ok := want[str(r["status"])]
				if !ok || r["flow"] != "fixed_price" || r["orders"] != w[0] || r["amount"] != w[1] || r["currency"] != "CNY" {
					return false
				}
			}
			// Each event type is its own subscription, so the statuses can be complete while an
			// order.paid is still on its way: wait for the sales too.
			units := map[string]float64{}
			for _, d := range got["skuDaily"].([]any) {
				d := d.(map[string]any)
				units[str(d["skuId"])+"/"+str(d["units"])+"/"+str(d["refundedUnits"])] = 1
			}
			return len(units) == 2 && units["tea/3/1"] == 1 && units["cup/1/0"] == 1
		})
		if got["from"] != "2026-11-02" || got["to"] != "2026-12-01" {
			t.Errorf("default range %v..%v", got["from"], got["to"])
		}
		days := map[string]map[string]any{}
		for _, d := range got["skuDaily"].([]any) {
			d := d.(map[string]any)
			days[str(d["skuId"])] = d
			if d["day"] != "2026-12-01" {
				t.Errorf("sales on %v; want the test clock's day", d["day"])
			}
		}
		if tea := days["tea"]; tea["orders"] != float64(2) || tea["units"] != float64(3) || tea["amount"] != float64(3*1990) ||
			tea["refundedUnits"] != float64(1) || tea["refundedAmount"] != float64(1990) {
			t.Errorf("tea: %v", tea)
		}
		if cup := days["cup"]; cup["orders"] != float64(1) || cup["units"] != float64(1) || cup["amount"] != float64(500) || cup["refundedUnits"] != float64(0) {
			t.Errorf("cup (only the paid one counts): %v", cup)
		}
		one := must(t, s.do("GET", "/admin/v1/stats/orders?from=2026-12-01&to=2026-12-01&skuId=cup&flow=cod", admin, nil), 200, "filtered").data()
		if len(one["byStatus"].([]any)) != 0 || len(one["skuDaily"].([]any)) != 1 {
			t.Errorf("filtered: %v", one)
		}
		other := must(t, s.do("GET", "/admin/v1/stats/orders", s.token("globex", "ops", "", "admin"), nil), 200, "another tenant").data()
		if len(other["byStatus"].([]any)) != 0 || len(other["skuDaily"].([]any)) != 0 {
			t.Errorf("another tenant sees %v", other)
		}
		for _, q := range []string{"from=2026-12-02&to=2026-12-01", "from=yesterday", "from=2020-01-01&to=2026-01-01"} {
			if r := s.do("GET", "/admin/v1/stats/orders?"+q, admin, nil); r.status != 400 || r.body["code"] != "stats.invalid_range" {
				t.Errorf("?%s: %d %s", q, r.status, r.raw)
			}
		}
		if r := s.do("GET", "/admin/v1/stats/orders", buyer, nil); r.status != 403 && r.status != 401 {
			t.Errorf("a buyer reading stats: %d", r.status)
		}
	})
}
