package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// Price lists are admin-only; their prices are integers in minor units of the list's currency,
// like every admin amount, and times are unix milliseconds.

// priceListRequest creates or replaces a price list, its prices included.
type priceListRequest struct {
	Name         string        `json:"name" maxLen:"320"`
	Currency     string        `json:"currency"`
	Channels     []string      `json:"channels"`
	MemberLevels []string      `json:"memberLevels"`
	StartsAt     *int64        `json:"startsAt"`
	EndsAt       *int64        `json:"endsAt"`
	Priority     int32         `json:"priority"`
	Prices       []listedPrice `json:"prices"`
}

type listedPrice struct {
	SkuID string `json:"skuId"`
	Price int64  `json:"price"`
}

type priceListView struct {
	PriceListID  string        `json:"priceListId"`
	Name         string        `json:"name" maxLen:"320"`
	Currency     string        `json:"currency"`
	Channels     []string      `json:"channels"`
	MemberLevels []string      `json:"memberLevels"`
	StartsAt     *int64        `json:"startsAt,omitempty"`
	EndsAt       *int64        `json:"endsAt,omitempty"`
	Priority     int32         `json:"priority"`
	PriceCount   int32         `json:"priceCount"`
	Prices       []listedPrice `json:"prices,omitempty"`
}

type priceListListView struct {
	PriceLists []priceListView `json:"priceLists"`
}

type priceListDeletedView struct {
	PriceListID string `json:"priceListId"`
	Deleted     bool   `json:"deleted"`
}

func (g *Gateway) priceListRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "PUT", Path: p + "/price-lists/:priceListId", Channel: ch, Auth: true,
		Summary: "Create or replace a price list: channel, member-level, time-boxed or per-currency prices (minor units)",
		Request: priceListRequest{}, Response: priceListView{}}, g.serve(ch, g.putPriceList(ch)))
	g.add(route{Method: "GET", Path: p + "/price-lists", Channel: ch, Auth: true, Summary: "List the price lists (without their prices)",
		Response: priceListListView{}}, g.serve(ch, g.listPriceLists))
	g.add(route{Method: "GET", Path: p + "/price-lists/:priceListId", Channel: ch, Auth: true, Summary: "Get a price list and its prices",
		Response: priceListView{}}, g.serve(ch, g.getPriceList))
	g.add(route{Method: "DELETE", Path: p + "/price-lists/:priceListId", Channel: ch, Auth: true, Summary: "Delete a price list",
		Response: priceListDeletedView{}}, g.serve(ch, g.deletePriceList))
	g.add(route{Method: "POST", Path: p + "/price-lists/:priceListId/end", Channel: ch, Auth: true,
		Summary:  "End a price list now: no cart is priced by it from then, and it is kept with its prices for the orders it priced",
		Response: priceListView{}}, g.serve(ch, g.endPriceList))
}

func (g *Gateway) endPriceList(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Pricing.EndPriceList(ctx, &trade.PriceListRef{Caller: callerOf(c), PriceListId: c.Param("priceListId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, priceListOf(resp), nil
}

func (g *Gateway) putPriceList(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req priceListRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		in := &trade.PriceList{PriceListId: c.Param("priceListId"), Name: req.Name, Currency: req.Currency, Channels: req.Channels,
			MemberLevels: req.MemberLevels, StartsAt: req.StartsAt, EndsAt: req.EndsAt, Priority: req.Priority}
		for _, p := range req.Prices {
			in.Prices = append(in.Prices, &trade.ListedPrice{SkuId: p.SkuID, Price: p.Price})
		}
		resp, err := g.rpc.Pricing.PutPriceList(ctx, &trade.PutPriceListRequest{Caller: callerOf(c), PriceList: in})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, priceListOf(resp), nil
	}
}

func (g *Gateway) getPriceList(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Pricing.GetPriceList(ctx, &trade.PriceListRef{Caller: callerOf(c), PriceListId: c.Param("priceListId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, priceListOf(resp), nil
}

func (g *Gateway) listPriceLists(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Pricing.ListPriceLists(ctx, &trade.ListPriceListsRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	v := priceListListView{PriceLists: []priceListView{}}
	for _, l := range resp.PriceLists {
		v.PriceLists = append(v.PriceLists, priceListOf(l))
	}
	return http.StatusOK, v, nil
}

func (g *Gateway) deletePriceList(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Pricing.DeletePriceList(ctx, &trade.PriceListRef{Caller: callerOf(c), PriceListId: c.Param("priceListId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, priceListDeletedView{PriceListID: resp.PriceListId, Deleted: true}, nil
}

func priceListOf(l *trade.PriceList) priceListView {
	v := priceListView{PriceListID: l.PriceListId, Name: l.Name, Currency: l.Currency, Channels: l.Channels, MemberLevels: l.MemberLevels,
		StartsAt: l.StartsAt, EndsAt: l.EndsAt, Priority: l.Priority, PriceCount: l.PriceCount}
	for _, p := range l.Prices {
		v.Prices = append(v.Prices, listedPrice{SkuID: p.SkuId, Price: p.Price})
	}
	return v
}
