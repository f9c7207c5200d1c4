package platform_test

import (
	"testing"
	"time"
)

// TestPathsCannotNameAnotherID: the router reads a path decoded and cleaned, so an id holding an
// encoded slash and dot segments (orders/X%2F..%2FY/cancel) named order Y and cancelled it. Such
// a path is refused 400 request.invalid_path before anything acts, in each channel's envelope;
// an empty id answers 404, not the 405 of the route it collapses into; a SKU title of spaces is
// refused.
func TestPathsCannotNameAnotherID(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 10)
	buyer := s.token("acme", "u1", "app", "buyer")
	place := func() string {
		tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("tea", 1)}, "address": address}), 201, "order").data()
		return str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
	}
	x, y := place(), place()
	for _, path := range []string{
		"/app/v1/orders/" + x + "%2F..%2F" + y + "/cancel",
		"/app/v1/orders/" + x + "%2f..%2f" + y + "/cancel",
		"/app/v1/orders/" + x + "/../" + y + "/cancel",
		"/app/v1/orders/" + x + "/%2E%2E/" + y + "/cancel",
		"/app/v1/orders/./" + y + "/cancel",
		"/app/v1/orders/" + y + "%5C/cancel",
	} {
		if r := s.do("POST", path, buyer, nil); r.status != 400 || r.body["code"] != "request.invalid_path" {
			t.Errorf("%s: %d %s; want 400 request.invalid_path", path, r.status, r.raw)
		}
	}
	if r := s.do("POST", "/mp/v1/orders/"+x+"%2F..%2F"+y+"/cancel", s.token("acme", "u1", "mp", "buyer"), nil); r.status != 200 ||
		r.body["errcode"] != float64(40005) {
		t.Errorf("the mini-program's envelope: %d %s; want errcode 40005", r.status, r.raw)
	}
	for _, id := range []string{x, y} {
		if o := must(t, s.do("GET", "/app/v1/orders/"+id, buyer, nil), 200, "order").data(); o["status"] != "pending_payment" {
			t.Fatalf("order %s after the refused paths: %v", id, o["status"])
		}
	}
	if r := s.do("POST", "/app/v1/orders//cancel", buyer, nil); r.status != 404 || r.body["code"] != "route.not_found" {
		t.Errorf("an empty id: %d %s; want 404 route.not_found", r.status, r.raw)
	}
	if r := s.do("PUT", "/admin/v1/skus/blank", admin, map[string]any{"title": "   ", "sellerId": "s1", "price": 100, "currency": "CNY"}); r.status != 400 ||
		r.body["code"] != "catalog.invalid_sku" {
		t.Errorf("a title of spaces: %d %s; want 400 catalog.invalid_sku", r.status, r.raw)
	}
	must(t, s.do("POST", "/app/v1/orders/"+y+"/cancel", buyer, nil), 200, "a plain cancel still works")
}
