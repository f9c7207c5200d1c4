// Package platform is the composition root shared by the atrium binary's commands and the
// component tests: it builds the trade role (database, capabilities, flows, Kitex server, timer
// worker) and the access role (Kitex client, Hertz gateway) by hand from one Config. Nothing here
// is a package-level singleton; every dependency is passed down.
package platform

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	rpc "github.com/atriumtrade/atrium/kitex_gen/trade"

	"github.com/atriumtrade/atrium/components/mq"
	"github.com/atriumtrade/atrium/components/rpctls"
	"github.com/atriumtrade/atrium/components/servicetoken"
	"github.com/atriumtrade/atrium/kitex_gen/trade/aftersaleadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/aftersales"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auctionadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auctions"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auditadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/catalogadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/codadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/deliveryadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/discountadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/extensionsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/frontendsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/groupbuys"
	"github.com/atriumtrade/atrium/kitex_gen/trade/limitsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/presaleadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/pricingadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/statsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradeintake"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradelifecycle"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradequeries"
	"github.com/atriumtrade/atrium/product-layer/audit/auditsql"
	"github.com/atriumtrade/atrium/product-layer/groupbuy"
	"github.com/atriumtrade/atrium/product-layer/groupbuy/groupbuysql"
	"github.com/atriumtrade/atrium/product-layer/stats"
	"github.com/atriumtrade/atrium/product-layer/stats/statssql"

	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/registry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/server"
	"github.com/cloudwego/kitex/transport"

	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/capability/aftersale/aftersalesql"
	"github.com/atriumtrade/atrium/capability/auction/auctionsql"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/delivery/deliverysql"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/discount/discountsql"
	"github.com/atriumtrade/atrium/capability/frontend/frontendsql"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/limits/limitssql"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/paymentsql"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/capability/pricing/pricingsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/idempotency"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/dal/readcache"
	"github.com/atriumtrade/atrium/components/discovery"
	"github.com/atriumtrade/atrium/components/guard"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/components/observe"
	"github.com/atriumtrade/atrium/components/toggles"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/extensions/extsql"
	"github.com/atriumtrade/atrium/extensions/luahost"
	"github.com/atriumtrade/atrium/idl/rpcerr"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/aftersale"
	"github.com/atriumtrade/atrium/product-layer/auction"
	"github.com/atriumtrade/atrium/product-layer/cod"
	"github.com/atriumtrade/atrium/product-layer/cod/codsql"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
	"github.com/atriumtrade/atrium/product-layer/presale"
	"github.com/atriumtrade/atrium/product-layer/presale/presalesql"
	"github.com/atriumtrade/atrium/product-layer/trade"
	"github.com/atriumtrade/atrium/product-layer/trade/tradesql"
	"github.com/atriumtrade/atrium/product-layer/tradesvc"
)

// ServiceName is the trade service's Kitex name.
const ServiceName = "atrium.trade"

func init() {
	// Kitex and Hertz log through their own loggers; keep them to warnings so that slog carries
	// the platform's own structured logs.
	klog.SetLevel(klog.LevelWarn)
	hlog.SetLevel(hlog.LevelWarn)
}

// Migrations is the schema of every component, in dependency order.
func Migrations() []dal.Migrations {
	return []dal.Migrations{dal.PlatformMigrations(), catalogsql.Migrations(), inventorysql.Migrations(), ordersql.Migrations(), tradesql.Migrations(),
		paymentsql.Migrations(), outbox.Migrations(), mq.Migrations(), delay.Migrations(), idempotency.Migrations(), extsql.Migrations(),
		frontendsql.Migrations(), discountsql.Migrations(), limitssql.Migrations(), deliverysql.Migrations(), pricingsql.Migrations(),
		presalesql.Migrations(), codsql.Migrations(), statssql.Migrations(), aftersalesql.Migrations(), auctionsql.Migrations(),
		groupbuysql.Migrations(), auditsql.Migrations()}
}

// runtimeToggles are the toggles every role declares and reads on each use (components/toggles).
type runtimeToggles struct {
	*toggles.Toggles
	UnpaidWindow toggles.Duration
	ReviewWindow toggles.Duration
	COD          toggles.Bool
	CacheTTL     toggles.Duration
	ExtWall      toggles.Duration
	ExtSteps     toggles.Int
	ExtSample    toggles.Int
	// SandboxSlow and SandboxDown are troubles of the sandbox payment provider, for campaigns
	// that try the platform against a slow or silent provider (atrium chaos).
	SandboxSlow toggles.Duration
	SandboxDown toggles.Duration
	// Guard is the process's Sentinel, loading the rule sets of these toggles.
	Guard *guard.Guard
	Rules guard.Rules
}

