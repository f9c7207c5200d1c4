package gateway

import (
	"math"
	"testing"
	"time"
)

func TestP99FromHistogramDeltas(t *testing.T) {
	inf := math.Inf(1)
	old := []bucket{{0.01, 100}, {0.1, 100}, {1, 100}, {inf, 100}}
	cases := []struct {
		name string
		now  []bucket
		want float64
	}{
		{"nothing new", old, 0},
		// 100 new observations: 98 under 10 ms, 2 between 0.1 s and 1 s: the 99th is halfway
		// into that bucket.
		{"a slow tail", []bucket{{0.01, 198}, {0.1, 198}, {1, 200}, {inf, 200}}, 0.55},
		{"all fast", []bucket{{0.01, 200}, {0.1, 200}, {1, 200}, {inf, 200}}, 0.0099},
		// Past the last bound the quantile is that bound: a histogram says no more.
		{"off the scale", []bucket{{0.01, 100}, {0.1, 100}, {1, 100}, {inf, 200}}, 1},
	}
	for _, c := range cases {
		if got := p99(old, c.now); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: got %v; want %v", c.name, got, c.want)
		}
	}
}

// TestLiveNumbers: rates over the window between two samples; orders are the caller's tenant's
// only; error rate is the 5xx share; budget hits are only the budget's errors.
func TestLiveNumbers(t *testing.T) {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	old := liveSample{at: at, counters: map[string]float64{
		key("atrium_orders_placed_total", "acme", "fixed_price"):                                 10,
		key("atrium_http_requests_total", "POST", "/app/v1/orders", "201"):                       50,
		key("atrium_extension_errors_total", "pricing.unit_price", "extensions.budget_exceeded"): 1,
	}, gauges: map[string]float64{}, buckets: map[string][]bucket{}}
	now := liveSample{at: at.Add(30 * time.Second), counters: map[string]float64{
		key("atrium_orders_placed_total", "acme", "fixed_price"):                                 40, // +30 in 30 s
		key("atrium_orders_placed_total", "acme", "cod"):                                         5,
		key("atrium_orders_placed_total", "other", "fixed_price"):                                900,
		key("atrium_http_requests_total", "POST", "/app/v1/orders", "201"):                       140, // +90
		key("atrium_http_requests_total", "POST", "/app/v1/orders", "503"):                       6,
		key("atrium_http_requests_total", "POST", "/app/v1/orders", "409"):                       4,
		key("atrium_http_requests_total", "GET", "/admin/v1/live", "200"):                        1,
		key("atrium_extension_errors_total", "pricing.unit_price", "extensions.budget_exceeded"): 4,
		key("atrium_extension_errors_total", "pricing.unit_price", "extensions.script_failed"):   7,
		key("atrium_sentinel_blocked_total", "POST /app/v1/orders", "flow"):                      3,
	}, gauges: map[string]float64{"atrium_outbox_unpublished": 12, "atrium_outbox_oldest_unpublished_age_seconds": 1.5},
		buckets: map[string][]bucket{}}
	v := liveOf(old, now, "acme")
	if v.WindowSeconds != 30 || v.OrdersPerMinute["fixed_price"] != 60 || v.OrdersPerMinute["cod"] != 10 || v.OrdersPerMinuteTotal != 70 {
		t.Errorf("orders: window %v, %v total %v; want 30 s, fixed_price 60 and cod 10 a minute, 70 in all (acme's only)",
			v.WindowSeconds, v.OrdersPerMinute, v.OrdersPerMinuteTotal)
	}
	if len(v.Routes) != 2 || v.Routes[0].Route != "POST /app/v1/orders" || v.Routes[0].PerMinute != 200 ||
		v.Routes[0].ErrorRate != 0.06 || v.Routes[0].ClientErrorRate != 0.04 {
		t.Errorf("routes: %+v; want the orders route first at 200 a minute, 6%% 5xx and 4%% 4xx", v.Routes)
	}
	if v.BudgetHitsTotal != 3 || v.BudgetHits["pricing.unit_price"] != 3 || v.Blocked["POST /app/v1/orders"] != 3 {
		t.Errorf("budget hits %v, blocked %v; want 3 each", v.BudgetHits, v.Blocked)
	}
	if v.OutboxPending != 12 || v.OutboxLagSeconds != 1.5 {
		t.Errorf("outbox: %d waiting, %v s; want 12 and 1.5", v.OutboxPending, v.OutboxLagSeconds)
	}
	if first := liveOf(now, now, "acme"); first.OrdersPerMinuteTotal != 0 || first.RequestsPerMinute != 0 {
		t.Errorf("with no window yet: %+v; want zeros", first)
	}
}
