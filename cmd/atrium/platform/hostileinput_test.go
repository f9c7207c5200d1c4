package platform_test

import (
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestLongValuesGetShortStableErrors: a 70,000-byte id or enum in any body answers 400 with a
// message that shows a short prefix at most, on both databases, and changes nothing; before,
// the echoed value pushed the business error past the RPC frame and the client got 503.
func TestLongValuesGetShortStableErrors(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 10)
		buyer := s.token("acme", "u1", "app", "buyer")
		d := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 1))), 201, "place").data()
		tradeID := str(d["tradeId"])
		long := strings.Repeat("x", 70_000)
		for _, tc := range []struct {
			method, path string
			token        string
			body         map[string]any
		}{
			{"POST", "/app/v1/trades/" + tradeID + "/payments", buyer, map[string]any{"method": long}},
			{"POST", "/app/v1/orders", buyer, map[string]any{"flow": long, "items": []any{item("tea", 1)}, "address": address}},
			{"POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item(long, 1)}, "address": address}},
			{"POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 1)}, "currency": long}},
			{"POST", "/admin/v1/extensions/publications", admin, map[string]any{"scope": "acme/*", "scriptId": long, "version": 1, "grayBasisPoints": 10000}},
			{"POST", "/admin/v1/extensions/publications/rollback", admin, map[string]any{"scope": "acme/*", "point": long}},
			{"PUT", "/admin/v1/frontends/wx1", admin, map[string]any{"bizCode": long, "channel": "mp"}},
			{"PUT", "/admin/v1/skus/cup", admin, map[string]any{"title": "Cup", "sellerId": "s1", "currency": long, "price": 100}},
			{"PUT", "/admin/v1/price-lists/p1", admin, map[string]any{"name": "P", "currency": long, "prices": []any{}}},
			{"PUT", "/admin/v1/price-lists/p1", admin, map[string]any{"name": "P", "currency": "CNY", "prices": []any{map[string]any{"skuId": long, "price": 1}}}},
			{"PUT", "/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": long, "fee": 100}},
			{"PUT", "/admin/v1/limits/l1", admin, map[string]any{"name": "L", "kind": "per_order", "max": 1, "skus": []any{long}}},
			{"PUT", "/admin/v1/limits/l1", admin, map[string]any{"name": "L", "kind": "per_order", "max": 1, "categories": []any{"tea", long}}},
		} {
			r := s.do(tc.method, tc.path, tc.token, tc.body)
			if r.status != 400 || r.body["code"] != "request.invalid" || len(r.raw) > 400 {
				t.Errorf("%s %s: got %d %.300s (%d bytes); want a short 400 request.invalid", tc.method, tc.path, r.status, r.raw, len(r.raw))
			}
		}
		// Nothing changed: the trade is unpaid, no SKU, list or template was written.
		if o := must(t, s.do("GET", "/app/v1/trades/"+tradeID, buyer, nil), 200, "trade").data(); o["orders"].([]any)[0].(map[string]any)["status"] != "pending_payment" {
			t.Fatalf("trade after refused calls: %v", o)
		}
		for _, path := range []string{"/admin/v1/skus/cup", "/admin/v1/price-lists/p1", "/admin/v1/limits/l1"} {
			if r := s.do("GET", path, admin, nil); r.status != 404 || r.body["code"] == "route.not_found" {
				t.Errorf("GET %s after a refused PUT: %d %s", path, r.status, r.raw)
			}
		}
	})
}

// TestMiniProgramKeysAreUnambiguous: a key that is not the mini-program's own spelling, or two
// keys for one field, is refused every time; before, the mp adapter resolved them in map order
// and quoted (and reserved) either value at random.
func TestMiniProgramKeysAreUnambiguous(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "cup-celadon", "s1", 500, 100)
	s.seed(admin, "tea-longjing", "s1", 1990, 100)
	s.seed(admin, "kettle-iron", "s1", 9900, 100)
	buyer := s.token("acme", "u1", "mp", "buyer")
	addr := `"address":{"name":"Han","phone":"13900000000","province":"Guangdong","city":"Shenzhen","district":"Nanshan","detail":"8 Keyuan Rd"}`
	for _, body := range []string{
		`{"items":[{"sku_id":"cup-celadon","quantity":1,"quantity_fee":3}]}`,
		`{"items":[{"sku_id":"tea-longjing","skuId":"kettle-iron","quantity":1}]}`,
		`{"items":[{"sku_id":"cup-celadon","quantity":1,"quantity":3}]}`,
	} {
		for i := 0; i < 10; i++ {
			if r := s.do("POST", "/mp/v1/quotes", buyer, body); r.body["errcode"] != float64(40001) {
				t.Fatalf("quote %s: got %s; want errcode 40001 every time", body, r.raw)
			}
			order := strings.TrimSuffix(body, "}") + "," + addr + "}"
			if r := s.do("POST", "/mp/v1/orders", buyer, order); r.body["errcode"] != float64(40001) {
				t.Fatalf("order %s: got %s; want errcode 40001 every time", order, r.raw)
			}
		}
	}
	for _, sku := range []string{"cup-celadon", "tea-longjing", "kettle-iron"} {
		if st := s.stock(admin, sku); st["reserved"] != 0 {
			t.Fatalf("%s: %v reserved by refused orders", sku, st)
		}
	}
}

// TestTestRunWithAHugeIntegerIsBadInput: an integer a script cannot hold exactly is the
// operator's bad input (400 extensions.invalid_input), not an internal error.
func TestTestRunWithAHugeIntegerIsBadInput(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.publish(admin, "pricing", example(t, "member_pricing.lua"), "acme/*")
	for _, in := range []string{
		`{"input":{"currency":"CNY","buyer":{"userId":"u1"},"at":9223372036854775807,"lines":[]}}`,
		`{"input":{"currency":"CNY","buyer":{"userId":"u1"},"at":0,"lines":[{"skuId":"tea","title":"Tea","sellerId":"s1","tags":[],"quantity":9223372036854775807,"listPrice":100}]}}`,
	} {
		r := s.do("POST", "/admin/v1/extensions/scripts/pricing/versions/1/test-run", admin, in)
		if r.status != 400 || r.body["code"] != "extensions.invalid_input" {
			t.Errorf("test-run %s: got %d %s; want 400 extensions.invalid_input", in, r.status, r.raw)
		}
	}
}