// newToggles declares the runtime toggles, the start-up configuration giving their defaults, and
// watches the toggles file until ctx ends.
func newToggles(ctx context.Context, cfg Config, log *slog.Logger) (*runtimeToggles, error) {
	t := toggles.New(log)
	rt := &runtimeToggles{Toggles: t,
		UnpaidWindow: t.Duration("trade.unpaidWindow", "How long a new trade may stay unpaid before it is cancelled (a pre-sale deposit: until the deposit window ends, if sooner)",
			cfg.Trade.UnpaidWindow, time.Second, 7*24*time.Hour),
		ReviewWindow: t.Duration("auction.reviewWindow", "How long operators have to decide an auction that auction.settle left for review, from its close, before it is settled unsold (a script may set its own)",
			auction.DefaultReviewWindow, time.Minute, auction.MaxReviewWindow),
		COD: t.Bool("cod.enabled", "Whether cash on delivery is offered at all (tenants.<tenant>.cod.enabled for one tenant); off overrides the tenant's COD rules",
			true, true),
		CacheTTL: t.Duration("cache.ttl", "How long a node keeps each tenant's promotions, limit rules, shipping templates and price lists (0: read them on every order)",
			min(max(cfg.Cache.TTL, 0), time.Hour), 0, time.Hour),
		ExtWall: t.Duration("extensions.wall", "The default time budget of one extension script call: the CPU time it spends where Linux measures it, its wall time bounded at ten times that plus 100ms (a point's own budget comes first)",
			min(max(cfg.Extensions.Wall, time.Millisecond), time.Second), time.Millisecond, time.Second),
		ExtSteps: t.Int("extensions.instructions", "The default instruction budget of one extension script call",
			extensions.DefaultBudget.Instructions, 1000, 100_000_000),
		ExtSample: t.Int("extensions.sampleDefault", "The share of calls that run a point's Go default, in basis points (10000: all), logged with their input and output so that a point's first script can be shadow-replayed; each costs a write with its order",
			0, 0, 10000),
		SandboxSlow: t.Duration("sandbox.slow", "How long the sandbox payment provider takes to answer each intent and refund request (0: at once)",
			0, 0, time.Minute),
		SandboxDown: t.Duration("sandbox.down", "While not 0, the sandbox payment provider does not answer: each intent and refund request hangs this long and fails",
			0, 0, time.Minute),
		Rules: guard.Declare(t),
	}
	g, err := guard.Setup(dataDir(cfg), log)
	if err != nil {
		return nil, err
	}
	rt.Guard = g
	g.Load(rt.Rules)
	if cfg.Toggles.Source == "apollo" {
		ac := cfg.Apollo
		if ac.BackupDir == "" {
			ac.BackupDir = filepath.Join(dataDir(cfg), "apollo")
		}
		if err := t.WatchApollo(ctx, ac); err != nil {
			return nil, err
		}
	} else if cfg.Toggles.File != "" {
		poll := cfg.Toggles.Poll
		if poll <= 0 {
			poll = time.Second
		}
		if err := t.WatchFile(ctx, cfg.Toggles.File, poll); err != nil {
			return nil, fmt.Errorf("toggles: %w", err)
		}
	}
	return rt, nil
}

// dataDir is where a node keeps its files (the SQLite database, Apollo's backup, Sentinel's logs).
func dataDir(cfg Config) string { return cmp.Or(cfg.DB.DataDir, "data") }

// Trade is a running trade role.
type Trade struct {
	// Broker is where the relay sends the outbox's events.
	Broker mq.Broker
	DB     *dal.DB
	// Core is the trade core every flow runs on; Flow the fixed-price flow.
	Core   *trade.Core
	Flow   *fixedprice.Flow
	Queue  *delay.Queue
	Engine *extensions.Engine
	Admin  *extensions.Admin
	// Inventory is the stock service, whose hot batches the metrics report.
	Inventory *inventory.Service
	// Auctions is the auction flow, whose bid batches the metrics report.
	Auctions *auction.Flow
	// Sandbox is the sandbox payment provider (tests simulate its outages).
	Sandbox *sandboxpay.Provider
	svr     server.Server
	rpcLn   net.Listener
	toggles *runtimeToggles
	metrics *tradeMetrics
	dbStats dbStatsCollector
	// metricsSrv serves /metrics for a trade role on its own (ServeMetrics).
	metricsSrv *http.Server
	stop       context.CancelFunc
	wg         sync.WaitGroup
	errc       chan error
	log        *slog.Logger
	closed     bool
}

// TradeOptions are test and tool hooks.
type TradeOptions struct {
	// Listener serves RPC on ln instead of Config.RPC.Addr.
	Listener net.Listener
	// Now replaces the clock (tests move time forward).
	Now func() time.Time
	// Migrate, if set, reports each migration applied at start-up.
	Migrate dal.Progress
	// Middlewares wrap every RPC handler, outermost first (a test that must know when a handler
	// has returned).
	Middlewares []endpoint.Middleware
	// Tracing records the trade role's spans (RPC and SQL); default off.
	Tracing *observe.Tracing
}

type svcs = tradesvc.Services
type clients = gateway.Clients

