package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// Promotions, coupons and campaigns are admin-only. Their money fields are integers in minor
// units of the promotion's currency, like every admin money field.

type tierView struct {
	MinSpend int64 `json:"minSpend"`
	Save     int64 `json:"save"`
}

type scopeView struct {
	Skus       []string `json:"skus"`
	Sellers    []string `json:"sellers"`
	Categories []string `json:"categories"`
}

type promotionView struct {
	ID             string     `json:"id"`
	Name           string     `json:"name" maxLen:"320"`
	Kind           string     `json:"kind"`
	Currency       string     `json:"currency"`
	Scope          scopeView  `json:"scope"`
	Percent        int64      `json:"percent"`
	Amount         int64      `json:"amount"`
	Tiers          []tierView `json:"tiers"`
	Buy            int64      `json:"buy"`
	Get            int64      `json:"get"`
	BundleQuantity int64      `json:"bundleQuantity"`
	BundlePrice    int64      `json:"bundlePrice"`
	MinSpend       int64      `json:"minSpend"`
	MaxDiscount    int64      `json:"maxDiscount"`
	StartsAt       int64      `json:"startsAt"`
	EndsAt         int64      `json:"endsAt"`
	Priority       int64      `json:"priority"`
	Group          string     `json:"group"`
	Exclusive      bool       `json:"exclusive"`
	CouponOnly     bool       `json:"couponOnly"`
	CampaignID     string     `json:"campaignId"`
	Disabled       bool       `json:"disabled"`
	// State is active, scheduled, ended or disabled when it was read (read-only).
	State string `json:"state,omitempty"`
}

type couponView struct {
	Code        string `json:"code"`
	PromotionID string `json:"promotionId"`
	TotalUses   int64  `json:"totalUses"`
	PerUser     int64  `json:"perUser"`
	ValidFrom   int64  `json:"validFrom"`
	ValidTo     int64  `json:"validTo"`
	Used        int64  `json:"used"`
	// DisabledAt is when an operator disabled it (unix ms; read-only: a put enables it again).
	DisabledAt int64 `json:"disabledAt,omitempty"`
	// State is active, scheduled, ended, disabled or used_up when it was read (read-only).
	State string `json:"state,omitempty"`
}

