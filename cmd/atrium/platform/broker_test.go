package platform_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/mq"
)

// TestServeDemoPublishesToNATS is the black-box check of the relay: `atrium serve --demo` with
// mq.broker nats, an outside NATS subscriber on the stream's subjects, orders placed and paid
// through HTTP; the subscriber sees each order.created and order.paid in Atrium's envelope, with
// the CloudEvents headers, one trade's events in order.
func TestServeDemoPublishesToNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the atrium binary")
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:4222", 2*time.Second); err != nil {
		daltest.Unreachable(t, "NATS", err)
	} else {
		c.Close()
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "atriumbb" + hex.EncodeToString(b[:]) + "."
	nc, err := nats.Connect("nats://127.0.0.1:4222")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	type got struct {
		subject string
		env     map[string]any
		header  nats.Header
	}
	var mu sync.Mutex
	var seen []got
	// A plain (core NATS) subscription, as an outside system would start with: JetStream
	// publishes reach it too.
	sub, err := nc.Subscribe(prefix+">", func(m *nats.Msg) {
		var env map[string]any
		if err := json.Unmarshal(m.Data, &env); err != nil {
			t.Errorf("%s: not JSON: %s", m.Subject, m.Data)
			return
		}
		mu.Lock()
		seen = append(seen, got{m.Subject, env, m.Header})
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	defer func() {
		if js, err := nc.JetStream(); err == nil {
			_ = js.DeleteStream(strings.ToUpper(strings.TrimSuffix(prefix, ".")))
		}
	}()

	p := startServeEnv(t, t.TempDir(), []string{"ATRIUM_MQ_BROKER=nats", "ATRIUM_MQ_URL=nats://127.0.0.1:4222", "ATRIUM_MQ_PREFIX=" + prefix}, "--demo")
	eventually(t, 30*time.Second, "demo seeded", func() bool { return strings.Contains(p.printed(), walkthroughMark) })
	admin := p.token("demo", "ops", "", "admin")
	buyer := p.token("demo", "bob", "app", "buyer")
	var trades []string
	for i := range 3 {
		placed := must(t, p.do("POST", "/app/v1/orders", buyer, orderBody(item("tea-longjing", 1+i))), 201, "place").data()
		tradeID := str(placed["tradeId"])
		trades = append(trades, tradeID)
		pay := must(t, p.do("POST", "/app/v1/trades/"+tradeID+"/payments", buyer, map[string]any{"method": "sandbox"}), 201, "pay").data()
		must(t, p.do("POST", "/admin/v1/payments/"+str(pay["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
	}
	find := func(typ, tradeID string) (got, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, g := range seen {
			if g.env["type"] == typ && g.env["key"] == tradeID {
				return g, true
			}
		}
		return got{}, false
	}
	eventually(t, 30*time.Second, "every trade's order.created and order.paid on NATS", func() bool {
		for _, tr := range trades {
			if _, ok := find("order.created", tr); !ok {
				return false
			}
			if _, ok := find("order.paid", tr); !ok {
				return false
			}
		}
		return true
	})
	for _, tr := range trades {
		created, _ := find("order.created", tr)
		paid, _ := find("order.paid", tr)
		if created.subject != prefix+"order.created" || paid.subject != prefix+"order.paid" {
			t.Errorf("subjects %q and %q", created.subject, paid.subject)
		}
		for _, g := range []got{created, paid} {
			for _, field := range []string{"id", "type", "tenant", "source", "time", "key", "data"} {
				if _, ok := g.env[field]; !ok {
					t.Errorf("%s envelope has no %q: %v", g.subject, field, g.env)
				}
			}
			if g.env["tenant"] != "demo" || g.env["source"] != "atrium" {
				t.Errorf("envelope %v", g.env)
			}
			if g.header.Get("ce-id") != g.env["id"] || g.header.Get("ce-type") != g.env["type"] || g.header.Get("ce-specversion") != "1.0" ||
				g.header.Get("ce-subject") != tr || g.header.Get("ce-tenant") != "demo" {
				t.Errorf("headers %v for %v", g.header, g.env)
			}
		}
		data := created.env["data"].(map[string]any)
		if data["tradeId"] != tr || data["tenant"] != "demo" {
			t.Errorf("order.created data %v", data)
		}
		if paidData := paid.env["data"].(map[string]any); paidData["status"] != "paid" || str(paidData["paymentId"]) == "" {
			t.Errorf("order.paid data %v", paidData)
		}
		ct, _ := time.Parse(time.RFC3339Nano, str(created.env["time"]))
		pt, _ := time.Parse(time.RFC3339Nano, str(paid.env["time"]))
		if pt.Before(ct) {
			t.Errorf("trade %s: paid at %v before created at %v", tr, pt, ct)
		}
	}
	mu.Lock()
	order := map[string][]string{}
	for _, g := range seen {
		k := str(g.env["key"])
		order[k] = append(order[k], str(g.env["type"]))
	}
	mu.Unlock()
	for _, tr := range trades {
		if o := order[tr]; len(o) < 2 || o[0] != "order.created" {
			t.Errorf("trade %s's events arrived as %v; want order.created first", tr, o)
		}
	}
}

// metricSum adds up the samples of metric whose labels contain every one of labels.
func metricSum(raw, metric string, labels ...string) float64 {
	var sum float64
	for _, line := range strings.Split(raw, "\n") {
		name, rest, _ := strings.Cut(line, " ")
		base, lbls, _ := strings.Cut(name, "{")
		if base != metric {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(lbls, l)
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); ok && err == nil {
			sum += v
		}
	}
	return sum
}

// TestBrokerDownDelaysEventsNotOrders: with the broker unreachable, orders are placed and paid as
// ever, their events wait in the outbox, the relay's failures and the outbox's lag show on
// /metrics, and once the broker is up the waiting events go out by themselves.
func TestBrokerDownDelaysEventsNotOrders(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there: Kafka is down
	dbc := sqliteConfig(t)
	s := startWith(t, dbc, &clock{t: time.Now()}, func(c *platform.Config) {
		c.MQ = mq.Config{Broker: "kafka", URL: fmt.Sprintf("127.0.0.1:%d", port),
			Relay: mq.RelayConfig{Poll: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}}
	})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 100)
	buyer := s.token("acme", "u1", "app", "buyer")
	for i := range 5 {
		placed := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 1)), "Idempotency-Key", fmt.Sprintf("down-%d", i)), 201, "place while the broker is down").data()
		pay := must(t, s.do("POST", "/app/v1/trades/"+str(placed["tradeId"])+"/payments", buyer, map[string]any{"method": "sandbox"}), 201, "pay").data()
		must(t, s.do("POST", "/admin/v1/payments/"+str(pay["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
	}
	db, err := dal.Open(context.Background(), dbc)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	unpublished := func() int {
		var n int
		if err := db.Replica().QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE published_at = 0`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := unpublished(); n < 10 {
		t.Fatalf("%d events waiting; want every order's (at least 10)", n)
	}
	eventually(t, 15*time.Second, "the relay's failures and the lag on /metrics", func() bool {
		raw := s.do("GET", "/metrics", "", nil).raw
		return metricSum(raw, "atrium_mq_relay_failures_total", `broker="kafka"`) > 0 &&
			metricSum(raw, "atrium_outbox_oldest_unpublished_age_seconds") > 0 && metricSum(raw, "atrium_outbox_unpublished") >= 10
	})

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	eventually(t, 30*time.Second, "the waiting events relayed once Kafka is up", func() bool { return unpublished() == 0 })
}

// TestCacheInvalidationReachesTheOtherNode: two nodes on one database, each caching the tenant's
// promotions for an hour. A promotion put through the first is in the second's quotes as soon as
// the cache.invalidated event reaches it (within seconds), not after the hour; and so is its
// removal from the first node's own cache at once.
func TestCacheInvalidationReachesTheOtherNode(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		hour := func(id int) func(*platform.Config) {
			return func(c *platform.Config) { c.Cache.TTL, c.Node.ID = time.Hour, id }
		}
		a := startWith(t, db, clk, hour(7))
		b := startWith(t, db, clk, hour(8))
		admin := a.token("acme", "ops1", "", "admin")
		a.seed(admin, "tea", "s1", 1000, 100)
		buyer := a.token("acme", "u1", "app", "buyer")
		quote := func(s *stack) string {
			return str(must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 1)}}), 200, "quote").data()["payable"])
		}
		if qa, qb := quote(a), quote(b); qa != "10.00" || qb != "10.00" { // both caches now hold "no promotions"
			t.Fatalf("before: %s %s", qa, qb)
		}
		must(t, a.do("PUT", "/admin/v1/promotions/ten-off", admin, map[string]any{"name": "10% off", "kind": "percent_off",
			"currency": "CNY", "percent": 1000}), 200, "promotion on node a")
		if q := quote(a); q != "9.00" {
			t.Fatalf("node a's own quote after its write: %s", q)
		}
		start := time.Now()
		eventually(t, 15*time.Second, "node b to drop its cached promotions", func() bool { return quote(b) == "9.00" })
		t.Logf("node b saw the promotion %s after node a's write (its cache.ttl is an hour)", time.Since(start).Round(time.Millisecond))
	})
}
