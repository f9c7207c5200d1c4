package gateway

import (
	"context"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/protocol"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/atriumtrade/atrium/components/observe"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// WithTracing makes each request a server span (named by its route), continuing the trace
// context the client sent (traceparent, baggage) and handing it to the RPCs the request makes; the
// span carries the tenant, the flow and the trade and orders it placed. A request without its own
// X-Request-ID gets its trace id as its request id, so an error's requestId finds its trace.
func WithTracing(t *observe.Tracing) Option { return func(o *options) { o.tracing = t } }

// headerCarrier adapts Hertz's request headers to OpenTelemetry's propagators.
type headerCarrier struct{ h *protocol.RequestHeader }

func (c headerCarrier) Get(key string) string { return string(c.h.Peek(key)) }
func (c headerCarrier) Set(key, value string) { c.h.Set(key, value) }
func (c headerCarrier) Keys() []string {
	var keys []string
	c.h.VisitAll(func(k, _ []byte) { keys = append(keys, string(k)) })
	return keys
}

func (g *Gateway) traceRequest(ctx context.Context, c *app.RequestContext) {
	ctx = observe.Propagator.Extract(ctx, headerCarrier{&c.Request.Header})
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	method := string(c.Request.Method())
	ctx, span := g.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("http.route", route)))
	defer span.End()
	c.Next(ctx)
	status := c.Response.StatusCode()
	span.SetAttributes(attribute.Int("http.response.status_code", status), attribute.String("atrium.request_id", requestIDOf(c)))
	if code := c.GetString(errorCodeKey); code != "" {
		span.SetAttributes(attribute.String("atrium.error_code", code))
	}
	if status >= 500 {
		span.SetStatus(codes.Error, c.GetString(errorCodeKey))
	}
	if cl := callerOf(c); cl != nil {
		span.SetAttributes(observe.Tenant.String(cl.Tenant))
	}
}

// traceFlow names the flow of a quote or an order on the request's span.
func traceFlow(ctx context.Context, flow string) {
	if flow == "" {
		flow = "fixed_price"
	}
	trace.SpanFromContext(ctx).SetAttributes(observe.Flow.String(flow))
}

// tracePlaced names the trade and orders a request placed on its span.
func tracePlaced(ctx context.Context, t *trade.Trade) {
	ids := make([]string, 0, len(t.Orders))
	for _, o := range t.Orders {
		ids = append(ids, o.OrderId)
	}
	trace.SpanFromContext(ctx).SetAttributes(observe.TradeID.String(t.TradeId), observe.OrderID.StringSlice(ids))
}
