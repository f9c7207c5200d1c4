package tradesvc

import (
	"context"
	"net/http"

	tradecore "github.com/atriumtrade/atrium/product-layer/trade"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
)

// Reasons of a whole-order refund, by who asked.
const (
	ReasonBuyerRefund    = "buyer_requested"
	ReasonOperatorRefund = "operator_refunded"
)

// RefundOrder implements its service: the shorthand for an after-sale request of every unit of a
// paid order that has not shipped, approved at once.
func (h *Lifecycle) RefundOrder(ctx context.Context, req *trade.OrderRef) (*trade.Order, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	reason := ReasonBuyerRefund
	if cl.role == RoleAdmin {
		reason = ReasonOperatorRefund
	}
	o, rs, err := h.aftersale.RefundWhole(ctx, cl.tenant, cl.actor(), req.OrderId, reason)
	if err != nil {
		return nil, err
	}
	dto := orderDTO(o)
	for _, r := range rs {
		dto.Refunds = append(dto.Refunds, refundDTO(r))
	}
	if len(dto.Refunds) > 0 {
		dto.Refund = dto.Refunds[0]
	}
	return dto, nil
}

// CancelOrder implements its service: the order's own flow cancels it (trade.Core.Cancel).
func (h *Lifecycle) CancelOrder(ctx context.Context, req *trade.CancelOrderRequest) (*trade.Order, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	reason := fixedprice.ReasonBuyer
	if cl.role == RoleAdmin {
		reason = ReasonOperator
	}
	o, err := h.core.Cancel(ctx, cl.tenant, req.OrderId, tradecore.Cancellation{Actor: cl.actor(), Reason: reason,
		RefundDeposit: req.RefundDeposit})
	if err != nil {
		return nil, err
	}
	return orderDTO(o), nil
}

// ShipOrder implements its service.
func (h *Lifecycle) ShipOrder(ctx context.Context, req *trade.ShipOrderRequest) (*trade.Order, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	o, err := h.core.Ship(ctx, cl.tenant, cl.actor(), req.OrderId, order.Shipment{Carrier: req.Carrier, TrackingNo: req.TrackingNo})
	if err != nil {
		return nil, err
	}
	return orderDTO(o), nil
}

// DeliverOrder implements its service.
func (h *Lifecycle) DeliverOrder(ctx context.Context, req *trade.DeliverOrderRequest) (*trade.Order, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	o, err := h.core.Deliver(ctx, cl.tenant, cl.actor(), req.OrderId, tradecore.Delivery{Outcome: req.Outcome, Collected: req.Collected})
	if err != nil {
		return nil, err
	}
	return orderDTO(o), nil
}

// CompleteOrder implements its service.
func (h *Lifecycle) CompleteOrder(ctx context.Context, req *trade.OrderRef) (*trade.Order, error) {
	cl, err := asBuyer(req.Caller)
	if err != nil {
		return nil, err
	}
	o, err := h.core.Complete(ctx, cl.tenant, cl.actor(), req.OrderId)
	if err != nil {
		return nil, err
	}
	return orderDTO(o), nil
}

// CreatePayment implements its service.
func (h *Lifecycle) CreatePayment(ctx context.Context, req *trade.CreatePaymentRequest) (*trade.Payment, error) {
	cl, err := asBuyer(req.Caller)
	if err != nil {
		return nil, err
	}
	p, err := h.core.CreatePayment(ctx, tradecore.CreatePayment{Tenant: cl.tenant, UserID: cl.userID, TradeID: req.TradeId,
		Method: req.Method, IdempotencyKey: req.IdempotencyKey, Purpose: payment.Purpose(req.Purpose)})
	if err != nil {
		return nil, err
	}
	return paymentDTO(p), nil
}

// SimulatePayment implements its service.
func (h *Lifecycle) SimulatePayment(ctx context.Context, req *trade.SimulatePaymentRequest) (*trade.Payment, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	outcome := payment.Outcome(req.Outcome)
	if outcome != payment.OutcomeSucceeded && outcome != payment.OutcomeFailed {
		return nil, errkind.Invalidf("outcome must be \"succeeded\" or \"failed\"")
	}
	p, err := h.core.Payment(ctx, cl.tenant, req.PaymentId)
	if err != nil {
		return nil, err
	}
	if p.Provider() != "sandbox" || h.simulator == nil {
		return nil, errkind.WithDetail(payment.ErrUnknownProvider, "only sandbox payments can be simulated")
	}
	if err := h.simulator.Simulate(ctx, p, outcome); err != nil {
		return nil, err
	}
	if p, err = h.core.Payment(ctx, cl.tenant, req.PaymentId); err != nil {
		return nil, err
	}
	return paymentDTO(p), nil
}

// PaymentCallback implements its service.
func (h *Lifecycle) PaymentCallback(ctx context.Context, req *trade.PaymentCallbackRequest) (*trade.PaymentCallbackResponse, error) {
	hdr := http.Header{}
	for k, v := range req.Headers {
		hdr.Set(k, v)
	}
	err := h.core.HandlePaymentCallback(ctx, req.Provider, hdr, req.Body)
	if err != nil {
		return nil, err
	}
	return &trade.PaymentCallbackResponse{Accepted: true}, nil
}
