package platform_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/endpoint"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/servicetoken"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

var (
	keyOld = servicetoken.Key{ID: "2026-11", Secret: "old-service-key-0123456789abcdefgh"}
	keyNew = servicetoken.Key{ID: "2026-12", Secret: "new-service-key-0123456789abcdefgh"}
)

// withToken is a client middleware that sends tok as the service token of every call (a forger's
// or a misconfigured node's).
func withToken(tok string) client.Option {
	return client.WithMiddleware(func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			return next(metainfo.WithValue(ctx, platform.TokenKey, tok), req, resp)
		}
	})
}

func sign(t *testing.T, key servicetoken.Key, audience string, at time.Time, c servicetoken.Claims) string {
	t.Helper()
	s, err := servicetoken.NewSigner(servicetoken.Config{Keys: []servicetoken.Key{key}}, "test", audience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.WithClock(func() time.Time { return at }).Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTradeNodeTrustsOnlySignedCalls: a trade node with service tokens on refuses, before any
// handler runs, a raw Kitex client that sends no token, an expired one, one signed by a key it
// does not hold, one for another audience, or one for another caller than the call names, with
// auth.service_token_invalid, and counts each by reason; a node signing with either of its two
// keys is served (rotation: the new key beside the old). A node that listens beyond loopback
// without tokens does not start.
func TestTradeNodeTrustsOnlySignedCalls(t *testing.T) {
	s := startWith(t, sqliteConfig(t), &clock{t: time.Now()}, func(c *platform.Config) {
		c.RPC.Auth = servicetoken.Config{Keys: []servicetoken.Key{keyNew, keyOld}}
	})
	// The stack's own access node signs (with keyNew): the platform works through HTTP.
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 10)
	must(t, s.do("POST", "/app/v1/orders", s.token("acme", "u1", "app", "buyer"), orderBody(item("tea", 1)), "Idempotency-Key", "signed"), 201, "order")

	addr := s.trade.Addr().String()
	ctx := context.Background()
	list := func(opts ...client.Option) error {
		c, err := platform.NewTradeClients(platform.Defaults().RPC, addr, opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Queries.ListOrders(ctx, &trade.ListOrdersRequest{Caller: rpcBuyer, Limit: 5})
		return err
	}
	buyer := servicetoken.Claims{Tenant: "acme", User: "u1", Role: "buyer", Channel: "app"}
	now := time.Now()
	refused := func() float64 { return metricSum(s.do("GET", "/metrics", "", nil).raw, "atrium_rpc_refused_total") }
	before := refused()
	for _, c := range []struct {
		name   string
		opts   []client.Option
		reason string
	}{
		{"no token", nil, "missing"},
		{"an expired token", []client.Option{withToken(sign(t, keyNew, platform.ServiceName, now.Add(-time.Minute), buyer))}, "expired"},
		{"a token signed by another key", []client.Option{withToken(sign(t, servicetoken.Key{ID: keyNew.ID, Secret: "forged-key-0123456789abcdefghijklm"},
			platform.ServiceName, now, buyer))}, "signature"},
		{"a token for another audience", []client.Option{withToken(sign(t, keyNew, "atrium.other", now, buyer))}, "audience"},
		{"another caller's token", []client.Option{withToken(sign(t, keyNew, platform.ServiceName, now,
			servicetoken.Claims{Tenant: "bolt", User: "u1", Role: "buyer", Channel: "app"}))}, "caller_mismatch"},
		{"a buyer's token on an operator's call", []client.Option{withToken(sign(t, keyNew, platform.ServiceName, now,
			servicetoken.Claims{Tenant: "acme", User: "u1", Role: "admin", Channel: "app"}))}, "caller_mismatch"},
	} {
		was := metricSum(s.do("GET", "/metrics", "", nil).raw, "atrium_rpc_refused_total", `reason="`+c.reason+`"`)
		err := list(c.opts...)
		if got, _ := code(err); got != "auth.service_token_invalid" {
			t.Errorf("%s: %v; want auth.service_token_invalid", c.name, err)
		}
		if now := metricSum(s.do("GET", "/metrics", "", nil).raw, "atrium_rpc_refused_total", `reason="`+c.reason+`"`); now != was+1 {
			t.Errorf("%s: atrium_rpc_refused_total{reason=%q} went from %v to %v; want one more", c.name, c.reason, was, now)
		}
	}
	if got := refused() - before; got != 6 {
		t.Errorf("%v calls counted as refused; want 6", got)
	}
	// Rotation: a node still signing with the old key and one already on the new are both served.
	for _, key := range []servicetoken.Key{keyOld, keyNew} {
		signed, err := platform.SignedCalls(platform.RPCConfig{Auth: servicetoken.Config{Keys: []servicetoken.Key{key}}}, "tool")
		if err != nil {
			t.Fatal(err)
		}
		if err := list(signed...); err != nil {
			t.Errorf("a call signed with %s: %v", key.ID, err)
		}
	}

	// Without tokens, a trade node listens on loopback only (unless told the network is trusted).
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := platform.Defaults()
	cfg.DB = sqliteConfig(t)
	cfg.Sandbox.Secret, cfg.Sandbox.CallbackURL = sandboxSecret, "http://127.0.0.1:1/unused"
	_, err = platform.StartTrade(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), platform.TradeOptions{Listener: ln})
	if err == nil || !strings.Contains(err.Error(), "without service tokens") {
		t.Errorf("a trade node on %s without tokens: %v; want refused", ln.Addr(), err)
	}
}
