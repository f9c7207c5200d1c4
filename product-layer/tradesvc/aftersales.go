package tradesvc

import (
	"context"
	"time"

	asale "github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/aftersale"
)

var (
	_ trade.AfterSales     = (*AfterSales)(nil)
	_ trade.AfterSaleAdmin = (*AfterSaleAdmin)(nil)
)

// RequestAfterSale implements its service.
func (h *AfterSales) RequestAfterSale(ctx context.Context, req *trade.RequestAfterSaleRequest) (*trade.AfterSale, error) {
	cl, err := asBuyer(req.Caller)
	if err != nil {
		return nil, err
	}
	asks := make([]asale.Ask, 0, len(req.Lines))
	for i, l := range req.Lines {
		if l == nil {
			return nil, errkind.WithDetail(asale.ErrInvalidRequest, "lines[%d] is empty", i)
		}
		asks = append(asks, asale.Ask{LineNo: int(l.LineNo), Quantity: l.Quantity})
	}
	a, err := h.aftersale.Request(ctx, aftersale.Request{Tenant: cl.tenant, Actor: cl.actor(), OrderID: req.OrderId, Kind: asale.Kind(req.Kind),
		Lines: asks, Reason: req.Reason, Note: req.Note, IdempotencyKey: req.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	return h.afterSaleDTO(ctx, a)
}

// GetAfterSale implements its service.
func (h *AfterSales) GetAfterSale(ctx context.Context, req *trade.AfterSaleRef) (*trade.AfterSale, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	a, err := h.aftersale.Get(ctx, cl.tenant, cl.actor(), req.AfterSaleId)
	if err != nil {
		return nil, err
	}
	return h.afterSaleDTO(ctx, a)
}

// ListAfterSales implements its service.
func (h *AfterSales) ListAfterSales(ctx context.Context, req *trade.ListAfterSalesRequest) (*trade.ListAfterSalesResponse, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	page, err := h.aftersale.List(ctx, cl.tenant, cl.actor(), asale.Status(req.Status), int(req.Limit), req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListAfterSalesResponse{AfterSales: []*trade.AfterSale{}, NextCursor: page.Next}
	for _, a := range page.AfterSales {
		dto, err := h.afterSaleDTO(ctx, a)
		if err != nil {
			return nil, err
		}
		resp.AfterSales = append(resp.AfterSales, dto)
	}
	return resp, nil
}

// CancelAfterSale implements its service.
func (h *AfterSales) CancelAfterSale(ctx context.Context, req *trade.AfterSaleRef) (*trade.AfterSale, error) {
	cl, err := asBuyer(req.Caller)
	if err != nil {
		return nil, err
	}
	return h.dto(h.aftersale.Cancel(ctx, cl.tenant, cl.actor(), req.AfterSaleId))(ctx)
}

// ShipReturn implements its service.
func (h *AfterSales) ShipReturn(ctx context.Context, req *trade.ShipReturnRequest) (*trade.AfterSale, error) {
	cl, err := asBuyer(req.Caller)
	if err != nil {
		return nil, err
	}
	return h.dto(h.aftersale.ShipBack(ctx, cl.tenant, cl.actor(), req.AfterSaleId,
		asale.Shipment{Carrier: req.Carrier, TrackingNo: req.TrackingNo}))(ctx)
}

// ApproveAfterSale implements its service.
func (h *AfterSales) ApproveAfterSale(ctx context.Context, req *trade.ApproveAfterSaleRequest) (*trade.AfterSale, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	return h.dto(h.aftersale.Approve(ctx, cl.tenant, cl.actor(), req.AfterSaleId, req.Amount, req.Reason))(ctx)
}

// RejectAfterSale implements its service.
func (h *AfterSales) RejectAfterSale(ctx context.Context, req *trade.RejectAfterSaleRequest) (*trade.AfterSale, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	return h.dto(h.aftersale.Reject(ctx, cl.tenant, cl.actor(), req.AfterSaleId, req.Reason))(ctx)
}

// ReceiveReturn implements its service.
func (h *AfterSales) ReceiveReturn(ctx context.Context, req *trade.ReceiveReturnRequest) (*trade.AfterSale, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	return h.dto(h.aftersale.Receive(ctx, cl.tenant, cl.actor(), req.AfterSaleId, asale.Condition(req.Condition)))(ctx)
}

// dto turns a command's result into its DTO, or passes its error on.
func (h *afterSales) dto(a *asale.AfterSale, err error) func(context.Context) (*trade.AfterSale, error) {
	return func(ctx context.Context) (*trade.AfterSale, error) {
		if err != nil {
			return nil, err
		}
		return h.afterSaleDTO(ctx, a)
	}
}

func (h *afterSales) afterSaleDTO(ctx context.Context, a *asale.AfterSale) (*trade.AfterSale, error) {
	refunds, err := h.aftersale.Refunds(ctx, a)
	if err != nil {
		return nil, err
	}
	dto := &trade.AfterSale{AfterSaleId: a.ID(), TradeId: a.TradeID(), OrderId: a.OrderID(), UserId: a.UserID(), Kind: string(a.Kind()),
		Status: string(a.Status()), Lines: []*trade.AfterSaleLine{}, Reason: a.Reason(), Note: a.Note(), Goods: moneyDTO(a.Goods()),
		Shipping: moneyDTO(a.Shipping()), Computed: moneyDTO(a.Computed()), Amount: moneyDTO(a.Amount()), Decision: a.Decision(),
		DecidedBy: a.DecidedBy(), Condition: string(a.Condition()), Carrier: a.Shipment().Carrier, TrackingNo: a.Shipment().TrackingNo,
		Refunds: []*trade.Refund{}, CreatedAt: millis(a.CreatedAt()), UpdatedAt: millis(a.UpdatedAt())}
	for _, l := range a.Lines() {
		dto.Lines = append(dto.Lines, &trade.AfterSaleLine{LineNo: int32(l.LineNo), SkuId: l.SKUID, WarehouseId: l.WarehouseID,
			Quantity: l.Quantity, Amount: moneyDTO(l.Amount), Discount: moneyDTO(l.Discount)})
	}
	for _, r := range refunds {
		dto.Refunds = append(dto.Refunds, refundDTO(r))
	}
	return dto, nil
}

// PutAfterSalePolicy implements its service.
func (h *AfterSaleAdmin) PutAfterSalePolicy(ctx context.Context, req *trade.PutAfterSalePolicyRequest) (*trade.AfterSalePolicy, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	d := req.Policy
	if d == nil {
		return nil, errkind.WithDetail(asale.ErrInvalidPolicy, "policy is required")
	}
	seconds := func(what string, n int64) (time.Duration, error) {
		if n < 0 || n > int64(asale.MaxWindow/time.Second) {
			return 0, errkind.WithDetail(asale.ErrInvalidPolicy, "%s must be between 0 and %d seconds", what, int64(asale.MaxWindow/time.Second))
		}
		return time.Duration(n) * time.Second, nil
	}
	p := asale.Policy{Shipping: asale.ShippingRule(d.Shipping), AutoApproveUnshipped: d.AutoApproveUnshipped}
	for _, w := range []struct {
		what string
		n    int64
		to   *time.Duration
	}{{"returnWindowSeconds", d.ReturnWindowSeconds, &p.ReturnWindow}, {"sellerWindowSeconds", d.SellerWindowSeconds, &p.SellerWindow},
		{"shipBackWindowSeconds", d.ShipBackWindowSeconds, &p.ShipBackWindow}} {
		if *w.to, err = seconds(w.what, w.n); err != nil {
			return nil, err
		}
	}
	if len(d.TagWindowSeconds) > 0 {
		p.TagWindows = map[string]time.Duration{}
		for tag, n := range d.TagWindowSeconds {
			if p.TagWindows[tag], err = seconds("tagWindowSeconds."+tag, n); err != nil {
				return nil, err
			}
		}
	}
	if err := h.aftersale.PutPolicy(ctx, cl.tenant, p); err != nil {
		return nil, err
	}
	return policyDTO(p), nil
}

// GetAfterSalePolicy implements its service.
func (h *AfterSaleAdmin) GetAfterSalePolicy(ctx context.Context, req *trade.GetAfterSalePolicyRequest) (*trade.AfterSalePolicy, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	p, err := h.aftersale.Policy(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	return policyDTO(p), nil
}

func policyDTO(p asale.Policy) *trade.AfterSalePolicy {
	dto := &trade.AfterSalePolicy{ReturnWindowSeconds: int64(p.ReturnWindow / time.Second), TagWindowSeconds: map[string]int64{},
		Shipping: string(p.Shipping), AutoApproveUnshipped: p.AutoApproveUnshipped, SellerWindowSeconds: int64(p.SellerWindow / time.Second),
		ShipBackWindowSeconds: int64(p.ShipBackWindow / time.Second)}
	for tag, w := range p.TagWindows {
		dto.TagWindowSeconds[tag] = int64(w / time.Second)
	}
	return dto
}

// ConfirmRefund implements its service.
func (h *AfterSaleAdmin) ConfirmRefund(ctx context.Context, req *trade.ConfirmRefundRequest) (*trade.Refund, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	r, err := h.core.ConfirmRefund(ctx, cl.tenant, cl.actor(), req.RefundId, req.Reference)
	if err != nil {
		return nil, err
	}
	return refundDTO(r), nil
}
