package codsql

import (
	"context"
	"slices"
	"time"

	"github.com/atriumtrade/atrium/components/dal/readcache"
	"github.com/atriumtrade/atrium/product-layer/cod"
)

// Cached is a Store whose Rules come from a per-tenant cache (see readcache), as every COD quote
// and order reads them; refusals are never cached. Writes through it invalidate the tenant at
// once; other nodes drop their copy when the cache.invalidated event reaches them
// (readcache.Shared), and the TTL bounds it.
type Cached struct {
	*Store
	cache *readcache.Cache[cachedRules]
}

type cachedRules struct {
	rules cod.Rules
	found bool
}

var _ cod.Store = (*Cached)(nil)

// NewCached wraps s with a cache whose entries live for ttl (<= 0: no cache; readcache.TTLFrom
// reads it on each use).
func NewCached(s *Store, ttl time.Duration, opts ...readcache.Option) *Cached {
	return &Cached{Store: s, cache: readcache.New[cachedRules](ttl, append(opts, readcache.BypassWhen(s.db.InTransaction))...)}
}

// PutRules implements cod.Store.
func (c *Cached) PutRules(ctx context.Context, tenant string, r cod.Rules) error {
	err := c.Store.PutRules(ctx, tenant, r)
	c.cache.Invalidate(ctx, tenant)
	return err
}

// Rules implements cod.Store.
func (c *Cached) Rules(ctx context.Context, tenant string) (cod.Rules, bool, error) {
	got, err := c.cache.Get(ctx, tenant, func(ctx context.Context) (cachedRules, error) {
		r, found, err := c.Store.Rules(ctx, tenant)
		return cachedRules{r, found}, err
	})
	if err != nil {
		return cod.Rules{}, false, err
	}
	r := got.rules // a caller that edits what it got must not edit the cache
	r.Regions, r.ExcludedTags = slices.Clone(r.Regions), slices.Clone(r.ExcludedTags)
	if r.MaxRefusals != nil {
		m := *r.MaxRefusals
		r.MaxRefusals = &m
	}
	return r, got.found, nil
}
