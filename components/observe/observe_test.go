package observe_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/atriumtrade/atrium/components/observe"
)

// TestExportsOverOTLPHTTP: with an endpoint, spans leave as OTLP/HTTP protobuf posts to
// <endpoint>/v1/traces (here a collector stand-in that only counts them); without one, tracing is off.
func TestExportsOverOTLPHTTP(t *testing.T) {
	var posts atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" && r.ContentLength != 0 {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	ctx := context.Background()
	tr, err := observe.New(ctx, observe.Config{Endpoint: collector.URL})
	if err != nil || !tr.On() {
		t.Fatalf("tracing with an endpoint: %v", err)
	}
	_, span := tr.Tracer("test").Start(ctx, "placed")
	span.End()
	if err := tr.Shutdown(ctx); err != nil { // flushes the batch
		t.Fatal(err)
	}
	if posts.Load() == 0 {
		t.Fatal("no span reached the collector")
	}
	if off, err := observe.New(ctx, observe.Config{}); err != nil || off.On() {
		t.Fatalf("tracing without an endpoint: %v", err)
	}
	if _, err := observe.New(ctx, observe.Config{Endpoint: "collector:4318"}); err == nil {
		t.Fatal("an endpoint without a scheme was accepted")
	}
}
