package platform_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/money"
)

func sqliteConfig(t testing.TB) dal.Config { return dal.Config{Driver: "sqlite", DataDir: t.TempDir()} }

func mysqlConfig(t testing.TB) dal.Config {
	// DataDir: the node keeps files there too (Sentinel's logs, Apollo's backup), never in the package.
	return dal.Config{Driver: "mysql", DSN: daltest.CreateMySQLDatabase(t), MaxOpenConns: 32, DataDir: t.TempDir()}
}

// TestAppChannelLifecycle: place, pay, ship, deliver, complete through HTTP → Kitex → SQLite on
// the app channel (camelCase, money as decimal strings).
func TestAppChannelLifecycle(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	s.seed(admin, "cup", "s2", 500, 10)
	buyer := s.token("acme", "u1", "app", "buyer")

	q := must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{
		map[string]any{"skuId": "tea", "quantity": 2}, map[string]any{"skuId": "cup", "quantity": 1}}}), 200, "quote").data()
	if q["total"] != "44.80" || len(q["groups"].([]any)) != 2 {
		t.Fatalf("quote: got %v; want total \"44.80\" in 2 groups", q)
	}

	placed := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "fixed_price", "expectedTotal": "44.80",
		"items":   []any{map[string]any{"skuId": "tea", "quantity": 2}, map[string]any{"skuId": "cup", "quantity": 1}},
		"address": address}, "Idempotency-Key", "order-1"), 201, "place").data()
	tradeID := str(placed["tradeId"])
	orders := placed["orders"].([]any)
	if len(orders) != 2 || placed["total"] != "44.80" {
		t.Fatalf("placed: %v", placed)
	}
	teaOrder := orders[0].(map[string]any)
	if teaOrder["sellerId"] != "s1" || teaOrder["status"] != "pending_payment" || teaOrder["total"] != "39.80" {
		t.Fatalf("first order: %v", teaOrder)
	}
	orderID := str(teaOrder["orderId"])
	if st := s.stock(admin, "tea"); st["reserved"] != 2 || st["available"] != 8 {
		t.Fatalf("after place: %v", st)
	}

	pay := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", buyer, map[string]any{"method": "sandbox"}, "Idempotency-Key", "pay-1"), 201, "pay").data()
	if pay["amount"] != "44.80" || pay["status"] != "pending" {
		t.Fatalf("payment: %v", pay)
	}
	paid := must(t, s.do("POST", "/admin/v1/payments/"+str(pay["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate").data()
	if paid["status"] != "succeeded" || paid["amount"] != float64(4480) {
		t.Fatalf("simulated (admin channel shows minor units): %v", paid)
	}
	if got := must(t, s.do("GET", "/app/v1/orders/"+orderID, buyer, nil), 200, "get").data(); got["status"] != "paid" {
		t.Fatalf("after payment: %v", got)
	}
	if st := s.stock(admin, "tea"); st["reserved"] != 0 || st["sold"] != 2 {
		t.Fatalf("after payment: %v", st)
	}
	must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF1001"}), 200, "ship")
	must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, map[string]any{"outcome": "delivered"}), 200, "deliver")
	done := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/complete", buyer, nil), 200, "complete").data()
	if done["status"] != "completed" || done["trackingNo"] != "SF1001" {
		t.Fatalf("completed: %v", done)
	}
	list := must(t, s.do("GET", "/app/v1/orders?limit=1", buyer, nil), 200, "list").data()
	if len(list["orders"].([]any)) != 1 || list["nextCursor"] == nil {
		t.Fatalf("list page 1: %v", list)
	}
	list2 := must(t, s.do("GET", "/app/v1/orders?limit=5&cursor="+str(list["nextCursor"]), buyer, nil), 200, "list 2").data()
	if len(list2["orders"].([]any)) != 1 {
		t.Fatalf("list page 2: %v", list2)
	}
}

