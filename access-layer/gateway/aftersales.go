package gateway

import (
	"bytes"
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

type afterSaleAsk struct {
	LineNo   int32 `json:"lineNo"`
	Quantity int64 `json:"quantity"`
}

// afterSaleRequest is a buyer's request for some units of one order back.
type afterSaleRequest struct {
	// Kind is refund_only (before the goods arrive) or return_refund (after delivery).
	Kind   string         `json:"kind"`
	Lines  []afterSaleAsk `json:"lines"`
	Reason string         `json:"reason"`
	Note   string         `json:"note,omitempty"`
}

type returnShipmentRequest struct {
	Carrier    string `json:"carrier"`
	TrackingNo string `json:"trackingNo"`
}

// approveRequest grants the request's amount, or less (amount, minor units, with a reason).
type approveRequest struct {
	Amount *int64 `json:"amount,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type rejectRequest struct {
	Reason string `json:"reason"`
}

type receiveRequest struct {
	// Condition is sellable (back on sale) or damaged (off sale).
	Condition string `json:"condition"`
}

type confirmRefundRequest struct {
	// Reference is the proof of the payment made by hand (a transfer's number).
	Reference string `json:"reference"`
}

type afterSaleLineView struct {
	LineNo      int32  `json:"lineNo"`
	SkuID       string `json:"skuId"`
	WarehouseID string `json:"warehouseId"`
	Quantity    int64  `json:"quantity"`
	Amount      Money  `json:"amount"`
	Discount    Money  `json:"discount"`
}

type afterSaleView struct {
	AfterSaleID string              `json:"afterSaleId"`
	TradeID     string              `json:"tradeId"`
	OrderID     string              `json:"orderId"`
	UserID      string              `json:"userId"`
	Kind        string              `json:"kind"`
	Status      string              `json:"status"`
	Lines       []afterSaleLineView `json:"lines"`
	Reason      string              `json:"reason"`
	Note        string              `json:"note,omitempty"`
	// Goods + Shipping = Computed, what the units paid; Amount is what goes back.
	Goods      Money        `json:"goods"`
	Shipping   Money        `json:"shipping"`
	Computed   Money        `json:"computed"`
	Amount     Money        `json:"amount"`
	Decision   string       `json:"decision,omitempty"`
	DecidedBy  string       `json:"decidedBy,omitempty"`
	Condition  string       `json:"condition,omitempty"`
	Carrier    string       `json:"carrier,omitempty"`
	TrackingNo string       `json:"trackingNo,omitempty"`
	Refunds    []refundView `json:"refunds"`
	CreatedAt  string       `json:"createdAt"`
	UpdatedAt  string       `json:"updatedAt"`
}

type afterSalePageView struct {
	AfterSales []afterSaleView `json:"afterSales"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// afterSalePolicyView is a tenant's after-sale policy; windows in seconds.
type afterSalePolicyView struct {
	ReturnWindowSeconds int64            `json:"returnWindowSeconds"`
	TagWindowSeconds    map[string]int64 `json:"tagWindowSeconds"`
	// Shipping is never, always (in step with the goods) or whole_order.
	Shipping              string `json:"shipping"`
	AutoApproveUnshipped  bool   `json:"autoApproveUnshipped"`
	SellerWindowSeconds   int64  `json:"sellerWindowSeconds"`
	ShipBackWindowSeconds int64  `json:"shipBackWindowSeconds"`
}

// statusPageParams are the query parameters of after-sale lists.
var statusPageParams = append([]queryParam{{Name: "status", Description: "only requests in this status"}}, pageParams...)

func (g *Gateway) afterSaleBuyerRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "POST", Path: p + "/orders/:orderId/aftersales", Channel: ch, Auth: true, Idempotent: true, Status: http.StatusCreated,
		Summary: "Ask for some units of an order back: refund_only before the goods arrive, return_refund after delivery; each unit gives back exactly what it paid",
		Request: afterSaleRequest{}, Response: afterSaleView{}}, g.serve(ch, g.requestAfterSale(ch)))
	g.add(route{Method: "GET", Path: p + "/aftersales", Channel: ch, Auth: true, Summary: "List my after-sale requests, newest first",
		Query: statusPageParams, Response: afterSalePageView{}}, g.serve(ch, g.listAfterSales))
	g.add(route{Method: "GET", Path: p + "/aftersales/:afterSaleId", Channel: ch, Auth: true, Summary: "Get one of my after-sale requests",
		Response: afterSaleView{}}, g.serve(ch, g.getAfterSale))
	g.add(route{Method: "POST", Path: p + "/aftersales/:afterSaleId/cancel", Channel: ch, Auth: true,
		Summary: "Withdraw an after-sale request before it is decided", Response: afterSaleView{}}, g.serve(ch, g.cancelAfterSale))
	g.add(route{Method: "POST", Path: p + "/aftersales/:afterSaleId/return-shipment", Channel: ch, Auth: true,
		Summary: "Say how the goods of an approved return travel back", Request: returnShipmentRequest{}, Response: afterSaleView{}},
		g.serve(ch, g.shipReturn(ch)))
}