// rpcServices are the trade node's services, each once (see rpcService): a flow with services of
// its own adds its row here.
var rpcServices = []rpcService{
	service(tradequeries.RegisterService, tradequeries.NewClient,
		func(h *svcs) rpc.TradeQueries { return h.Queries }, func(c *clients) *tradequeries.Client { return &c.Queries }),
	service(tradelifecycle.RegisterService, tradelifecycle.NewClient,
		func(h *svcs) rpc.TradeLifecycle { return h.Lifecycle }, func(c *clients) *tradelifecycle.Client { return &c.Lifecycle }),
	service(tradeintake.RegisterService, tradeintake.NewClient,
		func(h *svcs) rpc.TradeIntake { return h.Intake }, func(c *clients) *tradeintake.Client { return &c.Intake }),
	service(catalogadmin.RegisterService, catalogadmin.NewClient,
		func(h *svcs) rpc.CatalogAdmin { return h.CatalogAdmin }, func(c *clients) *catalogadmin.Client { return &c.Catalog }),
	service(deliveryadmin.RegisterService, deliveryadmin.NewClient,
		func(h *svcs) rpc.DeliveryAdmin { return h.DeliveryAdmin }, func(c *clients) *deliveryadmin.Client { return &c.Delivery }),
	service(pricingadmin.RegisterService, pricingadmin.NewClient,
		func(h *svcs) rpc.PricingAdmin { return h.PricingAdmin }, func(c *clients) *pricingadmin.Client { return &c.Pricing }),
	service(extensionsadmin.RegisterService, extensionsadmin.NewClient,
		func(h *svcs) rpc.ExtensionsAdmin { return h.ExtensionsAdmin }, func(c *clients) *extensionsadmin.Client { return &c.Extensions }),
	service(frontendsadmin.RegisterService, frontendsadmin.NewClient,
		func(h *svcs) rpc.FrontendsAdmin { return h.FrontendsAdmin }, func(c *clients) *frontendsadmin.Client { return &c.Frontends }),
	service(discountadmin.RegisterService, discountadmin.NewClient,
		func(h *svcs) rpc.DiscountAdmin { return h.DiscountAdmin }, func(c *clients) *discountadmin.Client { return &c.Discounts }),
	service(limitsadmin.RegisterService, limitsadmin.NewClient,
		func(h *svcs) rpc.LimitsAdmin { return h.LimitsAdmin }, func(c *clients) *limitsadmin.Client { return &c.Limits }),
	service(presaleadmin.RegisterService, presaleadmin.NewClient,
		func(h *svcs) rpc.PresaleAdmin { return h.PresaleAdmin }, func(c *clients) *presaleadmin.Client { return &c.Presales }),
	service(codadmin.RegisterService, codadmin.NewClient,
		func(h *svcs) rpc.CodAdmin { return h.CodAdmin }, func(c *clients) *codadmin.Client { return &c.CodRules }),
	service(statsadmin.RegisterService, statsadmin.NewClient,
		func(h *svcs) rpc.StatsAdmin { return h.StatsAdmin }, func(c *clients) *statsadmin.Client { return &c.Stats }),
	service(auditadmin.RegisterService, auditadmin.NewClient,
		func(h *svcs) rpc.AuditAdmin { return h.AuditAdmin }, func(c *clients) *auditadmin.Client { return &c.Audit }),
	service(aftersales.RegisterService, aftersales.NewClient,
		func(h *svcs) rpc.AfterSales { return h.AfterSales }, func(c *clients) *aftersales.Client { return &c.AfterSales }),
	service(aftersaleadmin.RegisterService, aftersaleadmin.NewClient,
		func(h *svcs) rpc.AfterSaleAdmin { return h.AfterSaleAdmin }, func(c *clients) *aftersaleadmin.Client { return &c.AfterSaleAdmin }),
	service(auctions.RegisterService, auctions.NewClient,
		func(h *svcs) rpc.Auctions { return h.Auctions }, func(c *clients) *auctions.Client { return &c.Auctions }),
	service(auctionadmin.RegisterService, auctionadmin.NewClient,
		func(h *svcs) rpc.AuctionAdmin { return h.AuctionAdmin }, func(c *clients) *auctionadmin.Client { return &c.AuctionAdmin }),
	service(groupbuys.RegisterService, groupbuys.NewClient, tradesvc.GroupBuysOf, func(c *clients) *groupbuys.Client { return &c.GroupBuys }),
}