// TestMiniProgramChannelLifecycle: the same flow on the mini-program channel (snake_case, money
// in minor units named *_fee, errcode envelope).
func TestMiniProgramChannelLifecycle(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	buyer := s.token("acme", "u1", "mp", "buyer")

	r := must(t, s.do("POST", "/mp/v1/orders", buyer, map[string]any{"flow": "fixed_price", "expected_total_fee": 3980,
		"items":   []any{map[string]any{"sku_id": "tea", "quantity": 2}},
		"address": map[string]any{"name": "Han Meimei", "phone": "13900000000", "province": "Guangdong", "city": "Shenzhen", "district": "Nanshan", "detail": "8 Keyuan Rd", "postal_code": "518000"}},
		"Idempotency-Key", "mp-1"), 200, "place")
	if r.body["errcode"] != float64(0) || r.body["errmsg"] != "ok" {
		t.Fatalf("envelope: %s", r.raw)
	}
	d := r.data()
	if d["total_fee"] != float64(3980) || d["trade_id"] == nil {
		t.Fatalf("mp trade: %s", r.raw)
	}
	o := d["orders"].([]any)[0].(map[string]any)
	line := o["lines"].([]any)[0].(map[string]any)
	if o["total_fee"] != float64(3980) || line["unit_price_fee"] != float64(1990) || line["sku_id"] != "tea" {
		t.Fatalf("mp order: %v", o)
	}
	orderID := str(o["order_id"])
	pay := must(t, s.do("POST", "/mp/v1/trades/"+str(d["trade_id"])+"/payments", buyer, map[string]any{"method": "sandbox"}), 200, "pay").data()
	if pay["amount_fee"] != float64(3980) {
		t.Fatalf("mp payment: %v", pay)
	}
	must(t, s.do("POST", "/admin/v1/payments/"+str(pay["payment_id"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
	must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/shipments", admin, map[string]any{"carrier": "YTO", "trackingNo": "YT9"}), 200, "ship")
	must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, map[string]any{"outcome": "delivered"}), 200, "deliver")
	got := must(t, s.do("POST", "/mp/v1/orders/"+orderID+"/complete", buyer, nil), 200, "complete").data()
	if got["status"] != "completed" || got["tracking_no"] != "YT9" {
		t.Fatalf("mp completed: %v", got)
	}
	// A business error on mp: HTTP 200 with a stable errcode.
	bad := must(t, s.do("POST", "/mp/v1/orders", buyer, mpBody(map[string]any{"items": []any{map[string]any{"sku_id": "tea", "quantity": 99}}, "address": address})), 200, "short")
	if bad.body["errcode"] != float64(43001) || bad.body["data"] != nil {
		t.Fatalf("mp error envelope: %s", bad.raw)
	}
}

func TestCancelReleasesStock(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	buyer := s.token("acme", "u1", "app", "buyer")
	d := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{map[string]any{"skuId": "tea", "quantity": 4}}, "address": address}), 201, "place").data()
	orderID := str(d["orders"].([]any)[0].(map[string]any)["orderId"])
	c := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/cancel", buyer, nil), 200, "cancel").data()
	if c["status"] != "cancelled" || c["cancelReason"] != "buyer_cancelled" {
		t.Fatalf("cancelled: %v", c)
	}
	if st := s.stock(admin, "tea"); st["available"] != 10 || st["reserved"] != 0 {
		t.Fatalf("after cancel: %v", st)
	}
	r := must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "1"}), 409, "ship cancelled")
	if r.body["code"] != "order.invalid_transition" || r.body["requestId"] == "" {
		t.Fatalf("ship cancelled: %s", r.raw)
	}
	r = must(t, s.do("POST", "/app/v1/trades/"+str(d["tradeId"])+"/payments", buyer, map[string]any{"method": "sandbox"}), 409, "pay cancelled")
	if r.body["code"] != "payment.nothing_to_pay" {
		t.Fatalf("pay cancelled: %s", r.raw)
	}
}

// TestUnpaidTimeoutSurvivesRestart: the timer is a row, not a goroutine. The server stops before
// the window ends; a new server on the same database cancels the order once the window passed.
func TestUnpaidTimeoutSurvivesRestart(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 10)
		buyer := s.token("acme", "u1", "app", "buyer")
		d := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{map[string]any{"skuId": "tea", "quantity": 3}}, "address": address}), 201, "place").data()
		orderID := str(d["orders"].([]any)[0].(map[string]any)["orderId"])
		s.stop()

		clk.Advance(31 * time.Minute)
		s2 := start(t, db, clk)
		admin = s2.token("acme", "ops1", "", "admin")
		buyer = s2.token("acme", "u1", "app", "buyer")
		var o map[string]any
		eventually(t, 10*time.Second, "the restarted server's unpaid timer cancels the order", func() bool {
			o = must(t, s2.do("GET", "/app/v1/orders/"+orderID, buyer, nil), 200, "get").data()
			return o["status"] == "cancelled"
		})
		if o["cancelReason"] != "unpaid_timeout" {
			t.Fatalf("cancelled for %v; want unpaid_timeout", o["cancelReason"])
		}
		if st := s2.stock(admin, "tea"); st["available"] != 10 {
			t.Fatalf("after timeout: %v", st)
		}
	})
}

