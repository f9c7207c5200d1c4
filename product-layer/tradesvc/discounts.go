package tradesvc

import (
	"context"
	"time"

	tradecore "github.com/atriumtrade/atrium/product-layer/trade"

	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

func (h *DiscountAdmin) discountAdmin(c *trade.Caller) (caller, error) {
	cl, err := asAdmin(c)
	if err == nil && h.discounts == nil {
		err = discount.ErrDisabled
	}
	return cl, err
}

// PutPromotion implements its service.
func (h *DiscountAdmin) PutPromotion(ctx context.Context, req *trade.PutPromotionRequest) (*trade.Promotion, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if req.Promotion == nil {
		return nil, errkind.WithDetail(discount.ErrInvalidPromotion, "promotion is required")
	}
	p, err := h.discounts.PutPromotion(ctx, cl.tenant, promotionFromDTO(req.Promotion))
	if err != nil {
		return nil, err
	}
	return promotionDTO(p, h.now()), nil
}

// GetPromotion implements its service.
func (h *DiscountAdmin) GetPromotion(ctx context.Context, req *trade.PromotionRef) (*trade.Promotion, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	p, err := h.discounts.Promotion(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	return promotionDTO(p, h.now()), nil
}

// ListPromotions implements its service.
func (h *DiscountAdmin) ListPromotions(ctx context.Context, req *trade.ListPromotionsRequest) (*trade.ListPromotionsResponse, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	ps, err := h.discounts.Promotions(ctx, cl.tenant, req.State, h.now())
	if err != nil {
		return nil, err
	}
	resp := &trade.ListPromotionsResponse{Promotions: []*trade.Promotion{}}
	for _, p := range ps {
		resp.Promotions = append(resp.Promotions, promotionDTO(p, h.now()))
	}
	return resp, nil
}

// PutCoupon implements its service.
func (h *DiscountAdmin) PutCoupon(ctx context.Context, req *trade.PutCouponRequest) (*trade.Coupon, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if req.Coupon == nil {
		return nil, errkind.WithDetail(discount.ErrInvalidCoupon, "coupon is required")
	}
	c, err := h.discounts.PutCoupon(ctx, cl.tenant, discount.Coupon{Code: req.Coupon.Code, PromotionID: req.Coupon.PromotionId,
		TotalUses: req.Coupon.TotalUses, PerUser: req.Coupon.PerUser, ValidFrom: req.Coupon.ValidFrom, ValidTo: req.Coupon.ValidTo})
	if err != nil {
		return nil, err
	}
	return couponDTO(c, h.now()), nil
}

// GetCoupon implements its service.
func (h *DiscountAdmin) GetCoupon(ctx context.Context, req *trade.CouponRef) (*trade.Coupon, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	c, err := h.discounts.Coupon(ctx, cl.tenant, req.Code)
	if err != nil {
		return nil, err
	}
	return couponDTO(c, h.now()), nil
}

// ListCoupons implements its service.
func (h *DiscountAdmin) ListCoupons(ctx context.Context, req *trade.ListCouponsRequest) (*trade.ListCouponsResponse, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	limit, err := tradecore.PageSize(int(req.Limit))
	if err != nil {
		return nil, err
	}
	now := h.now()
	page, err := h.discounts.Coupons(ctx, cl.tenant, discount.CouponFilter{PromotionID: req.PromotionId, State: req.State}, now, limit, req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListCouponsResponse{Coupons: []*trade.Coupon{}, NextCursor: page.Next}
	for _, c := range page.Coupons {
		resp.Coupons = append(resp.Coupons, couponDTO(c, now))
	}
	return resp, nil
}

// DisablePromotion implements its service.
func (h *DiscountAdmin) DisablePromotion(ctx context.Context, req *trade.PromotionRef) (*trade.Promotion, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	p, err := h.discounts.DisablePromotion(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	return promotionDTO(p, h.now()), nil
}

// DisableCoupon implements its service.
func (h *DiscountAdmin) DisableCoupon(ctx context.Context, req *trade.CouponRef) (*trade.Coupon, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	c, err := h.discounts.DisableCoupon(ctx, cl.tenant, req.Code, h.now())
	if err != nil {
		return nil, err
	}
	return couponDTO(c, h.now()), nil
}

// PutCampaign implements its service.
func (h *DiscountAdmin) PutCampaign(ctx context.Context, req *trade.PutCampaignRequest) (*trade.Campaign, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if req.Campaign == nil {
		return nil, errkind.WithDetail(discount.ErrInvalidCampaign, "campaign is required")
	}
	c, err := h.discounts.PutCampaign(ctx, cl.tenant, discount.Campaign{ID: req.Campaign.Id, Name: req.Campaign.Name,
		Currency: req.Campaign.Currency, Budget: req.Campaign.Budget})
	if err != nil {
		return nil, err
	}
	return campaignDTO(c), nil
}

// GetCampaign implements its service.
func (h *DiscountAdmin) GetCampaign(ctx context.Context, req *trade.CampaignRef) (*trade.Campaign, error) {
	cl, err := h.discountAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	c, err := h.discounts.Campaign(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	return campaignDTO(c), nil
}

func promotionFromDTO(d *trade.Promotion) discount.Promotion {
	p := discount.Promotion{ID: d.Id, Name: d.Name, Kind: discount.Kind(d.Kind), Currency: d.Currency, Percent: d.Percent,
		Amount: d.Amount, Buy: d.Buy, Get: d.Get, BundleQuantity: d.BundleQuantity, BundlePrice: d.BundlePrice,
		MinSpend: d.MinSpend, MaxDiscount: d.MaxDiscount, StartsAt: d.StartsAt, EndsAt: d.EndsAt, Priority: d.Priority,
		Group: d.Group, Exclusive: d.Exclusive, CouponOnly: d.CouponOnly, CampaignID: d.CampaignId, Disabled: d.Disabled}
	if s := d.Scope; s != nil {
		p.Scope = discount.Scope{SKUs: s.Skus, Sellers: s.Sellers, Categories: s.Categories}
	}
	for _, t := range d.Tiers {
		if t != nil {
			p.Tiers = append(p.Tiers, discount.Tier{MinSpend: t.MinSpend, Save: t.Save})
		}
	}
	return p
}

func promotionDTO(p discount.Promotion, now time.Time) *trade.Promotion {
	d := &trade.Promotion{Id: p.ID, Name: p.Name, Kind: string(p.Kind), Currency: p.Currency, Percent: p.Percent,
		Amount: p.Amount, Buy: p.Buy, Get: p.Get, BundleQuantity: p.BundleQuantity, BundlePrice: p.BundlePrice,
		MinSpend: p.MinSpend, MaxDiscount: p.MaxDiscount, StartsAt: p.StartsAt, EndsAt: p.EndsAt, Priority: p.Priority,
		Group: p.Group, Exclusive: p.Exclusive, CouponOnly: p.CouponOnly, CampaignId: p.CampaignID, Disabled: p.Disabled,
		Scope: &trade.PromotionScope{Skus: p.Scope.SKUs, Sellers: p.Scope.Sellers, Categories: p.Scope.Categories},
		Tiers: []*trade.PromotionTier{}, State: p.StateAt(now)}
	for _, t := range p.Tiers {
		d.Tiers = append(d.Tiers, &trade.PromotionTier{MinSpend: t.MinSpend, Save: t.Save})
	}
	return d
}

func couponDTO(c discount.Coupon, now time.Time) *trade.Coupon {
	return &trade.Coupon{Code: c.Code, PromotionId: c.PromotionID, TotalUses: c.TotalUses, PerUser: c.PerUser,
		ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, Used: c.Used, DisabledAt: c.DisabledAt, State: c.StateAt(now)}
}

func campaignDTO(c discount.Campaign) *trade.Campaign {
	return &trade.Campaign{Id: c.ID, Name: c.Name, Currency: c.Currency, Budget: c.Budget, Spent: c.Spent}
}