// StartTrade opens and migrates the database, builds the trade service and serves it over Kitex.
func StartTrade(ctx context.Context, cfg Config, log *slog.Logger, o TradeOptions) (*Trade, error) {
	log = observe.Logger(log) // a line logged while handling a call names its trace and tenant
	// What the start opened is closed again, in reverse, if it fails part way: one stack instead
	// of a cleanup on every error path.
	var opened closers
	started := false
	defer func() {
		if !started {
			opened.close(log)
		}
	}()
	db, err := dal.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	opened.push(db.Close)
	if _, err := db.Migrate(ctx, Migrations(), o.Migrate); err != nil {
		return nil, err
	}
	ids, err := idgen.New(cfg.Node.ID)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	opened.push(func() error { stop(); return nil }) // the toggles' watcher ends with a start that failed
	tg, err := newToggles(runCtx, cfg, log)
	if err != nil {
		return nil, err
	}
	cfg.Trade.UnpaidWindowNow = tg.UnpaidWindow.Value
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sandbox, err := sandboxpay.New(cfg.Sandbox)
	if err != nil {
		return nil, err
	}
	sandbox.Troubles(func() (slow, down time.Duration) { return tg.SandboxSlow.Value(), tg.SandboxDown.Value() })
	queueOpts := []delay.Option{delay.WithClock(now), delay.WithLogger(log)}
	if cfg.Node.ID >= 0 { // a node with a stable id takes back, when it starts, the timers it was running when it stopped
		queueOpts = append(queueOpts, delay.WithOwner(fmt.Sprint("node-", cfg.Node.ID)))
	}
	queue := delay.New(db, func() string { return ids.NextString("J") }, queueOpts...)
	engine := newEngine(cfg, tg, log)
	extStore := extsql.New(db)
	loader := extensions.NewLoader(extStore, engine, log)
	if err := loader.Load(ctx); err != nil {
		return nil, fmt.Errorf("load extension publications: %w", err)
	}
	cat := catalogsql.New(db)
	stock := inventorysql.New(db)
	inv := inventory.NewService(stock)
	// What the order path reads of each tenant's configuration is cached for cfg.Cache.TTL.
	ttl, ttlNow := cfg.Cache.TTL, readcache.TTLFrom(tg.CacheTTL.Value)
	// A write through this node drops its cache entry here at once and, as a cache.invalidated
	// event, on every other node as soon as the event reaches it.
	caches := readcache.NewBus()
	discounts := discount.NewService(discountsql.NewCached(discountsql.New(db), ttl, ttlNow, readcache.Shared(caches, "discounts")), func(string) discount.Rules { return cfg.Discount })
	orders := ordersql.New(db)
	limitSvc := limits.NewService(limitssql.NewCached(limitssql.New(db), ttl, ttlNow, readcache.Shared(caches, "limits")), orders)
	shipping := delivery.NewService(deliverysql.NewCached(deliverysql.New(db), ttl, ttlNow, readcache.Shared(caches, "templates")))
	prices := pricing.NewPrices(pricingsql.NewCached(pricingsql.New(db), ttl, ttlNow, readcache.Shared(caches, "prices")))
	events := outbox.NewWriter(db, func() string { return ids.NextString("E") })
	metrics := newTradeMetrics()
	events.OnCommitted(metrics.committed)
	// Events leave through the relay; a broker that is down delays them and never an order.
	broker, err := mq.Open(ctx, cfg.MQ, db, log)
	if err != nil {
		return nil, err
	}
	opened.push(broker.Close)
	holder := relayHolder(cfg.Node)
	// One relay per pod: a pod that is down delays only its own events.
	var relays []*mq.Relay
	for _, p := range db.Pods() {
		relays = append(relays, mq.NewRelay(p, events, broker, cfg.MQ, holder, log))
	}
	orderStats := statssql.New(db, now)
	consumers := ownConsumers(broker, db, events, caches, holder, orderStats, log)
	// The trade core every flow runs on: one place plans and places carts, takes every payment and
	// reads and moves trades of every flow, dispatching on the trade's scenario to the flows that
	// register with it below.
	payments := paymentsql.New(db)
	core := trade.New(trade.Deps{Tx: db, Catalog: cat, Inventory: inv, Orders: orders, Payments: payments,
		Providers: []payment.Provider{guardedProvider{sandbox, tg.Guard}}, Outbox: events, Timers: queue,
		Idempotency: idempotency.New(db), IDs: ids, Now: now, Ext: engine, Runs: extStore, Discounts: discounts, Limits: limitSvc,
		Delivery: shipping, Prices: prices, Log: log, Instances: tradesql.New(db), Config: cfg.Trade})
	// The flows, each registered with the core as it is built.
	flow, err := fixedprice.New(fixedprice.Deps{Core: core, Tx: db, Inventory: inv, Orders: orders, Payments: payments, Timers: queue,
		Now: now})
	if err != nil {
		return nil, err
	}
	presales := presalesql.New(db)
	presaleFlow := presale.New(presale.Deps{Core: core, Campaigns: presales, Trades: presales, Tx: db, Orders: orders,
		Inventory: inv, Outbox: events, Timers: queue, Ext: engine, Now: now, Log: log})
	codStore := codsql.NewCached(codsql.New(db), ttl, ttlNow, readcache.Shared(caches, "cod"))
	codFlow := cod.New(cod.Deps{Core: core, Rules: codStore, Tx: db, Orders: orders, Inventory: inv, Payments: payments,
		Outbox: events, IDs: ids, Ext: engine, Enabled: tg.COD.For, Now: now, Log: log})
	auctions := auction.New(auction.Deps{Tx: db, Core: core, Auctions: auctionsql.New(db), Deposits: auctionsql.NewDeposits(db),
		Sales: auctionsql.NewSales(db), Catalog: cat, Inventory: inv, Orders: orders, Payments: payments, Outbox: events, Timers: queue,
		Idempotency: idempotency.New(db), IDs: ids, Ext: engine, ReviewWindow: tg.ReviewWindow.Value, Now: now, Log: log})
	groupBuys, err := groupbuy.New(groupbuy.Deps{Core: core, Tx: db, Store: groupbuysql.New(db), Catalog: cat, Orders: orders, Inventory: inv,
		Payments: payments, Outbox: events, Timers: queue, IDs: ids, Ext: engine, Now: now, Log: log})
	if err != nil {
		return nil, err
	}
	// After-sale works on the trades of every flow above, through the core.
	afterSales := aftersale.New(aftersale.Deps{Tx: db, Core: core, Store: aftersalesql.New(db), Orders: orders, Catalog: cat,
		Payments: payments, Outbox: events, Timers: queue, Idempotency: idempotency.New(db), IDs: ids, Ext: engine, Now: now, Log: log})
	core.RegisterTimers(queue.Handle)
	afterSales.RegisterTimers(queue.Handle)
	auditStore := auditsql.New(db)
	// The auditor's clock is the wall clock the ids are made on (its windows are ranges of them);
	// a test's trade clock only moves the timer.
	if err := scheduleAudits(ctx, cfg, db, queue, NewAuditor(cfg, db, time.Now, log), now, log); err != nil {
		return nil, err
	}
	admin := extensions.NewAdmin(extStore, engine, extensions.KnownScenarios(core.Known))
	handler, err := tradesvc.New(tradesvc.Deps{DB: db, Core: core,
		Faces: []tradesvc.Face{tradesvc.FixedPriceFace(flow), tradesvc.PresaleFace(presaleFlow), tradesvc.CODFace(codFlow),
			tradesvc.GroupBuyFace(groupBuys)},
		Catalog: cat, Inventory: inv, Simulator: sandbox, Ext: admin, Frontends: frontendsql.New(db), Discounts: discount.NewAdmin(discounts.Store()),
		Limits: limits.NewAdmin(limitSvc.Store()), Delivery: shipping, Prices: prices, Presales: presale.NewAdmin(presales, now), Presale: presaleFlow,
		CodRules: cod.NewAdmin(codStore, now), Stats: orderStats, Audit: auditStore, AfterSale: afterSales, Auctions: auctions,
		Journal: journal{events: events, timers: queue}})
	if err != nil {
		return nil, err
	}

	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.RPC.Addr); err != nil {
			return nil, fmt.Errorf("rpc listen: %w", err)
		}
	}
	opened.push(ln.Close)
	svr, err := serveRPC(cfg, o, ln, log, tg, metrics, db, handler)
	if err != nil {
		return nil, err
	}
	t := &Trade{rpcLn: ln, Broker: broker, DB: db, Core: core, Flow: flow, Queue: queue, Engine: engine, Inventory: inv, Auctions: auctions, Sandbox: sandbox, Admin: admin, svr: svr, stop: stop,
		toggles: tg, metrics: metrics, dbStats: newDBStats(db), errc: make(chan error, 1), log: log}
	t.spawn(
		func() { consumers.Run(runCtx) },
		// Every 5s, or each timer interval if longer (a node whose timers are off samples rarely).
		func() {
			metrics.sampleBacklog(runCtx, backlogSources{db.Pods(), events, queue, stock, auditStore}, now, max(5*time.Second, cfg.Node.TimerInterval), log)
		},
		func() { loader.Run(runCtx, cfg.Extensions.ReloadInterval) },
		func() {
			if err := svr.Run(); err != nil {
				t.errc <- fmt.Errorf("rpc server: %w", err)
			}
		},
	)
	// The background work of each pod runs on its own, bound to the pod: a pod that is down
	// delays only its own timers, events and sweeps.
	for i, p := range db.Pods() {
		podCtx, relay := p.Bind(runCtx), relays[i]
		t.spawn(
			func() { relay.Run(podCtx) },
			func() { expireHolds(podCtx, inv, now, cfg.Node.TimerInterval, log) },
			func() { closeUnregistered(podCtx, core, now, log) },
			func() { queue.Run(podCtx, cfg.Node.TimerInterval) },
		)
	}
	started = true
	return t, nil
}