// TestConcurrentBuyersNoOversell: 200 buyers race for 50 units through the whole stack.
func TestConcurrentBuyersNoOversell(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "hot", "s1", 990, 50)
		tokens := make([]string, 200)
		for i := range tokens {
			tokens[i] = s.token("acme", fmt.Sprintf("buyer%03d", i), "app", "buyer")
		}
		var ok, short atomic.Int64
		var wg sync.WaitGroup
		for i := range tokens {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := s.placeRetrying(tokens[i], map[string]any{"items": []any{map[string]any{"skuId": "hot", "quantity": 1}}, "address": address},
					fmt.Sprintf("oversell-%d", i))
				switch {
				case r.status == 201:
					ok.Add(1)
				case r.status == 409 && r.body["code"] == "inventory.insufficient_stock":
					short.Add(1)
				default:
					t.Errorf("buyer %d: %d %s", i, r.status, r.raw)
				}
			}(i)
		}
		wg.Wait()
		if ok.Load() != 50 || short.Load() != 150 {
			t.Fatalf("got %d orders and %d insufficient_stock; want 50 and 150", ok.Load(), short.Load())
		}
		if st := s.stock(admin, "hot"); st["reserved"] != 50 || st["available"] != 0 {
			t.Fatalf("stock: %v", st)
		}
	})
}

