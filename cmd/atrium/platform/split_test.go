package platform_test

import (
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestWarehousesPresaleAndSpreadThroughTheStack: warehouses registered with their regions
// through the admin API decide where a buyer's goods ship from; a line no warehouse can fill
// alone is spread; each warehouse and each pre-sale date is a child order of its own, in the
// quote as in the order.
func TestWarehousesPresaleAndSpreadThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("demo", "ops", "", "admin")
		buyer := s.token("demo", "u1", "app", "buyer")
		hz := map[string]any{"name": "杭州仓", "region": map[string]any{"country": "CN", "province": "Zhejiang", "city": "Hangzhou"}}
		must(t, s.do("PUT", "/admin/v1/warehouses/wh-hz", admin, hz), 200, "hangzhou")
		must(t, s.do("PUT", "/admin/v1/warehouses/wh-bj", admin, map[string]any{"name": "Beijing DC",
			"region": map[string]any{"country": "CN", "province": "Beijing", "city": "Beijing"}}), 200, "beijing")
		// Bad input is refused with a stable code and stores nothing.
		for _, bad := range []struct {
			path  string
			token string
			body  any
			code  string
		}{
			{"/admin/v1/warehouses/wh-x", admin, map[string]any{"name": "x", "region": map[string]any{"country": "china"}}, "inventory.invalid_warehouse"},
			{"/admin/v1/warehouses/wh-x", admin, map[string]any{"name": "x"}, "inventory.invalid_warehouse"},
			{"/admin/v1/warehouses/wh-x", admin, map[string]any{"name": "", "region": map[string]any{"country": "CN"}}, "inventory.invalid_warehouse"},
			{"/admin/v1/warehouses/wh-x", admin, map[string]any{"name": "x", "region": map[string]any{"country": "CN", "city": "Hangzhou"}}, "inventory.invalid_warehouse"},
			{"/admin/v1/warehouses/bad%20id", admin, hz, "inventory.invalid_warehouse"},
			{"/admin/v1/warehouses/wh-x", admin, `{"name": "x", "region": `, "request.malformed_json"},
			{"/admin/v1/warehouses/wh-x", buyer, hz, "auth.forbidden"},
		} {
			r := s.do("PUT", bad.path, bad.token, bad.body)
			if r.status < 400 || r.status >= 500 || r.body["code"] != bad.code {
				t.Fatalf("PUT %s %v: got %d %s; want code %s", bad.path, bad.body, r.status, r.raw, bad.code)
			}
		}
		list := must(t, s.do("GET", "/admin/v1/warehouses", admin, nil), 200, "list").data()["warehouses"].([]any)
		if len(list) != 2 || list[1].(map[string]any)["region"].(map[string]any)["province"] != "浙江省" ||
			list[1].(map[string]any)["region"].(map[string]any)["cityCode"] != "3301" {
			t.Fatalf("warehouses: %v", list)
		}

		ships := time.Now().Add(30 * 24 * time.Hour).UnixMilli()
		must(t, s.do("PUT", "/admin/v1/skus/tea", admin, map[string]any{"title": "Longjing", "sellerId": "s1", "currency": "CNY", "price": 3333}), 200, "tea")
		cake := must(t, s.do("PUT", "/admin/v1/skus/cake", admin, map[string]any{"title": "Mooncakes", "sellerId": "s1", "currency": "CNY",
			"price": 8800, "presaleShipsAt": ships}), 200, "cake").data()
		if cake["presaleShipsAt"] != float64(ships) {
			t.Fatalf("cake: %v", cake)
		}
		if r := s.do("PUT", "/admin/v1/skus/cake2", admin, map[string]any{"title": "x", "sellerId": "s1", "currency": "CNY", "price": 1,
			"presaleShipsAt": -5}); r.status != 400 || r.body["code"] != "catalog.invalid_sku" {
			t.Fatalf("negative ship date: %d %s", r.status, r.raw)
		}
		for _, st := range []struct {
			sku, wh string
			n       int
		}{{"tea", "wh-hz", 3}, {"tea", "wh-bj", 10}, {"cake", "wh-hz", 5}, {"cake", "wh-bj", 100}} {
			must(t, s.do("PUT", "/admin/v1/skus/"+st.sku+"/stock", admin, map[string]any{"warehouseId": st.wh, "onHand": st.n}), 200, "stock")
		}

		// The buyer is in Hangzhou (address): 12 teas do not fit in any one warehouse.
		q := must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 12), item("cake", 2)},
			"destination": map[string]any{"country": "CN", "province": "Zhejiang", "city": "Hangzhou"}}), 200, "quote").data()
		lines := q["lines"].([]any)
		if w := lines[0].(map[string]any)["warehouseId"]; w != "wh-hz,wh-bj" {
			t.Fatalf("quote line ships from %v; want wh-hz,wh-bj (nearest first)", w)
		}
		type child struct{ key, wh, qty, payable, shipsAt string }
		children := func(groups []any, key string) []child {
			var out []child
			for _, g := range groups {
				g := g.(map[string]any)
				l := g["lines"].([]any)[0].(map[string]any)
				out = append(out, child{str(g[key]), str(l["warehouseId"]), str(l["quantity"]), str(g["payable"]), str(g["shipsAt"])})
			}
			return out
		}
		presaleAt := time.UnixMilli(ships).UTC().Format(time.RFC3339Nano)
		got := children(q["groups"].([]any), "key")
		want := []child{{"wh-bj", "wh-bj", "9", "299.97", "<nil>"}, {"wh-hz", "wh-hz", "3", "99.99", "<nil>"},
			{"wh-hz:presale:" + str(ships), "wh-hz", "2", "176.00", presaleAt}}
		if str(got) != str(want) || q["payable"] != "575.96" {
			t.Fatalf("quote groups %v (payable %v)\nwant %v (575.96)", got, q["payable"], want)
		}

		d := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 12), item("cake", 2))), 201, "order").data()
		orders := children(d["orders"].([]any), "sellerId")
		wantOrders := []child{{"s1", "wh-bj", "9", "<nil>", "<nil>"}, {"s1", "wh-hz", "3", "<nil>", "<nil>"}, {"s1", "wh-hz", "2", "<nil>", presaleAt}}
		if str(orders) != str(wantOrders) || d["total"] != "575.96" {
			t.Fatalf("orders %v (total %v)\nwant %v", orders, d["total"], wantOrders)
		}
		o := must(t, s.do("GET", "/app/v1/orders/"+str(d["orders"].([]any)[2].(map[string]any)["orderId"]), buyer, nil), 200, "get").data()
		if o["shipsAt"] != presaleAt {
			t.Fatalf("stored pre-sale order: %v", o)
		}
	})
}

