package platform_test

import (
	"testing"
	"time"
)

// TestPromotionsScript publishes the gold-member example on discount.promotions: a gold buyer's
// cart gets the script's 5% on top of the stored promotions, and an app-only promotion is
// vetoed for a mini-program buyer. What the script decided is what the order records.
func TestPromotionsScript(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 10000, 50)
	must(t, s.do("PUT", "/admin/v1/promotions/app-launch", admin, map[string]any{"name": "App launch", "kind": "amount_off",
		"currency": "CNY", "amount": 500}), 200, "promotion")
	must(t, s.do("PUT", "/admin/v1/promotions/spring", admin, map[string]any{"name": "Spring", "kind": "amount_off",
		"currency": "CNY", "amount": 100}), 200, "promotion")
	gold := s.tokenWith(map[string]string{"tenant": "acme", "userId": "g1", "channel": "app", "role": "buyer", "memberLevel": "gold"})
	mp := s.token("acme", "m1", "mp", "buyer")
	cart := []any{item("tea", 1)}

	before := must(t, s.do("POST", "/app/v1/quotes", gold, map[string]any{"items": cart}), 200, "quote").data()
	if before["payable"] != "94.00" {
		t.Fatalf("before publishing: %v", before)
	}
	s.publish(admin, "gold-promotions", example(t, "gold_member_promotions.lua"), "acme/*")
	s.loaded("discount.promotions", "acme", "gold-promotions")

	// 100.00 − 5.00 − 1.00 = 94.00, then 5% of 94.00 = 4.70: 89.30.
	q := must(t, s.do("POST", "/app/v1/quotes", gold, map[string]any{"items": cart}), 200, "quote").data()
	if q["discount"] != "10.70" || q["payable"] != "89.30" {
		t.Fatalf("gold quote: %v", q)
	}
	found := false
	for _, d := range q["discounts"].([]any) {
		d := d.(map[string]any)
		found = found || (d["promotionId"] == "gold-5" && d["amount"] == "4.70")
	}
	if !found {
		t.Fatalf("gold quote does not show the script's promotion: %v", q["discounts"])
	}
	mq := must(t, s.do("POST", "/mp/v1/quotes", mp, map[string]any{"items": []any{map[string]any{"sku_id": "tea", "quantity": 1}}}), 200, "mp quote")
	if d := mq.data(); d["discount_fee"] != float64(100) || d["payable_fee"] != float64(9900) {
		t.Fatalf("mp quote (app-launch vetoed, spring kept): %s", mq.raw)
	}
	o := must(t, s.do("POST", "/app/v1/orders", gold, map[string]any{"items": cart, "address": address}), 201, "order").data()
	if o["total"] != "89.30" {
		t.Fatalf("order: %v", o)
	}
}

// TestLimitsScript publishes the gold-member example on limits.check: gold members may buy twice
// a per-user limit, others hit it, and a bulk cart is refused with the script's message. The
// doubled limit is still claimed atomically: a gold buyer's third unit is refused.
func TestLimitsScript(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 500)
	must(t, s.do("PUT", "/admin/v1/limits/one-each", admin, map[string]any{"name": "One each", "kind": "per_user",
		"skus": []string{"tea"}, "period": "day", "max": 1}), 200, "limit")
	gold := s.tokenWith(map[string]string{"tenant": "acme", "userId": "g1", "channel": "app", "role": "buyer", "memberLevel": "gold"})
	plain := s.token("acme", "p1", "app", "buyer")
	order := func(tok string, n int) reply {
		return s.do("POST", "/app/v1/orders", tok, map[string]any{"items": []any{item("tea", n)}, "address": address})
	}
	if r := order(gold, 2); r.status != 409 || r.body["code"] != "limits.exceeded" {
		t.Fatalf("gold buyer before publishing: %d %s", r.status, r.raw)
	}
	s.publish(admin, "gold-limits", example(t, "gold_member_limits.lua"), "acme/*")
	s.loaded("limits.check", "acme", "gold-limits")

	must(t, order(gold, 2), 201, "gold buyer, 2 of a doubled limit of 1")
	if r := order(gold, 1); r.status != 409 || r.body["code"] != "limits.exceeded" {
		t.Fatalf("gold buyer's third unit: %d %s", r.status, r.raw)
	}
	if r := order(plain, 2); r.status != 409 || r.body["code"] != "limits.exceeded" {
		t.Fatalf("plain buyer, 2 of a limit of 1: %d %s", r.status, r.raw)
	}
	must(t, order(plain, 1), 201, "plain buyer, 1")
	r := order(s.token("acme", "bulk", "app", "buyer"), 51)
	if r.status != 422 || r.body["code"] != "limits.rejected" || r.body["message"] != "Orders of more than 50 units go through our wholesale channel." {
		t.Fatalf("bulk cart: %d %s", r.status, r.raw)
	}
	if st := s.stock(admin, "tea"); st["reserved"] != 3 {
		t.Fatalf("stock: %v; want the 3 units of the two placed orders reserved", st)
	}
}
