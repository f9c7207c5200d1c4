package platform_test

import (
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestViewsFollowTheMoney: a trade refunded in full reads refunded, not paid, in every flow; a
// pre-sale's deposit reads refunded once its money went back, and cancelled (not pending) once
// its trade ended before it was paid.
func TestViewsFollowTheMoney(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin := s.token("acme", "ops", "", "admin")
		s.seed(admin, "tea", "s1", 12000, 10)
		must(t, s.do("PUT", "/admin/v1/presales/double11", admin, presaleBody(clk.Now())), 200, "presale")
		buyer := s.token("acme", "u1", "app", "buyer")
		trade := func(id string) map[string]any {
			return must(t, s.do("GET", "/app/v1/trades/"+id, buyer, nil), 200, "trade").data()
		}
		pay := func(tradeID, purpose string) {
			t.Helper()
			p := must(t, s.payPurpose(buyer, "/app/v1", tradeID, purpose), 201, purpose).data()
			must(t, s.do("POST", "/admin/v1/payments/"+str(p["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "paid")
		}

		// Fixed price, paid, refunded before shipping.
		o := s.paidOrder(buyer, admin, "fp", item("tea", 1))
		must(t, s.do("POST", "/app/v1/orders/"+str(o["orderId"])+"/refund", buyer, nil), 200, "refund")
		if v := trade(str(o["tradeId"])); v["state"] != "refunded" {
			t.Fatalf("a fixed-price trade refunded in full reads %v", v["state"])
		}

		// Pre-sale: one trade cancelled before its deposit, one paid in full and refunded.
		place := func() map[string]any {
			return must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "presale", "presaleId": "double11",
				"items": []any{item("tea", 1)}, "address": address}), 201, "presale order").data()
		}
		early := place()
		must(t, s.do("POST", "/app/v1/orders/"+str(early["orders"].([]any)[0].(map[string]any)["orderId"])+"/cancel", buyer, nil), 200, "cancel")
		if v := trade(str(early["tradeId"])); v["presale"].(map[string]any)["depositStatus"] != "cancelled" || v["state"] != "cancelled" {
			t.Fatalf("cancelled before its deposit: deposit %v, state %v", v["presale"].(map[string]any)["depositStatus"], v["state"])
		}
		full := place()
		pay(str(full["tradeId"]), "deposit")
		clk.Advance(time.Hour + time.Second)
		pay(str(full["tradeId"]), "balance")
		must(t, s.do("POST", "/app/v1/orders/"+str(full["orders"].([]any)[0].(map[string]any)["orderId"])+"/refund", buyer, nil), 200, "refund")
		v := trade(str(full["tradeId"]))
		if v["presale"].(map[string]any)["depositStatus"] != "refunded" || v["state"] != "refunded" {
			t.Fatalf("a pre-sale refunded in full: deposit %v, state %v; want refunded, refunded", v["presale"].(map[string]any)["depositStatus"], v["state"])
		}
	})
}

// TestQuoteTakesTheOrdersAddress: a front end sends one address object to a quote and to an
// order: a quote takes it as address or as destination, reads its region and ignores the rest
// (before, destination refused "destination.detail" and address was refused outright).
func TestQuoteTakesTheOrdersAddress(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 10)
	must(t, s.do("PUT", "/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY", "fee": 800,
		"regions": []any{map[string]any{"regions": []any{map[string]any{"province": "Zhejiang"}}, "fee": 300}}}), 200, "template")
	app, mp := s.token("acme", "u1", "app", "buyer"), s.token("acme", "u1", "mp", "buyer")
	for _, field := range []string{"address", "destination"} {
		q := must(t, s.do("POST", "/app/v1/quotes", app, map[string]any{"items": []any{item("tea", 1)}, field: address}), 200, "app "+field).data()
		if q["shippingFee"] != "3.00" {
			t.Errorf("app quote with the order's address as %s: shipping %v; want Zhejiang's 3.00", field, q["shippingFee"])
		}
		r := must(t, s.do("POST", "/mp/v1/quotes", mp, mpBody(map[string]any{"items": []any{item("tea", 1)}, field: address})), 200, "mp "+field)
		if q := r.body["data"].(map[string]any); q["shipping_fee"] != float64(300) {
			t.Errorf("mp quote with the order's address as %s: %s", field, r.raw)
		}
	}
}