// couponPageView is a page of the tenant's coupons.
type couponPageView struct {
	Items      []couponView `json:"items"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

type campaignView struct {
	ID       string `json:"id"`
	Name     string `json:"name" maxLen:"320"`
	Currency string `json:"currency"`
	Budget   int64  `json:"budget"`
	Spent    int64  `json:"spent"`
}

func (g *Gateway) discountRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "PUT", Path: p + "/promotions/:promotionId", Channel: ch, Auth: true,
		Summary: "Create or replace a promotion (money in minor units; percent in basis points)",
		Request: promotionView{}, Response: promotionView{}}, g.serve(ch, g.putPromotion(ch)))
	g.add(route{Method: "GET", Path: p + "/promotions/:promotionId", Channel: ch, Auth: true, Summary: "Get a promotion",
		Response: promotionView{}}, g.serve(ch, g.getPromotion))
	g.add(route{Method: "GET", Path: p + "/promotions", Channel: ch, Auth: true, Summary: "List the tenant's promotions, each with its state now",
		Query:    []queryParam{{Name: "state", Description: "only those in this state now: active, scheduled, ended or disabled"}},
		Response: []promotionView{}}, g.serve(ch, g.listPromotions))
	g.add(route{Method: "GET", Path: p + "/coupons", Channel: ch, Auth: true,
		Summary: "The tenant's coupons, newest first (by when each was created), each with its state and use count",
		Query: append([]queryParam{
			{Name: "promotion", Description: "only this promotion's coupons"},
			{Name: "state", Description: "only those in this state now: active, scheduled, ended, disabled or used_up"},
		}, pageParams...), Response: couponPageView{}}, g.serve(ch, g.listCoupons))
	g.add(route{Method: "PUT", Path: p + "/coupons/:code", Channel: ch, Auth: true,
		Summary: "Create a coupon code or change its caps and validity", Request: couponView{}, Response: couponView{}},
		g.serve(ch, g.putCoupon(ch)))
	g.add(route{Method: "GET", Path: p + "/coupons/:code", Channel: ch, Auth: true, Summary: "Get a coupon and its use count",
		Response: couponView{}}, g.serve(ch, g.getCoupon))
	g.add(route{Method: "POST", Path: p + "/promotions/:promotionId/disable", Channel: ch, Auth: true,
		Summary:  "Stop a promotion applying to any cart from now; it is kept, with what it gave (put it with disabled false to enable it)",
		Response: promotionView{}}, g.serve(ch, g.disablePromotion))
	g.add(route{Method: "POST", Path: p + "/coupons/:code/disable", Channel: ch, Auth: true,
		Summary:  "Stop a coupon being redeemed from now; its uses and validity are kept (put it again to enable it)",
		Response: couponView{}}, g.serve(ch, g.disableCoupon))
	g.add(route{Method: "PUT", Path: p + "/campaigns/:campaignId", Channel: ch, Auth: true,
		Summary: "Create a campaign budget or change it (never below what is spent)", Request: campaignView{}, Response: campaignView{}},
		g.serve(ch, g.putCampaign(ch)))
	g.add(route{Method: "GET", Path: p + "/campaigns/:campaignId", Channel: ch, Auth: true, Summary: "Get a campaign and what it has spent",
		Response: campaignView{}}, g.serve(ch, g.getCampaign))
}

func (g *Gateway) putPromotion(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var v promotionView
		if err := ch.decode(c.Request.Body(), &v); err != nil {
			return 0, nil, err
		}
		v.ID = c.Param("promotionId")
		resp, err := g.rpc.Discounts.PutPromotion(ctx, &trade.PutPromotionRequest{Caller: callerOf(c), Promotion: promotionDTO(v)})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, promotionOf(resp), nil
	}
}

func (g *Gateway) getPromotion(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Discounts.GetPromotion(ctx, &trade.PromotionRef{Caller: callerOf(c), Id: c.Param("promotionId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, promotionOf(resp), nil
}

func (g *Gateway) listPromotions(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Discounts.ListPromotions(ctx, &trade.ListPromotionsRequest{Caller: callerOf(c), State: c.Query("state")})
	if err != nil {
		return 0, nil, err
	}
	out := []promotionView{}
	for _, p := range resp.Promotions {
		out = append(out, promotionOf(p))
	}
	return http.StatusOK, out, nil
}

func (g *Gateway) listCoupons(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.Discounts.ListCoupons(ctx, &trade.ListCouponsRequest{Caller: callerOf(c), PromotionId: c.Query("promotion"),
		State: c.Query("state"), Limit: int32(limit), Cursor: c.Query("cursor")})
	if err != nil {
		return 0, nil, err
	}
	page := couponPageView{Items: []couponView{}, NextCursor: resp.NextCursor}
	for _, d := range resp.Coupons {
		page.Items = append(page.Items, couponOf(d))
	}
	return http.StatusOK, page, nil
}

func (g *Gateway) putCoupon(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var v couponView
		if err := ch.decode(c.Request.Body(), &v); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Discounts.PutCoupon(ctx, &trade.PutCouponRequest{Caller: callerOf(c), Coupon: &trade.Coupon{Code: c.Param("code"),
			PromotionId: v.PromotionID, TotalUses: v.TotalUses, PerUser: v.PerUser, ValidFrom: v.ValidFrom, ValidTo: v.ValidTo}})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, couponOf(resp), nil
	}
}

func (g *Gateway) getCoupon(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Discounts.GetCoupon(ctx, &trade.CouponRef{Caller: callerOf(c), Code: c.Param("code")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, couponOf(resp), nil
}

func (g *Gateway) disablePromotion(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Discounts.DisablePromotion(ctx, &trade.PromotionRef{Caller: callerOf(c), Id: c.Param("promotionId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, promotionOf(resp), nil
}

func (g *Gateway) disableCoupon(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Discounts.DisableCoupon(ctx, &trade.CouponRef{Caller: callerOf(c), Code: c.Param("code")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, couponOf(resp), nil
}

func (g *Gateway) putCampaign(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var v campaignView
		if err := ch.decode(c.Request.Body(), &v); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Discounts.PutCampaign(ctx, &trade.PutCampaignRequest{Caller: callerOf(c), Campaign: &trade.Campaign{
			Id: c.Param("campaignId"), Name: v.Name, Currency: v.Currency, Budget: v.Budget}})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, campaignOf(resp), nil
	}
}

func (g *Gateway) getCampaign(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Discounts.GetCampaign(ctx, &trade.CampaignRef{Caller: callerOf(c), Id: c.Param("campaignId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, campaignOf(resp), nil
}

func promotionDTO(v promotionView) *trade.Promotion {
	d := &trade.Promotion{Id: v.ID, Name: v.Name, Kind: v.Kind, Currency: v.Currency, Percent: v.Percent, Amount: v.Amount,
		Buy: v.Buy, Get: v.Get, BundleQuantity: v.BundleQuantity, BundlePrice: v.BundlePrice, MinSpend: v.MinSpend,
		MaxDiscount: v.MaxDiscount, StartsAt: v.StartsAt, EndsAt: v.EndsAt, Priority: v.Priority, Group: v.Group,
		Exclusive: v.Exclusive, CouponOnly: v.CouponOnly, CampaignId: v.CampaignID, Disabled: v.Disabled,
		Scope: &trade.PromotionScope{Skus: v.Scope.Skus, Sellers: v.Scope.Sellers, Categories: v.Scope.Categories}}
	for _, t := range v.Tiers {
		d.Tiers = append(d.Tiers, &trade.PromotionTier{MinSpend: t.MinSpend, Save: t.Save})
	}
	return d
}

func promotionOf(d *trade.Promotion) promotionView {
	v := promotionView{ID: d.Id, Name: d.Name, Kind: d.Kind, Currency: d.Currency, Percent: d.Percent, Amount: d.Amount,
		Buy: d.Buy, Get: d.Get, BundleQuantity: d.BundleQuantity, BundlePrice: d.BundlePrice, MinSpend: d.MinSpend,
		MaxDiscount: d.MaxDiscount, StartsAt: d.StartsAt, EndsAt: d.EndsAt, Priority: d.Priority, Group: d.Group,
		Exclusive: d.Exclusive, CouponOnly: d.CouponOnly, CampaignID: d.CampaignId, Disabled: d.Disabled, State: d.State, Tiers: []tierView{},
		Scope: scopeView{Skus: []string{}, Sellers: []string{}, Categories: []string{}}}
	if s := d.Scope; s != nil {
		v.Scope = scopeView{Skus: nonNil(s.Skus), Sellers: nonNil(s.Sellers), Categories: nonNil(s.Categories)}
	}
	for _, t := range d.Tiers {
		v.Tiers = append(v.Tiers, tierView{MinSpend: t.MinSpend, Save: t.Save})
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func couponOf(d *trade.Coupon) couponView {
	return couponView{Code: d.Code, PromotionID: d.PromotionId, TotalUses: d.TotalUses, PerUser: d.PerUser,
		ValidFrom: d.ValidFrom, ValidTo: d.ValidTo, Used: d.Used, DisabledAt: d.DisabledAt, State: d.State}
}

func campaignOf(d *trade.Campaign) campaignView {
	return campaignView{ID: d.Id, Name: d.Name, Currency: d.Currency, Budget: d.Budget, Spent: d.Spent}
}
