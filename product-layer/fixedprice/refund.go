package fixedprice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TimerRefund is the kind of the durable job that asks the provider for a refund until it
// accepts; it is set in the refund's own transaction, so an owed refund is never forgotten.
const TimerRefund = "fixedprice.refund"

// refundRetry is when the backstop job first asks again: the flow asks the provider right after
// the refund commits, and the job only matters when that ask failed or the process died.
const refundRetry = 30 * time.Second

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

// RefundEvent is the payload of order.refunded and payment.refunded.
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
	CouponsReleased bool      `json:"couponsReleased,omitempty"`
	ProviderRef     string    `json:"providerRef,omitempty"`
	At              time.Time `json:"at"`
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
		if err := f.settleRefund(ctx, r); err != nil {
			f.d.Log.Warn("refund not accepted by the provider yet; it is asked again", "tenant", tenant, "refund", r.ID(), "err", err)
		}
	}
	return o, r, nil
}

func (f *Flow) refundLocked(ctx context.Context, tr *order.Trade, o *order.Order, reason string) (*payment.Refund, error) {
	tenant, now := tr.Tenant(), f.d.Now()
	if err := o.Refund(now); err != nil {
		return nil, err
	}
	var r *payment.Refund
	if o.Total().Minor() > 0 {
		pay, refunded, err := f.refundablePayment(ctx, tr, o)
		if err != nil {
			return nil, err
		}
		if r, err = payment.NewRefund(f.d.IDs.NextString("R"), pay, o.ID(), reason, o.Total(), refunded, now); err != nil {
			return nil, err
		}
		if err := f.d.Payments.CreateRefund(ctx, r); err != nil {
			return nil, err
		}
		if err := f.d.Timers.Schedule(ctx, TimerRefund, timerRef(tenant, r.ID()), now.Add(refundRetry)); err != nil {
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
	if _, err := f.d.Outbox.Append(ctx, TopicOrderRefunded, o.ID(), ev); err != nil {
		return nil, err
	}
	return r, nil
}

// refundablePayment is the trade's succeeded payment that the order's money goes back from, with
// what its refunds already give back. The latest succeeded payment is the one that paid the
// orders (an earlier one that succeeded after its trade changed is owed back whole, through
// payment.refund_required).
func (f *Flow) refundablePayment(ctx context.Context, tr *order.Trade, o *order.Order) (*payment.Payment, int64, error) {
	ps, err := f.d.Payments.ByTrade(ctx, tr.Tenant(), tr.ID())
	if err != nil {
		return nil, 0, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Status() != payment.Succeeded {
			continue
		}
		rs, err := f.d.Payments.RefundsOfPayment(ctx, ps[i].ID())
		if err != nil {
			return nil, 0, err
		}
		return ps[i], payment.Refunded(rs), nil
	}
	return nil, 0, errkind.WithDetail(payment.ErrNotRefundable, "trade %s has no succeeded payment to refund order %s from", tr.ID(), o.ID())
}

func refundEvent(o *order.Order, r *payment.Refund, reason string, now time.Time) RefundEvent {
	a := o.Amounts()
	ev := RefundEvent{Tenant: o.Tenant(), TradeID: o.TradeID(), OrderID: o.ID(), UserID: o.UserID(), Status: string(o.Status()),
		Reason: reason, Currency: a.Total.Currency().Code(), Amount: a.Total.Minor(), Goods: a.Subtotal.Minor(),
		Discount: a.Discount.Minor(), ShippingFee: a.ShippingFee.Minor(), At: now}
	if r != nil {
		ev.RefundID, ev.PaymentID = r.ID(), r.PaymentID()
	}
	return ev
}

// refundDue is the backstop job: it asks the provider for a refund that is still pending.
func (f *Flow) refundDue(ctx context.Context, ref string) error {
	tenant, id, ok := strings.Cut(ref, "/")
	if !ok {
		return fmt.Errorf("fixedprice: bad refund job ref %q", ref)
	}
	r, err := f.d.Payments.Refund(ctx, id)
	if err != nil {
		return err // not found yet on a lagging replica: the job runs again
	}
	if r.Tenant() != tenant {
		return fmt.Errorf("fixedprice: refund %s belongs to tenant %s, job says %s", id, r.Tenant(), tenant)
	}
	if r.Status() != payment.RefundPending {
		return nil
	}
	return f.settleRefund(ctx, r)
}

// settleRefund asks the provider to refund r, outside any transaction (a slow provider must not
// hold row locks), and records its acceptance with payment.refunded. Two nodes asking at once is
// harmless: the provider deduplicates on the refund id and the second acceptance changes nothing.
func (f *Flow) settleRefund(ctx context.Context, r *payment.Refund) error {
	pay, err := f.d.Payments.Get(ctx, r.PaymentID())
	if err != nil {
		return err
	}
	prov, ok := f.core.Provider(pay.Provider())
	if !ok {
		return fmt.Errorf("fixedprice: refund %s: provider %q is not configured on this node", r.ID(), pay.Provider())
	}
	providerRef, err := prov.Refund(ctx, pay, r)
	if err != nil {
		return fmt.Errorf("fixedprice: refund %s: %w", r.ID(), err)
	}
	return f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		locked, err := f.d.Payments.LockRefund(ctx, r.ID())
		if err != nil {
			return err
		}
		now := f.d.Now()
		if !locked.Succeed(providerRef, now) {
			return nil
		}
		if err := f.d.Payments.SaveRefund(ctx, locked); err != nil {
			return err
		}
		*r = *locked
		ev := RefundEvent{Tenant: r.Tenant(), TradeID: r.TradeID(), OrderID: r.OrderID(), RefundID: r.ID(), PaymentID: r.PaymentID(),
			Status: string(r.Status()), Reason: r.Reason(), Currency: r.Amount().Currency().Code(), Amount: r.Amount().Minor(),
			ProviderRef: providerRef, At: now}
		if _, err := f.d.Outbox.Append(ctx, TopicPaymentRefunded, r.ID(), ev); err != nil {
			return err
		}
		return f.d.Timers.Cancel(ctx, TimerRefund, timerRef(r.Tenant(), r.ID()))
	})
}

// Refunds are the refunds of the tenant's orders ids, by order id.
func (f *Flow) Refunds(ctx context.Context, tenant string, orderIDs []string) (map[string]*payment.Refund, error) {
	rs, err := f.d.Payments.RefundsOfOrders(ctx, tenant, orderIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*payment.Refund, len(rs))
	for _, r := range rs {
		out[r.OrderID()] = r
	}
	return out, nil
}
