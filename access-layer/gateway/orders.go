package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// orderSearchView is a page of the operators' order search.
type orderSearchView struct {
	Items      []orderView `json:"items"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

// The query parameters of order lists: a buyer's own (status, flow) and the operators' search.
var (
	pageParams = []queryParam{
		{Name: "limit", Integer: true, Description: "page size, 1-100 (default 20)"},
		{Name: "cursor", Description: "nextCursor of the page before"},
	}
	buyerOrderParams = append([]queryParam{
		{Name: "status", Enum: "orderStatus", Description: "only orders in this status"},
		{Name: "flow", Enum: "flow", Description: "only orders of this kind of trade"},
	}, pageParams...)
	adminOrderParams = append([]queryParam{
		{Name: "buyer", Description: "only this buyer's orders (user id)"},
		{Name: "seller", Description: "only this seller's orders"},
		{Name: "sku", Description: "only orders with a line of this SKU"},
		{Name: "createdFrom", Description: "placed at or after (RFC 3339, or a date: its start in UTC)"},
		{Name: "createdTo", Description: "placed before (RFC 3339, or a date: its start in UTC)"},
		{Name: "q", Description: "an order, trade, payment or refund id: its orders"},
	}, buyerOrderParams...)
)

func (g *Gateway) orderListRoutes(ch *channel) {
	g.add(route{Method: "GET", Path: ch.prefix + "/orders", Channel: ch, Auth: true,
		Summary: "List my orders, newest first", Query: buyerOrderParams, Response: orderPageView{}}, g.serve(ch, g.listOrders))
}

func (g *Gateway) orderSearchRoutes(ch *channel) {
	g.add(route{Method: "GET", Path: ch.prefix + "/orders", Channel: ch, Auth: true,
		Summary: "Search the tenant's orders, newest first; every filter given must hold", Query: adminOrderParams,
		Response: orderSearchView{}}, g.serve(ch, g.searchOrders))
}

func (g *Gateway) listOrders(ctx context.Context, c *app.RequestContext) (int, any, error) {
	req, err := orderQuery(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.Queries.ListOrders(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	page := orderPageView{Orders: []orderView{}, NextCursor: resp.NextCursor}
	for _, o := range resp.Orders {
		page.Orders = append(page.Orders, orderOf(o))
	}
	return http.StatusOK, page, nil
}

func (g *Gateway) searchOrders(ctx context.Context, c *app.RequestContext) (int, any, error) {
	req, err := orderQuery(c)
	if err != nil {
		return 0, nil, err
	}
	req.Buyer, req.Seller, req.Sku, req.Q = c.Query("buyer"), c.Query("seller"), c.Query("sku"), c.Query("q")
	if req.CreatedFrom, err = queryTime(c, "createdFrom"); err != nil {
		return 0, nil, err
	}
	if req.CreatedTo, err = queryTime(c, "createdTo"); err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.Queries.ListOrders(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	page := orderSearchView{Items: []orderView{}, NextCursor: resp.NextCursor}
	for _, o := range resp.Orders {
		page.Items = append(page.Items, orderOf(o))
	}
	return http.StatusOK, page, nil
}

// orderQuery reads what every order list takes: a page and the status and flow filters.
func orderQuery(c *app.RequestContext) (*trade.ListOrdersRequest, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return nil, err
	}
	return &trade.ListOrdersRequest{Caller: callerOf(c), Limit: int32(limit), Cursor: c.Query("cursor"),
		Status: c.Query("status"), Flow: c.Query("flow")}, nil
}

// pageLimit is a list's limit parameter: 1-100, 20 when absent.
func pageLimit(c *app.RequestContext) (int, error) {
	s := string(c.Query("limit"))
	if s == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		return 0, errkind.Invalidf("limit must be an integer between 1 and 100")
	}
	return n, nil
}

// queryTime reads a time parameter (see parseTime).
func queryTime(c *app.RequestContext, name string) (int64, error) {
	return parseTime(name, c.Query(name))
}

// parseTime reads a time given as RFC 3339, or a date for its start in UTC, as unix ms (0 when
// empty).
func parseTime(name, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return 0, errkind.Invalidf("%s must be a time in RFC 3339 (2026-12-01T08:00:00+08:00) or a date (2026-12-01)", name)
		}
	}
	if t.Year() < 2000 || t.Year() > 9999 {
		return 0, errkind.Invalidf("%s is out of range", name)
	}
	return t.UnixMilli(), nil
}