// newEngine is the extension engine: Lua scripts run in luahost under the budgets the toggles set
// (read on each call), behind the scripts' admission guard.
func newEngine(cfg Config, tg *runtimeToggles, log *slog.Logger) *extensions.Engine {
	var hostOpts []luahost.Option
	if cfg.Extensions.Concurrency > 0 {
		hostOpts = append(hostOpts, luahost.WithConcurrency(cfg.Extensions.Concurrency))
	}
	hostOpts = append(hostOpts, luahost.WithBudgetFrom(func() extensions.Budget {
		return extensions.Budget{Wall: tg.ExtWall.Value(), Instructions: tg.ExtSteps.Value()}
	}))
	engine := extensions.NewEngine(luahost.New(extensions.Budget{Wall: cfg.Extensions.Wall}, hostOpts...), log)
	engine.SetGuard(guardScripts(tg.Guard))
	engine.SetDefaultSampling(tg.ExtSample.Value)
	return engine
}

// ownConsumers are Atrium's own consumers of its events: the order statistics the admin reads,
// and the other nodes' cache invalidations (a group of this node alone: every node sees each
// one). A cache change on this node is told to the others as a cache.invalidated event.
func ownConsumers(broker mq.Broker, db *dal.DB, events *outbox.Writer, caches *readcache.Bus, holder string, orderStats *statssql.Store, log *slog.Logger) *mq.Consumers {
	startedAt := time.Now()
	caches.OnInvalidate(func(ctx context.Context, name, tenant string) {
		// In the writer's context: inside its transaction if it has one (on SQLite's one
		// connection, a write of its own beside it would wait for it).
		if _, err := events.Append(ctx, topicCacheInvalidated, tenant, tenant, cacheInvalidated{Cache: name, Tenant: tenant, Node: holder}); err != nil {
			log.Warn("telling the other nodes of a cache change; they see it within cache.ttl", "cache", name, "err", err)
		}
	})
	consumers := mq.NewConsumers(broker, db, mq.DefaultRetry, log)
	consumers.Handle("cache-"+holder, mq.NodeGroup(holder), []string{topicCacheInvalidated}, func(ctx context.Context, env mq.Envelope) error {
		var ev cacheInvalidated
		if err := json.Unmarshal(env.Data, &ev); err != nil {
			return err
		}
		if ev.Node != holder && env.Time.After(startedAt.Add(-time.Minute)) { // older ones predate this node's caches
			caches.Apply(ev.Cache, ev.Tenant)
		}
		return nil
	})
	projection := stats.New(orderStats)
	consumers.Handle("order-stats", "order-stats", stats.Types, func(ctx context.Context, env mq.Envelope) error {
		return projection.Handle(ctx, env.Type, env.Data)
	})
	return consumers
}

