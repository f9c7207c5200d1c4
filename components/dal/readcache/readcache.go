// Package readcache keeps what a tenant's rarely written configuration reads return (promotions,
// limit rules, shipping templates, price lists) for a short time, so that the order path does not
// read each of them from the database on every order. On a flash sale those reads cost more than
// the order's own writes.
//
// Each entry lives for the TTL. A write through the same node invalidates its key at once; a
// cache Shared on a Bus also tells the other nodes, which drop the key as soon as the message
// reaches them (the platform carries it as a cache.invalidated event), and the TTL bounds how
// stale a node that missed it can be. Loads of one key are shared (singleflight),
// so an expiry under load costs one read, not one per request in flight, and a load that started
// before an invalidation never stores what it read.
//
// Written by hand because it is small and none of the modules this project pins offers a
// generic TTL map with shared loads and invalidation generations; golang.org/x/sync's
// singleflight does the sharing.
package readcache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache maps keys (a tenant, or a tenant and a currency) to values of type V.
type Cache[V any] struct {
	ttl     time.Duration
	ttlNow  func() time.Duration
	bypass  func(context.Context) bool
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]entry[V]
	gen     map[string]uint64
	group   singleflight.Group
	// waiting counts callers waiting on a load (tests wait for it instead of sleeping).
	waiting atomic.Int64
	bus     *Bus
	name    string
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// loadTimeout bounds a shared load. The load belongs to no request: it runs on a context of its
// own, so the request that started it neither cancels it for the others nor lends it its
// transaction (a cached read never sees another request's uncommitted writes).
const loadTimeout = 5 * time.Second

// New returns a cache whose entries live for ttl; ttl <= 0 caches nothing (every Get loads).
func New[V any](ttl time.Duration, opts ...Option) *Cache[V] {
	c := &Cache[V]{ttl: ttl, now: time.Now, entries: map[string]entry[V]{}, gen: map[string]uint64{}}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	c.bypass, c.ttlNow = o.bypass, o.ttlNow
	if o.bus != nil {
		c.bus, c.name = o.bus, o.name
		o.bus.register(o.name, c.drop)
	}
	return c
}

// Option configures a Cache.
type Option func(*options)

type options struct {
	bypass func(context.Context) bool
	ttlNow func() time.Duration
	bus    *Bus
	name   string
}

// Shared puts the cache on bus under name: its invalidations are published, and invalidations
// of name from other nodes drop its keys.
func Shared(bus *Bus, name string) Option { return func(o *options) { o.bus, o.name = bus, name } }

// Bus connects a node's caches to the other nodes' (the platform publishes what OnInvalidate
// hands it and applies what arrives with Apply).
type Bus struct {
	mu      sync.RWMutex
	caches  map[string][]func(key string)
	publish func(ctx context.Context, name, key string)
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{caches: map[string][]func(string){}} }

// OnInvalidate sets what a local invalidation of cache name's key calls, with the writer's
// context (set it before the caches are used).
func (b *Bus) OnInvalidate(fn func(ctx context.Context, name, key string)) {
	b.mu.Lock()
	b.publish = fn
	b.mu.Unlock()
}

// Apply drops key from every cache named name on this node, as another node asked; it reports
// whether any cache has that name.
func (b *Bus) Apply(name, key string) bool {
	b.mu.RLock()
	fns := b.caches[name]
	b.mu.RUnlock()
	for _, f := range fns {
		f(key)
	}
	return len(fns) > 0
}

func (b *Bus) register(name string, drop func(string)) {
	b.mu.Lock()
	b.caches[name] = append(b.caches[name], drop)
	b.mu.Unlock()
}

func (b *Bus) published(ctx context.Context, name, key string) {
	b.mu.RLock()
	fn := b.publish
	b.mu.RUnlock()
	if fn != nil {
		fn(ctx, name, key)
	}
}

// TTLFrom reads the TTL on each Get from f instead of New's (the runtime toggle cache.ttl): 0
// stops caching at once; a new TTL applies to entries loaded from then on.
func TTLFrom(f func() time.Duration) Option { return func(o *options) { o.ttlNow = f } }

func (c *Cache[V]) lifetime() time.Duration {
	if c.ttlNow != nil {
		return c.ttlNow()
	}
	return c.ttl
}

// BypassWhen makes Get load directly, on the caller's context, neither sharing the load nor
// keeping its result, whenever f(ctx) holds. Stores pass their database's InTransaction: a read
// inside a transaction must see the transaction's own writes, and on SQLite's single connection
// a load apart from the transaction would wait for the connection it holds.
func BypassWhen(f func(context.Context) bool) Option { return func(o *options) { o.bypass = f } }

// Get returns key's value, loading it with load when it is missing or expired.
func (c *Cache[V]) Get(ctx context.Context, key string, load func(ctx context.Context) (V, error)) (V, error) {
	ttl := c.lifetime()
	if ttl <= 0 || (c.bypass != nil && c.bypass(ctx)) {
		return load(ctx)
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	gen := c.gen[key]
	c.mu.Unlock()
	if ok && c.now().Before(e.expires) {
		return e.v, nil
	}
	ch := c.group.DoChan(key, func() (any, error) {
		// The load outlives a caller that gives up, but keeps what its context carries: the
		// tenant that routes it to the tenant's pod (keys are per tenant), the trace.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		v, err := load(lctx)
		if err != nil {
			return v, err
		}
		c.mu.Lock()
		if c.gen[key] == gen {
			c.entries[key] = entry[V]{v: v, expires: c.now().Add(ttl)}
		}
		c.mu.Unlock()
		return v, nil
	})
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	select {
	case r := <-ch:
		if r.Err != nil {
			var zero V
			return zero, r.Err
		}
		return r.Val.(V), nil
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// Invalidate drops key's value: the next Get loads it again, and a load already under way does
// not store what it read. ctx is the writer's: a Shared cache tells the other nodes in it (inside
// the writer's transaction, if it has one).
func (c *Cache[V]) Invalidate(ctx context.Context, key string) {
	c.drop(key)
	if c.bus != nil {
		c.bus.published(ctx, c.name, key)
	}
}

// drop is Invalidate without telling other nodes.
func (c *Cache[V]) drop(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.gen[key]++
	c.mu.Unlock()
	c.group.Forget(key)
}