// TestShippingFeesThroughTheStack: a seller charges one fee per trade however many parcels its
// goods ship in; the fee is divided over its child orders by their goods, exactly, and shown
// per child order in the quote and the order.
func TestShippingFeesThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("demo", "ops", "", "admin")
		buyer := s.token("demo", "u1", "app", "buyer")
		must(t, s.do("PUT", "/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY", "fee": 1000, "freeOver": 50000}), 200, "s1")
		must(t, s.do("PUT", "/admin/v1/shipping-templates/*", admin, map[string]any{"currency": "CNY", "fee": 600}), 200, "default")
		for _, bad := range []struct {
			path, token string
			body        any
			status      int
			code        string
		}{
			{"/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY", "fee": -1}, 400, "delivery.invalid_template"},
			{"/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY", "fee": 1, "freeOver": -5}, 400, "delivery.invalid_template"},
			{"/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "ZZZ", "fee": 1}, 400, "delivery.invalid_template"},
			{"/admin/v1/shipping-templates/bad%20id", admin, map[string]any{"currency": "CNY", "fee": 1}, 400, "delivery.invalid_template"},
			{"/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY"}, 400, "request.invalid"},
			{"/admin/v1/shipping-templates/s1", buyer, map[string]any{"currency": "CNY", "fee": 1}, 403, "auth.forbidden"},
		} {
			if r := s.do("PUT", bad.path, bad.token, bad.body); r.status != bad.status || r.body["code"] != bad.code {
				t.Fatalf("PUT %s %v: got %d %s; want %d %s", bad.path, bad.body, r.status, r.raw, bad.status, bad.code)
			}
		}
		ts := must(t, s.do("GET", "/admin/v1/shipping-templates", admin, nil), 200, "list").data()["templates"].([]any)
		if len(ts) != 2 || str(ts[1].(map[string]any)["fee"]) != "1000" || str(ts[1].(map[string]any)["freeOver"]) != "50000" {
			t.Fatalf("templates after bad input: %v", ts)
		}
		must(t, s.do("PUT", "/admin/v1/skus/tea", admin, map[string]any{"title": "Longjing", "sellerId": "s1", "currency": "CNY", "price": 3333}), 200, "tea")
		must(t, s.do("PUT", "/admin/v1/skus/cup", admin, map[string]any{"title": "Cup", "sellerId": "s2", "currency": "CNY", "price": 1000}), 200, "cup")
		for _, st := range []struct {
			sku, wh string
			n       int
		}{{"tea", "wh-a", 3}, {"tea", "wh-b", 10}, {"cup", "wh-a", 10}} {
			must(t, s.do("PUT", "/admin/v1/skus/"+st.sku+"/stock", admin, map[string]any{"warehouseId": st.wh, "onHand": st.n}), 200, "stock")
		}
		// 12 teas: 10 from wh-b and 2 from wh-a, one fee of 10.00 divided 333.30 : 66.66 of goods.
		fees := func(groups []any) []string {
			var out []string
			for _, g := range groups {
				g := g.(map[string]any)
				out = append(out, str(g["sellerId"])+":"+str(g["shippingFee"])+":"+str(g["payable"]))
			}
			return out
		}
		want := []string{"s1:1.67:68.33", "s1:8.33:341.63", "s2:6.00:16.00"}
		q := must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 12), item("cup", 1)}}), 200, "quote").data()
		if got := fees(q["groups"].([]any)); str(got) != str(want) || q["shippingFee"] != "16.00" || q["payable"] != "425.96" {
			t.Fatalf("quote: %v shipping %v payable %v; want %v 16.00 425.96", got, q["shippingFee"], q["payable"], want)
		}
		d := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 12), item("cup", 1))), 201, "order").data()
		var got []string
		for _, o := range d["orders"].([]any) {
			o := o.(map[string]any)
			got = append(got, str(o["sellerId"])+":"+str(o["shippingFee"])+":"+str(o["total"]))
		}
		if str(got) != str(want) || d["shippingFee"] != "16.00" || d["total"] != "425.96" {
			t.Fatalf("order: %v shipping %v total %v; want %v", got, d["shippingFee"], d["total"], want)
		}
		// Cancelling the s2 order takes its goods and its own shipping off what the trade owes.
		cup := d["orders"].([]any)[2].(map[string]any)
		must(t, s.do("POST", "/app/v1/orders/"+str(cup["orderId"])+"/cancel", buyer, nil), 200, "cancel")
		tr := must(t, s.do("GET", "/app/v1/trades/"+str(d["tradeId"]), buyer, nil), 200, "trade").data()
		if tr["payable"] != "409.96" {
			t.Fatalf("payable after cancelling the s2 order: %v; want 409.96", tr["payable"])
		}
		// Goods over the threshold (500.00) ship free.
		must(t, s.do("PUT", "/admin/v1/skus/tea/stock", admin, map[string]any{"warehouseId": "wh-b", "onHand": 100}), 200, "restock")
		q = must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 16)}}), 200, "quote").data()
		if got := fees(q["groups"].([]any)); str(got) != str([]string{"s1:0.00:533.28"}) || q["shippingFee"] != "0.00" {
			t.Fatalf("over the threshold: %v shipping %v; want free", got, q["shippingFee"])
		}
		// A published script prices shipping its own way: free to Zhejiang, the template elsewhere.
		s.publish(admin, "nearby-free", example(t, "nearby_free_shipping.lua"), "demo/*")
		cart := func(province string) map[string]any {
			return map[string]any{"items": []any{item("tea", 1)}, "destination": map[string]any{"country": "CN", "province": province}}
		}
		eventually(t, 2*time.Second, "script loaded", func() bool {
			return must(t, s.do("POST", "/app/v1/quotes", buyer, cart("Zhejiang")), 200, "quote").data()["shippingFee"] == "0.00"
		})
		if q := must(t, s.do("POST", "/app/v1/quotes", buyer, cart("Beijing")), 200, "quote").data(); q["shippingFee"] != "10.00" || q["payable"] != "43.33" {
			t.Fatalf("to Beijing under the script: shipping %v payable %v; want the template's 10.00", q["shippingFee"], q["payable"])
		}
	})
}
