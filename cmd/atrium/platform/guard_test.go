package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// guarded starts a stack whose toggles file the test writes: the Sentinel rule sets are toggles.
func guarded(t *testing.T) (*stack, func(rules map[string]string)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "toggles.yaml")
	s := startWith(t, sqliteConfig(t), &clock{t: time.Now()}, func(c *platform.Config) {
		c.Toggles.File, c.Toggles.Poll = path, 50*time.Millisecond
	})
	t.Cleanup(func() { os.Remove(path) }) // the stack's rules go with it (see also stop)
	return s, func(rules map[string]string) {
		t.Helper()
		var b strings.Builder
		for k, v := range rules {
			fmt.Fprintf(&b, "%s: %q\n", k, v)
		}
		if err := os.WriteFile(path+".tmp", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
}

// fromFile waits until the stack shows key as set from its toggles file.
func fromFile(t *testing.T, s *stack, admin, key string) {
	t.Helper()
	eventually(t, 5*time.Second, key+" from the file", func() bool {
		for _, e := range must(t, s.do("GET", "/admin/v1/toggles", admin, nil), 200, "toggles").data()["toggles"].([]any) {
			if e := e.(map[string]any); e["key"] == key && e["source"] == "file" {
				return true
			}
		}
		return false
	})
}

func blockedCount(t *testing.T, s *stack, resource, typ string) float64 {
	t.Helper()
	raw := s.do("GET", "/metrics", "", nil).raw
	re := regexp.MustCompile(`atrium_sentinel_blocked_total\{resource="` + regexp.QuoteMeta(resource) + `",type="` + typ + `"\} (\S+)`)
	m := re.FindStringSubmatch(raw)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	return n
}

// TestFlowRuleRefusesOrdersAtOnce: a flow rule on POST /app/v1/orders, set on the running server,
// refuses orders at once with 429, Retry-After and system.too_many_requests (the errcode on mp's
// own route only when its rule says so), reserves nothing, is counted, and lifting it lets orders
// through again.
func TestFlowRuleRefusesOrdersAtOnce(t *testing.T) {
	s, rules := guarded(t)
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 100)
	buyer := s.token("acme", "u1", "app", "buyer")
	mpBuyer := s.token("acme", "u2", "mp", "buyer")
	order := map[string]any{"items": []any{item("tea", 1)}, "address": address}
	must(t, s.do("POST", "/app/v1/orders", buyer, order, "Idempotency-Key", "before"), 201, "before the rule")

	rules(map[string]string{"sentinel.flowRules": `[{"resource":"POST /app/v1/orders","threshold":0,"statIntervalInMs":1000},
		{"resource":"POST /mp/v1/orders","threshold":0,"statIntervalInMs":1000},
		{"resource":"GET /metrics","threshold":0,"statIntervalInMs":1000}]`})
	placed := 1.0 // orders placed before the rule applied
	probes := 0
	eventually(t, 5*time.Second, "the flow rule", func() bool {
		probes++
		r := s.do("POST", "/app/v1/orders", buyer, order, "Idempotency-Key", fmt.Sprint("probe", probes))
		if r.status == 201 {
			placed++
		}
		return r.status == 429
	})
	for i := range 20 {
		start := time.Now()
		b, _ := json.Marshal(order)
		req, _ := http.NewRequest("POST", s.base+"/app/v1/orders", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+buyer)
		req.Header.Set("Idempotency-Key", fmt.Sprint("k", i))
		resp, err := s.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("refused order: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("a refusal took %s", took)
		}
	}
	r := s.do("POST", "/app/v1/orders", buyer, order, "Idempotency-Key", "k-last")
	if r.status != 429 || r.body["code"] != "system.too_many_requests" || r.body["requestId"] == "" {
		t.Fatalf("refusal body: %d %s", r.status, r.raw)
	}
	if r := s.do("POST", "/mp/v1/orders", mpBuyer, order, "Idempotency-Key", "mp-1"); r.status != 200 || r.body["errcode"] != float64(42901) {
		t.Fatalf("mp refusal: %d %s", r.status, r.raw)
	}
	// Other routes flow; nothing was reserved by the refused orders.
	if st := s.stock(admin, "tea"); st["reserved"] != placed || st["available"] != 100-placed {
		t.Fatalf("stock after refusals: %v", st)
	}
	must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 1)}}), 200, "a quote")
	if r := s.do("GET", "/metrics", "", nil); r.status != 200 {
		t.Fatalf("/metrics under a rule of its own: %d", r.status) // never admitted: operators must see
	}
	if n := blockedCount(t, s, "POST /app/v1/orders", "flow"); n < 21 {
		t.Fatalf("atrium_sentinel_blocked_total for the route: %v", n)
	}

	rules(map[string]string{})
	eventually(t, 5*time.Second, "orders after the rule is lifted", func() bool {
		return s.do("POST", "/app/v1/orders", buyer, order, "Idempotency-Key", "after").status == 201
	})
}