func (g *Gateway) afterSaleAdminRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "GET", Path: p + "/aftersales", Channel: ch, Auth: true, Summary: "List the tenant's after-sale requests, newest first",
		Query: statusPageParams, Response: afterSalePageView{}}, g.serve(ch, g.listAfterSales))
	g.add(route{Method: "GET", Path: p + "/aftersales/:afterSaleId", Channel: ch, Auth: true, Summary: "Get an after-sale request",
		Response: afterSaleView{}}, g.serve(ch, g.getAfterSale))
	g.add(route{Method: "POST", Path: p + "/aftersales/:afterSaleId/approve", Channel: ch, Auth: true,
		Summary: "Approve a request at its amount, or less (amount in minor units, with a reason); refund only is refunded at once",
		Request: approveRequest{}, Response: afterSaleView{}}, g.serve(ch, g.approveAfterSale(ch)))
	g.add(route{Method: "POST", Path: p + "/aftersales/:afterSaleId/reject", Channel: ch, Auth: true, Summary: "Reject a request, with a reason",
		Request: rejectRequest{}, Response: afterSaleView{}}, g.serve(ch, g.rejectAfterSale(ch)))
	g.add(route{Method: "POST", Path: p + "/aftersales/:afterSaleId/receive", Channel: ch, Auth: true,
		Summary: "Record a return's goods as received, sellable or damaged, and refund it", Request: receiveRequest{}, Response: afterSaleView{}},
		g.serve(ch, g.receiveReturn(ch)))
	g.add(route{Method: "PUT", Path: p + "/aftersale-policy", Channel: ch, Auth: true,
		Summary: "Set the tenant's after-sale policy: return window, per-tag windows (0: no returns), shipping rule, auto-approval, seller and ship-back windows",
		Request: afterSalePolicyView{}, Response: afterSalePolicyView{}}, g.serve(ch, g.putAfterSalePolicy(ch)))
	g.add(route{Method: "GET", Path: p + "/aftersale-policy", Channel: ch, Auth: true, Summary: "Get the tenant's after-sale policy",
		Response: afterSalePolicyView{}}, g.serve(ch, g.getAfterSalePolicy))
	g.add(route{Method: "POST", Path: p + "/refunds/:refundId/confirm", Channel: ch, Auth: true,
		Summary: "Confirm that a refund of money collected offline (cash on delivery) was paid by hand",
		Request: confirmRefundRequest{}, Response: refundView{}}, g.serve(ch, g.confirmRefund(ch)))
}

func (g *Gateway) requestAfterSale(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		key, err := idempotencyKey(c)
		if err != nil {
			return 0, nil, err
		}
		var req afterSaleRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		r := &trade.RequestAfterSaleRequest{Caller: callerOf(c), OrderId: c.Param("orderId"), Kind: req.Kind, Reason: req.Reason,
			Note: req.Note, IdempotencyKey: key}
		for _, l := range req.Lines {
			r.Lines = append(r.Lines, &trade.AfterSaleAsk{LineNo: l.LineNo, Quantity: l.Quantity})
		}
		resp, err := g.rpc.AfterSales.RequestAfterSale(ctx, r)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, afterSaleOf(resp), nil
	}
}

func (g *Gateway) listAfterSales(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.AfterSales.ListAfterSales(ctx, &trade.ListAfterSalesRequest{Caller: callerOf(c), Status: c.Query("status"),
		Limit: int32(limit), Cursor: c.Query("cursor")})
	if err != nil {
		return 0, nil, err
	}
	page := afterSalePageView{AfterSales: []afterSaleView{}, NextCursor: resp.NextCursor}
	for _, a := range resp.AfterSales {
		page.AfterSales = append(page.AfterSales, afterSaleOf(a))
	}
	return http.StatusOK, page, nil
}

func (g *Gateway) getAfterSale(ctx context.Context, c *app.RequestContext) (int, any, error) {
	return afterSaleReply(g.rpc.AfterSales.GetAfterSale(ctx, &trade.AfterSaleRef{Caller: callerOf(c), AfterSaleId: c.Param("afterSaleId")}))
}

func (g *Gateway) cancelAfterSale(ctx context.Context, c *app.RequestContext) (int, any, error) {
	return afterSaleReply(g.rpc.AfterSales.CancelAfterSale(ctx, &trade.AfterSaleRef{Caller: callerOf(c), AfterSaleId: c.Param("afterSaleId")}))
}

