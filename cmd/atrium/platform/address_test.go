package platform_test

import (
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestOrdersResolveTheirAddress: an order's address goes through the address library on its way
// in, on both channels, through HTTP → Kitex → database: written in pinyin, in short Chinese
// names or by GB/T 2260 code, the trade keeps the resolved names and codes; a district of another
// city, a missing district or a phone that is no number is refused with order.invalid_address
// naming each field at fault (in the channel's spelling), and changes nothing. A quote's
// destination is resolved the same way, its lower levels optional.
func TestOrdersResolveTheirAddress(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 100)
		app := s.token("acme", "u1", "app", "buyer")
		mp := s.token("acme", "u2", "mp", "buyer")

		want := map[string]any{"country": "CN", "province": "浙江省", "city": "杭州市", "district": "西湖区", "provinceCode": "33",
			"cityCode": "3301", "districtCode": "330106", "phone": "+8613800000000"}
		for i, addr := range []map[string]any{
			{"name": "Li Lei", "phone": "13800000000", "province": "Zhejiang", "city": "Hangzhou City", "district": "Xihu", "detail": "1 Wensan Rd"},
			{"name": "李雷", "phone": "138 0000 0000", "province": "浙江", "city": "杭州", "district": "西湖区", "detail": "文三路 1 号"},
			{"name": "李雷", "phone": "+86 138-0000-0000", "districtCode": "330106", "detail": "文三路 1 号"},
		} {
			placed := must(t, s.do("POST", "/app/v1/orders", app, map[string]any{"items": []any{item("tea", 1)}, "address": addr},
				"Idempotency-Key", "addr-"+str(i)), 201, "place").data()
			got := must(t, s.do("GET", "/app/v1/trades/"+str(placed["tradeId"]), app, nil), 200, "get trade").data()["address"].(map[string]any)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("address %d: %s = %v; want %v (%v)", i, k, got[k], v, got)
				}
			}
		}

		before := s.stock(admin, "tea")
		bad := []struct {
			addr        map[string]any
			field, code string
		}{
			{map[string]any{"province": "Zhejiang", "city": "Hangzhou", "district": "Pudong"}, "address.district", "not_in_parent"},
			{map[string]any{"province": "Zhejiang", "city": "Hangzhou"}, "address.district", "required"},
			{map[string]any{"province": "Zhejiang", "city": "Suzhou", "district": "Xihu"}, "address.city", "not_in_parent"},
			{map[string]any{"province": "Atlantis", "city": "Hangzhou", "district": "Xihu"}, "address.province", "unknown"},
			{map[string]any{"cityCode": "3302", "city": "杭州"}, "address.city", "mismatch"},
			{map[string]any{"province": "Zhejiang", "city": "Hangzhou", "district": "Xihu", "phone": "12345"}, "address.phone", "invalid"},
			{map[string]any{"province": "Zhejiang", "city": "Hangzhou", "district": "Xihu", "postalCode": "3100"}, "address.postalCode", "invalid"},
		}
		for i, c := range bad {
			addr := map[string]any{"name": "Li Lei", "phone": "13800000000", "detail": "1 Wensan Rd"}
			for k, v := range c.addr {
				addr[k] = v
			}
			r := s.do("POST", "/app/v1/orders", app, map[string]any{"items": []any{item("tea", 1)}, "address": addr}, "Idempotency-Key", "bad-"+str(i))
			errs, _ := r.body["errors"].([]any)
			if r.status != 400 || r.body["code"] != "order.invalid_address" || len(errs) == 0 ||
				errs[0].(map[string]any)["field"] != c.field || errs[0].(map[string]any)["code"] != c.code {
				t.Errorf("%v: %d %s; want 400 order.invalid_address with %s %s", c.addr, r.status, r.raw, c.field, c.code)
			}
		}
		// The mini-program's envelope names the fields in snake case.
		r := s.do("POST", "/mp/v1/orders", mp, map[string]any{"items": []any{map[string]any{"sku_id": "tea", "quantity": 1}},
			"address": map[string]any{"name": "Li", "phone": "13800000000", "province": "Zhejiang", "city": "Hangzhou", "district": "Xihu",
				"postal_code": "ABC", "detail": "1 Wensan Rd"}}, "Idempotency-Key", "mp-bad")
		errs, _ := r.body["errors"].([]any)
		if r.status != 200 || r.body["errcode"] == float64(0) || len(errs) != 1 || errs[0].(map[string]any)["field"] != "address.postal_code" {
			t.Errorf("mp: %d %s", r.status, r.raw)
		}
		if after := s.stock(admin, "tea"); after["available"] != before["available"] || after["reserved"] != before["reserved"] {
			t.Errorf("refused orders moved stock: %v → %v", before, after)
		}
		if list := must(t, s.do("GET", "/app/v1/orders", app, nil), 200, "list").data()["orders"].([]any); len(list) != 3 {
			t.Errorf("%d orders after 3 placed and %d refused", len(list), len(bad))
		}

		// A quote's destination: the levels given are resolved, the rest may be left out.
		q := s.do("POST", "/app/v1/quotes", app, map[string]any{"items": []any{item("tea", 1)},
			"destination": map[string]any{"province": "Zhejiang", "city": "Ningbo", "district": "Xihu"}})
		if errs, _ := q.body["errors"].([]any); q.status != 400 || len(errs) != 1 || errs[0].(map[string]any)["field"] != "destination.district" {
			t.Errorf("quote to 西湖区 of Ningbo: %d %s", q.status, q.raw)
		}
		must(t, s.do("POST", "/app/v1/quotes", app, map[string]any{"items": []any{item("tea", 1)},
			"destination": map[string]any{"province": "Zhejiang"}}), 200, "quote to a province")
	})
}

