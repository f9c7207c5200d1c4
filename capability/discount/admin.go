package discount

import (
	"context"
	"slices"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"

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

// Promotions lists all of a tenant's, or those in state at now (state empty: all).
func (a *Admin) Promotions(ctx context.Context, tenant, state string, now time.Time) ([]Promotion, error) {
	if state != "" && !slices.Contains(PromotionStates, state) {
		return nil, errkind.Invalidf("state must be one of %v", PromotionStates)
	}
	all, err := a.store.Promotions(ctx, tenant, time.UnixMilli(0))
	if err != nil || state == "" {
		return all, err
	}
	return slices.DeleteFunc(all, func(p Promotion) bool { return p.StateAt(now) != state }), nil
}

// Coupons lists a tenant's coupons, newest first, a page at a time.
func (a *Admin) Coupons(ctx context.Context, tenant string, f CouponFilter, now time.Time, limit int, cursor string) (CouponPage, error) {
	if err := f.Validate(); err != nil {
		return CouponPage{}, err
	}
	return a.store.ListCoupons(ctx, tenant, f, now, limit, cursor)
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

// DisablePromotion stops a promotion from applying to any cart from now; it stays, with what it
// gave, for the books (putting it again with disabled false enables it).
func (a *Admin) DisablePromotion(ctx context.Context, tenant, id string) (Promotion, error) {
	p, err := a.store.Promotion(ctx, tenant, id)
	if err != nil || p.Disabled {
		return p, err
	}
	p.Disabled = true
	return a.PutPromotion(ctx, tenant, p)
}

// DisableCoupon stops a coupon from being redeemed from at; its uses and validity stay (putting
// it again enables it). Disabling it again keeps the first time.
func (a *Admin) DisableCoupon(ctx context.Context, tenant, code string, at time.Time) (Coupon, error) {
	c, err := a.Coupon(ctx, tenant, code)
	if err != nil || c.DisabledAt != 0 {
		return c, err
	}
	c.DisabledAt = at.UnixMilli()
	if err := a.store.PutCoupon(ctx, tenant, c); err != nil {
		return Coupon{}, err
	}
	return a.store.Coupon(ctx, tenant, c.Code)
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
