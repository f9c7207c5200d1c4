package platform

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/atriumtrade/atrium/components/mq"

	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/product-layer/audit/auditsql"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// tradeMetrics are the trade role's series: its RPC methods, the orders and events its
// transactions committed, what waits in the outbox and the timer queue, its database pools and
// extension scripts. In one process they are served on the gateway's /metrics; a trade role on
// its own serves them on metrics.addr.
type tradeMetrics struct {
	rpcRequests *prometheus.CounterVec
	rpcLatency  *prometheus.HistogramVec
	orders      *prometheus.CounterVec
	placed      *prometheus.CounterVec
	events      *prometheus.CounterVec
	backlog     backlog
}

func newTradeMetrics() *tradeMetrics {
	return &tradeMetrics{
		rpcRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_rpc_requests_total",
			Help: "RPC calls served by method and outcome code (ok, or the stable error code)."}, []string{"method", "code"}),
		rpcLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "atrium_rpc_request_duration_seconds",
			Help: "RPC latency by method.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"method"}),
		orders: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_orders_total",
			Help: "Orders entering a status, by flow (fixed_price, presale, cod) and status, counted when the transaction commits."}, []string{"flow", "status"}),
		// By tenant: the console's live numbers show operators their own tenant's intake. Tenants
		// are merchant platforms (tens to hundreds), not buyers: the series stay bounded.
		placed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_orders_placed_total",
			Help: "Orders placed, by tenant and flow, counted when the trade's transaction commits."}, []string{"tenant", "flow"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_events_total",
			Help: "Events written to the outbox by committed transactions, by topic."}, []string{"topic"}),
	}
}

// observeRPC counts and times every call with its outcome.
func (m *tradeMetrics) observeRPC() endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			start := time.Now()
			err := next(ctx, req, resp)
			method, code := "unknown", "ok"
			if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.Invocation() != nil {
				method = ri.Invocation().ServiceName() + "/" + ri.Invocation().MethodName()
				if biz := ri.Invocation().BizStatusErr(); biz != nil {
					code = biz.BizExtra()["code"]
				}
			}
			if err != nil && code == "ok" {
				code = "system.internal"
			}
			m.rpcRequests.WithLabelValues(method, code).Inc()
			m.rpcLatency.WithLabelValues(method).Observe(time.Since(start).Seconds())
			return err
		}
	}
}

// committed counts an event of a committed transaction, and the orders it is about.
func (m *tradeMetrics) committed(topic string, payload any) {
	m.events.WithLabelValues(topic).Inc()
	switch ev := payload.(type) {
	case trade.TradeCreated:
		for _, o := range ev.Orders {
			m.orders.WithLabelValues(o.Flow, o.Status).Inc()
			m.placed.WithLabelValues(ev.Tenant, o.Flow).Inc()
		}
	case trade.OrderEvent:
		m.orders.WithLabelValues(ev.Flow, ev.Status).Inc()
	}
}

// backlog is what waits, sampled from the database every few seconds (a scrape never queries):
// events not yet relayed and the oldest one's age, timers due and those overdue, stock holds.
type backlog struct {
	outbox, outboxAge, due, overdue, holds atomic.Int64
	// findings are the auditor's open findings by kind, over every tenant.
	findings atomic.Pointer[map[string]int64]
}

// backlogCap bounds each count: past it a gauge reads the cap (the queries stay cheap however
// far behind a node is).
const backlogCap = 100_000

// overdueAfter: a timer this late has missed many polls (the timer interval is about a second).
const overdueAfter = time.Minute

// backlogSources are where the backlog is read from.
type backlogSources struct {
	pods   []*dal.DB
	outbox *outbox.Writer
	timers *delay.Queue
	stock  *inventorysql.Store
	audit  *auditsql.Store
}

func (b *backlog) sample(ctx context.Context, src backlogSources, now time.Time) error {
	var out, due, overdue, holds int64
	var oldest time.Time
	findings := map[string]int64{}
	// Every pod's backlog, summed (each count is capped per pod).
	for _, p := range src.pods {
		pctx := p.Bind(ctx)
		n, old, err := src.outbox.Backlog(pctx, backlogCap)
		if err != nil {
			return fmt.Errorf("pod %s: %w", p.Name(), err)
		}
		out += n
		if !old.IsZero() && (oldest.IsZero() || old.Before(oldest)) {
			oldest = old
		}
		d, o, err := src.timers.Backlog(pctx, now, overdueAfter, backlogCap)
		if err != nil {
			return fmt.Errorf("pod %s: %w", p.Name(), err)
		}
		due, overdue = due+d, overdue+o
		h, err := src.stock.Holds(pctx, backlogCap)
		if err != nil {
			return fmt.Errorf("pod %s: %w", p.Name(), err)
		}
		holds += h
		f, err := src.audit.OpenByKind(pctx)
		if err != nil {
			return fmt.Errorf("pod %s: %w", p.Name(), err)
		}
		for k, v := range f {
			findings[k] += v
		}
	}
	b.outbox.Store(out)
	b.outboxAge.Store(0)
	if !oldest.IsZero() {
		// The outbox stamps events with the wall clock (the trade clock may be a test's).
		b.outboxAge.Store(max(0, time.Since(oldest).Milliseconds()))
	}
	b.due.Store(due)
	b.overdue.Store(overdue)
	b.holds.Store(holds)
	b.findings.Store(&findings)
	return nil
}

