package discountsql

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/components/dal/readcache"
)

// Cached is a Store whose Promotions come from a per-tenant cache (see readcache). Coupons and
// campaigns, whose use counts and spend change with every order, are never cached. Writes through
// it invalidate the tenant at once; other nodes drop their copy when the cache.invalidated event
// reaches them (readcache.Shared), and the TTL bounds it.
type Cached struct {
	*Store
	cache *readcache.Cache[[]discount.Promotion]
}

var _ discount.Store = (*Cached)(nil)

// NewCached wraps s with a cache whose entries live for ttl (<= 0: no cache; readcache.TTLFrom
// reads it on each use).
func NewCached(s *Store, ttl time.Duration, opts ...readcache.Option) *Cached {
	return &Cached{Store: s, cache: readcache.New[[]discount.Promotion](ttl, append(opts, readcache.BypassWhen(s.db.InTransaction))...)}
}

// PutPromotion implements discount.Store.
func (c *Cached) PutPromotion(ctx context.Context, tenant string, p discount.Promotion) error {
	err := c.Store.PutPromotion(ctx, tenant, p)
	c.cache.Invalidate(ctx, tenant)
	return err
}

// Promotions implements discount.Store, with the same filter as Store.Promotions (promotions
// not ended at since; an open end never ends).
func (c *Cached) Promotions(ctx context.Context, tenant string, since time.Time) ([]discount.Promotion, error) {
	all, err := c.cache.Get(ctx, tenant, func(ctx context.Context) ([]discount.Promotion, error) {
		return c.Store.Promotions(ctx, tenant, time.UnixMilli(0))
	})
	if err != nil {
		return nil, err
	}
	ms := since.UnixMilli()
	out := make([]discount.Promotion, 0, len(all))
	for _, p := range all {
		if p.EndsAt == 0 || p.EndsAt > ms {
			out = append(out, p.Clone()) // a caller that edits what it got must not edit the cache
		}
	}
	return out, nil
}
