package readcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestExpiryAndInvalidation(t *testing.T) {
	clk := &clock{t: time.Now()}
	c := New[int](time.Second)
	c.now = clk.now
	ctx := context.Background()
	var loads atomic.Int64
	load := func(context.Context) (int, error) { return int(loads.Add(1)), nil }
	get := func() int {
		v, err := c.Get(ctx, "t1", load)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if first, second := get(), get(); first != 1 || second != 1 {
		t.Fatal("a second get within the TTL loaded again")
	}
	clk.advance(time.Second)
	if get() != 2 {
		t.Fatal("an expired entry was served")
	}
	c.Invalidate(context.Background(), "t1")
	if get() != 3 {
		t.Fatal("an invalidated entry was served")
	}
	if v, _ := c.Get(ctx, "t2", load); v != 4 {
		t.Fatalf("another key: %d", v)
	}
	// A failed load is not kept.
	if _, err := c.Get(ctx, "t3", func(context.Context) (int, error) { return 0, errors.New("down") }); err == nil {
		t.Fatal("load error lost")
	}
	if v, _ := c.Get(ctx, "t3", load); v != 5 {
		t.Fatalf("after a failed load: %d", v)
	}
}

func TestNoTTLAlwaysLoads(t *testing.T) {
	c := New[int](0)
	var loads atomic.Int64
	for i := 0; i < 3; i++ {
		if _, err := c.Get(context.Background(), "t1", func(context.Context) (int, error) { return int(loads.Add(1)), nil }); err != nil {
			t.Fatal(err)
		}
	}
	if loads.Load() != 3 {
		t.Fatalf("%d loads; want 3", loads.Load())
	}
}

// TestConcurrentGetsShareOneLoad: 200 requests arriving on an empty entry cause one read.
func TestConcurrentGetsShareOneLoad(t *testing.T) {
	c := New[int](time.Minute)
	var loads atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Get(context.Background(), "t1", func(context.Context) (int, error) {
				loads.Add(1)
				<-release
				return 42, nil
			})
			if err != nil || v != 42 {
				t.Errorf("get: %d %v", v, err)
			}
		}()
	}
	awaitWaiting(t, c, 200) // every caller is in before the load can finish
	close(release)
	wg.Wait()
	if loads.Load() != 1 {
		t.Fatalf("%d loads for 200 concurrent gets; want 1", loads.Load())
	}
}

// TestLoadBeforeInvalidationIsNotKept: a load that read before a write, and finishes after the
// write invalidated the key, must not be served afterwards.
func TestLoadBeforeInvalidationIsNotKept(t *testing.T) {
	c := New[string](time.Minute)
	ctx := context.Background()
	read, finish := make(chan struct{}), make(chan struct{})
	done := make(chan string)
	go func() {
		v, _ := c.Get(ctx, "t1", func(context.Context) (string, error) {
			close(read)
			<-finish
			return "old", nil
		})
		done <- v
	}()
	<-read
	c.Invalidate(context.Background(), "t1") // the write committed while the load was under way
	close(finish)
	if v := <-done; v != "old" {
		t.Fatalf("the loading caller got %q", v)
	}
	if v, _ := c.Get(ctx, "t1", func(context.Context) (string, error) { return "new", nil }); v != "new" {
		t.Fatalf("after the invalidation: %q; want new", v)
	}
}

// TestCallerCancelDoesNotFailOthers: the request that started a shared load may give up; the
// load goes on for the others.
func TestCallerCancelDoesNotFailOthers(t *testing.T) {
	c := New[int](time.Minute)
	release, started := make(chan struct{}), make(chan struct{}, 1)
	load := func(ctx context.Context) (int, error) {
		started <- struct{}{}
		select {
		case <-release:
			return 7, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	first, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.Get(first, "t1", load); errc <- err }()
	<-started // the first caller's load is under way
	other := make(chan int, 1)
	go func() { v, _ := c.Get(context.Background(), "t1", load); other <- v }()
	awaitWaiting(t, c, 2) // the other caller shares it
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller: %v", err)
	}
	close(release)
	if v := <-other; v != 7 {
		t.Fatalf("the other caller got %d; want 7", v)
	}
	select {
	case <-started:
		t.Fatal("the other caller loaded again instead of sharing the first load")
	default:
	}
}

