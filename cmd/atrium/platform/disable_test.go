package platform_test

import (
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestDisablePromotionsAndCoupons: an operator disables a promotion and a coupon and ends a price
// list; from then no cart gets them, and each stays readable with what it was (history is never
// lost); doing it again changes nothing; putting them again enables them; unknown ones answer 404.
// A warehouse registered by mistake is deleted; one holding stock is kept.
func TestDisablePromotionsAndCoupons(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1000, 100)
		buyer := s.token("acme", "u1", "app", "buyer")
		promo := map[string]any{"name": "10% off", "kind": "percent_off", "currency": "CNY", "percent": 1000}
		must(t, s.do("PUT", "/admin/v1/promotions/ten-off", admin, promo), 200, "promotion")
		must(t, s.do("PUT", "/admin/v1/promotions/vip", admin, map[string]any{"name": "VIP 1 off", "kind": "amount_off", "currency": "CNY",
			"amount": 100, "couponOnly": true}), 200, "coupon promotion")
		must(t, s.do("PUT", "/admin/v1/coupons/vip1", admin, map[string]any{"promotionId": "vip", "totalUses": 10}), 200, "coupon")
		quote := func(coupons ...string) reply {
			t.Helper()
			return s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 1)}, "coupons": coupons})
		}
		if q := must(t, quote("VIP1"), 200, "quote").data(); q["discount"] != "2.00" {
			t.Fatalf("before: %v; want 1.00 and 1.00 off", q)
		}

		p := must(t, s.do("POST", "/admin/v1/promotions/ten-off/disable", admin, nil), 200, "disable promotion").data()
		if p["disabled"] != true || p["percent"] != float64(1000) {
			t.Fatalf("the disabled promotion: %v", p)
		}
		c := must(t, s.do("POST", "/admin/v1/coupons/VIP1/disable", admin, nil), 200, "disable coupon").data()
		if c["disabledAt"] == nil || c["totalUses"] != float64(10) {
			t.Fatalf("the disabled coupon: %v", c)
		}
		if q := must(t, quote(), 200, "quote").data(); q["discount"] != "0.00" {
			t.Errorf("a disabled promotion still applies: %v", q)
		}
		if r := quote("VIP1"); r.status == 200 {
			t.Errorf("a disabled coupon still applies: %s", r.raw)
		}
		// The lists say which are off, by state now; another tenant sees none of them.
		ids := func(path, token string) (out []string) {
			t.Helper()
			r := must(t, s.do("GET", path, token, nil), 200, path)
			items, _ := r.body["data"].([]any)
			if page, ok := r.body["data"].(map[string]any); ok {
				items, _ = page["items"].([]any)
			}
			for _, it := range items {
				m := it.(map[string]any)
				id, _ := m["id"].(string)
				if code, ok := m["code"].(string); ok {
					id = code
				}
				out = append(out, id+"="+m["state"].(string))
			}
			return out
		}
		for path, want := range map[string]string{
			"/admin/v1/promotions":                "ten-off=disabled vip=active",
			"/admin/v1/promotions?state=disabled": "ten-off=disabled",
			"/admin/v1/promotions?state=active":   "vip=active",
			"/admin/v1/coupons":                   "VIP1=disabled",
			"/admin/v1/coupons?state=disabled":    "VIP1=disabled",
			"/admin/v1/coupons?state=active":      "",
			"/admin/v1/coupons?promotion=vip":     "VIP1=disabled",
			"/admin/v1/coupons?promotion=ten-off": "",
		} {
			if got := strings.Join(ids(path, admin), " "); got != want {
				t.Errorf("GET %s: %q; want %q", path, got, want)
			}
		}
		if got := ids("/admin/v1/coupons", s.token("other", "ops", "", "admin")); len(got) != 0 {
			t.Errorf("another tenant's coupons: %v", got)
		}
		for path, code := range map[string]string{"/admin/v1/coupons?cursor=forged": "discount.invalid_cursor",
			"/admin/v1/coupons?state=gone": "request.invalid", "/admin/v1/promotions?state=gone": "request.invalid"} {
			if r := s.do("GET", path, admin, nil); r.status != 400 || r.body["code"] != code {
				t.Errorf("GET %s: %d %s; want 400 %s", path, r.status, r.raw, code)
			}
		}
		again := must(t, s.do("POST", "/admin/v1/coupons/vip1/disable", admin, nil), 200, "again").data()
		if again["disabledAt"] != c["disabledAt"] {
			t.Errorf("disabling again moved the time: %v → %v", c["disabledAt"], again["disabledAt"])
		}
		if got := must(t, s.do("GET", "/admin/v1/promotions/ten-off", admin, nil), 200, "kept").data(); got["disabled"] != true || got["name"] != "10% off" {
			t.Errorf("the promotion as kept: %v", got)
		}
		for _, path := range []string{"/admin/v1/promotions/nope/disable", "/admin/v1/coupons/NOPE/disable"} {
			if r := s.do("POST", path, admin, nil); r.status != 404 {
				t.Errorf("%s: %d %s", path, r.status, r.raw)
			}
		}
		if r := s.do("POST", "/admin/v1/promotions/vip/disable", buyer, nil); r.status != 403 {
			t.Errorf("a buyer disabling a promotion: %d", r.status)
		}
		must(t, s.do("PUT", "/admin/v1/promotions/ten-off", admin, promo), 200, "enable promotion")
		must(t, s.do("PUT", "/admin/v1/coupons/vip1", admin, map[string]any{"promotionId": "vip", "totalUses": 10}), 200, "enable coupon")
		if q := must(t, quote("VIP1"), 200, "quote").data(); q["discount"] != "2.00" {
			t.Errorf("enabled again: %v", q)
		}

		// A sale price list, ended: carts pay the list price again, and the list is kept.
		must(t, s.do("PUT", "/admin/v1/price-lists/sale", admin, map[string]any{"name": "Sale", "currency": "CNY",
			"prices": []any{map[string]any{"skuId": "tea", "price": 800}}, "startsAt": s.clock.Now().Add(-time.Hour).UnixMilli()}), 200, "sale")
		if q := must(t, quote(), 200, "quote").data(); q["total"] != "8.00" {
			t.Fatalf("on sale: %v", q)
		}
		ended := must(t, s.do("POST", "/admin/v1/price-lists/sale/end", admin, nil), 200, "end").data()
		if ended["endsAt"] == nil || len(ended["prices"].([]any)) != 1 {
			t.Fatalf("the ended list: %v", ended)
		}
		if q := must(t, quote(), 200, "quote").data(); q["total"] != "10.00" {
			t.Errorf("after the sale ended: %v", q)
		}
		if again := must(t, s.do("POST", "/admin/v1/price-lists/sale/end", admin, nil), 200, "end again").data(); again["endsAt"] != ended["endsAt"] {
			t.Errorf("ending again moved its end: %v → %v", ended["endsAt"], again["endsAt"])
		}
		must(t, s.do("PUT", "/admin/v1/price-lists/later", admin, map[string]any{"name": "Later", "currency": "CNY",
			"prices": []any{map[string]any{"skuId": "tea", "price": 700}}, "startsAt": s.clock.Now().Add(time.Hour).UnixMilli()}), 200, "later")
		if r := s.do("POST", "/admin/v1/price-lists/later/end", admin, nil); r.status != 400 || r.body["code"] != "pricing.invalid_price_list" {
			t.Errorf("ending a list that has not started: %d %s", r.status, r.raw)
		}
		if r := s.do("POST", "/admin/v1/price-lists/none/end", admin, nil); r.status != 404 {
			t.Errorf("ending no list: %d %s", r.status, r.raw)
		}

		// A warehouse registered by mistake goes; the one holding the tea stays.
		for _, id := range []string{"wh1", "wh-typo"} {
			must(t, s.do("PUT", "/admin/v1/warehouses/"+id, admin, map[string]any{"name": id, "region": map[string]any{"country": "CN"}}), 200, "warehouse")
		}
		if d := must(t, s.do("DELETE", "/admin/v1/warehouses/wh-typo", admin, nil), 200, "delete").data(); d["deleted"] != true {
			t.Errorf("deleted: %v", d)
		}
		if r := s.do("DELETE", "/admin/v1/warehouses/wh-typo", admin, nil); r.status != 404 || r.body["code"] != "inventory.warehouse_not_found" {
			t.Errorf("deleting it again: %d %s", r.status, r.raw)
		}
		if r := s.do("DELETE", "/admin/v1/warehouses/wh1", admin, nil); r.status != 409 || r.body["code"] != "inventory.warehouse_in_use" {
			t.Errorf("deleting the warehouse holding stock: %d %s", r.status, r.raw)
		}
	})
}
