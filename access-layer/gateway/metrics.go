package gateway

import (
	"context"
	"strconv"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the gateway's Prometheus series, on a registry of its own (no globals).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_http_requests_total",
			Help: "HTTP requests by route and status."}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "atrium_http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"method", "route"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_http_errors_total",
			Help: "HTTP requests answered with an error, by route and stable error code."}, []string{"method", "route", "code"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.errors, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry lets the composition root add other components' collectors to /metrics.
func (g *Gateway) Registry() *prometheus.Registry { return g.metrics.registry }

// errorCodeKey holds the stable code of the error a request was answered with.
const errorCodeKey = "atrium.errorCode"

func (m *metrics) middleware(ctx context.Context, c *app.RequestContext) {
	start := time.Now()
	c.Next(ctx)
	r := c.FullPath()
	if r == "" {
		r = "unmatched" // never label by raw path: unbounded cardinality
	}
	method := string(c.Request.Method())
	m.requests.WithLabelValues(method, r, strconv.Itoa(c.Response.StatusCode())).Inc()
	if code := c.GetString(errorCodeKey); code != "" {
		m.errors.WithLabelValues(method, r, code).Inc()
	}
	m.latency.WithLabelValues(method, r).Observe(time.Since(start).Seconds())
}
