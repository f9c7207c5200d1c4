package platform

import (
	"context"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/utils"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/atriumtrade/atrium/components/observe"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// The Kitex adapters of tracing: the access role's client span per call, whose context crosses
// in TTHeader as transient metainfo (traceparent, tracestate, baggage), and the trade role's
// server span per call, carrying the caller's tenant and the request's flow, trade and order.
// (kitex-contrib/obs-opentelemetry does this too, but pins an OpenTelemetry of its own; these
// few lines keep one.)

// metaCarrier reads and writes the trace context as metainfo.
type metaCarrier struct{ ctx *context.Context }

func (c metaCarrier) Get(key string) string {
	v, _ := metainfo.GetValue(*c.ctx, key)
	return v
}
func (c metaCarrier) Set(key, value string) { *c.ctx = metainfo.WithValue(*c.ctx, key, value) }
func (c metaCarrier) Keys() []string {
	var keys []string
	for k := range metainfo.GetAllValues(*c.ctx) {
		keys = append(keys, k)
	}
	return keys
}

func methodOf(ctx context.Context) string {
	if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.Invocation() != nil {
		return ri.Invocation().ServiceName() + "/" + ri.Invocation().MethodName()
	}
	return "unknown"
}

// traceClient makes each call a client span and sends its context along.
func traceClient(t *observe.Tracing) endpoint.Middleware {
	tracer := t.Tracer("rpc")
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
				return next(ctx, req, resp) // no trace to continue (a probe, a tool)
			}
			ctx, span := tracer.Start(ctx, methodOf(ctx), trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("rpc.system", "kitex")))
			defer span.End()
			observe.Propagator.Inject(ctx, metaCarrier{&ctx})
			err := next(ctx, req, resp)
			endRPC(ctx, span, err)
			return err
		}
	}
}

// traceServer continues the caller's trace in a server span per call.
func traceServer(t *observe.Tracing) endpoint.Middleware {
	tracer := t.Tracer("rpc")
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			ctx = observe.Propagator.Extract(ctx, metaCarrier{&ctx})
			ctx, span := tracer.Start(ctx, methodOf(ctx), trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("rpc.system", "kitex")))
			defer span.End()
			if args, ok := req.(utils.KitexArgs); ok {
				ctx = annotate(ctx, span, args.GetFirstArgument())
			}
			err := next(ctx, req, resp)
			if res, ok := resp.(utils.KitexResult); ok {
				if tr, ok := res.GetResult().(*trade.Trade); ok && tr != nil {
					span.SetAttributes(observe.TradeID.String(tr.TradeId))
				}
			}
			endRPC(ctx, span, err)
			return err
		}
	}
}

// annotate puts what a request names on its span and on the log lines of its handling: the
// tenant, the flow, the trade or order.
func annotate(ctx context.Context, span trace.Span, req any) context.Context {
	var logArgs []any
	if r, ok := req.(interface{ GetCaller() *trade.Caller }); ok && r.GetCaller() != nil {
		span.SetAttributes(observe.Tenant.String(r.GetCaller().Tenant))
		logArgs = append(logArgs, "tenant", r.GetCaller().Tenant)
	}
	if r, ok := req.(interface{ GetFlow() string }); ok {
		flow := r.GetFlow()
		if flow == "" {
			flow = "fixed_price"
		}
		span.SetAttributes(observe.Flow.String(flow))
		logArgs = append(logArgs, "flow", flow)
	}
	if r, ok := req.(interface{ GetTradeId() string }); ok && r.GetTradeId() != "" {
		span.SetAttributes(observe.TradeID.String(r.GetTradeId()))
		logArgs = append(logArgs, "tradeId", r.GetTradeId())
	}
	if r, ok := req.(interface{ GetOrderId() string }); ok && r.GetOrderId() != "" {
		span.SetAttributes(observe.OrderID.String(r.GetOrderId()))
		logArgs = append(logArgs, "orderId", r.GetOrderId())
	}
	if len(logArgs) == 0 {
		return ctx
	}
	return observe.WithLogAttrs(ctx, logArgs...)
}

func endRPC(ctx context.Context, span trace.Span, err error) {
	code := ""
	if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.Invocation() != nil {
		if biz := ri.Invocation().BizStatusErr(); biz != nil {
			code = biz.BizExtra()["code"]
		}
	}
	if err != nil && code == "" {
		code = "system.internal"
	}
	if code != "" {
		span.SetAttributes(attribute.String("atrium.error_code", code))
	}
	if err != nil {
		span.SetStatus(codes.Error, code)
	}
}
