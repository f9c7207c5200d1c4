package platform_test

import (
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/atriumtrade/atrium/components/observe"
)

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

// TestOneTraceFromHTTPToSQL: a placed order is one trace: the HTTP request's server span, the
// gateway's RPC client span under it, the trade role's server span under that, and the order's
// SQL statements under that; the spans name the tenant, the flow and the trade, and the error
// answer of another request carries its trace id as its requestId.
func TestOneTraceFromHTTPToSQL(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	s := startTraced(t, sqliteConfig(t), &clock{t: time.Now()}, nil, observe.Of(tp))
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	buyer := s.token("acme", "u1", "app", "buyer")
	exp.Reset()
	tr := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 1)), "Idempotency-Key", "t1"), 201, "place").data()
	tradeID := str(tr["tradeId"])

	spans := exp.GetSpans()
	byID := map[trace.SpanID]tracetest.SpanStub{}
	var http *tracetest.SpanStub
	for i, sp := range spans {
		byID[sp.SpanContext.SpanID()] = sp
		if sp.Name == "POST /app/v1/orders" {
			http = &spans[i]
		}
	}
	if http == nil {
		t.Fatalf("no span for the HTTP request among %d", len(spans))
	}
	if attr(*http, "atrium.tenant") != "acme" || attr(*http, "atrium.flow") != "fixed_price" || attr(*http, "atrium.trade_id") != tradeID ||
		attr(*http, "atrium.order_id") == "" || attr(*http, "http.response.status_code") != "201" {
		t.Fatalf("the HTTP span's attributes: %v", http.Attributes)
	}
	// Every span of the request is in its trace, and leads up to it.
	var client, server *tracetest.SpanStub
	var sqlUnderServer []string
	for i, sp := range spans {
		if sp.SpanContext.TraceID() != http.SpanContext.TraceID() {
			continue
		}
		switch {
		case sp.Name == "TradeIntake/PlaceOrder" && sp.SpanKind == trace.SpanKindClient:
			client = &spans[i]
		case sp.Name == "TradeIntake/PlaceOrder" && sp.SpanKind == trace.SpanKindServer:
			server = &spans[i]
		}
	}
	if client == nil || server == nil {
		t.Fatalf("RPC spans in the trace: client %v, server %v", client != nil, server != nil)
	}
	if client.Parent.SpanID() != http.SpanContext.SpanID() || server.Parent.SpanID() != client.SpanContext.SpanID() {
		t.Fatal("the RPC spans are not children of the HTTP span, then of the client span")
	}
	if attr(*server, "atrium.tenant") != "acme" || attr(*server, "atrium.flow") != "fixed_price" || attr(*server, "atrium.trade_id") != tradeID {
		t.Fatalf("the RPC server span's attributes: %v", server.Attributes)
	}
	for _, sp := range spans {
		if !strings.HasPrefix(sp.Name, "SQL ") {
			continue
		}
		// a statement's span is under the server span (directly, or under another statement's)
		for p := sp.Parent.SpanID(); p.IsValid(); p = byID[p].Parent.SpanID() {
			if p == server.SpanContext.SpanID() {
				sqlUnderServer = append(sqlUnderServer, attr(sp, "db.statement"))
				break
			}
		}
	}
	joined := strings.Join(sqlUnderServer, "\n")
	for _, want := range []string{"INSERT INTO trades", "INSERT INTO orders", "INSERT INTO outbox_events"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("no SQL span %q under the RPC server span; got:\n%s", want, joined)
		}
	}

	// An error's requestId is its trace id.
	exp.Reset()
	r := s.do("GET", "/app/v1/orders/nope", buyer, nil)
	found := false
	for _, sp := range exp.GetSpans() {
		if sp.Name == "GET /app/v1/orders/:orderId" && sp.SpanContext.TraceID().String() == str(r.body["requestId"]) {
			found = attr(sp, "atrium.error_code") == "order.not_found"
		}
	}
	if !found {
		t.Fatalf("the error answer %s does not name its trace", r.raw)
	}
}
