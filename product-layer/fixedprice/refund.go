package fixedprice

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TimerRefund is the kind of the durable job that asks the provider for a refund (the core's).
const TimerRefund = trade.TimerRefund

// Refund reasons.
const (
	ReasonBuyerRefund    = "buyer_requested"
	ReasonOperatorRefund = "operator_refunded"
)

// Topics of the refund events (the trade core's).
const (
	// TopicOrderRefunded: a paid child order was closed before shipping and its money is owed back.
	TopicOrderRefunded = trade.TopicOrderRefunded
	// TopicPaymentRefunded: the provider accepted a refund.
	TopicPaymentRefunded = trade.TopicPaymentRefunded
)

// RefundEvent is the payload of order.refunded (payment.refunded carries trade.RefundEvent).
type RefundEvent struct {
	Tenant    string `json:"tenant"`
	TradeID   string `json:"tradeId"`
	OrderID   string `json:"orderId"`
	UserID    string `json:"userId,omitempty"`
	RefundID  string `json:"refundId,omitempty"`
	PaymentID string `json:"paymentId,omitempty"`
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Currency  string `json:"currency"`
	// Amount is what goes back: Goods - Discount + ShippingFee of the order.
	Amount      int64 `json:"amount"`
	Goods       int64 `json:"goods"`
	Discount    int64 `json:"discount"`
	ShippingFee int64 `json:"shippingFee"`
	// BudgetReturned is what went back to each campaign's budget.
	BudgetReturned map[string]int64 `json:"budgetReturned,omitempty"`
	// CouponsReleased is set when this refund closed the trade's last live order, so its coupon
	// uses came back too.
	CouponsReleased bool   `json:"couponsReleased,omitempty"`
	ProviderRef     string `json:"providerRef,omitempty"`
	// Flow is the order's scenario and Lines what it held: the refund gives all of them back.
	Flow  string            `json:"flow"`
	Lines []trade.LineEvent `json:"lines"`
	At    time.Time         `json:"at"`
}

// Refund asks for a paid child order to be refunded. The order must not have shipped: goods that
// left the warehouse come back through after-sale, not here. In one transaction the order
// becomes refunded, its sold stock goes back on sale, its purchase-limit claims are released,
// its discounts' share of each campaign budget is returned (the trade's coupon stays used while
// another of its orders lives on; with the last one, everything the trade redeemed comes back),
// the refund of exactly what the order cost (goods less discounts plus its shipping part) is
// recorded against the trade's payment, and order.refunded is written to the outbox. The
// provider is asked right after; if it does not accept, a durable job asks again until it does.
// Refunding a refunded order returns it unchanged.
func (f *Flow) Refund(ctx context.Context, tenant string, a trade.Actor, orderID, reason string) (*order.Order, *payment.Refund, error) {
	var (
		o *order.Order
		r *payment.Refund
	)
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		tr, locked, err := f.core.LockOrder(ctx, tenant, a, orderID)
		if err != nil {
			return err
		}
		o, r = locked, nil
		if o.Status() == order.Refunded {
			rs, err := f.d.Payments.RefundsOfOrders(ctx, tenant, []string{o.ID()})
			if len(rs) > 0 {
				r = rs[0]
			}
			return err
		}
		r, err = f.refundLocked(ctx, tr, o, reason)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if r != nil && r.Status() == payment.RefundPending {
		if err := f.core.SettleRefund(ctx, r); err != nil {
			f.d.Log.Warn("refund not accepted by the provider yet; it is asked again", "tenant", tenant, "refund", r.ID(), "err", err)
		}
	}
	return o, r, nil
}

func (f *Flow) refundLocked(ctx context.Context, tr *order.Trade, o *order.Order, reason string) (*payment.Refund, error) {
	now := f.d.Now()
	if o.Status() != order.Paid {
		// Goods that left the warehouse come back through after-sale, by line and unit.
		return nil, errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: only a paid order that has not shipped is refunded whole", o.ID(), o.Status())
	}
	if err := o.Refund(now); err != nil {
		return nil, err
	}
	var r *payment.Refund
	if o.Total().Minor() > 0 {
		pay, err := f.refundablePayment(ctx, tr, o)
		if err != nil {
			return nil, err
		}
		if r, err = f.core.OweRefund(ctx, pay, o.ID(), reason, o.Total()); err != nil {
			return nil, err
		}
	}
	if err := f.d.Orders.Save(ctx, o); err != nil {
		return nil, err
	}
	back, err := f.core.UndoOrder(ctx, tr, o, trade.Undo{Stock: trade.Restock})
	if err != nil {
		return nil, err
	}
	ev := refundEvent(o, r, reason, now)
	ev.BudgetReturned, ev.CouponsReleased = back.BudgetReturned, back.CouponsReleased
	if _, err := f.d.Outbox.Append(ctx, TopicOrderRefunded, o.Tenant(), o.TradeID(), ev); err != nil {
		return nil, err
	}
	return r, nil
}

// refundablePayment is the trade's succeeded payment that the order's money goes back from, with
// what its refunds already give back. The latest succeeded payment is the one that paid the
// orders (an earlier one that succeeded after its trade changed is owed back whole, through
// payment.refund_required).
func (f *Flow) refundablePayment(ctx context.Context, tr *order.Trade, o *order.Order) (*payment.Payment, error) {
	ps, err := f.d.Payments.ByTrade(ctx, tr.Tenant(), tr.ID())
	if err != nil {
		return nil, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Status() == payment.Succeeded && ps[i].Purpose() == payment.Full {
			return ps[i], nil
		}
	}
	return nil, errkind.WithDetail(payment.ErrNotRefundable, "trade %s has no succeeded payment to refund order %s from", tr.ID(), o.ID())
}

func refundEvent(o *order.Order, r *payment.Refund, reason string, now time.Time) RefundEvent {
	a := o.Amounts()
	ev := RefundEvent{Tenant: o.Tenant(), TradeID: o.TradeID(), OrderID: o.ID(), UserID: o.UserID(), Status: string(o.Status()),
		Reason: reason, Currency: a.Total.Currency().Code(), Amount: a.Total.Minor(), Goods: a.Subtotal.Minor(),
		Discount: a.Discount.Minor(), ShippingFee: a.ShippingFee.Minor(), Flow: string(o.Scenario()), Lines: trade.LineEvents(o), At: now}
	if r != nil {
		ev.RefundID, ev.PaymentID = r.ID(), r.PaymentID()
	}
	return ev
}

// Refunds are the refunds of the tenant's orders ids, by order id.
func (f *Flow) Refunds(ctx context.Context, tenant string, orderIDs []string) (map[string][]*payment.Refund, error) {
	rs, err := f.d.Payments.RefundsOfOrders(ctx, tenant, orderIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*payment.Refund, len(rs))
	for _, r := range rs {
		out[r.OrderID()] = append(out[r.OrderID()], r)
	}
	return out, nil
}
