package platform_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestPromotionsAndCouponsThroughTheStack: an automatic promotion and a coupon through the admin
// API, a quote and an order on the app channel showing each discount per line and per order, the
// coupon used by the order and given back when it is cancelled.
func TestPromotionsAndCouponsThroughTheStack(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 100)
	s.seed(admin, "cup", "s2", 333, 100)
	must(t, s.do("PUT", "/admin/v1/campaigns/spring", admin, map[string]any{"name": "Spring", "currency": "CNY", "budget": 100000}), 200, "campaign")
	must(t, s.do("PUT", "/admin/v1/promotions/ten-off", admin, map[string]any{"name": "10% off everything", "kind": "percent_off",
		"currency": "CNY", "percent": 1000, "campaignId": "spring"}), 200, "promotion")
	must(t, s.do("PUT", "/admin/v1/promotions/vip", admin, map[string]any{"name": "VIP 5 off", "kind": "amount_off", "currency": "CNY",
		"amount": 500, "couponOnly": true, "minSpend": 1000}), 200, "coupon promotion")
	must(t, s.do("PUT", "/admin/v1/coupons/vip5", admin, map[string]any{"promotionId": "vip", "totalUses": 10, "perUser": 1}), 200, "coupon")

	// Bad admin input changes nothing and says why.
	for _, bad := range []map[string]any{
		{"name": "x", "kind": "percent_off", "currency": "CNY", "percent": 20000},
		{"name": "x", "kind": "amount_off", "currency": "CNY", "amount": 5, "percent": 10},
		{"name": "x", "kind": "mystery", "currency": "CNY"},
		{"name": "x", "kind": "amount_off", "currency": "XXX", "amount": 5},
	} {
		r := s.do("PUT", "/admin/v1/promotions/bad", admin, bad)
		if r.status != 400 {
			t.Fatalf("bad promotion %v: %d %s", bad, r.status, r.raw)
		}
	}
	must(t, s.do("GET", "/admin/v1/promotions/bad", admin, nil), 404, "bad promotion stored")
	if r := s.do("PUT", "/admin/v1/coupons/x1", admin, map[string]any{"promotionId": "vip"}); r.status != 400 || r.body["code"] != "discount.invalid_coupon" {
		t.Fatalf("short code: %d %s", r.status, r.raw)
	}
	buyer := s.token("acme", "u1", "app", "buyer")
	if r := s.do("GET", "/admin/v1/promotions", buyer, nil); r.status != 403 {
		t.Fatalf("buyer listing promotions: %d %s", r.status, r.raw)
	}

	cart := []any{map[string]any{"skuId": "tea", "quantity": 2}, map[string]any{"skuId": "cup", "quantity": 3}}
	q := must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": cart, "coupons": []string{"VIP5"}}), 200, "quote").data()
	// 20.00 + 9.99 = 29.99; 10% off = 2.99, then 5.00 off the remaining 27.00: 7.99 in all.
	if q["total"] != "29.99" || q["discount"] != "7.99" || q["payable"] != "22.00" {
		t.Fatalf("quote: %v", q)
	}
	ds := q["discounts"].([]any)
	if len(ds) != 2 || ds[0].(map[string]any)["amount"] != "2.99" || ds[1].(map[string]any)["couponCode"] != "VIP5" {
		t.Fatalf("quote discounts: %v", ds)
	}
	var linePayable float64
	for _, l := range q["lines"].([]any) {
		var v float64
		fmt.Sscan(l.(map[string]any)["payable"].(string), &v)
		linePayable += v
	}
	if fmt.Sprintf("%.2f", linePayable) != "22.00" {
		t.Fatalf("lines pay %.2f; the quote 22.00", linePayable)
	}
	if c := must(t, s.do("GET", "/admin/v1/coupons/VIP5", admin, nil), 200, "coupon").data(); c["used"] != float64(0) {
		t.Fatalf("a quote used the coupon: %v", c)
	}

	// Coupon errors are stable codes.
	for _, tc := range []struct {
		coupons []string
		status  int
		code    string
	}{
		{[]string{"NOSUCH"}, 404, "discount.coupon_not_found"},
		{[]string{"a b"}, 400, "discount.invalid_coupon"},
		{[]string{"A1", "A2", "A3", "A4", "A5", "A6"}, 400, "discount.too_many_coupons"},
	} {
		r := s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": cart, "address": address, "coupons": tc.coupons})
		if r.status != tc.status || r.body["code"] != tc.code {
			t.Fatalf("coupons %v: %d %s; want %d %s", tc.coupons, r.status, r.raw, tc.status, tc.code)
		}
	}
	small := []any{map[string]any{"skuId": "cup", "quantity": 1}}
	if r := s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": small, "address": address, "coupons": []string{"vip5"}}); r.status != 422 || r.body["code"] != "discount.coupon_not_applicable" {
		t.Fatalf("coupon under its minimum spend: %d %s", r.status, r.raw)
	}

	tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": cart, "address": address, "coupons": []string{"vip5"},
		"expectedTotal": "22.00"}), 201, "order").data()
	if tr["total"] != "22.00" || tr["discount"] != "7.99" || tr["subtotal"] != "29.99" {
		t.Fatalf("trade: %v", tr)
	}
	orders := tr["orders"].([]any)
	var sum float64
	for _, o := range orders {
		o := o.(map[string]any)
		var v float64
		fmt.Sscan(o["total"].(string), &v)
		sum += v
		if len(o["discounts"].([]any)) == 0 {
			t.Fatalf("order %v carries no discounts", o)
		}
	}
	if len(orders) != 2 || fmt.Sprintf("%.2f", sum) != "22.00" {
		t.Fatalf("child orders sum to %.2f; want 22.00 over 2 orders", sum)
	}
	if c := must(t, s.do("GET", "/admin/v1/coupons/VIP5", admin, nil), 200, "coupon").data(); c["used"] != float64(1) {
		t.Fatalf("coupon after the order: %v", c)
	}
	if c := must(t, s.do("GET", "/admin/v1/campaigns/spring", admin, nil), 200, "campaign").data(); c["spent"] != float64(299) {
		t.Fatalf("campaign after the order: %v", c)
	}
	// Once per buyer.
	if r := s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": cart, "address": address, "coupons": []string{"VIP5"}}); r.status != 409 || r.body["code"] != "discount.coupon_user_limit" {
		t.Fatalf("second use: %d %s", r.status, r.raw)
	}
	// Cancelling one child order keeps the coupon; cancelling the last gives it and the budget back.
	for i, o := range orders {
		id := str(o.(map[string]any)["orderId"])
		must(t, s.do("POST", "/app/v1/orders/"+id+"/cancel", buyer, nil), 200, "cancel")
		used := must(t, s.do("GET", "/admin/v1/coupons/VIP5", admin, nil), 200, "coupon").data()["used"]
		if want := float64(1 - i); used != want {
			t.Fatalf("after cancelling %d of 2 orders the coupon is used %v times; want %v", i+1, used, want)
		}
	}
	if c := must(t, s.do("GET", "/admin/v1/campaigns/spring", admin, nil), 200, "campaign").data(); c["spent"] != float64(0) {
		t.Fatalf("campaign after cancel: %v", c)
	}
	must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": cart, "address": address, "coupons": []string{"VIP5"}}), 201, "reuse after cancel")

	// The mini-program channel shows the same money in its own shape.
	mp := s.token("acme", "u2", "mp", "buyer")
	mq := must(t, s.do("POST", "/mp/v1/quotes", mp, mpBody(map[string]any{"items": cart})), 200, "mp quote")
	d, _ := mq.body["data"].(map[string]any)
	if d["discount_fee"] != float64(299) || d["payable_fee"] != float64(2700) {
		t.Fatalf("mp quote: %s", mq.raw)
	}
}