func TestIdempotencyAndCallbackReplay(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	buyer := s.token("acme", "u1", "app", "buyer")
	body := map[string]any{"items": []any{map[string]any{"skuId": "tea", "quantity": 1}}, "address": address}
	first := must(t, s.do("POST", "/app/v1/orders", buyer, body, "Idempotency-Key", "k-1"), 201, "first")
	second := must(t, s.do("POST", "/app/v1/orders", buyer, body, "Idempotency-Key", "k-1"), 201, "second")
	if fmt.Sprint(first.data()) != fmt.Sprint(second.data()) {
		t.Fatalf("replay answered differently:\n%s\n%s", first.raw, second.raw)
	}
	other := map[string]any{"items": []any{map[string]any{"skuId": "tea", "quantity": 2}}, "address": address}
	r := must(t, s.do("POST", "/app/v1/orders", buyer, other, "Idempotency-Key", "k-1"), 409, "conflict")
	if r.body["code"] != "request.idempotency_conflict" {
		t.Fatalf("conflict: %s", r.raw)
	}
	if st := s.stock(admin, "tea"); st["reserved"] != 1 {
		t.Fatalf("one order expected: %v", st)
	}

	tradeID := str(first.data()["tradeId"])
	p1 := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", buyer, map[string]any{"method": "sandbox"}, "Idempotency-Key", "p-1"), 201, "pay").data()
	p2 := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", buyer, map[string]any{"method": "sandbox"}, "Idempotency-Key", "p-1"), 201, "pay again").data()
	if p1["paymentId"] != p2["paymentId"] {
		t.Fatalf("payment replay made a second payment: %v vs %v", p1, p2)
	}

	// The provider's callback, delivered three times, and a forged one.
	sb, _ := sandboxpay.New(sandboxpay.Config{Secret: sandboxSecret, CallbackURL: s.base + "/callbacks/v1/payments/sandbox"})
	cny := money.MustCurrency("CNY")
	var ref string
	db := openDB(t, s.db)
	if err := db.Primary().QueryRow(`SELECT provider_ref FROM payments WHERE payment_id = ?`, str(p1["paymentId"])).Scan(&ref); err != nil {
		t.Fatal(err)
	}
	db.Close()
	pay := payment.FromStorage(str(p1["paymentId"]), "acme", tradeID, "u1", "sandbox", payment.Full, money.New(1990, cny), payment.Pending, ref, time.Now(), time.Time{})
	cb, hdr := sb.Callback(pay, payment.OutcomeSucceeded)
	post := func(body []byte, sig string) reply {
		h := []string{sandboxpay.HeaderTimestamp, hdr.Get(sandboxpay.HeaderTimestamp), sandboxpay.HeaderSignature, sig}
		return s.do("POST", "/callbacks/v1/payments/sandbox", "", string(body), h...)
	}
	forged := []byte(strings.Replace(string(cb), `"amount":1990`, `"amount":1`, 1))
	if r := post(forged, hdr.Get(sandboxpay.HeaderSignature)); r.status != 401 || r.body["code"] != "payment.invalid_signature" {
		t.Fatalf("forged callback: %d %s", r.status, r.raw)
	}
	for i := 0; i < 3; i++ {
		must(t, post(cb, hdr.Get(sandboxpay.HeaderSignature)), 200, fmt.Sprintf("callback #%d", i))
	}
	if st := s.stock(admin, "tea"); st["sold"] != 1 || st["reserved"] != 0 {
		t.Fatalf("after replays: %v", st)
	}
	// The order replayed after it was paid answers the trade as it is now, not as it was placed.
	later := must(t, s.do("POST", "/app/v1/orders", buyer, body, "Idempotency-Key", "k-1"), 201, "replay after payment").data()
	if later["tradeId"] != first.data()["tradeId"] || later["state"] != "paid" || later["orders"].([]any)[0].(map[string]any)["status"] != "paid" ||
		len(later["payments"].([]any)) != 1 || later["due"] != "0.00" {
		t.Fatalf("the replay after payment: %v", later)
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	buyer := s.token("acme", "u1", "app", "buyer")
	mp := s.token("acme", "u1", "mp", "buyer")
	item := func(sku string, q any) []any { return []any{map[string]any{"skuId": sku, "quantity": q}} }
	order := func(extra map[string]any) map[string]any {
		b := map[string]any{"items": item("tea", 1), "address": address}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	forgedTok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u1", "tenant": "acme", "channel": "app",
		"role": "buyer", "iss": "atrium", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("not-the-secret-not-the-secret-000"))
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"malformed json", "POST", "/app/v1/orders", buyer, `{"items": [`, 400, "request.malformed_json"},
		{"not an object", "POST", "/app/v1/orders", buyer, `[1,2]`, 400, "request.malformed_json"},
		{"trailing garbage", "POST", "/app/v1/orders", buyer, `{"items":[]} x`, 400, "request.malformed_json"},
		{"unknown field", "POST", "/app/v1/orders", buyer, order(map[string]any{"tenant": "other"}), 400, "request.invalid"},
		{"unknown sku", "POST", "/app/v1/orders", buyer, map[string]any{"items": item("nope", 1), "address": address}, 404, "catalog.sku_not_found"},
		{"quantity 0", "POST", "/app/v1/orders", buyer, map[string]any{"items": item("tea", 0), "address": address}, 400, "pricing.invalid_item"},
		{"negative quantity", "POST", "/app/v1/orders", buyer, map[string]any{"items": item("tea", -2), "address": address}, 400, "pricing.invalid_item"},
		{"quantity over cap", "POST", "/app/v1/orders", buyer, map[string]any{"items": item("tea", 100000), "address": address}, 400, "pricing.invalid_item"},
		{"float quantity", "POST", "/app/v1/orders", buyer, map[string]any{"items": item("tea", 1.5), "address": address}, 400, "request.invalid"},
		{"overflowing quantity", "POST", "/app/v1/orders", buyer, `{"items":[{"skuId":"tea","quantity":99999999999999999999}],"address":{}}`, 400, "request.invalid"},
		{"no address", "POST", "/app/v1/orders", buyer, map[string]any{"items": item("tea", 1)}, 400, "order.invalid_address"},
		{"money with 3 decimals", "POST", "/app/v1/orders", buyer, order(map[string]any{"expectedTotal": "19.999"}), 400, "money.invalid_amount"},
		{"negative money", "POST", "/app/v1/orders", buyer, order(map[string]any{"expectedTotal": "-1"}), 400, "money.invalid_amount"},
		{"exponent money", "POST", "/app/v1/orders", buyer, order(map[string]any{"expectedTotal": "1e3"}), 400, "money.invalid_amount"},
		{"number as app money", "POST", "/app/v1/orders", buyer, order(map[string]any{"expectedTotal": 19.9}), 400, "money.invalid_amount"},
		{"stale price", "POST", "/app/v1/orders", buyer, order(map[string]any{"expectedTotal": "9.90"}), 409, "pricing.price_changed"},
		{"float as minor units (admin)", "PUT", "/admin/v1/skus/tea", admin, map[string]any{"title": "T", "sellerId": "s1", "currency": "CNY", "price": 19.9}, 400, "request.invalid"},
		{"negative price (admin)", "PUT", "/admin/v1/skus/tea", admin, map[string]any{"title": "T", "sellerId": "s1", "currency": "CNY", "price": -1}, 400, "catalog.invalid_sku"},
		{"negative stock (admin)", "PUT", "/admin/v1/skus/tea/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": -5}, 400, "inventory.invalid_quantity"},
		{"no token", "POST", "/app/v1/orders", "", order(nil), 401, "auth.unauthenticated"},
		{"forged token", "POST", "/app/v1/orders", forgedTok, order(nil), 401, "auth.unauthenticated"},
		{"mp token on app", "POST", "/app/v1/orders", mp, order(nil), 403, "auth.forbidden"},
		{"buyer on admin", "PUT", "/admin/v1/skus/tea/stock", buyer, map[string]any{"warehouseId": "wh1", "onHand": 0}, 403, "auth.forbidden"},
		{"unknown route", "GET", "/app/v1/nothing", buyer, nil, 404, "route.not_found"},
		{"unknown order", "GET", "/app/v1/orders/O123", buyer, nil, 404, "order.not_found"},
		{"bad idempotency key", "POST", "/app/v1/orders", buyer, order(nil), 400, "request.invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.name == "bad idempotency key" {
				hdr = []string{"Idempotency-Key", strings.Repeat("k", 200)}
			}
			r := s.do(c.method, c.path, c.token, c.body, hdr...)
			if r.status != c.status || r.body["code"] != c.code {
				t.Fatalf("got %d %s; want %d %s", r.status, r.raw, c.status, c.code)
			}
			if msg, _ := r.body["message"].(string); msg == "" || strings.Contains(msg, "sql") || strings.Contains(msg, ".go") {
				t.Fatalf("public message %q is empty or leaks internals", msg)
			}
		})
	}
	// mp: a float where minor units are expected, in the errcode envelope.
	r := must(t, s.do("POST", "/mp/v1/orders", mp, mpBody(map[string]any{"items": []any{map[string]any{"sku_id": "tea", "quantity": 1}}, "address": address, "expected_total_fee": 19.9})), 200, "mp float")
	if r.body["errcode"] != float64(41101) {
		t.Fatalf("mp float fee: %s", r.raw)
	}
	if st := s.stock(admin, "tea"); st["available"] != 10 || st["reserved"] != 0 {
		t.Fatalf("bad input changed stock: %v", st)
	}
	if l := must(t, s.do("GET", "/app/v1/orders", buyer, nil), 200, "list").data(); len(l["orders"].([]any)) != 0 {
		t.Fatalf("bad input left orders: %v", l)
	}
}

