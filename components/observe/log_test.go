package observe_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/atriumtrade/atrium/components/observe"
)

func TestLogLinesNameTheirTraceAndRequest(t *testing.T) {
	var b strings.Builder
	log := slog.New(observe.LogHandler(slog.NewJSONHandler(&b, nil)))
	ctx, span := sdktrace.NewTracerProvider().Tracer("t").Start(context.Background(), "req")
	defer span.End()
	ctx = observe.WithLogAttrs(ctx, "requestId", "r1")
	ctx = observe.WithLogAttrs(ctx, "tenant", "acme")
	log.InfoContext(ctx, "placed", "orderId", "o1")
	var line map[string]any
	if err := json.Unmarshal([]byte(b.String()), &line); err != nil {
		t.Fatal(err)
	}
	if line["traceId"] != span.SpanContext().TraceID().String() || line["requestId"] != "r1" || line["tenant"] != "acme" || line["orderId"] != "o1" {
		t.Fatalf("log line: %s", b.String())
	}
	b.Reset()
	log.Info("no context")
	if strings.Contains(b.String(), "traceId") {
		t.Fatalf("a line without a context: %s", b.String())
	}
}
