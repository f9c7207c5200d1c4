package platform_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// startNode runs a trade node on SQLite and dials its services, as an access node does.
func startNode(t *testing.T) gateway.Clients { return startNodeWith(t, nil) }

// startNodeWith is startNode with its configuration changed by configure.
func startNodeWith(t *testing.T, configure func(*platform.Config)) gateway.Clients {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := platform.Defaults()
	cfg.DB = dal.Config{Driver: "sqlite", DataDir: t.TempDir()}
	cfg.Sandbox.Secret = "sandbox-secret-0123456789"
	cfg.Sandbox.CallbackURL = "http://127.0.0.1:1/unused"
	cfg.Node.ID = 9
	if configure != nil {
		configure(&cfg)
	}
	tr, err := platform.StartTrade(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), platform.TradeOptions{Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Stop() })
	c, err := platform.NewTradeClients(cfg.RPC, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	rpcAdmin = &trade.Caller{Tenant: "acme", UserId: "ops", Role: "admin", Channel: "admin"}
	rpcBuyer = &trade.Caller{Tenant: "acme", UserId: "u1", Role: "buyer", Channel: "app"}
)

// code is the stable code and kind an error crossed the wire with.
func code(err error) (string, errkind.Kind) {
	e, _ := errkind.Describe(err)
	return e.Code(), e.Kind()
}

// The RPC face's own tests: the services called as an access node calls them, without HTTP.

