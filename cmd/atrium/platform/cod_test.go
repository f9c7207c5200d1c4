package platform_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// codRules are the rules the COD tests start from: COD in Zhejiang and in Shanghai city, up to
// 500.00 CNY a trade, never for fresh goods, and a buyer may have one refused delivery.
func codRules() map[string]any {
	return map[string]any{"enabled": true, "maxAmount": 50000, "currency": "CNY",
		"regions":      []any{map[string]any{"province": "Zhejiang"}, map[string]any{"province": "Shanghai", "city": "Shanghai"}},
		"excludedTags": []any{"fresh"}, "maxRefusals": 1, "refusalWindowDays": 30}
}

// codStack is a stack with the COD rules, tea (120.00, 20 units) and fish (30.00, tagged fresh).
func codStack(t *testing.T, db dal.Config) (*stack, string) {
	t.Helper()
	s := start(t, db, &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 12000, 20)
	must(t, s.do("PUT", "/admin/v1/skus/fish", admin, map[string]any{"title": "Fish", "sellerId": "s1", "currency": "CNY", "price": 3000,
		"tags": []string{"fresh"}}), 200, "put fish")
	must(t, s.do("PUT", "/admin/v1/skus/fish/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": 20}), 200, "fish stock")
	must(t, s.do("PUT", "/admin/v1/cod-rules", admin, codRules()), 200, "put cod rules")
	return s, admin
}

// minorOf reads an amount as minor units: an integer (admin), or a decimal string ("240.00", app).
func minorOf(t *testing.T, v any) int64 {
	t.Helper()
	if n, ok := v.(float64); ok {
		return int64(n)
	}
	whole, frac, _ := strings.Cut(str(v), ".")
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || len(frac) != 2 {
		t.Fatalf("amount %v", v)
	}
	return n
}

// TestCodRulesThroughTheStack: an operator reads the defaults (COD off), sets the rules and reads
// them back; bad rules (a region without a province, a lower-case or unknown country, a region
// twice, a bad tag, negative money or refusals, a window out of range, no currency) are refused
// with cod.invalid_rules and change nothing; another tenant keeps its own; buyers cannot.
func TestCodRulesThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		def := must(t, s.do("GET", "/admin/v1/cod-rules", admin, nil), 200, "default rules").data()
		if def["enabled"] != false || len(def["regions"].([]any)) != 0 || def["refusalWindowDays"] != float64(90) {
			t.Fatalf("defaults: %v", def)
		}
		put := must(t, s.do("PUT", "/admin/v1/cod-rules", admin, codRules()), 200, "put").data()
		got := must(t, s.do("GET", "/admin/v1/cod-rules", admin, nil), 200, "get").data()
		for _, v := range []map[string]any{put, got} {
			regions := v["regions"].([]any)
			if v["enabled"] != true || v["maxAmount"] != float64(50000) || v["maxRefusals"] != float64(1) || len(regions) != 2 ||
				regions[0].(map[string]any)["country"] != "CN" || regions[1].(map[string]any)["city"] != "上海市" ||
				regions[1].(map[string]any)["cityCode"] != "3101" || regions[0].(map[string]any)["provinceCode"] != "33" {
				t.Fatalf("rules: %v", v)
			}
		}
		for name, edit := range map[string]func(b map[string]any){
			"region without province": func(b map[string]any) { b["regions"] = []any{map[string]any{"city": "Hangzhou"}} },
			"lower-case country":      func(b map[string]any) { b["regions"] = []any{map[string]any{"country": "cn", "province": "Zhejiang"}} },
			"region twice": func(b map[string]any) {
				b["regions"] = []any{map[string]any{"province": "Zhejiang"}, map[string]any{"country": "CN", "province": "Zhejiang"}}
			},
			"bad tag":            func(b map[string]any) { b["excludedTags"] = []any{"Fresh Food"} },
			"negative maxAmount": func(b map[string]any) { b["maxAmount"] = -1 },
			"negative refusals":  func(b map[string]any) { b["maxRefusals"] = -1 },
			"window too long":    func(b map[string]any) { b["refusalWindowDays"] = 100000 },
			"no currency":        func(b map[string]any) { delete(b, "currency") },
			"unknown currency":   func(b map[string]any) { b["currency"] = "ZZZ" },
		} {
			b := codRules()
			b["maxAmount"] = 1
			edit(b)
			if r := s.do("PUT", "/admin/v1/cod-rules", admin, b); r.status != 400 || r.body["code"] != "cod.invalid_rules" {
				t.Errorf("%s: %d %s; want 400 cod.invalid_rules", name, r.status, r.raw)
			}
		}
		if r := s.do("PUT", "/admin/v1/cod-rules", admin, map[string]any{"enabled": "yes"}); r.status != 400 {
			t.Errorf("a string for a bool: %d %s", r.status, r.raw)
		}
		if got := must(t, s.do("GET", "/admin/v1/cod-rules", admin, nil), 200, "get").data(); got["maxAmount"] != float64(50000) {
			t.Fatalf("a refused put changed the rules: %v", got)
		}
		other := s.token("globex", "ops", "", "admin")
		if got := must(t, s.do("GET", "/admin/v1/cod-rules", other, nil), 200, "other tenant").data(); got["enabled"] != false {
			t.Fatalf("another tenant sees acme's rules: %v", got)
		}
		buyer := s.token("acme", "u1", "app", "buyer")
		if r := s.do("PUT", "/admin/v1/cod-rules", buyer, codRules()); r.status != 403 {
			t.Errorf("a buyer sets rules: %d %s", r.status, r.raw)
		}
	})
}