// TestShippingByRegion: a shipping template's region rules, written in pinyin and Chinese, are
// stored resolved and price a quote and an order by where the goods go, through HTTP → Kitex →
// database; a destination the seller does not deliver to is refused with
// delivery.region_not_delivered and reserves nothing.
func TestShippingByRegion(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 100)
		buyer := s.token("acme", "u1", "app", "buyer")
		tmpl := must(t, s.do("PUT", "/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY", "fee": 600, "freeOver": 100000,
			"regions": []any{
				map[string]any{"regions": []any{map[string]any{"province": "Xinjiang"}, map[string]any{"province": "西藏"}}, "fee": 2500},
				map[string]any{"regions": []any{map[string]any{"provinceCode": "81"}}, "noDelivery": true},
			}}), 200, "template").data()
		rules := tmpl["regions"].([]any)
		first := rules[0].(map[string]any)["regions"].([]any)[0].(map[string]any)
		if len(rules) != 2 || first["provinceCode"] != "65" || first["province"] != "新疆维吾尔自治区" {
			t.Fatalf("stored rules: %v", rules)
		}
		if list := must(t, s.do("GET", "/admin/v1/shipping-templates", admin, nil), 200, "list").data()["templates"].([]any); len(list) != 1 ||
			len(list[0].(map[string]any)["regions"].([]any)) != 2 {
			t.Fatalf("listed: %v", list)
		}
		quote := func(dest map[string]any) reply {
			return s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 1)}, "destination": dest})
		}
		if q := must(t, quote(map[string]any{"province": "新疆", "city": "乌鲁木齐"}), 200, "to Xinjiang").data(); q["shippingFee"] != "25.00" {
			t.Errorf("to Xinjiang: shipping %v; want 25.00", q["shippingFee"])
		}
		if q := must(t, quote(map[string]any{"province": "Zhejiang"}), 200, "to Zhejiang").data(); q["shippingFee"] != "6.00" {
			t.Errorf("to Zhejiang: shipping %v; want the template's 6.00", q["shippingFee"])
		}
		if r := quote(map[string]any{"province": "香港"}); r.status != 409 || r.body["code"] != "delivery.region_not_delivered" {
			t.Errorf("quote to Hong Kong: %d %s", r.status, r.raw)
		}
		hk := map[string]any{"name": "Chan", "phone": "13800000000", "province": "Hong Kong", "detail": "1 Queen's Rd"}
		before := s.stock(admin, "tea")
		r := s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("tea", 1)}, "address": hk}, "Idempotency-Key", "hk")
		if r.status != 409 || r.body["code"] != "delivery.region_not_delivered" {
			t.Errorf("order to Hong Kong: %d %s", r.status, r.raw)
		}
		if after := s.stock(admin, "tea"); after["available"] != before["available"] {
			t.Errorf("a refused order moved stock: %v → %v", before, after)
		}
		xj := map[string]any{"name": "Ali", "phone": "13800000000", "province": "Xinjiang", "city": "Urumqi", "district": "Tianshan",
			"detail": "1 Renmin Rd"}
		placed := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("tea", 1)}, "address": xj},
			"Idempotency-Key", "xj"), 201, "order to Xinjiang").data()
		if placed["shippingFee"] != "25.00" || placed["total"] != "44.90" {
			t.Errorf("order to Xinjiang: shipping %v total %v", placed["shippingFee"], placed["total"])
		}
		bad := s.do("PUT", "/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY", "fee": 600,
			"regions": []any{map[string]any{"regions": []any{map[string]any{"province": "Zhejiang", "city": "Nanjing"}}, "fee": 1}}})
		if errs, _ := bad.body["errors"].([]any); bad.status != 400 || len(errs) != 1 || errs[0].(map[string]any)["field"] != "regions[0].regions[0].city" {
			t.Errorf("a rule naming Nanjing in Zhejiang: %d %s", bad.status, bad.raw)
		}
	})
}
