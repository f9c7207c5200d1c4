package platform_test

import (
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

func presaleBody(now time.Time) map[string]any {
	ms := now.UnixMilli()
	return map[string]any{"name": "Double 11 pre-sale", "currency": "CNY",
		"skus":            []any{map[string]any{"skuId": "tea", "price": 10000, "deposit": 1000, "depositCredit": 3000}},
		"depositStartsAt": ms, "depositEndsAt": ms + 3_600_000, "balanceStartsAt": ms + 3_600_000, "balanceEndsAt": ms + 7_200_000,
		"perUser": 2, "depositRefundable": false}
}

// TestPresaleCampaignsThroughTheStack: an operator defines a pre-sale campaign and reads it back;
// windows out of order, a credit below the deposit, negative money or a bad SKU are refused with
// presale.invalid_campaign and change nothing; another tenant and a buyer cannot read it.
func TestPresaleCampaignsThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		now := time.Now()
		c := must(t, s.do("PUT", "/admin/v1/presales/double11", admin, presaleBody(now)), 200, "put presale").data()
		if c["id"] != "double11" || c["status"] != "active" || c["perUser"] != float64(2) {
			t.Fatalf("put: %v", c)
		}
		got := must(t, s.do("GET", "/admin/v1/presales/double11", admin, nil), 200, "get presale").data()
		sku := got["skus"].([]any)[0].(map[string]any)
		if sku["price"] != float64(10000) || sku["deposit"] != float64(1000) || sku["depositCredit"] != float64(3000) ||
			got["depositEndsAt"] != float64(now.UnixMilli()+3_600_000) {
			t.Fatalf("get: %v", got)
		}
		for name, edit := range map[string]func(b map[string]any){
			"windows out of order": func(b map[string]any) { b["balanceStartsAt"] = b["depositStartsAt"] },
			"credit below deposit": func(b map[string]any) {
				b["skus"] = []any{map[string]any{"skuId": "tea", "price": 10000, "deposit": 1000, "depositCredit": 999}}
			},
			"negative price": func(b map[string]any) {
				b["skus"] = []any{map[string]any{"skuId": "tea", "price": -1, "deposit": 1000, "depositCredit": 1000}}
			},
			"no skus": func(b map[string]any) { b["skus"] = []any{} },
			"bad sku": func(b map[string]any) {
				b["skus"] = []any{map[string]any{"skuId": "", "price": 1, "deposit": 1, "depositCredit": 1}}
			},
			"bad currency": func(b map[string]any) { b["currency"] = "ZZZ" },
		} {
			b := presaleBody(now)
			b["name"] = "changed"
			edit(b)
			if r := s.do("PUT", "/admin/v1/presales/double11", admin, b); r.status != 400 || r.body["code"] != "presale.invalid_campaign" {
				t.Errorf("%s: %d %s; want 400 presale.invalid_campaign", name, r.status, r.raw)
			}
		}
		if got := must(t, s.do("GET", "/admin/v1/presales/double11", admin, nil), 200, "get").data(); got["name"] != "Double 11 pre-sale" {
			t.Fatalf("a refused put changed the campaign: %v", got)
		}
		if r := s.do("PUT", "/admin/v1/presales/bad%20id", admin, presaleBody(now)); r.status != 400 {
			t.Errorf("a bad campaign id: %d %s", r.status, r.raw)
		}
		other := s.token("globex", "ops", "", "admin")
		if r := s.do("GET", "/admin/v1/presales/double11", other, nil); r.status != 404 || r.body["code"] != "presale.campaign_not_found" {
			t.Errorf("another tenant: %d %s", r.status, r.raw)
		}
		buyer := s.token("acme", "u1", "app", "buyer")
		if r := s.do("GET", "/admin/v1/presales/double11", buyer, nil); r.status != 403 {
			t.Errorf("a buyer on the admin route: %d %s", r.status, r.raw)
		}
	})
}