// sampleBacklog samples every interval until ctx ends.
func (m *tradeMetrics) sampleBacklog(ctx context.Context, src backlogSources, now func() time.Time, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := m.backlog.sample(ctx, src, now()); err != nil && ctx.Err() == nil {
			log.Warn("metrics: sampling the backlog", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var (
	extCallsDesc = prometheus.NewDesc("atrium_extension_calls_total",
		"Extension script calls by point and outcome (ok, failed: fail closed, fell_back: default used).", []string{"point", "outcome"}, nil)
	extErrorsDesc = prometheus.NewDesc("atrium_extension_errors_total",
		"Extension script calls that failed, by point and error code (extensions.budget_exceeded: a budget hit).", []string{"point", "code"}, nil)
	hotBatchesDesc = prometheus.NewDesc("atrium_inventory_hot_batches_total",
		"Transactions that reserved stock of hot SKUs (each locks the stock row once).", nil, nil)
	hotReservationsDesc = prometheus.NewDesc("atrium_inventory_hot_reservations_total",
		"Reservations of hot SKUs written by those batches (admitted or refused).", nil, nil)
	bidBatchesDesc = prometheus.NewDesc("atrium_auction_bid_batches_total",
		"Bid transactions (each locks its auction's row once).", nil, nil)
	bidBatchedDesc = prometheus.NewDesc("atrium_auction_bids_batched_total",
		"Bids placed by those transactions (accepted or refused on the locked row).", nil, nil)
	bidOutbidDesc = prometheus.NewDesc("atrium_auction_bids_outbid_on_node_total",
		"Bids refused as too low by the node's own copy of their auction, without the database.", nil, nil)
	mismatchDesc = prometheus.NewDesc("atrium_payment_callback_mismatch_total",
		"Provider reports refused because their amount or currency differs from what the platform asked for, by kind (payment: a callback; refund: an acceptance); each is kept and emitted as payment.mismatch.", []string{"kind"}, nil)
	holdsDesc = prometheus.NewDesc("atrium_inventory_holds",
		"Stock reservations held with an expiry, waiting for their order to confirm or cancel them (sampled; capped at 100000).", nil, nil)
	outboxDesc = prometheus.NewDesc("atrium_outbox_unpublished",
		"Events in the outbox not yet relayed to the broker (sampled; capped at 100000).", nil, nil)
	outboxAgeDesc = prometheus.NewDesc("atrium_outbox_oldest_unpublished_age_seconds",
		"Age of the oldest event not yet relayed (0: none waiting).", nil, nil)
	timersDueDesc = prometheus.NewDesc("atrium_timers_due",
		"Durable timers due and not yet run (sampled; capped at 100000).", nil, nil)
	timersOverdueDesc = prometheus.NewDesc("atrium_timers_overdue",
		"Durable timers due more than a minute ago and not yet run.", nil, nil)
	dbNodeUpDesc = prometheus.NewDesc("atrium_db_node_up",
		"Whether a database node answered its last check (every second), by pod and node.", []string{"pod", "node"}, nil)
	dbPrimaryDesc = prometheus.NewDesc("atrium_db_node_primary",
		"1 for the node a pod writes to (the writable one), by pod and node; a pod with no 1 refuses its writes.", []string{"pod", "node"}, nil)
	dbLagDesc = prometheus.NewDesc("atrium_db_replica_lag_seconds",
		"A replica's lag behind its primary, from its own replication status; absent while unknown (replication stopped).", []string{"pod", "node"}, nil)
	auditFindingsDesc = prometheus.NewDesc("atrium_audit_findings",
		"The auditor's open findings over every tenant, by kind (sampled; every kind, 0 when none is open).", []string{"kind"}, nil)
)

// tradeCollector reads the trade role's counters that live in its components.
type tradeCollector struct {
	t *Trade
}

func (c tradeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{extCallsDesc, extErrorsDesc, hotBatchesDesc, hotReservationsDesc, bidBatchesDesc, bidBatchedDesc,
		bidOutbidDesc, mismatchDesc, holdsDesc, outboxDesc, outboxAgeDesc, timersDueDesc, timersOverdueDesc, auditFindingsDesc,
		dbNodeUpDesc, dbPrimaryDesc, dbLagDesc} {
		ch <- d
	}
	refusedRPC.Describe(ch)
	c.t.metrics.rpcRequests.Describe(ch)
	c.t.metrics.rpcLatency.Describe(ch)
	c.t.metrics.orders.Describe(ch)
	c.t.metrics.placed.Describe(ch)
	c.t.metrics.events.Describe(ch)
	c.t.dbStats.Describe(ch)
	for _, m := range mq.Collectors() {
		m.Describe(ch)
	}
}

func (c tradeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range mq.Collectors() {
		m.Collect(ch)
	}
	for key, n := range c.t.Engine.Stats() {
		point, outcome, _ := strings.Cut(key, "|")
		ch <- prometheus.MustNewConstMetric(extCallsDesc, prometheus.CounterValue, float64(n), point, outcome)
	}
	for key, n := range c.t.Engine.ErrorStats() {
		point, code, _ := strings.Cut(key, "|")
		ch <- prometheus.MustNewConstMetric(extErrorsDesc, prometheus.CounterValue, float64(n), point, code)
	}
	batches, reservations := c.t.Inventory.HotStats()
	ch <- prometheus.MustNewConstMetric(hotBatchesDesc, prometheus.CounterValue, float64(batches))
	ch <- prometheus.MustNewConstMetric(hotReservationsDesc, prometheus.CounterValue, float64(reservations))
	bidBatches, batched, outbid := c.t.Auctions.BidStats()
	ch <- prometheus.MustNewConstMetric(bidBatchesDesc, prometheus.CounterValue, float64(bidBatches))
	ch <- prometheus.MustNewConstMetric(bidBatchedDesc, prometheus.CounterValue, float64(batched))
	ch <- prometheus.MustNewConstMetric(bidOutbidDesc, prometheus.CounterValue, float64(outbid))
	payments, refunds := c.t.Core.Mismatches()
	ch <- prometheus.MustNewConstMetric(mismatchDesc, prometheus.CounterValue, float64(payments), "payment")
	ch <- prometheus.MustNewConstMetric(mismatchDesc, prometheus.CounterValue, float64(refunds), "refund")
	b := &c.t.metrics.backlog
	ch <- prometheus.MustNewConstMetric(holdsDesc, prometheus.GaugeValue, float64(b.holds.Load()))
	ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(b.outbox.Load()))
	ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, float64(b.outboxAge.Load())/1000)
	ch <- prometheus.MustNewConstMetric(timersDueDesc, prometheus.GaugeValue, float64(b.due.Load()))
	ch <- prometheus.MustNewConstMetric(timersOverdueDesc, prometheus.GaugeValue, float64(b.overdue.Load()))
	if f := b.findings.Load(); f != nil {
		for _, kind := range auditsql.Kinds {
			ch <- prometheus.MustNewConstMetric(auditFindingsDesc, prometheus.GaugeValue, float64((*f)[kind]), kind)
		}
	}
	for _, p := range c.t.DB.Health() {
		for _, n := range p.Nodes {
			ch <- prometheus.MustNewConstMetric(dbNodeUpDesc, prometheus.GaugeValue, bool01(n.Up), p.Name, n.Addr)
			ch <- prometheus.MustNewConstMetric(dbPrimaryDesc, prometheus.GaugeValue, bool01(n.Primary), p.Name, n.Addr)
			if n.Up && n.ReadOnly && n.LagKnown {
				ch <- prometheus.MustNewConstMetric(dbLagDesc, prometheus.GaugeValue, n.Lag.Seconds(), p.Name, n.Addr)
			}
		}
	}
	refusedRPC.Collect(ch)
	c.t.metrics.rpcRequests.Collect(ch)
	c.t.metrics.rpcLatency.Collect(ch)
	c.t.metrics.orders.Collect(ch)
	c.t.metrics.placed.Collect(ch)
	c.t.metrics.events.Collect(ch)
	c.t.dbStats.Collect(ch)
}

// dbStatsCollector reports every pool of the database under one collector: "primary" and
// "replica" for SQLite, each MySQL node by its address, "<pod>." before them on several pods.
type dbStatsCollector []prometheus.Collector

func newDBStats(db *dal.DB) dbStatsCollector {
	var c dbStatsCollector
	pods := db.Pods()
	for _, p := range pods {
		prefix := ""
		if len(pods) > 1 {
			prefix = p.Name() + "."
		}
		for _, pool := range p.Pools() {
			c = append(c, collectors.NewDBStatsCollector(pool.Pool, prefix+pool.Name))
		}
	}
	return c
}

func (c dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, p := range c {
		p.Describe(ch)
	}
}

func (c dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c {
		p.Collect(ch)
	}
}

// Collector is the trade role's series, for the gateway's /metrics when both roles share a
// process.
func (t *Trade) Collector() prometheus.Collector { return tradeCollector{t} }

// ServeMetrics serves the trade role's own /metrics on addr, for a trade role running apart from
// the access role: its series, Sentinel's blocks, the toggles it rejected, the Go runtime and the
// process. Stop closes it.
func (t *Trade) ServeMetrics(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(t.Collector(), t.toggles.Guard.Collector(), t.toggles.Collector(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// Readiness of a trade node (a Kubernetes probe): it serves while its directory pod answers.
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := t.DB.PingContext(ctx); err != nil {
			http.Error(w, "not ready: the database does not answer", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	t.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = t.metricsSrv.Serve(ln) }()
	return ln.Addr(), nil
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
