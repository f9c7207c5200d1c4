package tradesvc

import (
	"context"
	"errors"
	"time"

	tradecore "github.com/atriumtrade/atrium/product-layer/trade"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// Ping implements its service.
func (h *Queries) Ping(ctx context.Context, _ *trade.PingRequest) (*trade.PingResponse, error) {
	if err := h.db.PingContext(ctx); err != nil {
		return nil, errors.Join(errkind.ErrUnavailable, err)
	}
	return &trade.PingResponse{Ready: true}, nil
}

// GetTrade implements its service.
func (h *Queries) GetTrade(ctx context.Context, req *trade.TradeRef) (*trade.Trade, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	t, err := h.core.Trade(ctx, cl.tenant, cl.actor(), req.TradeId)
	if err != nil {
		return nil, err
	}
	return h.tradeView(ctx, cl, t)
}

// tradeView is a trade as it stands now, as every answer shows it (a replayed order answers its
// trade as it is, not as it was placed): its flow's state, payments, what counts toward its price
// from elsewhere and what is due, a pre-sale's terms, and each order's refunds.
func (h *views) tradeView(ctx context.Context, cl caller, t *order.Trade) (*trade.Trade, error) {
	dto := tradeDTO(t)
	ps, err := h.core.Payments(ctx, cl.tenant, cl.actor(), t.ID())
	if err != nil {
		return nil, err
	}
	if in, err := h.core.Instance(ctx, cl.tenant, t.ID()); err == nil {
		dto.State = in.State
	}
	if err := h.withDue(ctx, dto, t); err != nil {
		return nil, err
	}
	if v, ok := h.faces[t.Identity().Scenario()].(viewer); ok {
		if err := v.view(ctx, cl, dto, t); err != nil {
			return nil, err
		}
	}
	for _, p := range ps {
		dto.Payments = append(dto.Payments, paymentDTO(p))
	}
	return dto, h.attachRefunds(ctx, cl.tenant, dto.Orders...)
}

// actor is who the caller acts as: an admin is the tenant's operator; anyone else is a buyer,
// who sees only their own records.
func (cl caller) actor() tradecore.Actor {
	if cl.role == RoleAdmin {
		return tradecore.ByOperator(cl.userID)
	}
	return tradecore.ByBuyer(cl.userID)
}

// GetOrder implements its service.
func (h *Queries) GetOrder(ctx context.Context, req *trade.OrderRef) (*trade.Order, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	o, err := h.core.Order(ctx, cl.tenant, cl.actor(), req.OrderId)
	if err != nil {
		return nil, err
	}
	dto := orderDTO(o)
	return dto, h.attachRefunds(ctx, cl.tenant, dto)
}

// ListOrders implements its service: a buyer lists their own orders, an operator searches the
// tenant's.
func (h *Queries) ListOrders(ctx context.Context, req *trade.ListOrdersRequest) (*trade.ListOrdersResponse, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	s := tradecore.OrderSearch{Filter: order.Filter{Status: order.Status(req.Status), Scenario: identity.Scenario(req.Flow),
		SellerID: req.Seller, SKUID: req.Sku}, Q: req.Q, From: optTime(req.CreatedFrom), To: optTime(req.CreatedTo),
		Limit: int(req.Limit), Cursor: req.Cursor}
	if cl.role == RoleAdmin {
		s.UserID = req.Buyer
	}
	page, err := h.core.SearchOrders(ctx, cl.tenant, cl.actor(), s)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListOrdersResponse{NextCursor: page.Next, Orders: []*trade.Order{}}
	for _, o := range page.Orders {
		resp.Orders = append(resp.Orders, orderDTO(o))
	}
	return resp, h.attachRefunds(ctx, cl.tenant, resp.Orders...)
}

// optTime reads a unix-ms bound; 0 is none.
func optTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// attachRefunds sets the refunds of each order that can have any (refunded; cancelled: a
// pre-sale deposit goes back with a cancelled order; paid: after-sale refunds some of its units)
// in one read; a page of orders that cannot costs none.
func (h *views) attachRefunds(ctx context.Context, tenant string, orders ...*trade.Order) error {
	var ids []string
	for _, o := range orders {
		if o.Paid || o.Status == string(order.Refunded) || o.Status == string(order.Cancelled) {
			ids = append(ids, o.OrderId)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rs, err := h.core.Refunds(ctx, tenant, ids)
	if err != nil {
		return err
	}
	for _, o := range orders {
		for _, r := range rs[o.OrderId] {
			o.Refunds = append(o.Refunds, refundDTO(r))
		}
		if len(o.Refunds) > 0 {
			o.Refund = o.Refunds[0]
		}
	}
	return nil
}

func refundDTO(r *payment.Refund) *trade.Refund {
	return &trade.Refund{RefundId: r.ID(), OrderId: r.OrderID(), PaymentId: r.PaymentID(), Amount: moneyDTO(r.Amount()),
		Status: string(r.Status()), Reason: r.Reason(), CreatedAt: millis(r.CreatedAt()), SettledAt: optMillis(r.SettledAt()),
		AfterSaleId: r.AfterSaleID(), ProviderRef: r.ProviderRef()}
}

// ListPayments implements its service.
func (h *Queries) ListPayments(ctx context.Context, req *trade.ListPaymentsRequest) (*trade.ListPaymentsResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	page, err := h.core.ListPayments(ctx, cl.tenant, payment.Filter{Status: payment.Status(req.Status), Provider: req.Provider,
		Purpose: payment.Purpose(req.Purpose), Mismatched: req.Mismatched}, int(req.Limit), req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListPaymentsResponse{Payments: []*trade.Payment{}, NextCursor: page.Next}
	for _, p := range page.Payments {
		resp.Payments = append(resp.Payments, paymentDTO(p))
	}
	return resp, nil
}

// ListRefunds implements its service.
func (h *Queries) ListRefunds(ctx context.Context, req *trade.ListRefundsRequest) (*trade.ListRefundsResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	page, err := h.core.ListRefunds(ctx, cl.tenant, payment.RefundFilter{Status: payment.RefundStatus(req.Status)}, int(req.Limit), req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListRefundsResponse{Refunds: []*trade.Refund{}, NextCursor: page.Next}
	for _, r := range page.Refunds {
		resp.Refunds = append(resp.Refunds, refundDTO(r))
	}
	return resp, nil
}