// serveRPC is the trade node's Kitex server with every service registered (see rpcServices):
// on ln, with the error handler, metrics, tracing, admission and o's middlewares, registered in
// etcd when discovery is on.
func serveRPC(cfg Config, o TradeOptions, ln net.Listener, log *slog.Logger, tg *runtimeToggles, metrics *tradeMetrics, db *dal.DB, handler *tradesvc.Services) (server.Server, error) {
	errHandler := rpcerr.Server(log, classify(log))
	tracing := o.Tracing
	if tracing == nil {
		tracing = observe.Off()
	}
	if tracing.On() {
		db.Trace(tracing.Tracer("sql"))
	}
	opts := []server.Option{
		server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: ServiceName}),
		server.WithMetaHandler(transmeta.ServerTTHeaderHandler),
		// A handler's context ends with its caller's RPC timeout (carried in TTHeader): work
		// nobody waits for anymore stops at its next database call instead of queueing for a
		// connection behind fresh requests. Without it an overloaded node piles up abandoned
		// handlers until it runs out of file descriptors (seen in CI on SQLite under -race).
		server.WithEnableContextTimeout(true),
		server.WithExitWaitTime(10 * time.Second),
		// Every handler returns its error as it is; this is the one place it is made fit for
		// the wire.
		server.WithErrorHandler(errHandler),
		server.WithMiddleware(metrics.observeRPC()), // outermost: refusals are counted too
		server.WithMiddleware(traceServer(tracing)),
	}
	if cfg.RPC.TLS.On() { // mutual TLS, on Kitex's Go-net transport
		files, err := rpctls.Load(cfg.RPC.TLS)
		if err != nil {
			return nil, err
		}
		files.OnReload = func(err error) { log.Info("rpc: TLS certificates changed on disk", "loaded", err == nil, "err", err) }
		opts = append(opts, files.ServerOptions(ln)...)
	} else {
		opts = append(opts, server.WithListener(ln))
	}
	// The caller's service token, checked right after the span starts: before admission and
	// every handler.
	if cfg.RPC.Auth.On() {
		v, err := servicetoken.NewVerifier(cfg.RPC.Auth, ServiceName)
		if err != nil {
			return nil, err
		}
		opts = append(opts, server.WithMiddleware(verifyRPC(v, errHandler)))
	} else if !isLoopback(ln.Addr()) && !cfg.RPC.Insecure {
		return nil, fmt.Errorf("rpc: the trade node listens on %s, beyond loopback, without service tokens: anyone who reaches it "+
			"could act as any tenant's operator; set rpc.auth.keys (and the same on the access nodes), or rpc.insecure: true on a "+
			"network trusted as a whole", ln.Addr())
	}
	opts = append(opts, server.WithMiddleware(admitRPC(tg.Guard, errHandler)), server.WithMiddleware(actorRPC()))
	for _, mw := range o.Middlewares {
		opts = append(opts, server.WithMiddleware(mw))
	}
	if cfg.RPC.Etcd.On() { // the node registers itself, so that the access role finds it
		addr, err := discovery.Advertised(cfg.RPC.Advertise, ln.Addr())
		if err != nil {
			return nil, err
		}
		reg, err := cfg.RPC.Etcd.Registry(func(info *registry.Info) {
			log.Info("registered in etcd", "service", info.ServiceName, "addr", info.Addr.String())
		})
		if err != nil {
			return nil, err
		}
		opts = append(opts, server.WithRegistry(reg), server.WithRegistryInfo(&registry.Info{ServiceName: ServiceName, Addr: addr,
			SkipListenAddr: true, Tags: map[string]string{"node": relayHolder(cfg.Node)}}))
	}
	svr := server.NewServer(opts...)
	if err := registerServices(svr, handler); err != nil {
		return nil, fmt.Errorf("rpc services: %w", err)
	}
	return svr, nil
}

