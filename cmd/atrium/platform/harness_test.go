package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/kitex/pkg/endpoint"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/observe"
)

const testWall = 250 * time.Millisecond

const (
	jwtSecret     = "test-secret-test-secret-test-secret!"
	sandboxSecret = "sandbox-secret-0123456789"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// stack is an all-in-one platform on loopback: Hertz → Kitex → the database.
type stack struct {
	t      testing.TB
	base   string
	trade  *platform.Trade
	access *platform.Access
	clock  *clock
	db     dal.Config
	http   *http.Client
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// start runs a stack on db with clk as the flows' clock; mws wrap the trade service's handlers.
func start(t testing.TB, db dal.Config, clk *clock, mws ...endpoint.Middleware) *stack {
	t.Helper()
	return startWith(t, db, clk, nil, mws...)
}

// startWith is start with configure applied to the configuration last.
func startWith(t testing.TB, db dal.Config, clk *clock, configure func(*platform.Config), mws ...endpoint.Middleware) *stack {
	t.Helper()
	return startTraced(t, db, clk, configure, nil, mws...)
}

// startTraced is startWith whose roles record their spans with tracing.
func startTraced(t testing.TB, db dal.Config, clk *clock, configure func(*platform.Config), tracing *observe.Tracing, mws ...endpoint.Middleware) *stack {
	t.Helper()
	rpcLn, httpLn := listen(t), listen(t)
	cfg := platform.Defaults()
	cfg.DB = db
	cfg.HTTP.JWTSecret = jwtSecret
	cfg.HTTP.DevMode = true
	cfg.Sandbox.Secret = sandboxSecret
	cfg.Sandbox.CallbackURL = "http://" + httpLn.Addr().String() + "/callbacks/v1/payments/sandbox"
	cfg.Node.TimerInterval = 20 * time.Millisecond
	cfg.Extensions.ReloadInterval = 20 * time.Millisecond
	// This shared VM stalls for up to ~15 ms now and then; a healthy script must not trip the
	// wall budget in a test that expects it to succeed. Hostile loops stop on instructions.
	cfg.Extensions.Wall = testWall
	cfg.Node.ID = 7
	if configure != nil {
		configure(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tr, err := platform.StartTrade(context.Background(), cfg, log, platform.TradeOptions{Listener: rpcLn, Now: clk.Now, Middlewares: mws, Tracing: tracing})
	if err != nil {
		t.Fatalf("start trade: %v", err)
	}
	ac, err := platform.StartAccess(cfg, log, platform.AccessOptions{Listener: httpLn, RPCAddr: rpcLn.Addr().String(), Tracing: tracing})
	if err != nil {
		tr.Stop()
		t.Fatalf("start access: %v", err)
	}
	ac.Gateway.Registry().MustRegister(tr.Collector())
	s := &stack{t: t, base: "http://" + httpLn.Addr().String(), trade: tr, access: ac, clock: clk, db: db,
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	t.Cleanup(s.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := s.http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stack not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

func (s *stack) stop() {
	s.http.CloseIdleConnections()
	if s.access != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.access.Stop(ctx)
		s.access = nil
	}
	if s.trade != nil {
		_ = s.trade.Stop()
		s.trade = nil
	}
}

// reply is a decoded response.
type reply struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (r reply) data() map[string]any {
	d, _ := r.body["data"].(map[string]any)
	return d
}

func (s *stack) do(method, path, token string, body any, headers ...string) reply {
	s.t.Helper()
	r, err := s.attempt(method, path, token, body, headers...)
	if err != nil {
		// Errorf, not Fatalf: do is called from the goroutines of races, where FailNow is not
		// allowed. The zero status fails whatever the caller expects of the reply.
		s.t.Errorf("%s %s: %v", method, path, err)
		return reply{raw: err.Error()}
	}
	return r
}

// attempt sends one request and returns its reply, or the error of a request that got none (the
// server is down).
func (s *stack) attempt(method, path, token string, body any, headers ...string) (reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(raw), header: resp.Header}
	_ = json.Unmarshal(raw, &r.body)
	return r, nil
}

// placeRetrying places an order as a well-behaved client does under load: told 503 (the node is
// saturated, e.g. hundreds of orders at once on SQLite under -race), it sends the same request
// again with its key, backing off, and returns the final answer.
func (s *stack) placeRetrying(token string, body any, key string) reply {
	s.t.Helper()
	for attempt := 0; ; attempt++ {
		r := s.do("POST", "/app/v1/orders", token, body, "Idempotency-Key", key)
		if r.status != http.StatusServiceUnavailable || attempt == 20 {
			return r
		}
		time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
	}
}

func (s *stack) token(tenant, user, channel, role string) string {
	s.t.Helper()
	return s.tokenWith(map[string]string{"tenant": tenant, "userId": user, "channel": channel, "role": role})
}

func (s *stack) tokenWith(claims map[string]string) string {
	s.t.Helper()
	r := s.do("POST", "/auth/v1/dev-token", "", claims)
	tok, _ := r.body["token"].(string)
	if r.status != 200 || tok == "" {
		s.t.Fatalf("dev token: %d %s", r.status, r.raw)
	}
	return tok
}

// must fails the test unless r has the status.
func must(t testing.TB, r reply, status int, what string) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got %d %s; want %d", what, r.status, r.raw, status)
	}
	return r
}

// seed creates a SKU with stock through the admin API.
func (s *stack) seed(admin, sku, seller string, price, onHand int64) {
	s.t.Helper()
	must(s.t, s.do("PUT", "/admin/v1/skus/"+sku, admin, map[string]any{"title": "Item " + sku, "sellerId": seller, "currency": "CNY", "price": price}), 200, "put sku")
	must(s.t, s.do("PUT", "/admin/v1/skus/"+sku+"/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": onHand}), 200, "put stock")
}

// stock reads the one warehouse level of sku and checks the invariant.
func (s *stack) stock(admin, sku string) map[string]float64 {
	s.t.Helper()
	r := must(s.t, s.do("GET", "/admin/v1/skus/"+sku+"/stock", admin, nil), 200, "get stock")
	ws, _ := r.data()["warehouses"].([]any)
	if len(ws) != 1 {
		s.t.Fatalf("stock of %s: %s", sku, r.raw)
	}
	w := ws[0].(map[string]any)
	out := map[string]float64{}
	for _, k := range []string{"onHand", "available", "reserved", "sold", "damaged"} {
		out[k] = w[k].(float64)
	}
	if out["available"]+out["reserved"]+out["sold"]+out["damaged"] != out["onHand"] || out["available"] < 0 {
		s.t.Fatalf("invariant broken for %s: %v", sku, out)
	}
	return out
}

var address = map[string]any{"name": "Li Lei", "phone": "13800000000", "country": "CN", "province": "Zhejiang",
	"city": "Hangzhou", "district": "Xihu", "detail": "1 Wensan Rd", "postalCode": "310000"}

func str(v any) string { return fmt.Sprint(v) }

// mpBody spells a request body the mini-program's way: snake_case keys (money fields already
// named *_fee are left as they are).
func mpBody(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var b strings.Builder
			for i, r := range k {
				if r >= 'A' && r <= 'Z' {
					if i > 0 {
						b.WriteByte('_')
					}
					r += 'a' - 'A'
				}
				b.WriteRune(r)
			}
			out[b.String()] = mpBody(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = mpBody(x[i])
		}
		return out
	}
	return v
}

// onBothDatabases runs fn as a subtest on a fresh SQLite database and on a fresh MariaDB one.
func onBothDatabases(t *testing.T, fn func(t *testing.T, db dal.Config)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteConfig(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, mysqlConfig(t)) })
}

// race sends n requests at once and counts the replies by "status code" (code as the app
// channel names it: "ok" on success).
func (s *stack) race(n int, send func(i int) reply) map[string]int {
	got := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := send(i)
			mu.Lock()
			got[fmt.Sprint(r.status, " ", r.body["code"])]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return got
}

// openDB opens the stack's database directly, to check what it holds; the caller closes it.
func openDB(t *testing.T, cfg dal.Config) *dal.DB {
	t.Helper()
	db, err := dal.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