func (g *Gateway) shipReturn(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req returnShipmentRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		return afterSaleReply(g.rpc.AfterSales.ShipReturn(ctx, &trade.ShipReturnRequest{Caller: callerOf(c), AfterSaleId: c.Param("afterSaleId"),
			Carrier: req.Carrier, TrackingNo: req.TrackingNo}))
	}
}

func (g *Gateway) approveAfterSale(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req approveRequest
		if body := c.Request.Body(); len(bytes.TrimSpace(body)) > 0 { // no body: approve as asked
			if err := ch.decode(body, &req); err != nil {
				return 0, nil, err
			}
		}
		return afterSaleReply(g.rpc.AfterSales.ApproveAfterSale(ctx, &trade.ApproveAfterSaleRequest{Caller: callerOf(c),
			AfterSaleId: c.Param("afterSaleId"), Amount: req.Amount, Reason: req.Reason}))
	}
}

func (g *Gateway) rejectAfterSale(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req rejectRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		return afterSaleReply(g.rpc.AfterSales.RejectAfterSale(ctx, &trade.RejectAfterSaleRequest{Caller: callerOf(c),
			AfterSaleId: c.Param("afterSaleId"), Reason: req.Reason}))
	}
}

func (g *Gateway) receiveReturn(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req receiveRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		return afterSaleReply(g.rpc.AfterSales.ReceiveReturn(ctx, &trade.ReceiveReturnRequest{Caller: callerOf(c),
			AfterSaleId: c.Param("afterSaleId"), Condition: req.Condition}))
	}
}

func (g *Gateway) putAfterSalePolicy(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var v afterSalePolicyView
		if err := ch.decode(c.Request.Body(), &v); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.AfterSaleAdmin.PutAfterSalePolicy(ctx, &trade.PutAfterSalePolicyRequest{Caller: callerOf(c), Policy: &trade.AfterSalePolicy{
			ReturnWindowSeconds: v.ReturnWindowSeconds, TagWindowSeconds: v.TagWindowSeconds, Shipping: v.Shipping,
			AutoApproveUnshipped: v.AutoApproveUnshipped, SellerWindowSeconds: v.SellerWindowSeconds, ShipBackWindowSeconds: v.ShipBackWindowSeconds}})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, policyOf(resp), nil
	}
}

func (g *Gateway) getAfterSalePolicy(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.AfterSaleAdmin.GetAfterSalePolicy(ctx, &trade.GetAfterSalePolicyRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, policyOf(resp), nil
}

func (g *Gateway) confirmRefund(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req confirmRefundRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.AfterSaleAdmin.ConfirmRefund(ctx, &trade.ConfirmRefundRequest{Caller: callerOf(c), RefundId: c.Param("refundId"),
			Reference: req.Reference})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, refundOf(resp), nil
	}
}

func afterSaleReply(a *trade.AfterSale, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, afterSaleOf(a), nil
}

func afterSaleOf(a *trade.AfterSale) afterSaleView {
	v := afterSaleView{AfterSaleID: a.AfterSaleId, TradeID: a.TradeId, OrderID: a.OrderId, UserID: a.UserId, Kind: a.Kind, Status: a.Status,
		Lines: []afterSaleLineView{}, Reason: a.Reason, Note: a.Note, Goods: moneyOf(a.Goods), Shipping: moneyOf(a.Shipping),
		Computed: moneyOf(a.Computed), Amount: moneyOf(a.Amount), Decision: a.Decision, DecidedBy: a.DecidedBy, Condition: a.Condition,
		Carrier: a.Carrier, TrackingNo: a.TrackingNo, Refunds: []refundView{}, CreatedAt: timeOf(a.CreatedAt), UpdatedAt: timeOf(a.UpdatedAt)}
	for _, l := range a.Lines {
		v.Lines = append(v.Lines, afterSaleLineView{LineNo: l.LineNo, SkuID: l.SkuId, WarehouseID: l.WarehouseId, Quantity: l.Quantity,
			Amount: moneyOf(l.Amount), Discount: moneyOf(l.Discount)})
	}
	for _, r := range a.Refunds {
		v.Refunds = append(v.Refunds, *refundOf(r))
	}
	return v
}

func policyOf(p *trade.AfterSalePolicy) afterSalePolicyView {
	v := afterSalePolicyView{ReturnWindowSeconds: p.ReturnWindowSeconds, TagWindowSeconds: p.TagWindowSeconds, Shipping: p.Shipping,
		AutoApproveUnshipped: p.AutoApproveUnshipped, SellerWindowSeconds: p.SellerWindowSeconds, ShipBackWindowSeconds: p.ShipBackWindowSeconds}
	if v.TagWindowSeconds == nil {
		v.TagWindowSeconds = map[string]int64{}
	}
	return v
}
