package platform_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudwego/kitex/pkg/endpoint"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/discovery"
)

// etcdAddr is the machine's etcd (Debian's etcd-server; .ci/run starts it).
const etcdAddr = "127.0.0.1:2379"

// TestEtcdDiscovery runs the roles apart through the machine's etcd: two trade nodes on one
// database register themselves, and an access role that knows only etcd finds both and spreads
// its calls over them. A node that stops leaves etcd at once, and the calls the access role
// still sends it before its discovery cache refreshes go to the other node: none fails.
func TestEtcdDiscovery(t *testing.T) {
	if c, err := net.DialTimeout("tcp", etcdAddr, time.Second); err != nil {
		daltest.Unreachable(t, "etcd at "+etcdAddr, err)
	} else {
		c.Close()
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	etcd := discovery.Etcd{Endpoints: []string{"http://" + etcdAddr}, Prefix: "atrium-test/" + hex.EncodeToString(b)}
	cli, err := clientv3.New(clientv3.Config{Endpoints: etcd.Endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	registered := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := cli.Get(ctx, etcd.Prefix+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatalf("etcd: %v", err)
		}
		return int(r.Count)
	}
	splitRoles(t, func(cfg *platform.RPCConfig, _ []string) { cfg.Etcd = etcd }, func(running int) {
		// Kitex registers a server a second after it listens, and deregisters it as it stops.
		for deadline := time.Now().Add(20 * time.Second); registered() != running; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d trade nodes registered in etcd; want %d", registered(), running)
			}
		}
	})
}

// TestStaticTargets: the access role given a static list of trade nodes (rpc.targets) spreads
// its calls over them, and one node stopping fails no call.
func TestStaticTargets(t *testing.T) {
	splitRoles(t, func(cfg *platform.RPCConfig, nodes []string) { cfg.Targets = nodes }, func(int) {})
}

// splitRoles runs two trade nodes on one database and an access role that finds them as
// configure says (given their addresses); ready waits until the given number of nodes can be
// found. The access role's calls go to both nodes, and all of them to the one left running once
// the other stops.
func splitRoles(t *testing.T, configure func(cfg *platform.RPCConfig, nodes []string), ready func(running int)) {
	db := dal.Config{Driver: "sqlite", DataDir: t.TempDir()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lns := []net.Listener{listen(t), listen(t)}
	addrs := []string{lns[0].Addr().String(), lns[1].Addr().String()}
	config := func(node int) platform.Config {
		cfg := platform.Defaults()
		cfg.DB = db
		cfg.HTTP.JWTSecret, cfg.HTTP.DevMode = jwtSecret, true
		cfg.Sandbox.Secret, cfg.Sandbox.CallbackURL = sandboxSecret, "http://127.0.0.1:1/unused"
		cfg.Node.ID = node
		cfg.RPC.Addr = "127.0.0.1:1" // nothing listens there: the access role must find the nodes as configured
		configure(&cfg.RPC, addrs)
		return cfg
	}
	var calls [2]atomic.Int64
	var nodes [2]*platform.Trade
	for i := range nodes {
		count := func(next endpoint.Endpoint) endpoint.Endpoint {
			return func(ctx context.Context, req, resp any) error { calls[i].Add(1); return next(ctx, req, resp) }
		}
		tr, err := platform.StartTrade(context.Background(), config(i+1), log, platform.TradeOptions{Listener: lns[i],
			Middlewares: []endpoint.Middleware{count}})
		if err != nil {
			t.Fatalf("trade node %d: %v", i+1, err)
		}
		nodes[i] = tr
		defer func() { _ = tr.Stop() }()
	}
	ready(2)

	httpLn := listen(t)
	ac, err := platform.StartAccess(config(9), log, platform.AccessOptions{Listener: httpLn})
	if err != nil {
		t.Fatalf("access: %v", err)
	}
	s := &stack{t: t, base: "http://" + httpLn.Addr().String(), http: &http.Client{Timeout: 30 * time.Second}}
	defer func() {
		s.http.CloseIdleConnections() // or the access role waits out its shutdown for them
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ac.Stop(ctx)
	}()
	admin := s.token("acme", "ops", "admin", "admin")
	must(t, s.do("PUT", "/admin/v1/skus/fish", admin, map[string]any{"title": "Fish", "sellerId": "s1", "currency": "CNY", "price": 5000}),
		200, "a SKU through a node found as configured")
	must(t, s.do("PUT", "/admin/v1/skus/fish/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": 5}), 200, "stock")
	for range 40 {
		if st := s.stock(admin, "fish"); st["available"] != 5 {
			t.Fatalf("stock read through either node: %v", st)
		}
	}
	if a, b := calls[0].Load(), calls[1].Load(); a == 0 || b == 0 {
		t.Fatalf("calls per node %d and %d; want both nodes used", a, b)
	}

	// Node 1 stops. The access role may still pick it (its discovery cache refreshes every few
	// seconds; a static list never changes): such a call cannot connect, and Kitex sends it to
	// node 2.
	if err := nodes[0].Stop(); err != nil {
		t.Fatal(err)
	}
	ready(1)
	before := calls[1].Load()
	for i := range 40 {
		if r := s.do("GET", "/admin/v1/skus/fish/stock", admin, nil); r.status != http.StatusOK {
			t.Fatalf("call %d after node 1 stopped: %d %s", i, r.status, r.raw)
		}
	}
	if got := calls[1].Load() - before; got != 40 {
		t.Fatalf("node 2 took %d of the 40 calls made after node 1 stopped", got)
	}
}
