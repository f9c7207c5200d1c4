package platform_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/mq"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// platformTables are the platform's own, on the directory pod, holding rows of every tenant.
var platformTables = []string{"ext_scripts", "ext_publications", "frontends", "pod_directory"}

// inProcessKafka starts a Kafka broker in the process (kfake), stopped at cleanup, and returns
// the configuration of a node that relays to it: several pods need a broker outside the database.
func inProcessKafka(t *testing.T) mq.Config {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	kafka, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kafka.Close)
	return mq.Config{Broker: "kafka", URL: fmt.Sprintf("127.0.0.1:%d", port), Relay: mq.RelayConfig{Poll: 20 * time.Millisecond}}
}

// TestTenantsOnPods runs two tenants on two pods of MariaDB (a database each, with Kafka in the
// process as the broker) through HTTP → Kitex: each tenant buys, pays, ships, delivers, gets a
// unit refunded and leaves an order unpaid until its timer cancels it; a script is published for
// one. Every row of a tenant is on its own pod, and only there (the platform's own tables apart),
// each pod's events reach the broker through its own relay, and each pod's timers fired.
func TestTenantsOnPods(t *testing.T) {

	dbc := daltest.MySQLPodsConfig(t, "p1", "p2")
	dbc.MaxOpenConns, dbc.DataDir = 16, t.TempDir()
	clk := &clock{t: time.Now()}
	broker := inProcessKafka(t)
	s := startWith(t, dbc, clk, func(c *platform.Config) { c.MQ = broker })
	db := openDB(t, dbc)
	ctx := context.Background()
	// bolt is placed on p2 by an operator before it trades; acme by the rule (the pod with the
	// fewest tenants, the first on a tie: p1).
	if err := db.Directory().Place(ctx, "bolt", "p2"); err != nil {
		t.Fatal(err)
	}
	home := map[string]string{"acme": "p1", "bolt": "p2"}

	for _, tenant := range []string{"acme", "bolt"} {
		admin := s.token(tenant, "ops", "", "admin")
		buyer := s.token(tenant, "u1", "app", "buyer")
		s.seed(admin, "tea", "s1", 1000, 10)
		s.publish(admin, tenant+"-price", example(t, "member_pricing.lua"), tenant+"/*")
		s.loaded("pricing.unit_price", tenant, tenant+"-price")
		o := s.paidOrder(buyer, admin, tenant+"-1", item("tea", 2))
		orderID := str(o["orderId"])
		r := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("refund_only", [2]int{1, 1}), "Idempotency-Key", tenant+"-as"),
			201, "refund one").data()
		if r["status"] != "refunded" {
			t.Fatalf("%s: refund: %v", tenant, r)
		}
		s.deliver(admin, orderID)
		must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 1)), "Idempotency-Key", tenant+"-unpaid"), 201, "place unpaid")
		if got := must(t, s.do("GET", "/app/v1/orders?limit=10", buyer, nil), 200, "list").data(); len(got["orders"].([]any)) != 2 {
			t.Fatalf("%s lists %v; want its 2 orders", tenant, got)
		}
	}
	clk.Advance(31 * time.Minute) // past the unpaid window: each pod's timer worker cancels its order
	for _, tenant := range []string{"acme", "bolt"} {
		buyer := s.token(tenant, "u1", "app", "buyer")
		eventually(t, 20*time.Second, tenant+"'s unpaid order cancelled by its pod's timer", func() bool {
			list := must(t, s.do("GET", "/app/v1/orders?limit=10&status=cancelled", buyer, nil), 200, "list").data()
			return len(list["orders"].([]any)) == 1
		})
	}
	if pod, err := db.PodOf(identity.WithTenant(ctx, "acme")); err != nil || pod != "p1" {
		t.Errorf("acme is on %s (%v); want p1 by the rule", pod, err)
	}

	for _, pod := range []string{"p1", "p2"} {
		p, _ := db.Pod(pod)
		q := p.Primary()
		tables := column(t, q, `SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = 'tenant'
			ORDER BY TABLE_NAME`)
		if len(tables) < 20 {
			t.Fatalf("pod %s has %d tables with a tenant column: %v", pod, len(tables), tables)
		}
		for _, table := range tables {
			if slices.Contains(platformTables, table) {
				continue
			}
			for _, tenant := range column(t, q, "SELECT DISTINCT tenant FROM `"+table+"`") {
				if home[tenant] != pod {
					t.Errorf("pod %s holds %s's rows in %s", pod, tenant, table)
				}
			}
		}
		mine := map[string]string{"p1": "acme", "p2": "bolt"}[pod]
		for _, table := range []string{"trades", "orders", "payments", "payment_refunds", "aftersales", "inventory_levels", "outbox_events", "ext_runs"} {
			var n int
			if err := q.QueryRow("SELECT COUNT(*) FROM `"+table+"` WHERE tenant = ?", mine).Scan(&n); err != nil || n == 0 {
				t.Errorf("pod %s holds %d of %s's rows in %s (%v); want some", pod, n, mine, table, err)
			}
		}
		eventually(t, 20*time.Second, "pod "+pod+"'s events relayed", func() bool {
			var waiting int
			if err := q.QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE published_at = 0`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			return waiting == 0
		})
		var fired int
		if err := q.QueryRow(`SELECT COUNT(*) FROM delayed_jobs WHERE done_at > 0`).Scan(&fired); err != nil || fired == 0 {
			t.Errorf("pod %s ran %d timers (%v); want its own", pod, fired, err)
		}
	}
	p1, _ := db.Pod("p1")
	if scripts := column(t, p1.Primary(), `SELECT DISTINCT tenant FROM ext_scripts ORDER BY tenant`); !slices.Equal(scripts, []string{"acme", "bolt"}) {
		t.Errorf("the directory pod holds scripts of %v; want both tenants' (the platform's own table)", scripts)
	}
}

func column(t *testing.T, q *sql.DB, query string, args ...any) []string {
	t.Helper()
	out, err := dal.All(context.Background(), q, func(r *sql.Rows) (string, error) {
		var s string
		return s, r.Scan(&s)
	}, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// TestPodFailover: tenants on two pods, pod p1 a mariadbd primary with a replica (processes of
// the test's own), p2 a database on the machine's MariaDB. p1's primary process is killed: acme
// (on p1) is told 503 system.db_unavailable with Retry-After at once, and still reads its orders
// (from the replica); bolt (on p2) goes on ordering as if nothing happened. The replica is
// promoted as an outside tool does (STOP SLAVE; SET GLOBAL read_only = 0) and acme's retried
// order goes through without a restart; every order acknowledged before is there after.
func TestPodFailover(t *testing.T) {
	servers, p1 := daltest.Pod(t, "atrium", 1)
	dbc := dal.Config{Driver: "mysql", MaxOpenConns: 16, DataDir: t.TempDir(), Directory: "p2",
		Pods: []dal.PodConfig{{Name: "p1", Nodes: p1}, {Name: "p2", Nodes: []string{daltest.CreateMySQLDatabase(t)}}}}
	broker := inProcessKafka(t)
	s := startWith(t, dbc, &clock{t: time.Now()}, func(c *platform.Config) { c.MQ = broker })
	db := openDB(t, dbc)
	ctx := context.Background()
	for tenant, pod := range map[string]string{"acme": "p1", "bolt": "p2"} {
		if err := db.Directory().Place(ctx, tenant, pod); err != nil {
			t.Fatal(err)
		}
	}
	acked := map[string][]string{}
	order := func(tenant, key string) reply {
		return s.do("POST", "/app/v1/orders", s.token(tenant, "u1", "app", "buyer"), orderBody(item("tea", 1)), "Idempotency-Key", key)
	}
	for _, tenant := range []string{"acme", "bolt"} {
		s.seed(s.token(tenant, "ops", "", "admin"), "tea", "s1", 1000, 100)
		for i := range 5 {
			r := must(t, order(tenant, fmt.Sprint(tenant, "-before-", i)), 201, "order before the failover")
			acked[tenant] = append(acked[tenant], str(r.data()["tradeId"]))
		}
	}
	servers[1].WaitFor(func(q *sql.DB) bool {
		var n int
		return q.QueryRow(`SELECT COUNT(*) FROM atrium.trades WHERE tenant = 'acme'`).Scan(&n) == nil && n == len(acked["acme"])
	}, "the replica caught up")

	servers[0].Kill()
	for i := range 3 {
		start := time.Now()
		r := order("acme", "acme-during")
		if r.status != 503 || r.body["code"] != "system.db_unavailable" || r.header.Get("Retry-After") == "" {
			t.Fatalf("acme orders with its pod's primary dead: %d %s (Retry-After %q); want 503 system.db_unavailable with Retry-After",
				r.status, r.raw, r.header.Get("Retry-After"))
		}
		t.Logf("acme's order %d refused after %s", i, time.Since(start))
		r = must(t, order("bolt", fmt.Sprint("bolt-during-", i)), 201, "bolt orders while p1 is down")
		acked["bolt"] = append(acked["bolt"], str(r.data()["tradeId"]))
	}
	list := must(t, s.do("GET", "/app/v1/orders?limit=50", s.token("acme", "u1", "app", "buyer"), nil), 200, "acme reads while its primary is down").data()
	if n := len(list["orders"].([]any)); n != len(acked["acme"]) {
		t.Errorf("acme lists %d orders from its replica; want %d", n, len(acked["acme"]))
	}

	servers[1].Promote()
	var r reply
	eventually(t, 10*time.Second, "acme's retried order through on the promoted replica", func() bool {
		r = order("acme", "acme-during")
		return r.status == 201
	})
	acked["acme"] = append(acked["acme"], str(r.data()["tradeId"]))
	for tenant, trades := range acked {
		buyer := s.token(tenant, "u1", "app", "buyer")
		for _, id := range trades {
			must(t, s.do("GET", "/app/v1/trades/"+id, buyer, nil), 200, tenant+"'s acknowledged trade after the failover")
		}
	}
}
