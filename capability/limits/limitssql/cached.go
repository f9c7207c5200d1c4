package limitssql

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/components/dal/readcache"
)

// Cached is a Store whose Rules come from a per-tenant cache (see readcache); counters are never
// cached. Writes through it invalidate the tenant at once; other nodes drop their copy when the
// cache.invalidated event reaches them (readcache.Shared), and the TTL bounds it.
type Cached struct {
	*Store
	cache *readcache.Cache[[]limits.Rule]
}

var _ limits.Store = (*Cached)(nil)

// NewCached wraps s with a cache whose entries live for ttl (<= 0: no cache; readcache.TTLFrom
// reads it on each use).
func NewCached(s *Store, ttl time.Duration, opts ...readcache.Option) *Cached {
	return &Cached{Store: s, cache: readcache.New[[]limits.Rule](ttl, append(opts, readcache.BypassWhen(s.db.InTransaction))...)}
}

// PutRule implements limits.Store.
func (c *Cached) PutRule(ctx context.Context, tenant string, r limits.Rule) error {
	err := c.Store.PutRule(ctx, tenant, r)
	c.cache.Invalidate(ctx, tenant)
	return err
}

// Rules implements limits.Store.
func (c *Cached) Rules(ctx context.Context, tenant string) ([]limits.Rule, error) {
	rules, err := c.cache.Get(ctx, tenant, func(ctx context.Context) ([]limits.Rule, error) { return c.Store.Rules(ctx, tenant) })
	if err != nil {
		return nil, err
	}
	out := make([]limits.Rule, len(rules))
	for i, r := range rules {
		out[i] = r.Clone() // a caller that edits what it got must not edit the cache
	}
	return out, nil
}
