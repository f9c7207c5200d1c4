package deliverysql

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/components/dal/readcache"
)

// Cached is a Store whose ForSellers comes from a per-tenant cache of the tenant's templates
// (see readcache). Writes through it invalidate the tenant at once; other nodes see them within
// the TTL.
type Cached struct {
	*Store
	cache *readcache.Cache[[]delivery.Template]
}

var _ delivery.Store = (*Cached)(nil)

// NewCached wraps s with a cache whose entries live for ttl (<= 0: no cache; readcache.TTLFrom
// reads it on each use).
func NewCached(s *Store, ttl time.Duration, opts ...readcache.Option) *Cached {
	return &Cached{Store: s, cache: readcache.New[[]delivery.Template](ttl, append(opts, readcache.BypassWhen(s.db.InTransaction))...)}
}

// Put implements delivery.Store.
func (c *Cached) Put(ctx context.Context, tenant string, t delivery.Template) error {
	err := c.Store.Put(ctx, tenant, t)
	c.cache.Invalidate(ctx, tenant)
	return err
}

// ForSellers implements delivery.Store, with the same filter as Store.ForSellers.
func (c *Cached) ForSellers(ctx context.Context, tenant, currency string, sellerIDs []string) ([]delivery.Template, error) {
	all, err := c.cache.Get(ctx, tenant, func(ctx context.Context) ([]delivery.Template, error) { return c.Store.Templates(ctx, tenant) })
	if err != nil {
		return nil, err
	}
	want := map[string]bool{delivery.AnySeller: true}
	for _, id := range sellerIDs {
		want[id] = true
	}
	var out []delivery.Template
	for _, t := range all {
		if t.Currency == currency && want[t.SellerID] {
			out = append(out, t)
		}
	}
	return out, nil
}