// spawn runs each of fns on a goroutine of the node's, which Stop waits for.
func (t *Trade) spawn(fns ...func()) {
	t.wg.Add(len(fns))
	for _, fn := range fns {
		go func() {
			defer t.wg.Done()
			fn()
		}()
	}
}

// closers is a start's undo stack.
type closers []func() error

func (c *closers) push(close func() error) { *c = append(*c, close) }

// close closes everything pushed, last first, logging what fails.
func (c closers) close(log *slog.Logger) {
	for i := len(c) - 1; i >= 0; i-- {
		if err := c[i](); err != nil {
			log.Warn("closing after a failed start", "err", err)
		}
	}
}

// topicCacheInvalidated: a node changed a tenant's cached configuration (promotions, limit
// rules, shipping templates, price lists, COD rules); the others drop their copy.
const topicCacheInvalidated = "cache.invalidated"

type cacheInvalidated struct {
	Cache  string `json:"cache"`
	Tenant string `json:"tenant"`
	Node   string `json:"node"`
}

// relayHolder names this node in the relay's lease: the host and the node id, so that a node
// restarted under the same id takes its lease back at once (with a random id, the process id:
// another process waits for the lease to expire).
func relayHolder(n NodeConfig) string {
	host, _ := os.Hostname()
	if n.ID >= 0 {
		return fmt.Sprintf("%s/node-%d", host, n.ID)
	}
	return fmt.Sprintf("%s/pid-%d", host, os.Getpid())
}

