package platform_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

// growingTables grow with orders, payments, events and the catalog: reading one of them by
// tenant alone, or in full, costs in proportion to what is stored.
var growingTables = []string{"trades", "orders", "order_lines", "order_discounts", "payments", "payment_refunds",
	"inventory_reservations", "inventory_reservation_lines", "inventory_levels", "limit_claims", "limit_counters",
	"discount_redemptions", "discount_coupons", "idempotency_keys", "outbox_events", "delayed_jobs", "ext_runs", "skus"}

// TestQueryPlansStayIndexed runs a workload that touches every request path of the fixed-price
// flow (quote, order with promotions, coupon, limit, price list and script, pay, ship, deliver,
// complete, cancel, refund, the unpaid timeout, hot stock, lists and reads) on both databases,
// records every statement, and checks each one's plan: none reads a growing table in full or by
// tenant alone. A fresh database's plans are what production gets on SQLite, which runs without
// statistics; MySQL's statistics are refreshed after the workload.
func TestQueryPlansStayIndexed(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		// The request paths only: the auditor's scheduled run has a test of its own at scale
		// (auditsql's TestAuditPlansStayIndexed); here its window would hold the whole table.
		s := startWith(t, db, clk, func(c *platform.Config) { c.Audit.Interval = 0 })
		var stmts daltest.Statements
		stmts.RecordOn(s.trade.DB)
		defer s.trade.DB.Record(nil)

		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 1000)
		s.seed(admin, "cup", "s2", 500, 1000)
		s.seed(admin, "phone", "s1", 99900, 1000)
		must(t, s.do("PUT", "/admin/v1/skus/phone/stock", admin, map[string]any{"warehouseId": "wh1", "hot": true}), 200, "hot")
		must(t, s.do("PUT", "/admin/v1/promotions/ten", admin, map[string]any{"name": "10%", "kind": "percent_off", "currency": "CNY", "percent": 1000}), 200, "promotion")
		must(t, s.do("PUT", "/admin/v1/promotions/vip", admin, map[string]any{"name": "VIP", "kind": "amount_off", "currency": "CNY", "amount": 100, "couponOnly": true}), 200, "coupon promotion")
		must(t, s.do("PUT", "/admin/v1/coupons/VIP1", admin, map[string]any{"promotionId": "vip", "totalUses": 100, "perUser": 50}), 200, "coupon")
		must(t, s.do("PUT", "/admin/v1/limits/tea-day", admin, map[string]any{"name": "Tea", "kind": "per_user", "skus": []string{"tea"}, "period": "day", "max": 100}), 200, "limit")
		must(t, s.do("PUT", "/admin/v1/price-lists/app", admin, map[string]any{"name": "App", "currency": "CNY", "channels": []string{"app"},
			"prices": []any{map[string]any{"skuId": "cup", "price": 450}}}), 200, "price list")
		must(t, s.do("PUT", "/admin/v1/shipping-templates/s2", admin, map[string]any{"currency": "CNY", "fee": 600, "freeOver": 100000}), 200, "template")
		s.publish(admin, "pricing", example(t, "member_pricing.lua"), "acme/*")
		s.loaded("pricing.unit_price", "acme", "pricing")

		buyer := s.token("acme", "u1", "app", "buyer")
		mpBuyer := s.token("acme", "u2", "mp", "buyer")
		placeAs := func(who, key string, items ...map[string]any) (tradeID string, orderIDs []string) {
			body := orderBody(items...)
			body["coupons"] = []string{"VIP1"}
			d := must(t, s.do("POST", "/app/v1/orders", who, body, "Idempotency-Key", key), 201, "place "+key).data()
			for _, o := range d["orders"].([]any) {
				orderIDs = append(orderIDs, str(o.(map[string]any)["orderId"]))
			}
			return str(d["tradeId"]), orderIDs
		}
		place := func(key string, items ...map[string]any) (string, []string) { return placeAs(buyer, key, items...) }
		pay := func(tradeID string) {
			p := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", buyer, map[string]any{"method": "sandbox"}, "Idempotency-Key", "pay-"+tradeID), 201, "pay").data()
			must(t, s.do("POST", "/admin/v1/payments/"+str(p["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
		}
		must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 2), item("cup", 1)}, "coupons": []string{"VIP1"}}), 200, "quote")
		must(t, s.do("POST", "/mp/v1/quotes", mpBuyer, map[string]any{"items": []any{map[string]any{"sku_id": "tea", "quantity": 1}}}), 200, "mp quote")

		// Enough trades, of enough buyers, that a plan by tenant alone is not the cheap plan of a
		// near-empty table with one buyer in it.
		others := buyerTokens(s, "acme", "other", 12)
		for i := 0; i < 36; i++ {
			placeAs(others[i%len(others)], fmt.Sprintf("bulk-%d", i), item("tea", 1), item("cup", 1))
		}
		tradeID, orders := place("full", item("tea", 2), item("cup", 1))
		pay(tradeID)
		must(t, s.do("POST", "/admin/v1/orders/"+orders[0]+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF1"}), 200, "ship")
		must(t, s.do("POST", "/admin/v1/orders/"+orders[0]+"/delivery", admin, map[string]any{"outcome": "delivered"}), 200, "deliver")
		must(t, s.do("POST", "/app/v1/orders/"+orders[0]+"/complete", buyer, nil), 200, "complete")
		must(t, s.do("POST", "/app/v1/orders/"+orders[1]+"/refund", buyer, nil), 200, "refund")
		_, cancelled := place("cancel", item("tea", 1))
		must(t, s.do("POST", "/app/v1/orders/"+cancelled[0]+"/cancel", buyer, nil), 200, "cancel")
		place("hot", item("phone", 1))
		_, unpaid := place("unpaid", item("cup", 2))

		must(t, s.do("GET", "/app/v1/trades/"+tradeID, buyer, nil), 200, "get trade")
		must(t, s.do("GET", "/app/v1/orders/"+orders[1], buyer, nil), 200, "get order")
		must(t, s.do("GET", "/app/v1/orders?limit=5", buyer, nil), 200, "list")
		must(t, s.do("GET", "/mp/v1/orders?limit=5", mpBuyer, nil), 200, "mp list")
		must(t, s.do("GET", "/admin/v1/orders/"+orders[0], admin, nil), 200, "admin get")
		must(t, s.do("GET", "/admin/v1/orders/"+orders[0]+"/extension-runs", admin, nil), 200, "runs")
		must(t, s.do("GET", "/admin/v1/trades/"+tradeID, admin, nil), 200, "story")
		for _, q := range []string{"", "status=paid", "buyer=u1", "seller=s1", "sku=cup", "flow=fixed_price", "q=" + tradeID,
			"status=pending_payment&createdFrom=2026-01-01"} {
			must(t, s.do("GET", "/admin/v1/orders?limit=5&"+q, admin, nil), 200, "search "+q)
		}
		must(t, s.do("GET", "/app/v1/orders?limit=5&status=cancelled", buyer, nil), 200, "my cancelled")
		for _, q := range []string{"payments?limit=5", "payments?limit=5&status=succeeded", "payments?limit=5&mismatched=true",
			"refunds?limit=5", "refunds?limit=5&status=pending", "skus?limit=5", "skus?limit=5&seller=s1", "skus?limit=5&tag=hot&title=Tea",
			"coupons?limit=5", "coupons?limit=5&promotion=vip", "coupons?limit=5&state=active"} {
			must(t, s.do("GET", "/admin/v1/"+q, admin, nil), 200, q)
		}
		for _, scope := range []string{"acme/*", "acme.default/*", "acme.default/fixed_price"} {
			must(t, s.do("POST", "/admin/v1/extensions/scripts/pricing/versions/1/shadow", admin, map[string]any{"scope": scope, "point": "pricing.unit_price"}),
				200, "shadow at "+scope)
		}
		s.stock(admin, "tea")

		clk.Advance(31 * time.Minute)
		eventually(t, 10*time.Second, "unpaid order cancelled", func() bool {
			return must(t, s.do("GET", "/app/v1/orders/"+unpaid[0], buyer, nil), 200, "get unpaid").data()["status"] == "cancelled"
		})

		s.trade.DB.Record(nil)
		if err := daltest.Analyze(context.Background(), s.trade.DB, growingTables); err != nil {
			t.Fatal(err)
		}
		daltest.CheckPlans(t, s.trade.DB, &stmts, growingTables)
		// The books of this workload (coupons, a budget-free promotion, a limit, a cancel, a
		// refund, an unpaid timeout, a hot SKU) are clean to the auditor.
		if found := auditFindings(t, db); len(found) > 0 {
			t.Fatalf("the auditor: %v", found)
		}
	})
}
