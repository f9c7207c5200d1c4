package platform_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestPurchaseLimitsThroughTheStack: per-order, per-user per day, per-address and first-order
// limits through the admin API and app orders; a cancelled order gives its claim back.
func TestPurchaseLimitsThroughTheStack(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 100)
	s.seed(admin, "gift", "s1", 1, 100)
	s.seed(admin, "rice", "s2", 500, 100)
	must(t, s.do("PUT", "/admin/v1/limits/tea-order", admin, map[string]any{"name": "Tea per order", "kind": "per_order", "skus": []string{"tea"}, "max": 3}), 200, "per order")
	must(t, s.do("PUT", "/admin/v1/limits/tea-day", admin, map[string]any{"name": "Tea per day", "kind": "per_user", "skus": []string{"tea"},
		"period": "day", "max": 4, "timezone": "Asia/Shanghai"}), 200, "per user")
	must(t, s.do("PUT", "/admin/v1/limits/rice-home", admin, map[string]any{"name": "Rice per address", "kind": "per_address", "skus": []string{"rice"},
		"period": "lifetime", "unit": "orders", "max": 1}), 200, "per address")
	must(t, s.do("PUT", "/admin/v1/limits/welcome", admin, map[string]any{"name": "Welcome gift", "kind": "first_order", "skus": []string{"gift"}}), 200, "first order")
	if r := s.do("PUT", "/admin/v1/limits/bad", admin, map[string]any{"name": "x", "kind": "per_user", "max": 1}); r.status != 400 || r.body["code"] != "limits.invalid_rule" {
		t.Fatalf("rule without a period: %d %s", r.status, r.raw)
	}

	u1 := s.token("acme", "u1", "app", "buyer")
	order := func(token, sku string, qty int, addr map[string]any) reply {
		return s.do("POST", "/app/v1/orders", token, map[string]any{"items": []any{map[string]any{"skuId": sku, "quantity": qty}}, "address": addr})
	}
	// First order with the welcome gift.
	must(t, order(u1, "gift", 1, address), 201, "first order gift")
	if r := order(u1, "gift", 1, address); r.status != 409 || r.body["code"] != "limits.first_order_only" {
		t.Fatalf("second gift: %d %s", r.status, r.raw)
	}
	if r := order(u1, "tea", 4, address); r.status != 409 || r.body["code"] != "limits.exceeded" {
		t.Fatalf("4 teas in one order: %d %s", r.status, r.raw)
	}
	t1 := must(t, order(u1, "tea", 3, address), 201, "3 teas").data()
	must(t, order(u1, "tea", 1, address), 201, "4th tea today")
	if r := order(u1, "tea", 1, address); r.status != 409 || r.body["code"] != "limits.exceeded" {
		t.Fatalf("5th tea today: %d %s", r.status, r.raw)
	}
	// Cancelling gives the claim back.
	oid := str(t1["orders"].([]any)[0].(map[string]any)["orderId"])
	must(t, s.do("POST", "/app/v1/orders/"+oid+"/cancel", u1, nil), 200, "cancel")
	must(t, order(u1, "tea", 3, address), 201, "3 teas again after cancel")
	// Per address: another buyer shipping to the same address (spelled differently) is refused.
	u2 := s.token("acme", "u2", "app", "buyer")
	must(t, order(u1, "rice", 2, address), 201, "rice")
	same := map[string]any{}
	for k, v := range address {
		same[k] = v
	}
	same["detail"] = "  " + fmt.Sprint(address["detail"]) + " "
	if r := order(u2, "rice", 1, same); r.status != 409 || r.body["code"] != "limits.exceeded" {
		t.Fatalf("rice to the same address: %d %s", r.status, r.raw)
	}
	// The limits are per tenant.
	other := s.token("other", "u1", "app", "buyer")
	if r := order(other, "tea", 5, address); r.body["code"] == "limits.exceeded" {
		t.Fatalf("another tenant hit acme's limit: %s", r.raw)
	}
}

// TestPerUserLimitUnderConcurrency: one buyer sends 20 parallel orders against a limit of 1:
// exactly one is placed. On SQLite and MariaDB.
func TestPerUserLimitUnderConcurrency(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "hot", "s1", 990, 1000)
		must(t, s.do("PUT", "/admin/v1/limits/one-each", admin, map[string]any{"name": "One each", "kind": "per_user",
			"skus": []string{"hot"}, "period": "lifetime", "max": 1}), 200, "limit")
		buyer := s.token("acme", "u1", "app", "buyer")
		got := s.race(20, func(int) reply {
			return s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{map[string]any{"skuId": "hot", "quantity": 1}}, "address": address})
		})
		if got["201 ok"] != 1 || got["409 limits.exceeded"] != 19 {
			t.Fatalf("20 parallel orders against a limit of 1: %v", got)
		}
		if st := s.stock(admin, "hot"); st["reserved"] != 1 {
			t.Fatalf("stock: %v", st)
		}
	})
}