// TestCodDeliveredAndRefused walks cash on delivery through HTTP → Kitex → the database on both
// buyer channels and both databases: the quote offers COD; the order is confirmed, unpaid, with
// its stock reserved and nothing to pay online; it ships; a collected amount that is not the
// order's total is refused and changes nothing; the right amount records a cod_collection
// payment and makes the order delivered and paid, its stock sold. A refused parcel makes the
// order returned, its stock back on sale, and counts against the buyer: with maxRefusals 1 the
// second refusal leaves the buyer over it, and their next COD order is refused, reserving nothing.
func TestCodDeliveredAndRefused(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		for _, ch := range []struct{ name, prefix string }{{"app", "/app/v1"}, {"mp", "/mp/v1"}} {
			t.Run(ch.name, func(t *testing.T) {
				fresh := sqliteConfig(t)
				if db.Driver == "mysql" {
					fresh = mysqlConfig(t)
				}
				s, admin := codStack(t, fresh)
				buyer := s.token("acme", "u-"+ch.name, ch.name, "buyer")
				created := map[string]int{"app": 201, "mp": 200}[ch.name]
				body := func(v map[string]any) any {
					if ch.name == "mp" {
						return mpBody(v)
					}
					return v
				}
				key := func(app string) string {
					if ch.name == "mp" {
						return map[string]string{"tradeId": "trade_id", "orderId": "order_id"}[app]
					}
					return app
				}
				q := map[string]any{"flow": "cod", "items": []any{item("tea", 2)},
					"destination": map[string]any{"country": "CN", "province": "Zhejiang", "city": "Hangzhou"}}
				quote := must(t, s.do("POST", ch.prefix+"/quotes", buyer, body(q)), 200, "quote").data()
				if c, _ := quote["cod"].(map[string]any); c == nil || c["available"] != true {
					t.Fatalf("quote: %v", quote)
				}
				cart := map[string]any{"flow": "cod", "items": []any{item("tea", 2)}, "address": address}

				place := func(k string) (tradeID, orderID string) {
					t.Helper()
					tr := must(t, s.do("POST", ch.prefix+"/orders", buyer, body(cart), "Idempotency-Key", k), created, "place "+k).data()
					o := tr["orders"].([]any)[0].(map[string]any)
					if o["status"] != "confirmed" || o["paid"] != false || tr["state"] != "confirmed" {
						t.Fatalf("placed: %v", tr)
					}
					return str(tr[key("tradeId")]), str(o[key("orderId")])
				}
				adminOrder := func(id string) map[string]any {
					t.Helper()
					return must(t, s.do("GET", "/admin/v1/orders/"+id, admin, nil), 200, "admin order").data()
				}
				ship := func(id string) {
					t.Helper()
					o := must(t, s.do("POST", "/admin/v1/orders/"+id+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF" + id}),
						200, "ship").data()
					if o["status"] != "shipped" || o["paid"] != false {
						t.Fatalf("shipped: %v", o)
					}
				}

				tradeID, orderID := place("cod-1")
				if st := s.stock(admin, "tea"); st["reserved"] != 2 || st["available"] != 18 {
					t.Fatalf("stock after placing: %v", st)
				}
				for _, purpose := range []string{"", "full", "cod_collection"} {
					b := map[string]any{"method": "sandbox"}
					if purpose != "" {
						b["purpose"] = purpose
					}
					if r := s.do("POST", ch.prefix+"/trades/"+tradeID+"/payments", buyer, body(b)); r.body["code"] != "payment.invalid_purpose" &&
						r.body["errcode"] != float64(45012) {
						t.Errorf("paying a COD trade online (%q): %d %s", purpose, r.status, r.raw)
					}
				}
				if r := s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, map[string]any{"outcome": "delivered", "collected": 24000}); r.status != 409 ||
					r.body["code"] != "order.invalid_transition" {
					t.Errorf("delivering before shipping: %d %s", r.status, r.raw)
				}
				ship(orderID)
				total := minorOf(t, adminOrder(orderID)["total"])
				for _, c := range []struct {
					body map[string]any
					want string
				}{
					{map[string]any{"outcome": "delivered", "collected": total - 1}, "409 cod.collection_mismatch"},
					{map[string]any{"outcome": "delivered", "collected": total + 100}, "409 cod.collection_mismatch"},
					{map[string]any{"outcome": "delivered"}, "400 cod.collection_required"},
					{map[string]any{"outcome": "lost"}, "400 cod.invalid_outcome"},
					{map[string]any{"outcome": "refused", "collected": total}, "400 request.invalid"},
				} {
					r := s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, c.body)
					if got := fmt.Sprint(r.status, " ", r.body["code"]); got != c.want {
						t.Errorf("delivery %v: %s %s; want %s", c.body, got, r.raw, c.want)
					}
				}
				if o := adminOrder(orderID); o["status"] != "shipped" || o["paid"] != false {
					t.Fatalf("a refused delivery report changed the order: %v", o)
				}
				for i := 0; i < 2; i++ { // the carrier's report arrives twice
					o := must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, map[string]any{"outcome": "delivered", "collected": total}),
						200, "delivered").data()
					if o["status"] != "delivered" || o["paid"] != true {
						t.Fatalf("delivered: %v", o)
					}
				}
				tr := must(t, s.do("GET", ch.prefix+"/trades/"+tradeID, buyer, nil), 200, "trade").data()
				ps := tr["payments"].([]any)
				if len(ps) != 1 || tr["state"] != "collected" {
					t.Fatalf("trade after collection: %v", tr)
				}
				if p := ps[0].(map[string]any); p["purpose"] != "cod_collection" || p["status"] != "succeeded" || p["method"] != "cod" {
					t.Fatalf("the collection: %v", p)
				}
				if st := s.stock(admin, "tea"); st["sold"] != 2 || st["reserved"] != 0 {
					t.Fatalf("stock after collection: %v", st)
				}
				if o := must(t, s.do("POST", ch.prefix+"/orders/"+orderID+"/complete", buyer, nil), 200, "complete").data(); o["status"] != "completed" || o["paid"] != true {
					t.Fatalf("completed: %v", o)
				}

				// Two refused parcels: the first leaves the buyer at maxRefusals, the second over it.
				for i := 1; i <= 2; i++ {
					_, id := place(fmt.Sprintf("cod-refused-%d", i))
					ship(id)
					o := must(t, s.do("POST", "/admin/v1/orders/"+id+"/delivery", admin, map[string]any{"outcome": "refused"}), 200, "refused").data()
					if o["status"] != "returned" || o["paid"] != false {
						t.Fatalf("refused: %v", o)
					}
					if st := s.stock(admin, "tea"); st["reserved"] != 0 || st["available"] != 18 || st["sold"] != 2 {
						t.Fatalf("stock after refusal %d: %v", i, st)
					}
				}
				before := s.stock(admin, "tea")
				r := s.do("POST", ch.prefix+"/orders", buyer, body(cart), "Idempotency-Key", "cod-after-refusals")
				wantStatus := map[string]int{"app": 409, "mp": 200}[ch.name]
				if r.status != wantStatus || r.body["code"] != "cod.too_many_refusals" && r.body["errmsg"] == nil {
					t.Fatalf("an order after two refusals: %d %s", r.status, r.raw)
				}
				if ch.name == "mp" && r.body["errcode"] != float64(53008) {
					t.Fatalf("mp errcode: %s", r.raw)
				}
				if after := s.stock(admin, "tea"); after["reserved"] != before["reserved"] || after["available"] != before["available"] {
					t.Fatalf("a refused COD order reserved stock: %v → %v", before, after)
				}
				quote = must(t, s.do("POST", ch.prefix+"/quotes", buyer, body(q)), 200, "quote after refusals").data()
				if c := quote["cod"].(map[string]any); c["available"] != false || c["reason"] != "cod.too_many_refusals" {
					t.Fatalf("quote after refusals: %v", quote)
				}
				other := s.token("acme", "u-other-"+ch.name, ch.name, "buyer")
				must(t, s.do("POST", ch.prefix+"/orders", other, body(cart), "Idempotency-Key", "cod-other"), created, "another buyer still may")
			})
		}
	})
}

