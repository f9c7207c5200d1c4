package platform_test

import (
	"context"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestRefundOneChildThroughTheStack: a trade of two sellers with a campaign promotion, a coupon,
// a shipping fee and a purchase limit, paid once. Refunding one child order through the app gives
// back exactly that child's total (its goods less its discounts plus its shipping part), returns
// its share of the campaign budget while the coupon stays used by the other child, puts its
// stock back on sale and releases its limit claim. Refunding the other child (by an operator,
// while the provider is down) closes the trade: the coupon use and the rest of the budget come
// back, and the refund is accepted once the provider is.
func TestRefundOneChildThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin := s.token("acme", "ops", "", "admin")
		buyer := s.token("acme", "u1", "app", "buyer")
		other := s.token("acme", "u2", "app", "buyer")
		s.seed(admin, "tea", "s1", 1000, 10)
		s.seed(admin, "cup", "s2", 500, 10)
		must(t, s.do("PUT", "/admin/v1/campaigns/spring", admin, map[string]any{"name": "Spring", "currency": "CNY", "budget": 100000}), 200, "campaign")
		must(t, s.do("PUT", "/admin/v1/promotions/ten-off", admin, map[string]any{"name": "10% off", "kind": "percent_off",
			"currency": "CNY", "percent": 1000, "campaignId": "spring"}), 200, "promotion")
		must(t, s.do("PUT", "/admin/v1/promotions/vip", admin, map[string]any{"name": "VIP 3 off", "kind": "amount_off", "currency": "CNY",
			"amount": 300, "couponOnly": true}), 200, "coupon promotion")
		must(t, s.do("PUT", "/admin/v1/coupons/VIP3", admin, map[string]any{"promotionId": "vip", "totalUses": 5, "perUser": 1}), 200, "coupon")
		must(t, s.do("PUT", "/admin/v1/limits/tea-life", admin, map[string]any{"name": "Two teas each", "kind": "per_user", "skus": []string{"tea"},
			"period": "lifetime", "max": 2}), 200, "limit")
		must(t, s.do("PUT", "/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY", "fee": 600}), 200, "shipping")

		placed := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("tea", 2), item("cup", 2)},
			"address": address, "coupons": []string{"VIP3"}}), 201, "place").data()
		tradeID := str(placed["tradeId"])
		children := placed["orders"].([]any)
		tea, cup := children[0].(map[string]any), children[1].(map[string]any)
		// Tea 20.00 and cup 10.00: 10% off is 2.00 + 1.00 from the campaign, the coupon's 3.00 goes
		// 2.00 / 1.00 by what is left, and s1 ships for 6.00: 22.00 + 8.00.
		if tea["sellerId"] != "s1" || tea["total"] != "22.00" || cup["total"] != "8.00" || placed["total"] != "30.00" {
			t.Fatalf("placed: %s", must(t, s.do("GET", "/app/v1/trades/"+tradeID, buyer, nil), 200, "trade").raw)
		}
		teaID, cupID := str(tea["orderId"]), str(cup["orderId"])
		budget := func() float64 {
			return must(t, s.do("GET", "/admin/v1/campaigns/spring", admin, nil), 200, "campaign").data()["spent"].(float64)
		}
		couponUsed := func() float64 {
			return must(t, s.do("GET", "/admin/v1/coupons/VIP3", admin, nil), 200, "coupon").data()["used"].(float64)
		}
		if budget() != 300 || couponUsed() != 1 {
			t.Fatalf("after the order: spent %v, coupon used %v", budget(), couponUsed())
		}

		// Not paid yet: nothing to refund.
		if r := s.do("POST", "/app/v1/orders/"+teaID+"/refund", buyer, nil); r.status != 409 || r.body["code"] != "order.invalid_transition" {
			t.Fatalf("refund before payment: %d %s", r.status, r.raw)
		}
		pay := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", buyer, map[string]any{"method": "sandbox"}, "Idempotency-Key", "pay-1"), 201, "pay").data()
		must(t, s.do("POST", "/admin/v1/payments/"+str(pay["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")

		for _, bad := range []struct {
			path, token string
			status      int
			code        string
		}{
			{"/app/v1/orders/" + teaID + "/refund", other, 404, "order.not_found"},
			{"/app/v1/orders/O-nosuch/refund", buyer, 404, "order.not_found"},
			{"/admin/v1/orders/" + teaID + "/refund", buyer, 403, "auth.forbidden"},
			{"/app/v1/orders/" + teaID + "/refund", "", 401, "auth.unauthenticated"},
		} {
			if r := s.do("POST", bad.path, bad.token, nil); r.status != bad.status || r.body["code"] != bad.code {
				t.Fatalf("POST %s: %d %s; want %d %s", bad.path, r.status, r.raw, bad.status, bad.code)
			}
		}
		if st := s.stock(admin, "tea"); st["sold"] != 2 || st["available"] != 8 {
			t.Fatalf("refused refunds changed stock: %v", st)
		}

		refunded := must(t, s.do("POST", "/app/v1/orders/"+teaID+"/refund", buyer, nil), 200, "refund tea").data()
		refund, _ := refunded["refund"].(map[string]any)
		if refunded["status"] != "refunded" || refund == nil || refund["amount"] != "22.00" || refund["status"] != "succeeded" ||
			refund["paymentId"] != pay["paymentId"] || refund["reason"] != "buyer_requested" || refund["settledAt"] == nil {
			t.Fatalf("refund: %v", refunded)
		}
		if again := must(t, s.do("POST", "/app/v1/orders/"+teaID+"/refund", buyer, nil), 200, "again").data(); again["refund"].(map[string]any)["refundId"] != refund["refundId"] {
			t.Fatalf("second refund: %v", again)
		}
		// The campaign gets the tea order's 2.00 back; the coupon stays used by the cup order.
		if budget() != 100 || couponUsed() != 1 {
			t.Fatalf("after refunding tea: spent %v, coupon used %v; want 100 and 1", budget(), couponUsed())
		}
		if st := s.stock(admin, "tea"); st["sold"] != 0 || st["available"] != 10 {
			t.Fatalf("tea after refund: %v", st)
		}
		tr := must(t, s.do("GET", "/app/v1/trades/"+tradeID, buyer, nil), 200, "trade").data()
		if o := tr["orders"].([]any)[0].(map[string]any); o["status"] != "refunded" || o["refund"].(map[string]any)["amount"] != "22.00" {
			t.Fatalf("trade after refund: %v", tr)
		}
		if o := tr["orders"].([]any)[1].(map[string]any); o["status"] != "paid" || o["refund"] != nil {
			t.Fatalf("the cup order: %v", o)
		}
		// The mini-program shows the refund its own way: snake_case, money as *_fee in minor units.
		mp := s.token("acme", "u1", "mp", "buyer")
		if o := must(t, s.do("GET", "/mp/v1/orders/"+teaID, mp, nil), 200, "mp order").data(); o["refund"] == nil {
			t.Fatalf("mini-program order: %v", o)
		} else if r := o["refund"].(map[string]any); r["amount_fee"] != float64(2200) || r["refund_id"] != refund["refundId"] {
			t.Fatalf("mini-program refund: %v", r)
		}
		list := must(t, s.do("GET", "/app/v1/orders", buyer, nil), 200, "list").data()["orders"].([]any)
		var listed int
		for _, o := range list {
			if o.(map[string]any)["refund"] != nil {
				listed++
			}
		}
		if listed != 1 {
			t.Fatalf("listed orders with a refund: %d of %d", listed, len(list))
		}

		// The operator refunds the cup order while the provider is down: the order is refunded,
		// the refund is owed (pending), and the job asks again after its delay.
		s.trade.Sandbox.FailRefunds(1)
		cupRefund := must(t, s.do("POST", "/admin/v1/orders/"+cupID+"/refund", admin, nil), 200, "refund cup").data()
		if cupRefund["status"] != "refunded" || cupRefund["refund"].(map[string]any)["status"] != "pending" ||
			cupRefund["refund"].(map[string]any)["amount"] != float64(800) || cupRefund["refund"].(map[string]any)["reason"] != "operator_refunded" {
			t.Fatalf("cup refund while the provider is down: %v", cupRefund)
		}
		// The trade has no live order left: the coupon use and the rest of the budget come back.
		if budget() != 0 || couponUsed() != 0 {
			t.Fatalf("after refunding the whole trade: spent %v, coupon used %v; want 0 and 0", budget(), couponUsed())
		}
		clk.Advance(time.Minute)
		eventually(t, 10*time.Second, "refund accepted after the outage", func() bool {
			o := must(t, s.do("GET", "/app/v1/orders/"+cupID, buyer, nil), 200, "cup").data()
			return o["refund"].(map[string]any)["status"] == "succeeded"
		})
		if n := outboxCount(t, db, "order.refunded"); n != 2 {
			t.Fatalf("order.refunded events: %d; want 2", n)
		}
		if n := outboxCount(t, db, "payment.refunded"); n != 2 {
			t.Fatalf("payment.refunded events: %d; want 2", n)
		}

		// The refunded tea order no longer counts against the buyer's limit of two.
		must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("tea", 2)}, "address": address}), 201, "tea again")
	})
}

func outboxCount(t *testing.T, cfg dal.Config, topic string) int {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, cfg)
	defer db.Close()
	var n int
	if err := db.Primary().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_events WHERE topic = ?`, topic).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
