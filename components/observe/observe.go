// Package observe sets up OpenTelemetry tracing: one tracer provider per process, exporting over
// OTLP/HTTP when an endpoint is configured (off by default), W3C trace context and baggage for
// propagation, and the names of the attributes every layer puts on its spans.
//
// The spans themselves come from the adapters: the gateway's Hertz middleware (one server span
// per request), the platform's Kitex middlewares (client and server spans, the context carried in
// TTHeader), and the data access layer (one span per SQL statement).
package observe

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Config is the otel section.
type Config struct {
	// Endpoint is the OTLP/HTTP collector (http://otel-collector:4318); empty: no tracing.
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the share of new traces recorded (default 1; a request that arrives with a
	// sampled trace context is always recorded).
	SampleRatio float64 `yaml:"sampleRatio"`
	// ServiceName names this process in traces (default atrium).
	ServiceName string `yaml:"serviceName"`
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("otel: endpoint must be an http(s) URL, not %q", c.Endpoint)
		}
	}
	if c.SampleRatio < 0 || c.SampleRatio > 1 {
		return errors.New("otel: sampleRatio must be between 0 and 1")
	}
	return nil
}

// Attribute keys Atrium's spans carry.
const (
	Tenant  = attribute.Key("atrium.tenant")
	Flow    = attribute.Key("atrium.flow")
	TradeID = attribute.Key("atrium.trade_id")
	OrderID = attribute.Key("atrium.order_id")
)

// Propagator carries trace context and baggage between the roles.
var Propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Tracing is a process's tracer provider.
type Tracing struct {
	Provider trace.TracerProvider
	shutdown func(context.Context) error
}

// Off is no tracing: spans cost nothing and are not recorded.
func Off() *Tracing {
	return &Tracing{Provider: noop.NewTracerProvider(), shutdown: func(context.Context) error { return nil }}
}

// On reports whether spans are recorded (an exporter or a test's provider).
func (t *Tracing) On() bool {
	_, off := t.Provider.(noop.TracerProvider)
	return !off
}

// New returns the tracing cfg asks for: Off without an endpoint, else a provider batching spans to
// the OTLP/HTTP endpoint.
func New(ctx context.Context, cfg Config) (*Tracing, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Endpoint == "" {
		return Off(), nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(cfg.Endpoint+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	ratio := cfg.SampleRatio
	if ratio == 0 {
		ratio = 1
	}
	name := cfg.ServiceName
	if name == "" {
		name = "atrium"
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(2*time.Second)),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))))
	return &Tracing{Provider: tp, shutdown: tp.Shutdown}, nil
}

// Of wraps a provider made elsewhere (a test's, with an in-memory exporter).
func Of(tp trace.TracerProvider) *Tracing {
	return &Tracing{Provider: tp, shutdown: func(context.Context) error { return nil }}
}

// Shutdown flushes what is still batched.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }

// Tracer is the named tracer of one layer.
func (t *Tracing) Tracer(name string) trace.Tracer {
	return t.Provider.Tracer("github.com/atriumtrade/atrium/" + name)
}