// awaitWaiting returns once n callers wait on a load of c (at most 10 s).
func awaitWaiting[V any](t *testing.T, c *Cache[V], n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.waiting.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d callers waiting on the load after 10 s; want %d", c.waiting.Load(), n)
		}
	}
}

type inTx struct{}

// TestBypassLoadsOnTheCallersContextAndKeepsNothing: inside a transaction (here: a context
// value) Get loads on the caller's own context every time and stores nothing.
func TestBypassLoadsOnTheCallersContextAndKeepsNothing(t *testing.T) {
	c := New[string](time.Hour, BypassWhen(func(ctx context.Context) bool { return ctx.Value(inTx{}) != nil }))
	tx := context.WithValue(context.Background(), inTx{}, true)
	var loads atomic.Int64
	load := func(ctx context.Context) (string, error) {
		loads.Add(1)
		if ctx.Value(inTx{}) != nil {
			return "uncommitted", nil
		}
		return "committed", nil
	}
	for i := 0; i < 2; i++ {
		if v, _ := c.Get(tx, "t1", load); v != "uncommitted" {
			t.Fatalf("inside: %q", v)
		}
	}
	if v, _ := c.Get(context.Background(), "t1", load); v != "committed" {
		t.Fatalf("outside after the transaction: %q", v)
	}
	if loads.Load() != 3 {
		t.Fatalf("%d loads; want 3 (two bypassed, one kept)", loads.Load())
	}
}

// TestTTLFromIsReadOnEachGet: a TTL read from a runtime toggle caches while it is positive and
// stops caching as soon as it is 0.
func TestTTLFromIsReadOnEachGet(t *testing.T) {
	var ttl atomic.Int64
	ttl.Store(int64(time.Hour))
	c := New[int](0, TTLFrom(func() time.Duration { return time.Duration(ttl.Load()) }))
	var loads atomic.Int64
	get := func() {
		if _, err := c.Get(context.Background(), "t1", func(context.Context) (int, error) { return int(loads.Add(1)), nil }); err != nil {
			t.Fatal(err)
		}
	}
	get()
	get()
	if loads.Load() != 1 {
		t.Fatalf("%d loads under a 1h TTL; want 1", loads.Load())
	}
	ttl.Store(0)
	get()
	get()
	if loads.Load() != 3 {
		t.Fatalf("%d loads once the TTL is 0; want 3", loads.Load())
	}
}

// TestSharedCachesTellEachOther: an invalidation on a cache Shared on a bus is published once,
// and applying another node's drops the key from every cache of that name without publishing it
// again.
func TestSharedCachesTellEachOther(t *testing.T) {
	ctx := context.Background()
	bus := NewBus()
	var published []string
	bus.OnInvalidate(func(_ context.Context, name, key string) { published = append(published, name+"/"+key) })
	c := New[int](time.Hour, Shared(bus, "limits"))
	loads := 0
	load := func(context.Context) (int, error) { loads++; return loads, nil }
	if v, _ := c.Get(ctx, "acme", load); v != 1 {
		t.Fatalf("first load %d", v)
	}
	c.Invalidate(ctx, "acme")
	if v, _ := c.Get(ctx, "acme", load); v != 2 || len(published) != 1 || published[0] != "limits/acme" {
		t.Fatalf("after a local invalidation: %d, published %v", v, published)
	}
	if !bus.Apply("limits", "acme") || bus.Apply("prices", "acme") {
		t.Fatal("Apply reports whether a cache has the name")
	}
	if v, _ := c.Get(ctx, "acme", load); v != 3 || len(published) != 1 {
		t.Fatalf("after another node's invalidation: %d, published %v (must not echo it)", v, published)
	}
}
