package pricingsql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/readcache"
)

// Cached is a Store whose Candidates come from a per-tenant cache of all the tenant's list prices
// (see readcache): pricing a cart then reads no price list from the database. Writes through it
// invalidate the tenant at once; other nodes drop their copy when the cache.invalidated event
// reaches them (readcache.Shared), and the TTL bounds it.
type Cached struct {
	*Store
	cache *readcache.Cache[[]pricing.ListPrice]
}

var _ pricing.PriceStore = (*Cached)(nil)

// NewCached wraps s with a cache whose entries live for ttl (<= 0: no cache; readcache.TTLFrom
// reads it on each use).
func NewCached(s *Store, ttl time.Duration, opts ...readcache.Option) *Cached {
	return &Cached{Store: s, cache: readcache.New[[]pricing.ListPrice](ttl, append(opts, readcache.BypassWhen(s.db.InTransaction))...)}
}

// PutPriceList implements pricing.PriceStore.
func (c *Cached) PutPriceList(ctx context.Context, tenant string, l pricing.PriceList) error {
	err := c.Store.PutPriceList(ctx, tenant, l)
	c.cache.Invalidate(ctx, tenant)
	return err
}

// DeletePriceList implements pricing.PriceStore.
func (c *Cached) DeletePriceList(ctx context.Context, tenant, id string) error {
	err := c.Store.DeletePriceList(ctx, tenant, id)
	c.cache.Invalidate(ctx, tenant)
	return err
}

// Candidates implements pricing.PriceStore, with the same filter as Store.Candidates.
func (c *Cached) Candidates(ctx context.Context, tenant, currency string, at time.Time, skus []string) ([]pricing.ListPrice, error) {
	all, err := c.cache.Get(ctx, tenant, func(ctx context.Context) ([]pricing.ListPrice, error) { return c.allPrices(ctx, tenant) })
	if err != nil || len(all) == 0 {
		return nil, err
	}
	want := make(map[string]bool, len(skus))
	for _, id := range skus {
		want[id] = true
	}
	ms := at.UnixMilli()
	var out []pricing.ListPrice
	for _, p := range all {
		l := p.List
		if l.Currency == currency && want[p.SKUID] && dal.Millis(l.StartsAt) <= ms && (l.EndsAt.IsZero() || l.EndsAt.UnixMilli() > ms) {
			out = append(out, p)
		}
	}
	return out, nil
}

// allPrices reads every price on every list of the tenant.
func (s *Store) allPrices(ctx context.Context, tenant string) ([]pricing.ListPrice, error) {
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (c pricing.ListPrice, err error) {
		c.List, err = scanList(r, &c.SKUID, &c.Price)
		return c, err
	}, `SELECT l.list_id, l.name, l.currency, l.channels, l.member_levels, l.starts_at, l.ends_at, l.priority, p.sku_id, p.price
		FROM price_list_prices p JOIN price_lists l ON l.tenant = p.tenant AND l.list_id = p.list_id WHERE p.tenant = ?`, tenant)
	if err != nil {
		return nil, fmt.Errorf("pricingsql: all prices: %w", err)
	}
	return out, nil
}