// expireHolds gives back, every interval, the stock of hot reservations whose order never
// committed (see inventory.Service.ReserveHot). Every trade node runs it; each expiry is a
// guarded update, so two nodes never give the same stock back twice.
func expireHolds(ctx context.Context, inv *inventory.Service, now func() time.Time, every time.Duration, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		got, err := inv.ExpireDue(ctx, now())
		if len(got) > 0 {
			log.Info("expired hot reservations whose order never committed", "count", len(got))
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("expire hot reservations", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Payments written but never registered with their provider (see trade.Core.CreatePayment) are
// closed once intentGrace has passed: long enough for any request still registering one to finish.
const (
	intentGrace = 2 * time.Minute
	intentSweep = 30 * time.Second
)

// closeUnregistered closes, every intentSweep, the payments a stopped node or a provider that
// never answered left without an intent. Every trade node runs it; each close is a guarded update
// under the payment's lock.
func closeUnregistered(ctx context.Context, core *trade.Core, now func() time.Time, log *slog.Logger) {
	tick := time.NewTicker(intentSweep)
	defer tick.Stop()
	for {
		n, err := core.CloseUnregistered(ctx, now().Add(-intentGrace), 100)
		if n > 0 {
			log.Info("closed payments whose intent was never registered with the provider", "count", n)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("close unregistered payments", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Err reports a fatal serving error.
func (t *Trade) Err() <-chan error { return t.errc }

// Addr is where the node's Kitex server listens.
func (t *Trade) Addr() net.Addr { return t.rpcLn.Addr() }

// Stop lets RPCs in flight finish, stops the timer worker between jobs, and closes the database.
func (t *Trade) Stop() error {
	if t.closed {
		return nil
	}
	t.closed = true
	err := t.svr.Stop()
	// A server stopped before its Run got as far as serving would serve on regardless (Kitex's
	// Stop only stops what Run already started): with its listener closed, that Run ends.
	t.rpcLn.Close()
	if t.metricsSrv != nil {
		err = errors.Join(err, t.metricsSrv.Close())
	}
	t.stop()
	t.wg.Wait()
	return errors.Join(err, t.Broker.Close(), t.DB.Close())
}

// classify turns what the trade server knows about infrastructure into business failures: a
// request whose caller gave up or whose transaction kept losing to others is unavailable (retry
// later), and a value too large for its column is the client's input refused (logged: a
// capability missed a bound).
func classify(log *slog.Logger) func(error) error {
	return func(err error) error {
		switch {
		case dal.IsUnavailable(err) && !hasKind(err): // a pod's primary down or being replaced: retry shortly
			return errors.Join(dal.ErrUnavailable, err)
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, dal.ErrContention):
			return errors.Join(errkind.ErrUnavailable, err)
		case dal.IsTooLarge(err):
			log.Warn("a value did not fit its column", "err", err)
			return errors.Join(dal.ErrValueTooLarge, err)
		}
		return err
	}
}

// hasKind reports whether err already says what it is (a stable code): a provider that could not
// be reached is the provider's failure, whatever network error it carries.
func hasKind(err error) bool {
	var k *errkind.Error
	return errors.As(err, &k)
}

// NewTradeClients dials the trade service's services, one Kitex client each: on the nodes
// registered in etcd if cfg.Etcd is set, else on cfg.Targets, else on the one node at hostPort.
func NewTradeClients(cfg RPCConfig, hostPort string, extra ...client.Option) (gateway.Clients, error) {
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	target, err := tradeNodes(cfg, hostPort)
	if err != nil {
		return gateway.Clients{}, err
	}
	opts := []client.Option{target,
		// TTHeader carries the service's name, by which the server picks the service.
		client.WithTransportProtocol(transport.TTHeaderFramed),
		client.WithMetaHandler(transmeta.ClientTTHeaderHandler),
		client.WithRPCTimeout(timeout),
		client.WithConnectTimeout(time.Second),
		// Every call returns its error as the platform's (a stable code, or system.unavailable):
		// converted here, once, for every caller.
		rpcerr.Client(),
	}
	if cfg.TLS.On() {
		files, err := rpctls.Load(cfg.TLS)
		if err != nil {
			return gateway.Clients{}, err
		}
		opts = append(opts, files.ClientOptions()...)
	}
	opts = append(opts, extra...)
	return dialServices(opts)
}

// tradeNodes is the client option that says which trade nodes to call (see NewTradeClients).
// With more than one, Kitex sends a call that could not connect to the node it picked (stopped,
// or dead and not yet out of etcd) to another: nothing was sent, so nothing runs twice. Nothing
// else is retried, since the calls that change trades are not all idempotent.
func tradeNodes(cfg RPCConfig, hostPort string) (client.Option, error) {
	switch {
	case cfg.Etcd.On():
		r, err := cfg.Etcd.Resolver()
		if err != nil {
			return client.Option{}, err
		}
		return client.WithResolver(r), nil
	case len(cfg.Targets) > 0:
		return client.WithHostPorts(cfg.Targets...), nil
	}
	return client.WithHostPorts(hostPort), nil
}

// Access is a running access role.
type Access struct {
	Gateway     *gateway.Gateway
	Client      gateway.Clients
	errc        chan error
	stopToggles context.CancelFunc
}

// AccessOptions are test hooks.
type AccessOptions struct {
	Listener net.Listener
	// RPCAddr overrides Config.RPC.Addr (a test's trade server on a random port).
	RPCAddr string
	// Tracing records the access role's spans (HTTP, RPC calls); default off.
	Tracing *observe.Tracing
}

// StartAccess dials the trade service and serves HTTP.
func StartAccess(cfg Config, log *slog.Logger, o AccessOptions) (*Access, error) {
	addr := cfg.RPC.Addr
	if o.RPCAddr != "" {
		addr = o.RPCAddr
	}
	tracing := o.Tracing
	if tracing == nil {
		tracing = observe.Off()
	}
	signed, err := SignedCalls(cfg.RPC, "access:"+relayHolder(cfg.Node))
	if err != nil {
		return nil, err
	}
	cli, err := NewTradeClients(cfg.RPC, addr, append(signed, client.WithMiddleware(traceClient(tracing)))...)
	if err != nil {
		return nil, err
	}
	tctx, stopToggles := context.WithCancel(context.Background())
	tg, err := newToggles(tctx, cfg, log)
	if err != nil {
		stopToggles()
		return nil, err
	}
	gopts := []gateway.Option{gateway.WithToggles(tg.Toggles), gateway.WithGuard(tg.Guard), gateway.WithTracing(tracing),
		gateway.WithEnums(enums())}
	if o.Listener != nil {
		gopts = append(gopts, gateway.WithListener(o.Listener))
	}
	gw, err := gateway.New(cfg.HTTP, cli, log, gopts...)
	if err != nil {
		stopToggles()
		return nil, err
	}
	rctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	if err := gw.RefreshFrontends(rctx); err != nil {
		log.Warn("front-end registrations not loaded yet; retrying in the background", "err", err)
	}
	cancel()
	a := &Access{Gateway: gw, Client: cli, errc: make(chan error, 1), stopToggles: stopToggles}
	go func() {
		if err := gw.Run(); err != nil {
			a.errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	return a, nil
}

// Err reports a fatal serving error.
func (a *Access) Err() <-chan error { return a.errc }

// Stop lets requests in flight finish.
func (a *Access) Stop(ctx context.Context) error {
	defer a.stopToggles()
	return a.Gateway.Shutdown(ctx)
}

// isLoopback reports whether addr is on a loopback interface only.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
