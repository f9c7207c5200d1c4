package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// skuPageView is a page of the tenant's SKUs.
type skuPageView struct {
	Items      []skuView `json:"items"`
	NextCursor string    `json:"nextCursor,omitempty"`
}

func (g *Gateway) skuListRoutes(ch *channel) {
	g.add(route{Method: "GET", Path: ch.prefix + "/skus", Channel: ch, Auth: true,
		Summary: "The tenant's SKUs, newest first (by when each was created): by seller, tag, or a piece of title",
		Query: append([]queryParam{
			{Name: "seller", Description: "only this seller's SKUs"},
			{Name: "tag", Description: "only SKUs carrying this tag"},
			{Name: "title", Description: "only SKUs whose title contains this (ASCII letters in any case)"},
		}, pageParams...), Response: skuPageView{}}, g.serve(ch, g.listSKUs))
}

func (g *Gateway) listSKUs(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.Catalog.ListSKUs(ctx, &trade.ListSKUsRequest{Caller: callerOf(c), Seller: c.Query("seller"), Tag: c.Query("tag"),
		Title: c.Query("title"), Limit: int32(limit), Cursor: c.Query("cursor")})
	if err != nil {
		return 0, nil, err
	}
	page := skuPageView{Items: []skuView{}, NextCursor: resp.NextCursor}
	for _, s := range resp.Skus {
		page.Items = append(page.Items, skuOf(s))
	}
	return http.StatusOK, page, nil
}