// TestHotSKUIsThrottledWhileOthersFlow: a hot-parameter rule on one SKU refuses its orders over
// its rate while another SKU's orders all go through.
func TestHotSKUIsThrottledWhileOthersFlow(t *testing.T) {
	s, rules := guarded(t)
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "hot", "s1", 990, 1000)
	s.seed(admin, "cold", "s1", 990, 1000)
	rules(map[string]string{"sentinel.hotParamRules": `[{"resource":"sku","metricType":1,"paramIndex":0,"threshold":100000,
		"durationInSec":3600,"specificItems":[{"valKind":1,"valStr":"hot","threshold":5}]}]`})
	buyer := s.token("acme", "u1", "app", "buyer")
	fromFile(t, s, admin, "sentinel.hotParamRules")
	hot, cold := map[int]int{}, map[int]int{}
	for i := range 12 {
		hot[s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("hot", 1)}, "address": address}, "Idempotency-Key", fmt.Sprint("h", i)).status]++
		cold[s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("cold", 1)}, "address": address}, "Idempotency-Key", fmt.Sprint("c", i)).status]++
	}
	if hot[201] != 5 || hot[429] != 7 || cold[201] != 12 {
		t.Fatalf("hot SKU %v, other SKU %v", hot, cold)
	}
	// A cart with the hot SKU among others is refused whole, and reserves nothing.
	r := s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("cold", 1), item("hot", 1)}, "address": address}, "Idempotency-Key", "mixed")
	if r.status != 429 {
		t.Fatalf("a cart with the hot SKU: %d %s", r.status, r.raw)
	}
	if st := s.stock(admin, "hot"); st["reserved"] != 5 {
		t.Fatalf("hot stock: %v", st)
	}
	if st := s.stock(admin, "cold"); st["reserved"] != 12 {
		t.Fatalf("cold stock: %v", st)
	}
	if n := blockedCount(t, s, "sku", "hotspot"); n != 8 {
		t.Fatalf("atrium_sentinel_blocked_total{sku,hotspot} = %v", n)
	}
}

// TestPaymentProviderBreaker: a provider that stops answering opens its breaker, so payments get
// payment.provider_unavailable at once instead of waiting on it; once it answers again, a probe
// closes the breaker and payments go through.
func TestPaymentProviderBreaker(t *testing.T) {
	s, rules := guarded(t)
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 100)
	buyer := s.token("acme", "u1", "app", "buyer")
	rules(map[string]string{"sentinel.circuitBreakerRules": `[{"resource":"payment:sandbox","strategy":2,"retryTimeoutMs":1000,
		"minRequestAmount":3,"statIntervalMs":60000,"threshold":3}]`})
	fromFile(t, s, admin, "sentinel.circuitBreakerRules")
	trades := make([]string, 8)
	for i := range trades {
		tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("tea", 1)}, "address": address}, "Idempotency-Key", fmt.Sprint("o", i)), 201, "place").data()
		trades[i] = str(tr["tradeId"])
	}
	pay := func(i int) (reply, time.Duration) {
		start := time.Now()
		r := s.do("POST", "/app/v1/trades/"+trades[i]+"/payments", buyer, map[string]any{"method": "sandbox"}, "Idempotency-Key", fmt.Sprint("p", i))
		return r, time.Since(start)
	}
	const hang = 400 * time.Millisecond
	s.trade.Sandbox.Down(hang)
	for i := range 3 {
		r, took := pay(i)
		if r.status != 503 || r.body["code"] != "payment.provider_unavailable" || took < hang {
			t.Fatalf("payment %d while the provider hangs: %d %s in %s", i, r.status, r.raw, took)
		}
	}
	// Open: refused at once, with the same stable code.
	r, took := pay(3)
	if r.status != 503 || r.body["code"] != "payment.provider_unavailable" || took >= hang {
		t.Fatalf("payment with the breaker open: %d %s in %s", r.status, r.raw, took)
	}
	if n := blockedCount(t, s, "payment:sandbox", "circuit_breaker"); n != 1 {
		t.Fatalf("atrium_sentinel_blocked_total{payment:sandbox} = %v", n)
	}
	s.trade.Sandbox.Up()
	time.Sleep(1100 * time.Millisecond) // the retry timeout: the next call is the probe
	for i := 4; i < 8; i++ {
		if r, _ := pay(i); r.status != 201 {
			t.Fatalf("payment %d after recovery: %d %s", i, r.status, r.raw)
		}
	}
	// The payments refused while it was down are paid by asking again with their keys.
	for i := range 4 {
		if r, _ := pay(i); r.status != 201 {
			t.Fatalf("payment %d asked again: %d %s", i, r.status, r.raw)
		}
	}
}

