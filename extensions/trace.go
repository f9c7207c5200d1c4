package extensions

import (
	"context"
	"sync"
)

// Record is one script call made for a request: which version ran, on what, and how it ended.
// Flows persist the records of an order with the order, so an operator can see which scripts
// decided it and replay any of them.
type Record struct {
	Point string
	// Binding is the version that ran; empty for a sampled call of the point's default (see
	// Runtime.SampleDefault), logged so that a first script has calls to be shadow-replayed on.
	Binding Binding
	// BizCode and Scenario are the call's business identity: which scopes' publications would
	// apply to it.
	BizCode  string
	Scenario string
	Outcome  Outcome
	Input    []byte
	Previous []byte
	Output   []byte
	Error    string
}

// Trace collects the records of one request.
type Trace struct {
	mu      sync.Mutex
	records []Record
}

type traceKey struct{}

// WithTrace returns a context that collects records into a new Trace.
func WithTrace(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{}
	return context.WithValue(ctx, traceKey{}, t), t
}

func record(ctx context.Context, r Record) {
	if t, ok := ctx.Value(traceKey{}).(*Trace); ok {
		t.mu.Lock()
		t.records = append(t.records, r)
		t.mu.Unlock()
	}
}

// Records returns what was collected.
func (t *Trace) Records() []Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Record(nil), t.records...)
}