// TestTenantAndUserIsolation: another tenant's or another user's order answers 404.
func TestTenantAndUserIsolation(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	u1 := s.token("acme", "u1", "app", "buyer")
	d := must(t, s.do("POST", "/app/v1/orders", u1, map[string]any{"items": []any{map[string]any{"skuId": "tea", "quantity": 1}}, "address": address}), 201, "place").data()
	orderID := str(d["orders"].([]any)[0].(map[string]any)["orderId"])
	tradeID := str(d["tradeId"])
	u2 := s.token("acme", "u2", "app", "buyer")
	other := s.token("globex", "u1", "app", "buyer")
	otherAdmin := s.token("globex", "ops", "", "admin")
	for _, c := range []struct{ name, method, path, token string }{
		{"other user get", "GET", "/app/v1/orders/" + orderID, u2},
		{"other user cancel", "POST", "/app/v1/orders/" + orderID + "/cancel", u2},
		{"other user trade", "GET", "/app/v1/trades/" + tradeID, u2},
		{"other tenant get", "GET", "/app/v1/orders/" + orderID, other},
		{"other tenant admin", "GET", "/admin/v1/orders/" + orderID, otherAdmin},
		{"other tenant admin ship", "POST", "/admin/v1/orders/" + orderID + "/shipments", otherAdmin},
	} {
		var body any
		if strings.HasSuffix(c.path, "shipments") {
			body = map[string]any{"carrier": "SF", "trackingNo": "1"}
		}
		if r := s.do(c.method, c.path, c.token, body); r.status != http.StatusNotFound {
			t.Errorf("%s: got %d %s; want 404", c.name, r.status, r.raw)
		}
	}
	if r := s.do("POST", "/app/v1/trades/"+tradeID+"/payments", u2, map[string]any{"method": "sandbox"}); r.status != 404 {
		t.Errorf("other user pays: got %d %s; want 404", r.status, r.raw)
	}
	if st := s.stock(admin, "tea"); st["reserved"] != 1 {
		t.Fatalf("isolation probes changed stock: %v", st)
	}
	// Money moves only within the tenant: another tenant's operator can neither settle the
	// payment nor refund the paid order, and another buyer cannot refund it either.
	pay := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", u1, map[string]any{"method": "sandbox"}), 201, "pay").data()
	if r := s.do("POST", "/admin/v1/payments/"+str(pay["paymentId"])+"/simulate", otherAdmin, map[string]any{"outcome": "succeeded"}); r.status != 404 {
		t.Errorf("other tenant admin simulates: got %d %s; want 404", r.status, r.raw)
	}
	if o := must(t, s.do("GET", "/app/v1/orders/"+orderID, u1, nil), 200, "get").data(); o["status"] != "pending_payment" {
		t.Fatalf("another tenant's simulate paid the order: %v", o["status"])
	}
	must(t, s.do("POST", "/admin/v1/payments/"+str(pay["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
	for _, c := range []struct{ name, path, token string }{
		{"other user refund", "/app/v1/orders/" + orderID + "/refund", u2},
		{"other tenant buyer refund", "/app/v1/orders/" + orderID + "/refund", other},
		{"other tenant admin refund", "/admin/v1/orders/" + orderID + "/refund", otherAdmin},
	} {
		if r := s.do("POST", c.path, c.token, nil); r.status != http.StatusNotFound {
			t.Errorf("%s: got %d %s; want 404", c.name, r.status, r.raw)
		}
	}
	if o := must(t, s.do("GET", "/app/v1/orders/"+orderID, u1, nil), 200, "get").data(); o["status"] != "paid" {
		t.Fatalf("after the refund probes the order is %v; want paid", o["status"])
	}
	if st := s.stock(admin, "tea"); st["sold"] != 1 {
		t.Fatalf("refund probes changed stock: %v", st)
	}
}

// TestShutdownUnderLoadLeavesNothingHalfWritten stops the stack while buyers are placing orders,
// restarts it on the same database, and checks that every unit of reserved stock belongs to an
// order that exists, and every pending order holds its stock.
func TestShutdownUnderLoadLeavesNothingHalfWritten(t *testing.T) {
	db := sqliteConfig(t)
	s := start(t, db, &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 100000)
	buyer := s.token("acme", "u1", "app", "buyer")
	var placed atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// A connection per request: once the listener closes, new requests are refused at once
	// instead of riding a kept-alive connection into the shutdown wait.
	// A request accepted in the instant the listener closes can wait out its RPC to a trade
	// server that is stopping; it changes nothing, and 3s keeps the test short.
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", s.base+"/app/v1/orders", strings.NewReader(
					`{"items":[{"skuId":"tea","quantity":1}],"address":{"name":"A","phone":"13800000000","province":"Zhejiang","city":"Hangzhou","district":"Xihu","detail":"1 Wensan Rd"}}`))
				req.Header.Set("Authorization", "Bearer "+buyer)
				resp, err := client.Do(req)
				if err != nil {
					continue // the server is going away
				}
				if resp.StatusCode == 201 {
					placed.Add(1)
				}
				resp.Body.Close()
			}
		}()
	}
	// Workers that fail (every request refused, say) must fail the test, not hang it.
	for deadline := time.Now().Add(30 * time.Second); placed.Load() < 50; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("%d orders placed in 30 s before the shutdown; want 50", placed.Load())
		}
	}
	s.stop() // graceful: requests in flight finish, new ones are refused
	close(stop)
	wg.Wait()

	s2 := start(t, db, &clock{t: time.Now()})
	admin = s2.token("acme", "ops1", "", "admin")
	st := s2.stock(admin, "tea") // also checks available + reserved + sold == onHand
	var pendingQty float64
	if err := s2.trade.DB.Primary().QueryRow(`SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o
		ON o.tenant = l.tenant AND o.order_id = l.order_id WHERE o.tenant = 'acme' AND o.status = 'pending_payment'`).Scan(&pendingQty); err != nil {
		t.Fatal(err)
	}
	if st["reserved"] != pendingQty || pendingQty < float64(placed.Load()) {
		t.Fatalf("reserved %v, pending order quantity %v, orders acknowledged %d: a write was half done or lost",
			st["reserved"], pendingQty, placed.Load())
	}
}