// TestRPCFlowRule: a flow rule on an RPC method ("TradeIntake/Quote") refuses calls at once with
// system.too_many_requests as their business status, while the service's other methods answer.
func TestRPCFlowRule(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toggles.yaml")
	if err := os.WriteFile(path, []byte("sentinel.flowRules: '[{\"resource\":\"TradeIntake/Quote\",\"threshold\":0,\"statIntervalInMs\":1000},{\"resource\":\"TradeQueries/Ping\",\"threshold\":0}]'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startNodeWith(t, func(cfg *platform.Config) { cfg.Toggles.File = path })
	ctx := context.Background()
	price := int64(100)
	if _, err := c.Catalog.UpsertSKU(ctx, &trade.UpsertSKURequest{Caller: rpcAdmin, SkuId: "tea", Title: "Tea", SellerId: "s1",
		Price: &trade.Money{Amount: price, Currency: "CNY"}}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		start := time.Now()
		_, err := c.Intake.Quote(ctx, &trade.QuoteRequest{Caller: rpcBuyer, Items: []*trade.Item{{SkuId: "tea", Quantity: 1}}})
		if code, kind := code(err); code != "system.too_many_requests" || kind != errkind.Unavailable || time.Since(start) > time.Second {
			t.Fatalf("quote under a threshold-0 rule: %v (%s %s) in %s", err, code, kind, time.Since(start))
		}
	}
	if _, err := c.Catalog.GetSKU(ctx, &trade.SKURef{Caller: rpcAdmin, SkuId: "tea"}); err != nil {
		t.Fatalf("another method: %v", err)
	}
	if _, err := c.Queries.Ping(ctx, &trade.PingRequest{}); err != nil {
		t.Fatalf("the readiness probe under a rule of its own: %v", err)
	}
}

// TestExtensionPointBreaker: a pricing script that keeps exceeding its budget opens the point's
// breaker; the point then falls back at once, without running the script, and the skips are
// counted.
func TestExtensionPointBreaker(t *testing.T) {
	s, rules := guarded(t)
	admin := s.token("demo", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 10)
	buyer := s.token("demo", "u1", "app", "buyer")
	rules(map[string]string{"sentinel.circuitBreakerRules": `[{"resource":"ext:pricing.unit_price","strategy":2,"retryTimeoutMs":60000,
		"minRequestAmount":3,"statIntervalMs":60000,"threshold":3}]`})
	fromFile(t, s, admin, "sentinel.circuitBreakerRules")
	s.publish(admin, "spin-price", "-- point: pricing.unit_price\nfunction run(i) while true do end end\n", "demo/*")
	s.loaded("pricing.unit_price", "demo", "spin-price")
	for i := range 6 {
		q := must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 3)}}), 200, "quote").data()
		if q["total"] != "30.00" {
			t.Fatalf("quote %d: %v; want the list price total", i, q["total"])
		}
	}
	if n := blockedCount(t, s, "ext:pricing.unit_price", "circuit_breaker"); n != 3 {
		t.Fatalf("skipped script calls: %v; want 3 after 3 failures", n)
	}
}
