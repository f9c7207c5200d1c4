package auction

import (
	"context"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TopicDepositRefunded: a credited deposit went back to its bidder as an operator's goodwill.
const TopicDepositRefunded = "auction.deposit_refunded"

// ReasonGoodwill is the refund reason of a deposit an operator gave back on cancel.
const ReasonGoodwill = "operator_goodwill"

// CancelOrder implements trade.Canceller. A winner who cancels is a winner who did not pay: the
// sale's orders still awaiting payment are cancelled (the unit goes back to stock), the sale ends
// forfeited and the deposit it credited is forfeited, so that second-chance may offer the unit to
// the runner-up. An operator may give the deposit back instead (goodwill): the sale ends released
// and the deposit is refunded to the payment it came from. A paid sale is refunded, not
// cancelled.
func (f *Flow) CancelOrder(ctx context.Context, t *order.Trade, o *order.Order, c trade.Cancellation) ([]*payment.Refund, error) {
	if o.Status() != order.PendingPayment {
		return nil, errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: a paid auction sale is refunded, not cancelled", o.ID(), o.Status())
	}
	return f.endSale(ctx, t, c.Reason, c.RefundDeposit)
}

// endSale ends the sale of trade t (locked in the caller's transaction) that its winner did not
// pay: every order awaiting payment is cancelled for reason, the trade's flow instance and its
// pay window end, and the deposit the sale credited is forfeited, or refunded when refundDeposit
// (an operator's goodwill). It returns the refunds to ask for once the transaction commits. A
// sale with no order awaiting payment is left as it is.
func (f *Flow) endSale(ctx context.Context, t *order.Trade, reason string, refundDeposit bool) ([]*payment.Refund, error) {
	tenant := t.Tenant()
	s, err := f.d.Sales.SaleOf(ctx, tenant, t.ID())
	if err != nil {
		return nil, err
	}
	if refundDeposit && s.DepositID == "" {
		return nil, errkind.WithDetail(trade.ErrNoDeposit, "the sale of trade %s credited no deposit (a second chance is paid in full)", t.ID())
	}
	cancelled := false
	for _, o := range t.Orders() {
		if o.Status() != order.PendingPayment {
			continue
		}
		if err := f.d.Core.CancelUnpaid(ctx, t, o, reason); err != nil {
			return nil, err
		}
		cancelled = true
	}
	if !cancelled {
		return nil, nil
	}
	if _, err := f.d.Core.Advance(ctx, tenant, t.ID(), StateCancelled); err != nil {
		return nil, err
	}
	if err := f.d.Timers.Cancel(ctx, TimerUnpaid, trade.TimerRef(tenant, t.ID())); err != nil {
		return nil, err
	}
	now := f.d.Now()
	outcome := auc.SaleForfeited
	if refundDeposit {
		outcome = auc.SaleReleased
	}
	if err := f.d.Sales.EndSale(ctx, tenant, t.ID(), outcome, now); err != nil {
		return nil, err
	}
	if s.DepositID == "" {
		return nil, nil
	}
	if !refundDeposit {
		d, err := f.moveDeposit(ctx, tenant, s.DepositID, auc.DepositForfeited, now)
		if err != nil {
			return nil, err
		}
		return nil, f.emitDeposit(ctx, tenant, TopicDepositForfeited, d, now)
	}
	d, err := f.moveDeposit(ctx, tenant, s.DepositID, auc.DepositRefunded, now)
	if err != nil {
		return nil, err
	}
	p, err := f.d.Payments.Get(ctx, d.PaymentID)
	if err != nil {
		return nil, err
	}
	r, err := f.d.Core.OweRefund(ctx, p, d.ID, ReasonGoodwill, p.Amount())
	if err != nil {
		return nil, err
	}
	return []*payment.Refund{r}, f.emitDeposit(ctx, tenant, TopicDepositRefunded, d, now)
}

// moveDeposit locks a deposit, moves it to status and saves it, in the caller's transaction.
func (f *Flow) moveDeposit(ctx context.Context, tenant, id string, status auc.DepositStatus, now time.Time) (auc.Deposit, error) {
	d, err := f.d.Deposits.Lock(ctx, tenant, id)
	if err != nil {
		return d, err
	}
	if err := d.Move(status, now); err != nil {
		return d, err
	}
	return d, f.d.Deposits.Save(ctx, tenant, d)
}