// TestCodIneligible: each reason COD is not offered shows in the quote as its stable code, and an
// order with it is refused with that code and reserves nothing: COD switched off, a currency the
// carrier does not collect, no destination, a region not served (judged on the shipping address),
// fresh goods, an amount above the cap, a business rule's refusal (cod.eligibility), and a rule
// that cannot run (fail closed).
func TestCodIneligible(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := codStack(t, db)
		buyer := s.token("acme", "u1", "app", "buyer")
		jiangsu := map[string]any{"name": "Han Meimei", "phone": "13900000000", "country": "CN", "province": "Jiangsu", "city": "Nanjing",
			"district": "Xuanwu", "detail": "2 Zhongshan Rd"}
		pudong := map[string]any{"name": "Han Meimei", "phone": "13900000000", "country": "CN", "province": "Shanghai", "city": "Shanghai",
			"district": "Pudong", "detail": "3 Century Ave"}
		destOf := func(a map[string]any) map[string]any {
			return map[string]any{"country": a["country"], "province": a["province"], "city": a["city"]}
		}
		check := func(name string, items []any, addr map[string]any, want string) {
			t.Helper()
			q := map[string]any{"flow": "cod", "items": items}
			if addr != nil {
				q["destination"] = destOf(addr)
			}
			quote := must(t, s.do("POST", "/app/v1/quotes", buyer, q), 200, name+": quote").data()
			c := quote["cod"].(map[string]any)
			if want == "" {
				if c["available"] != true {
					t.Errorf("%s: quote %v; want COD offered", name, c)
				}
				return
			}
			if c["available"] != false || c["reason"] != want {
				t.Errorf("%s: quote %v; want %s", name, c, want)
			}
			if addr == nil {
				return
			}
			before := s.stock(admin, "tea")
			r := s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "cod", "items": items, "address": addr}, "Idempotency-Key", "k-"+strings.ReplaceAll(name, " ", "-"))
			if r.status/100 != 4 || r.body["code"] != want {
				t.Errorf("%s: order %d %s; want %s", name, r.status, r.raw, want)
			}
			if after := s.stock(admin, "tea"); after["reserved"] != before["reserved"] {
				t.Errorf("%s: the refused order reserved stock: %v → %v", name, before, after)
			}
		}
		tea := []any{item("tea", 1)}
		check("served", tea, address, "")
		check("shanghai city", tea, pudong, "")
		check("no destination", tea, nil, "cod.address_required")
		check("region", tea, jiangsu, "cod.region_not_served")
		check("fresh goods", []any{item("tea", 1), item("fish", 1)}, address, "cod.excluded_item")
		check("amount", []any{item("tea", 5)}, address, "cod.amount_over_limit")
		// The over-limit refusal names the limit in the channel's money format, not bare minor units.
		over := s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "cod", "items": []any{item("tea", 5)}, "address": address})
		if msg := str(over.body["message"]); !strings.Contains(msg, ".00 CNY") || fmt.Sprint(over.body["errors"]) == "" ||
			!strings.Contains(fmt.Sprint(over.body["errors"]), ".00]") {
			t.Errorf("the over-limit refusal: %s; want amounts like 500.00 CNY and a maxAmount field in major units", over.raw)
		}

		s.publish(admin, "cod-vip-only", `-- point: cod.eligibility
function run(input)
  if input.payable > 20000 then return {reject = true, message = "COD above 200 needs a verified phone"} end
  return {reject = false}
end
`, "acme/*")
		s.loaded("cod.eligibility", "acme", "cod-vip-only")
		check("script refuses", []any{item("tea", 2)}, address, "cod.rejected")
		check("script allows", tea, address, "")
		s.publish(admin, "cod-broken", `-- point: cod.eligibility
function run(input) error("boom") end
`, "acme/*")
		s.loaded("cod.eligibility", "acme", "cod-broken")
		check("script fails closed", tea, address, "cod.check_failed")

		usd := codRules()
		usd["currency"] = "USD"
		must(t, s.do("PUT", "/admin/v1/cod-rules", admin, usd), 200, "rules in USD")
		check("currency", tea, address, "cod.currency_not_accepted")
		off := codRules()
		off["enabled"] = false
		must(t, s.do("PUT", "/admin/v1/cod-rules", admin, off), 200, "rules off")
		check("off", tea, address, "cod.disabled")
		if st := s.stock(admin, "tea"); st["reserved"] != 0 || st["sold"] != 0 {
			t.Fatalf("stock after refused COD orders: %v", st)
		}
	})
}

