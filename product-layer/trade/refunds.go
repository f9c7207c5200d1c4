package trade

import (
	"context"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/payment"
)

// TimerRefund is the kind of the durable job that asks the provider for a refund until it
// accepts; it is set in the refund's own transaction, so an owed refund is never forgotten. (Its
// name is the one it had when only fixed-price trades refunded: jobs already scheduled keep it.)
const TimerRefund = "fixedprice.refund"

// refundRetry is when the backstop job first asks again: the flow asks the provider right after
// the refund commits, and the job only matters when that ask failed or the process died.
const refundRetry = 30 * time.Second

// OweRefund records, in the caller's transaction, that amount goes back from payment p for
// orderID (a trade-level refund names the trade), and sets the job that asks the provider until
// it accepts. A payment never refunds more than it collected. The caller asks the provider with
// SettleRefund once the transaction commits.
func (c *Core) OweRefund(ctx context.Context, p *payment.Payment, orderID, reason string, amount money.Amount) (*payment.Refund, error) {
	rs, err := c.d.Payments.RefundsOfPayment(ctx, p.ID())
	if err != nil {
		return nil, err
	}
	now := c.d.Now()
	r, err := payment.NewRefund(c.d.IDs.NextString("R"), p, orderID, reason, amount, payment.Refunded(rs), now)
	if err != nil {
		return nil, err
	}
	if err := c.d.Payments.CreateRefund(ctx, r); err != nil {
		return nil, err
	}
	if err := c.d.Timers.Schedule(ctx, TimerRefund, TimerRef(p.Tenant(), r.ID()), now.Add(refundRetry)); err != nil {
		return nil, err
	}
	return r, nil
}

// RefundDue is the backstop job: it asks the provider for a refund that is still pending.
func (c *Core) RefundDue(ctx context.Context, ref string) error {
	tenant, id, err := ParseTimerRef(ref)
	if err != nil {
		return err
	}
	r, err := c.d.Payments.Refund(ctx, id)
	if err != nil {
		return err // not found yet on a lagging replica: the job runs again
	}
	if r.Tenant() != tenant {
		return fmt.Errorf("trade: refund %s belongs to tenant %s, job says %s", id, r.Tenant(), tenant)
	}
	if r.Status() != payment.RefundPending {
		return nil
	}
	return c.SettleRefund(ctx, r)
}

// RefundEvent is the payload of payment.refunded.
type RefundEvent struct {
	Tenant      string    `json:"tenant"`
	TradeID     string    `json:"tradeId"`
	OrderID     string    `json:"orderId,omitempty"`
	RefundID    string    `json:"refundId"`
	PaymentID   string    `json:"paymentId"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	Currency    string    `json:"currency"`
	Amount      int64     `json:"amount"`
	ProviderRef string    `json:"providerRef,omitempty"`
	At          time.Time `json:"at"`
}

// SettleRefund asks the provider to refund r, outside any transaction (a slow provider must not
// hold row locks), and records its acceptance with payment.refunded. Two nodes asking at once is
// harmless: the provider deduplicates on the refund id and the second acceptance changes nothing.
func (c *Core) SettleRefund(ctx context.Context, r *payment.Refund) error {
	pay, err := c.d.Payments.Get(ctx, r.PaymentID())
	if err != nil {
		return err
	}
	prov, ok := c.providers[pay.Provider()]
	if !ok {
		return fmt.Errorf("trade: refund %s: provider %q is not configured on this node", r.ID(), pay.Provider())
	}
	providerRef, err := prov.Refund(ctx, pay, r)
	if err != nil {
		return fmt.Errorf("trade: refund %s: %w", r.ID(), err)
	}
	return c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		locked, err := c.d.Payments.LockRefund(ctx, r.ID())
		if err != nil {
			return err
		}
		now := c.d.Now()
		if !locked.Succeed(providerRef, now) {
			return nil
		}
		if err := c.d.Payments.SaveRefund(ctx, locked); err != nil {
			return err
		}
		*r = *locked
		ev := RefundEvent{Tenant: r.Tenant(), TradeID: r.TradeID(), OrderID: r.OrderID(), RefundID: r.ID(), PaymentID: r.PaymentID(),
			Status: string(r.Status()), Reason: r.Reason(), Currency: r.Amount().Currency().Code(), Amount: r.Amount().Minor(),
			ProviderRef: providerRef, At: now}
		if _, err := c.d.Outbox.Append(ctx, TopicPaymentRefunded, r.Tenant(), r.TradeID(), ev); err != nil {
			return err
		}
		return c.d.Timers.Cancel(ctx, TimerRefund, TimerRef(r.Tenant(), r.ID()))
	})
}