// TestEveryServiceOnOneServer: each service the IDL declares answers on the one Kitex server,
// with its handler's DTO mapping; a business error crosses as its code and kind.
func TestEveryServiceOnOneServer(t *testing.T) {
	c := startNode(t)
	ctx := context.Background()
	if r, err := c.Queries.Ping(ctx, &trade.PingRequest{}); err != nil || !r.Ready {
		t.Fatalf("ping: %v %v", r, err)
	}
	price := int64(1990)
	sku, err := c.Catalog.UpsertSKU(ctx, &trade.UpsertSKURequest{Caller: rpcAdmin, SkuId: "tea", Title: "Tea", SellerId: "s1",
		Price: &trade.Money{Amount: price, Currency: "CNY"}, Tags: []string{"fresh"}})
	if err != nil || sku.SkuId != "tea" || sku.Price.Amount != price || len(sku.Tags) != 1 {
		t.Fatalf("upsert sku: %v %v", sku, err)
	}
	onHand := int64(5)
	if st, err := c.Catalog.SetStock(ctx, &trade.SetStockRequest{Caller: rpcAdmin, SkuId: "tea", WarehouseId: "wh1", OnHand: &onHand}); err != nil ||
		st.Levels[0].Available != 5 {
		t.Fatalf("set stock: %v %v", st, err)
	}
	q, err := c.Intake.Quote(ctx, &trade.QuoteRequest{Caller: rpcBuyer, Items: []*trade.Item{{SkuId: "tea", Quantity: 2}}})
	if err != nil || q.Payable.Amount != 2*price || len(q.Groups) != 1 {
		t.Fatalf("quote: %v %v", q, err)
	}
	addr := &trade.Address{Name: "Li Lei", Phone: "13800000000", Country: "CN", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}
	tr, err := c.Intake.PlaceOrder(ctx, &trade.PlaceOrderRequest{Caller: rpcBuyer, Items: []*trade.Item{{SkuId: "tea", Quantity: 2}},
		Address: addr, IdempotencyKey: "k1"})
	if err != nil || tr.State != "awaiting_payment" || len(tr.Orders) != 1 || tr.Orders[0].Status != "pending_payment" || tr.Orders[0].Paid {
		t.Fatalf("place: %v %v", tr, err)
	}
	got, err := c.Queries.GetTrade(ctx, &trade.TradeRef{Caller: rpcBuyer, TradeId: tr.TradeId})
	if err != nil || got.Total.Amount != 2*price || got.Flow != "fixed_price" {
		t.Fatalf("get trade: %v %v", got, err)
	}
	if o, err := c.Lifecycle.CancelOrder(ctx, &trade.CancelOrderRequest{Caller: rpcBuyer, OrderId: tr.Orders[0].OrderId}); err != nil || o.Status != "cancelled" {
		t.Fatalf("cancel: %v %v", o, err)
	}
	if rules, err := c.CodRules.GetCodRules(ctx, &trade.GetCodRulesRequest{Caller: rpcAdmin}); err != nil || rules.Enabled {
		t.Fatalf("cod rules: %v %v", rules, err)
	}
	cq, err := c.Intake.Quote(ctx, &trade.QuoteRequest{Caller: rpcBuyer, Flow: "cod", Items: []*trade.Item{{SkuId: "tea", Quantity: 1}},
		Destination: &trade.Address{Province: "Zhejiang", City: "Hangzhou"}})
	if err != nil || cq.Cod == nil || cq.Cod.Available || cq.Cod.Reason != "cod.disabled" {
		t.Fatalf("cod quote: %v %v", cq, err)
	}
	if _, err := c.Intake.Quote(ctx, &trade.QuoteRequest{Caller: rpcBuyer, Flow: "presale", PresaleId: "none", Items: []*trade.Item{{SkuId: "tea", Quantity: 1}}}); err == nil {
		t.Fatal("a quote in a campaign that does not exist")
	} else if got, kind := code(err); got != "presale.campaign_not_found" || kind != errkind.NotFound {
		t.Fatalf("unknown campaign: %s %s", got, kind)
	}
	for name, call := range map[string]func() error{
		"delivery": func() error {
			_, err := c.Delivery.ListShippingTemplates(ctx, &trade.ListShippingTemplatesRequest{Caller: rpcAdmin})
			return err
		},
		"pricing": func() error {
			_, err := c.Pricing.ListPriceLists(ctx, &trade.ListPriceListsRequest{Caller: rpcAdmin})
			return err
		},
		"extensions": func() error {
			_, err := c.Extensions.ListExtensionPoints(ctx, &trade.ListPointsRequest{Caller: rpcAdmin})
			return err
		},
		"frontends": func() error {
			_, err := c.Frontends.ListFrontends(ctx, &trade.ListFrontendsRequest{Caller: rpcAdmin})
			return err
		},
		"discounts": func() error {
			_, err := c.Discounts.ListPromotions(ctx, &trade.ListPromotionsRequest{Caller: rpcAdmin})
			return err
		},
		"limits": func() error {
			_, err := c.Limits.ListLimitRules(ctx, &trade.ListLimitRulesRequest{Caller: rpcAdmin})
			return err
		},
		"presales": func() error {
			_, err := c.Presales.GetPresale(ctx, &trade.PresaleRef{Caller: rpcAdmin, Id: "none"})
			if got, _ := code(err); got == "presale.campaign_not_found" {
				return nil
			}
			return err
		},
	} {
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestServicesRefuseWhatIsNotTheirs: a buyer calling an operator's service is forbidden, an
// operator placing an order is too, a flow's service refuses a request naming another flow, and
// a caller without a tenant is unauthenticated; each answer is a stable code and kind, and
// nothing is written.
func TestServicesRefuseWhatIsNotTheirs(t *testing.T) {
	c := startNode(t)
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
		code string
		kind errkind.Kind
	}{
		{"buyer sets stock", func() error {
			n := int64(1)
			_, err := c.Catalog.SetStock(ctx, &trade.SetStockRequest{Caller: rpcBuyer, SkuId: "tea", WarehouseId: "wh1", OnHand: &n})
			return err
		}, "auth.forbidden", errkind.Forbidden},
		{"buyer sets cod rules", func() error {
			_, err := c.CodRules.PutCodRules(ctx, &trade.PutCodRulesRequest{Caller: rpcBuyer, Rules: &trade.CodRules{Enabled: true, Currency: "CNY"}})
			return err
		}, "auth.forbidden", errkind.Forbidden},
		{"operator places an order", func() error {
			_, err := c.Intake.PlaceOrder(ctx, &trade.PlaceOrderRequest{Caller: rpcAdmin, Items: []*trade.Item{{SkuId: "tea", Quantity: 1}}})
			return err
		}, "auth.forbidden", errkind.Forbidden},
		{"a flow that does not exist", func() error {
			_, err := c.Intake.Quote(ctx, &trade.QuoteRequest{Caller: rpcBuyer, Flow: "barter", Items: []*trade.Item{{SkuId: "tea", Quantity: 1}}})
			return err
		}, "trade.unknown_flow", errkind.Invalid},
		{"a flow that takes no carts", func() error {
			_, err := c.Intake.PlaceOrder(ctx, &trade.PlaceOrderRequest{Caller: rpcBuyer, Flow: "auction", Items: []*trade.Item{{SkuId: "tea", Quantity: 1}}})
			return err
		}, "trade.unknown_flow", errkind.Invalid},
		{"no tenant", func() error {
			_, err := c.Queries.GetOrder(ctx, &trade.OrderRef{Caller: &trade.Caller{Role: "buyer", UserId: "u1"}, OrderId: "O1"})
			return err
		}, "auth.unauthenticated", errkind.Unauthenticated},
		{"unknown order", func() error {
			_, err := c.Queries.GetOrder(ctx, &trade.OrderRef{Caller: rpcBuyer, OrderId: "O404"})
			return err
		}, "order.not_found", errkind.NotFound},
		{"bad cod rules", func() error {
			_, err := c.CodRules.PutCodRules(ctx, &trade.PutCodRulesRequest{Caller: rpcAdmin, Rules: &trade.CodRules{Enabled: true}})
			return err
		}, "cod.invalid_rules", errkind.Invalid},
	}
	for _, tc := range cases {
		err := tc.call()
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if got, kind := code(err); got != tc.code || kind != tc.kind {
			t.Errorf("%s: %s (%s); want %s (%s): %v", tc.name, got, kind, tc.code, tc.kind, err)
		}
	}
	if rules, err := c.CodRules.GetCodRules(ctx, &trade.GetCodRulesRequest{Caller: rpcAdmin}); err != nil || rules.Enabled {
		t.Fatalf("refused writes changed the rules: %v %v", rules, err)
	}
}