// TestCodCancel: a confirmed COD order is cancelled by its buyer, its stock released; a shipped
// one cannot be (it is delivered or refused at the door), nor refunded before delivery.
func TestCodCancel(t *testing.T) {
	s, admin := codStack(t, sqliteConfig(t))
	buyer := s.token("acme", "u1", "app", "buyer")
	place := func(k string) (string, string) {
		tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "cod", "items": []any{item("tea", 1)}, "address": address},
			"Idempotency-Key", k), 201, "place").data()
		return str(tr["tradeId"]), str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
	}
	tradeID, first := place("c1")
	o := must(t, s.do("POST", "/app/v1/orders/"+first+"/cancel", buyer, nil), 200, "cancel").data()
	if o["status"] != "cancelled" || o["cancelReason"] != "buyer_cancelled" {
		t.Fatalf("cancelled: %v", o)
	}
	if tr := must(t, s.do("GET", "/app/v1/trades/"+tradeID, buyer, nil), 200, "trade").data(); tr["state"] != "closed" {
		t.Fatalf("trade after cancel: %v", tr)
	}
	if st := s.stock(admin, "tea"); st["reserved"] != 0 || st["available"] != 20 {
		t.Fatalf("stock after cancel: %v", st)
	}
	must(t, s.do("POST", "/app/v1/orders/"+first+"/cancel", buyer, nil), 200, "cancel again")
	_, second := place("c2")
	must(t, s.do("POST", "/admin/v1/orders/"+second+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF2"}), 200, "ship")
	if r := s.do("POST", "/app/v1/orders/"+second+"/cancel", buyer, nil); r.status != 409 || r.body["code"] != "order.invalid_transition" {
		t.Errorf("cancel a shipped COD order: %d %s", r.status, r.raw)
	}
	if r := s.do("POST", "/app/v1/orders/"+second+"/refund", buyer, nil); r.status != 409 {
		t.Errorf("refund an undelivered COD order: %d %s", r.status, r.raw)
	}
	if st := s.stock(admin, "tea"); st["reserved"] != 1 {
		t.Fatalf("stock of the shipped order: %v", st)
	}
}

// TestCodDeliveryReportsRace: carriers' reports on one shipped order race (some say delivered
// with the right amount, some say refused): exactly one outcome wins, the order is delivered with
// one collection or returned with none, and the stock adds up either way.
func TestCodDeliveryReportsRace(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := codStack(t, db)
		outcomes := map[string]int{}
		for round := 0; round < 4; round++ {
			buyer := s.token("acme", fmt.Sprintf("racer-%d", round), "app", "buyer") // each may refuse once
			tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "cod", "items": []any{item("tea", 1)}, "address": address},
				"Idempotency-Key", fmt.Sprintf("race-%d", round)), 201, "place").data()
			tradeID, orderID := str(tr["tradeId"]), str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
			must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF1"}), 200, "ship")
			total := minorOf(t, tr["orders"].([]any)[0].(map[string]any)["total"])
			got := s.race(8, func(i int) reply {
				b := map[string]any{"outcome": "refused"}
				if i%2 == 0 {
					b = map[string]any{"outcome": "delivered", "collected": total}
				}
				return s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, b)
			})
			o := must(t, s.do("GET", "/admin/v1/orders/"+orderID, admin, nil), 200, "order").data()
			ps := must(t, s.do("GET", "/app/v1/trades/"+tradeID, buyer, nil), 200, "trade").data()["payments"].([]any)
			switch o["status"] {
			case "delivered":
				if len(ps) != 1 || got["200 ok"] != 4 || o["paid"] != true {
					t.Fatalf("delivered: %d payments, replies %v, %v", len(ps), got, o)
				}
			case "returned":
				if len(ps) != 0 || got["200 ok"] != 4 || o["paid"] != false {
					t.Fatalf("returned: %d payments, replies %v, %v", len(ps), got, o)
				}
			default:
				t.Fatalf("after the race the order is %v (replies %v)", o["status"], got)
			}
			outcomes[str(o["status"])]++
		}
		st := s.stock(admin, "tea") // checks available + reserved + sold == onHand
		if st["reserved"] != 0 || st["sold"] != float64(outcomes["delivered"]) {
			t.Fatalf("stock %v after outcomes %v", st, outcomes)
		}
		t.Logf("outcomes over 4 races: %v", outcomes)
	})
}
