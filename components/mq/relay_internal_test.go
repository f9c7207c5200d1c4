package mq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/outbox"
)

// recorder is a broker that keeps what it is sent and fails on request.
type recorder struct {
	mu     sync.Mutex
	got    []Envelope
	failAt map[string]int // event id -> how many more publishes of it fail
}

func (r *recorder) Name() string                                  { return "recorder" }
func (r *recorder) Topic(t string) string                         { return t }
func (r *recorder) headerPrefix() string                          { return "ce_" }
func (r *recorder) Publisher() message.Publisher                  { return nil }
func (r *recorder) Subscriber(string) (message.Subscriber, error) { return nil, errors.New("no") }
func (r *recorder) Close() error                                  { return nil }

func (r *recorder) Publish(_ context.Context, envs []Envelope) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, e := range envs {
		if r.failAt[e.ID] > 0 {
			r.failAt[e.ID]--
			return i, fmt.Errorf("broker refused %s", e.ID)
		}
		r.got = append(r.got, e)
	}
	return len(envs), nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.got {
		out = append(out, e.ID)
	}
	return out
}

func appendEvents(t *testing.T, db *dal.DB, w *outbox.Writer, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		if err := db.InTx(context.Background(), func(ctx context.Context) error {
			id, err := w.Append(ctx, "order.paid", "acme", fmt.Sprintf("T%d", i%3), map[string]int{"i": i})
			ids = append(ids, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func newWriter(db *dal.DB) *outbox.Writer {
	ids, _ := idgen.New(1)
	return outbox.NewWriter(db, func() string { return ids.NextString("E") })
}

// TestRelayStopsAtTheFirstFailure: the events before a refused one are published and marked, the
// refused one and everything after it wait (so no key's order breaks), its failure is recorded,
// and the next round goes on from it.
func TestRelayStopsAtTheFirstFailure(t *testing.T) {
	daltest.Each(t, []dal.Migrations{outbox.Migrations(), Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		w := newWriter(db)
		ids := appendEvents(t, db, w, 10)
		b := &recorder{failAt: map[string]int{ids[4]: 2}}
		r := NewRelay(db, w, b, Config{}, "n1", nil)
		if n, err := r.RelayOnce(ctx); n != 4 || err == nil {
			t.Fatalf("round 1: %d, %v; want 4 and the refusal", n, err)
		}
		pending, _ := w.PendingPrimary(ctx, 100)
		if len(pending) != 6 || pending[0].ID != ids[4] || pending[0].Attempts != 1 || pending[0].LastError != "broker refused "+ids[4] {
			t.Fatalf("after the refusal: %d pending, first %+v", len(pending), pending[0])
		}
		if n, err := r.RelayOnce(ctx); n != 0 || err == nil {
			t.Fatalf("round 2: %d, %v", n, err)
		}
		if n, err := r.RelayOnce(ctx); n != 6 || err != nil {
			t.Fatalf("round 3: %d, %v", n, err)
		}
		if got := b.ids(); fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Fatalf("published %v, want %v in order", got, ids)
		}
		if n, backlogOldest, err := w.Backlog(ctx, 100); n != 0 || !backlogOldest.IsZero() || err != nil {
			t.Fatalf("backlog after: %d %v %v", n, backlogOldest, err)
		}
	})
}

// TestOneRelayAtATime: of two nodes' relays only the lease holder publishes; when it stops, the
// other takes over without waiting for the lease to expire (a clean stop releases it), and when
// a holder dies, the other takes over once the lease expires.
func TestOneRelayAtATime(t *testing.T) {
	daltest.Each(t, []dal.Migrations{outbox.Migrations(), Migrations()}, func(t *testing.T, db *dal.DB) {
		w := newWriter(db)
		cfg := Config{Relay: RelayConfig{Poll: 10 * time.Millisecond, LeaseTTL: time.Second}}
		a, b := &recorder{}, &recorder{}
		ra, rb := NewRelay(db, w, a, cfg, "node-a", nil), NewRelay(db, w, b, cfg, "node-b", nil)
		ctxA, stopA := context.WithCancel(context.Background())
		doneA := make(chan struct{})
		go func() { defer close(doneA); ra.Run(ctxA) }()
		waitUntil(t, "node-a's lease", func() bool { return !ra.heldUntilSnapshot().IsZero() })
		ctxB, stopB := context.WithCancel(context.Background())
		doneB := make(chan struct{})
		go func() { defer close(doneB); rb.Run(ctxB) }()
		defer func() { stopB(); <-doneB }()

		first := appendEvents(t, db, w, 20)
		waitUntil(t, "node-a relaying 20", func() bool { return len(a.ids()) == 20 })
		if len(b.ids()) != 0 {
			t.Fatalf("node-b published %d events while node-a held the lease", len(b.ids()))
		}
		stopA()
		<-doneA
		second := appendEvents(t, db, w, 5)
		start := time.Now()
		waitUntil(t, "node-b taking over", func() bool { return len(b.ids()) == 5 })
		if fmt.Sprint(a.ids()) != fmt.Sprint(first) || fmt.Sprint(b.ids()) != fmt.Sprint(second) {
			t.Fatalf("a %v, b %v", a.ids(), b.ids())
		}
		t.Logf("node-b took over %s after node-a stopped", time.Since(start).Round(time.Millisecond))
	})
}

func (r *Relay) heldUntilSnapshot() time.Time {
	var until int64
	_ = r.db.Primary().QueryRow(`SELECT expires_at FROM mq_leases WHERE name = ? AND holder = ?`, leaseName, r.holder).Scan(&until)
	if until == 0 {
		return time.Time{}
	}
	return time.UnixMilli(until)
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
