package discount

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/kernel/money"
)

// Admin is the operators' side of discounts. Every write is validated here, in the capability,
// before it is stored, as every capability's admin does; reads go to the store.
type Admin struct{ store Store }

// NewAdmin returns an Admin on store.
func NewAdmin(store Store) *Admin { return &Admin{store: store} }

// PutPromotion validates and stores a promotion.
func (a *Admin) PutPromotion(ctx context.Context, tenant string, p Promotion) (Promotion, error) {
	if err := p.Validate(); err != nil {
		return Promotion{}, err
	}
	if _, err := money.ParseCurrency(p.Currency); err != nil {
		return Promotion{}, err
	}
	if err := a.store.PutPromotion(ctx, tenant, p); err != nil {
		return Promotion{}, err
	}
	return p, nil
}

// Promotion returns one.
func (a *Admin) Promotion(ctx context.Context, tenant, id string) (Promotion, error) {
	return a.store.Promotion(ctx, tenant, id)
}

// Promotions lists all of a tenant's.
func (a *Admin) Promotions(ctx context.Context, tenant string) ([]Promotion, error) {
	return a.store.Promotions(ctx, tenant, time.UnixMilli(0))
}

// PutCoupon validates and stores a coupon (its code normalized) and returns it as stored, with
// its use count.
func (a *Admin) PutCoupon(ctx context.Context, tenant string, c Coupon) (Coupon, error) {
	code, err := NormalizeCode(c.Code)
	if err != nil {
		return Coupon{}, err
	}
	c.Code = code
	if err := c.Validate(); err != nil {
		return Coupon{}, err
	}
	if err := a.store.PutCoupon(ctx, tenant, c); err != nil {
		return Coupon{}, err
	}
	return a.store.Coupon(ctx, tenant, c.Code)
}

// Coupon returns one by its code as a buyer types it.
func (a *Admin) Coupon(ctx context.Context, tenant, code string) (Coupon, error) {
	code, err := NormalizeCode(code)
	if err != nil {
		return Coupon{}, err
	}
	return a.store.Coupon(ctx, tenant, code)
}

// PutCampaign validates and stores a campaign and returns it as stored, with what it spent.
func (a *Admin) PutCampaign(ctx context.Context, tenant string, c Campaign) (Campaign, error) {
	if err := c.Validate(); err != nil {
		return Campaign{}, err
	}
	if _, err := money.ParseCurrency(c.Currency); err != nil {
		return Campaign{}, err
	}
	if err := a.store.PutCampaign(ctx, tenant, c); err != nil {
		return Campaign{}, err
	}
	return a.store.Campaign(ctx, tenant, c.ID)
}

// Campaign returns one.
func (a *Admin) Campaign(ctx context.Context, tenant, id string) (Campaign, error) {
	return a.store.Campaign(ctx, tenant, id)
}
