package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// paymentPageView is a page of the tenant's payments.
type paymentPageView struct {
	Items      []paymentView `json:"items"`
	NextCursor string        `json:"nextCursor,omitempty"`
}

// refundPageView is a page of the tenant's refunds.
type refundPageView struct {
	Items      []refundView `json:"items"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

func (g *Gateway) paymentListRoutes(ch *channel) {
	g.add(route{Method: "GET", Path: ch.prefix + "/payments", Channel: ch, Auth: true,
		Summary: "The tenant's payments, newest first: by status, provider, purpose, or those a provider reported differently from what was owed",
		Query: append([]queryParam{
			{Name: "status", Enum: "paymentStatus", Description: "only payments in this status"},
			{Name: "provider", Description: "only payments through this provider (sandbox, cod, ...)"},
			{Name: "purpose", Enum: "paymentPurpose", Description: "only payments of this purpose"},
			{Name: "mismatched", Boolean: true, Description: "only payments a provider reported differently from what was owed"},
		}, pageParams...), Response: paymentPageView{}}, g.serve(ch, g.listPayments))
	g.add(route{Method: "GET", Path: ch.prefix + "/refunds", Channel: ch, Auth: true, Summary: "The tenant's refunds, newest first",
		Query:    append([]queryParam{{Name: "status", Enum: "refundStatus", Description: "only refunds in this status"}}, pageParams...),
		Response: refundPageView{}}, g.serve(ch, g.listRefunds))
}

func (g *Gateway) listPayments(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	req := &trade.ListPaymentsRequest{Caller: callerOf(c), Status: c.Query("status"), Provider: c.Query("provider"),
		Purpose: c.Query("purpose"), Limit: int32(limit), Cursor: c.Query("cursor")}
	switch c.Query("mismatched") {
	case "", "false":
	case "true":
		req.Mismatched = true
	default:
		return 0, nil, errkind.Invalidf("mismatched must be true or false")
	}
	resp, err := g.rpc.Queries.ListPayments(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	page := paymentPageView{Items: []paymentView{}, NextCursor: resp.NextCursor}
	for _, p := range resp.Payments {
		page.Items = append(page.Items, paymentOf(p))
	}
	return http.StatusOK, page, nil
}

func (g *Gateway) listRefunds(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.Queries.ListRefunds(ctx, &trade.ListRefundsRequest{Caller: callerOf(c), Status: c.Query("status"),
		Limit: int32(limit), Cursor: c.Query("cursor")})
	if err != nil {
		return 0, nil, err
	}
	page := refundPageView{Items: []refundView{}, NextCursor: resp.NextCursor}
	for _, r := range resp.Refunds {
		page.Items = append(page.Items, *refundOf(r))
	}
	return http.StatusOK, page, nil
}