// TestCouponUsesUnderConcurrency: 500 parallel orders race for a coupon with 100 uses (exactly
// 100 get it), and one buyer sends 20 parallel orders with a once-per-buyer coupon (exactly one
// gets it); stock and coupon counts agree afterwards. On SQLite and MariaDB.
func TestCouponUsesUnderConcurrency(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1000, 10000)
		must(t, s.do("PUT", "/admin/v1/promotions/hundred", admin, map[string]any{"name": "First hundred", "kind": "amount_off",
			"currency": "CNY", "amount": 100, "couponOnly": true}), 200, "promotion")
		must(t, s.do("PUT", "/admin/v1/coupons/FIRST100", admin, map[string]any{"promotionId": "hundred", "totalUses": 100}), 200, "coupon")
		must(t, s.do("PUT", "/admin/v1/coupons/ONCE", admin, map[string]any{"promotionId": "hundred", "perUser": 1}), 200, "coupon")
		cart := []any{map[string]any{"skuId": "tea", "quantity": 1}}
		order := func(token, code, key string) reply {
			return s.placeRetrying(token, map[string]any{"items": cart, "address": address, "coupons": []string{code}}, key)
		}
		tokens := make([]string, 500)
		for i := range tokens {
			tokens[i] = s.token("acme", fmt.Sprintf("buyer%03d", i), "app", "buyer")
		}
		got := s.race(500, func(i int) reply { return order(tokens[i], "FIRST100", fmt.Sprintf("first-%d", i)) })
		if got["201 ok"] != 100 || got["409 discount.coupon_exhausted"] != 400 {
			t.Fatalf("500 orders for 100 uses: %v", got)
		}
		got = s.race(20, func(i int) reply { return order(tokens[0], "ONCE", fmt.Sprintf("once-%d", i)) })
		if got["201 ok"] != 1 || got["409 discount.coupon_user_limit"] != 19 {
			t.Fatalf("20 parallel orders by one buyer with a once-per-buyer coupon: %v", got)
		}
		c := must(t, s.do("GET", "/admin/v1/coupons/FIRST100", admin, nil), 200, "coupon").data()
		if c["used"] != float64(100) {
			t.Fatalf("coupon: %v", c)
		}
		if st := s.stock(admin, "tea"); st["reserved"] != 101 {
			t.Fatalf("stock: %v; want 101 reserved (failed orders reserve nothing)", st)
		}
	})
}
