package platform_test

import (
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestPriceListsThroughTheStack: channel, member-level, time-boxed and per-currency prices set
// through the admin API decide what each buyer pays, the quote shows the list price, the list
// that priced each line, each discount and the payable amount per line and per child order, and
// the order keeps the same.
func TestPriceListsThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin := s.token("acme", "ops", "", "admin")
		app := s.token("acme", "u1", "app", "buyer")
		mp := s.token("acme", "u2", "mp", "buyer")
		gold := s.tokenWith(map[string]string{"tenant": "acme", "userId": "g1", "channel": "app", "role": "buyer", "memberLevel": "gold"})
		s.seed(admin, "tea", "s1", 1000, 100)
		s.seed(admin, "cup", "s2", 500, 100)

		now := clk.Now().UnixMilli()
		list := func(currency string, prices map[string]int64, extra map[string]any) map[string]any {
			body := map[string]any{"name": "List", "currency": currency}
			var ps []any
			for sku, p := range prices {
				ps = append(ps, map[string]any{"skuId": sku, "price": p})
			}
			body["prices"] = ps
			for k, v := range extra {
				body[k] = v
			}
			return body
		}
		tea := map[string]int64{"tea": 900}
		for _, bad := range []struct {
			path, token string
			body        any
			status      int
			code        string
		}{
			{"/admin/v1/price-lists/x", admin, list("XXX", tea, nil), 400, "pricing.invalid_price_list"},
			{"/admin/v1/price-lists/x", admin, list("CNY", nil, nil), 400, "pricing.invalid_price_list"},
			{"/admin/v1/price-lists/x", admin, list("CNY", map[string]int64{"tea": -1}, nil), 400, "pricing.invalid_price_list"},
			{"/admin/v1/price-lists/x", admin, list("CNY", tea, map[string]any{"startsAt": now + 10, "endsAt": now}), 400, "pricing.invalid_price_list"},
			{"/admin/v1/price-lists/x", admin, list("CNY", tea, map[string]any{"startsAt": 0}), 400, "pricing.invalid_price_list"},
			{"/admin/v1/price-lists/x", admin, list("CNY", tea, map[string]any{"channels": []string{"a b"}}), 400, "pricing.invalid_price_list"},
			{"/admin/v1/price-lists/x", admin, list("CNY", tea, map[string]any{"prices": []any{map[string]any{"skuId": "tea", "price": 1},
				map[string]any{"skuId": "tea", "price": 2}}}), 400, "pricing.invalid_price_list"},
			{"/admin/v1/price-lists/x", admin, list("CNY", tea, map[string]any{"priority": "high"}), 400, "request.invalid"},
			{"/admin/v1/price-lists/x", admin, `{"name": "x", "prices": [`, 400, "request.malformed_json"},
			{"/admin/v1/price-lists/a%20b", admin, list("CNY", tea, nil), 400, "pricing.invalid_price_list"},
			{"/admin/v1/price-lists/x", app, list("CNY", tea, nil), 403, "auth.forbidden"},
		} {
			if r := s.do("PUT", bad.path, bad.token, bad.body); r.status != bad.status || r.body["code"] != bad.code {
				t.Fatalf("PUT %s %v: %d %s; want %d %s", bad.path, bad.body, r.status, r.raw, bad.status, bad.code)
			}
		}
		if r := s.do("GET", "/admin/v1/price-lists/x", admin, nil); r.status != 404 || r.body["code"] != "pricing.price_list_not_found" {
			t.Fatalf("a refused list was stored: %d %s", r.status, r.raw)
		}
		if r := s.do("DELETE", "/admin/v1/price-lists/x", admin, nil); r.status != 404 || r.body["code"] != "pricing.price_list_not_found" {
			t.Fatalf("delete unknown: %d %s", r.status, r.raw)
		}

		must(t, s.do("PUT", "/admin/v1/price-lists/app-price", admin, list("CNY", map[string]int64{"tea": 950},
			map[string]any{"name": "App price", "channels": []string{"app"}})), 200, "app price")
		must(t, s.do("PUT", "/admin/v1/price-lists/gold", admin, list("CNY", map[string]int64{"tea": 880, "cup": 450},
			map[string]any{"name": "Gold members", "memberLevels": []string{"gold"}, "priority": 1})), 200, "gold")
		saleStart, saleEnd := now+3_600_000, now+7_200_000
		sale := must(t, s.do("PUT", "/admin/v1/price-lists/1111", admin, list("CNY", map[string]int64{"tea": 700, "cup": 400},
			map[string]any{"name": "Singles' Day", "startsAt": saleStart, "endsAt": saleEnd})), 200, "sale").data()
		if sale["priceCount"] != float64(2) || sale["startsAt"] != float64(saleStart) || len(sale["prices"].([]any)) != 2 {
			t.Fatalf("sale: %v", sale)
		}
		must(t, s.do("PUT", "/admin/v1/price-lists/usd", admin, list("USD", map[string]int64{"tea": 150},
			map[string]any{"name": "Dollar prices"})), 200, "usd")
		lists := must(t, s.do("GET", "/admin/v1/price-lists", admin, nil), 200, "lists").data()["priceLists"].([]any)
		if len(lists) != 4 || lists[0].(map[string]any)["priceListId"] != "1111" || lists[0].(map[string]any)["prices"] != nil {
			t.Fatalf("lists: %v", lists)
		}

		cart := map[string]any{"items": []any{item("tea", 2), item("cup", 1)}}
		line := func(q map[string]any, i int) map[string]any { return q["lines"].([]any)[i].(map[string]any) }
		// The app channel's price; the cup keeps its own.
		q := must(t, s.do("POST", "/app/v1/quotes", app, cart), 200, "app quote").data()
		if l := line(q, 0); l["unitPrice"] != "9.50" || l["listPrice"] != "10.00" || l["priceListId"] != "app-price" || l["payable"] != "19.00" {
			t.Fatalf("app tea: %v", l)
		}
		if l := line(q, 1); l["unitPrice"] != "5.00" || l["priceListId"] != nil {
			t.Fatalf("app cup: %v", l)
		}
		// The mini-program is not the app: list prices (minor units, snake_case).
		qm := must(t, s.do("POST", "/mp/v1/quotes", mp, mpBody(cart)), 200, "mp quote").data()
		if l := line(qm, 0); l["unit_price_fee"] != float64(1000) || l["price_list_id"] != nil {
			t.Fatalf("mp tea: %v", l)
		}
		// A gold member on the app: the gold list has the higher priority.
		qg := must(t, s.do("POST", "/app/v1/quotes", gold, cart), 200, "gold quote").data()
		if l := line(qg, 0); l["unitPrice"] != "8.80" || l["priceListId"] != "gold" {
			t.Fatalf("gold tea: %v", l)
		}
		// In the sale's window the sale beats the app price (equal priority, lower price); the gold
		// list's priority still wins for gold members.
		clk.Advance(90 * time.Minute)
		q = must(t, s.do("POST", "/app/v1/quotes", app, cart), 200, "sale quote").data()
		if line(q, 0)["unitPrice"] != "7.00" || line(q, 1)["unitPrice"] != "4.00" || q["total"] != "18.00" || line(q, 0)["priceListId"] != "1111" {
			t.Fatalf("sale quote: %v", q)
		}
		if l := line(must(t, s.do("POST", "/app/v1/quotes", gold, cart), 200, "gold in sale").data(), 0); l["unitPrice"] != "8.80" {
			t.Fatalf("gold tea during the sale: %v", l)
		}
		// Each child order shows the same lines, with its own payable.
		grp := q["groups"].([]any)[0].(map[string]any)
		if gl := grp["lines"].([]any)[0].(map[string]any); gl["unitPrice"] != "7.00" || gl["listPrice"] != "10.00" || gl["priceListId"] != "1111" || grp["payable"] != "14.00" {
			t.Fatalf("sale group: %v", grp)
		}
		placed := must(t, s.do("POST", "/app/v1/orders", app, map[string]any{"items": cart["items"], "address": address,
			"expectedTotal": "18.00"}), 201, "order in the sale").data()
		ol := placed["orders"].([]any)[0].(map[string]any)["lines"].([]any)[0].(map[string]any)
		if ol["unitPrice"] != "7.00" || ol["listPrice"] != "10.00" || ol["priceListId"] != "1111" {
			t.Fatalf("order line: %v", ol)
		}
		got := must(t, s.do("GET", "/app/v1/trades/"+str(placed["tradeId"]), app, nil), 200, "trade").data()
		if gl := got["orders"].([]any)[0].(map[string]any)["lines"].([]any)[0].(map[string]any); gl["listPrice"] != "10.00" || gl["priceListId"] != "1111" {
			t.Fatalf("stored order line: %v", gl)
		}
		// After the sale, the same expected total is refused: the price changed.
		clk.Advance(time.Hour)
		if r := s.do("POST", "/app/v1/orders", app, map[string]any{"items": cart["items"], "address": address, "expectedTotal": "18.00"}); r.status != 409 || r.body["code"] != "pricing.price_changed" {
			t.Fatalf("order after the sale at the sale's total: %d %s", r.status, r.raw)
		}

		// In dollars: the tea has a dollar price, the cup has none.
		qd := must(t, s.do("POST", "/app/v1/quotes", app, map[string]any{"items": []any{item("tea", 2)}, "currency": "USD"}), 200, "usd quote").data()
		if l := line(qd, 0); qd["currency"] != "USD" || l["unitPrice"] != "1.50" || l["listPrice"] != "1.50" || qd["total"] != "3.00" {
			t.Fatalf("dollar quote: %v", qd)
		}
		if r := s.do("POST", "/app/v1/quotes", app, map[string]any{"items": []any{item("tea", 1), item("cup", 1)}, "currency": "USD"}); r.status != 400 || r.body["code"] != "pricing.not_priced" {
			t.Fatalf("cup in dollars: %d %s", r.status, r.raw)
		}
		// A cart in the first SKU's currency with a SKU priced only in another is mixed; in dollars,
		// the dollar list prices the tea, so the same two SKUs make a dollar cart.
		must(t, s.do("PUT", "/admin/v1/skus/mug", admin, map[string]any{"title": "Mug", "sellerId": "s2", "currency": "USD", "price": 900}), 200, "mug")
		must(t, s.do("PUT", "/admin/v1/skus/mug/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": 10}), 200, "mug stock")
		if r := s.do("POST", "/app/v1/quotes", app, map[string]any{"items": []any{item("tea", 1), item("mug", 1)}}); r.status != 400 || r.body["code"] != "pricing.mixed_currency" {
			t.Fatalf("tea and a dollar mug: %d %s", r.status, r.raw)
		}
		if q := must(t, s.do("POST", "/app/v1/quotes", app, map[string]any{"items": []any{item("mug", 1), item("tea", 1)}}), 200, "mug first").data(); q["total"] != "10.50" {
			t.Fatalf("mug then tea, in dollars: %v", q)
		}
		if r := s.do("POST", "/app/v1/quotes", app, map[string]any{"items": []any{item("tea", 1)}, "currency": "dollars"}); r.status != 400 || r.body["code"] != "request.invalid" {
			t.Fatalf("bad currency: %d %s", r.status, r.raw)
		}
		usdOrder := must(t, s.do("POST", "/app/v1/orders", app, map[string]any{"items": []any{item("tea", 2)}, "address": address,
			"currency": "USD", "expectedTotal": "3.00"}), 201, "dollar order").data()
		if usdOrder["total"] != "3.00" || usdOrder["currency"] != "USD" {
			t.Fatalf("dollar order: %v", usdOrder)
		}

		// Deleting the app price brings the app back to the list price.
		if d := must(t, s.do("DELETE", "/admin/v1/price-lists/app-price", admin, nil), 200, "delete").data(); d["deleted"] != true {
			t.Fatalf("delete: %v", d)
		}
		if l := line(must(t, s.do("POST", "/app/v1/quotes", app, cart), 200, "after delete").data(), 0); l["unitPrice"] != "10.00" {
			t.Fatalf("app tea after delete: %v", l)
		}
	})
}
