package gateway

import (
	"context"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	dto "github.com/prometheus/client_model/go"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// The console's live numbers come from this node's own Prometheus registry (the gateway's series,
// and in one process the trade role's): a sampler keeps about a minute of snapshots of the
// series it reads, and GET /admin/v1/live compares now with the oldest. A fleet's numbers are
// Prometheus's and Grafana's (configs/grafana); the console shows the node that serves it.
// Orders are the caller's tenant's only; route health, script budget hits, Sentinel blocks and
// the outbox are the node's.

const (
	liveEvery   = 5 * time.Second
	liveSamples = 13 // a minute between the oldest and the newest
	liveRoutes  = 25 // the busiest routes shown
)

// liveSample is what the registry held at one moment, for the series the live view reads.
type liveSample struct {
	at       time.Time
	counters map[string]float64 // family|label values → value
	gauges   map[string]float64
	// buckets are the latency histograms by route: cumulative counts per upper bound.
	buckets map[string][]bucket
}

type bucket struct {
	upper float64
	count float64
}

func key(family string, labels ...string) string { return family + "|" + strings.Join(labels, "|") }

// liveSampler keeps the last minute of samples.
type liveSampler struct {
	gather func() ([]*dto.MetricFamily, error)
	now    func() time.Time
	mu     sync.Mutex
	ring   []liveSample
}

func labelValues(m *dto.Metric, names ...string) []string {
	out := make([]string, len(names))
	for _, lp := range m.GetLabel() {
		for i, n := range names {
			if lp.GetName() == n {
				out[i] = lp.GetValue()
			}
		}
	}
	return out
}

// liveLabels are the labels of the families the live view reads, in key order.
var liveLabels = map[string][]string{
	"atrium_http_requests_total":    {"method", "route", "status"},
	"atrium_orders_placed_total":    {"tenant", "flow"},
	"atrium_extension_errors_total": {"point", "code"},
	"atrium_sentinel_blocked_total": {"resource", "type"},
}

func (l *liveSampler) sample(now time.Time) (liveSample, error) {
	fams, err := l.gather()
	if err != nil {
		return liveSample{}, err
	}
	s := liveSample{at: now, counters: map[string]float64{}, gauges: map[string]float64{}, buckets: map[string][]bucket{}}
	for _, f := range fams {
		name := f.GetName()
		switch {
		case liveLabels[name] != nil:
			for _, m := range f.GetMetric() {
				s.counters[key(name, labelValues(m, liveLabels[name]...)...)] += m.GetCounter().GetValue()
			}
		case name == "atrium_outbox_unpublished" || name == "atrium_outbox_oldest_unpublished_age_seconds" || name == "atrium_timers_overdue":
			for _, m := range f.GetMetric() {
				s.gauges[name] = m.GetGauge().GetValue()
			}
		case name == "atrium_http_request_duration_seconds":
			for _, m := range f.GetMetric() {
				lv := labelValues(m, "method", "route")
				h := m.GetHistogram()
				bs := make([]bucket, 0, len(h.GetBucket())+1)
				for _, b := range h.GetBucket() {
					bs = append(bs, bucket{upper: b.GetUpperBound(), count: float64(b.GetCumulativeCount())})
				}
				s.buckets[lv[0]+" "+lv[1]] = append(bs, bucket{upper: math.Inf(1), count: float64(h.GetSampleCount())})
			}
		}
	}
	return s, nil
}

// run samples every liveEvery until ctx ends.
func (l *liveSampler) run(ctx context.Context) {
	t := time.NewTicker(liveEvery)
	defer t.Stop()
	for {
		if s, err := l.sample(l.now()); err == nil {
			l.mu.Lock()
			l.ring = append(l.ring, s)
			if len(l.ring) > liveSamples {
				l.ring = l.ring[len(l.ring)-liveSamples:]
			}
			l.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *liveSampler) oldest() (liveSample, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ring) == 0 {
		return liveSample{}, false
	}
	return l.ring[0], true
}

type liveRouteView struct {
	Route     string  `json:"route"`
	PerMinute float64 `json:"perMinute"`
	// ErrorRate is the share answered 5xx; ClientErrorRate the share answered 4xx.
	ErrorRate       float64 `json:"errorRate"`
	ClientErrorRate float64 `json:"clientErrorRate"`
	P99Seconds      float64 `json:"p99Seconds"`
}

// liveView is a minute of this node's numbers.
type liveView struct {
	At            string  `json:"at"`
	WindowSeconds float64 `json:"windowSeconds"`
	// OrdersPerMinute are the caller's tenant's orders placed on this node, by flow.
	OrdersPerMinute      map[string]float64 `json:"ordersPerMinute"`
	OrdersPerMinuteTotal float64            `json:"ordersPerMinuteTotal"`
	RequestsPerMinute    float64            `json:"requestsPerMinute"`
	ErrorRate            float64            `json:"errorRate"`
	Routes               []liveRouteView    `json:"routes"`
	// BudgetHits are script calls stopped by their budget, by point (every tenant's on the node).
	BudgetHits      map[string]int64 `json:"budgetHits"`
	BudgetHitsTotal int64            `json:"budgetHitsTotal"`
	// Blocked are the calls Sentinel refused, by resource.
	Blocked          map[string]int64 `json:"blocked"`
	OutboxPending    int64            `json:"outboxPending"`
	OutboxLagSeconds float64          `json:"outboxLagSeconds"`
	TimersOverdue    int64            `json:"timersOverdue"`
}

// p99 of the observations between two cumulative histograms, interpolated in its bucket as
// Prometheus's histogram_quantile does.
func p99(old, now []bucket) float64 {
	if len(now) == 0 {
		return 0
	}
	delta := make([]float64, len(now))
	for i := range now {
		delta[i] = now[i].count
		if i < len(old) {
			delta[i] -= old[i].count
		}
	}
	total := delta[len(delta)-1]
	if total <= 0 {
		return 0
	}
	rank := 0.99 * total
	lower, below := 0.0, 0.0
	for i, b := range now {
		if delta[i] >= rank {
			if math.IsInf(b.upper, 1) {
				return lower
			}
			in := delta[i] - below
			if in <= 0 {
				return b.upper
			}
			return lower + (b.upper-lower)*(rank-below)/in
		}
		lower, below = b.upper, delta[i]
	}
	return lower
}

// liveOf compares two samples for tenant.
func liveOf(old, now liveSample, tenant string) liveView {
	window := now.at.Sub(old.at).Seconds()
	perMin := func(d float64) float64 {
		if window <= 0 {
			return 0
		}
		return math.Round(d/window*60*10) / 10
	}
	v := liveView{At: now.at.UTC().Format(time.RFC3339), WindowSeconds: math.Round(window), OrdersPerMinute: map[string]float64{},
		BudgetHits: map[string]int64{}, Blocked: map[string]int64{}, Routes: []liveRouteView{},
		OutboxPending: int64(now.gauges["atrium_outbox_unpublished"]), OutboxLagSeconds: now.gauges["atrium_outbox_oldest_unpublished_age_seconds"],
		TimersOverdue: int64(now.gauges["atrium_timers_overdue"])}
	type routeCount struct{ all, server, client float64 }
	routes := map[string]*routeCount{}
	var orders, all, server float64
	for k, n := range now.counters {
		d := n - old.counters[k]
		if d <= 0 {
			continue
		}
		parts := strings.Split(k, "|")
		switch parts[0] {
		case "atrium_orders_placed_total":
			if parts[1] == tenant {
				v.OrdersPerMinute[parts[2]] += d
				orders += d
			}
		case "atrium_http_requests_total":
			r := routes[parts[1]+" "+parts[2]]
			if r == nil {
				r = &routeCount{}
				routes[parts[1]+" "+parts[2]] = r
			}
			r.all += d
			all += d
			switch parts[3][0] {
			case '5':
				r.server += d
				server += d
			case '4':
				r.client += d
			}
		case "atrium_extension_errors_total":
			if parts[2] == extBudgetCode {
				v.BudgetHits[parts[1]] += int64(d)
				v.BudgetHitsTotal += int64(d)
			}
		case "atrium_sentinel_blocked_total":
			v.Blocked[parts[1]] += int64(d)
		}
	}
	for f, d := range v.OrdersPerMinute {
		v.OrdersPerMinute[f] = perMin(d)
	}
	v.OrdersPerMinuteTotal, v.RequestsPerMinute = perMin(orders), perMin(all)
	if all > 0 {
		v.ErrorRate = server / all
	}
	for name, r := range routes {
		v.Routes = append(v.Routes, liveRouteView{Route: name, PerMinute: perMin(r.all), ErrorRate: r.server / r.all, ClientErrorRate: r.client / r.all,
			P99Seconds: p99(old.buckets[name], now.buckets[name])})
	}
	sort.Slice(v.Routes, func(i, j int) bool {
		if v.Routes[i].PerMinute != v.Routes[j].PerMinute {
			return v.Routes[i].PerMinute > v.Routes[j].PerMinute
		}
		return v.Routes[i].Route < v.Routes[j].Route
	})
	if len(v.Routes) > liveRoutes {
		v.Routes = v.Routes[:liveRoutes]
	}
	return v
}

// extBudgetCode is the code of a script call stopped by its budget.
const extBudgetCode = "extensions.budget_exceeded"

func (g *Gateway) liveRoutes(ch *channel) {
	g.add(route{Method: "GET", Path: ch.prefix + "/live", Channel: ch, Auth: true,
		Summary: "This node's last minute: the tenant's orders per minute by flow, requests, error rate and p99 by route, " +
			"script budget hits, Sentinel blocks, the outbox's backlog and lag (from the node's own metrics)",
		Response: liveView{}}, g.serve(ch, g.live))
}

func (g *Gateway) live(_ context.Context, c *app.RequestContext) (int, any, error) {
	cl := callerOf(c)
	if cl == nil || cl.Role != roleAdmin {
		return 0, nil, errkind.WithDetail(errkind.ErrForbidden, "this operation is for operators")
	}
	now, err := g.sampler.sample(g.sampler.now())
	if err != nil {
		return 0, nil, err
	}
	old, ok := g.sampler.oldest()
	if !ok {
		old = now
	}
	return http.StatusOK, liveOf(old, now, cl.Tenant), nil
}
