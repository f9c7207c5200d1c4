package trade

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/money"
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
	return c.oweRefund(ctx, p, orderID, "", reason, amount)
}

// OweAfterSaleRefund is OweRefund for after-sale request afterSaleID: an order may be refunded
// from one payment once per request. A payment collected offline (cash on delivery) is not asked
// of any provider: the refund waits for an operator to confirm it was paid (ConfirmRefund).
func (c *Core) OweAfterSaleRefund(ctx context.Context, p *payment.Payment, orderID, afterSaleID, reason string, amount money.Amount) (*payment.Refund, error) {
	return c.oweRefund(ctx, p, orderID, afterSaleID, reason, amount)
}

func (c *Core) oweRefund(ctx context.Context, p *payment.Payment, orderID, afterSaleID, reason string, amount money.Amount) (*payment.Refund, error) {
	rs, err := c.d.Payments.RefundsOfPayment(ctx, p.ID())
	if err != nil {
		return nil, err
	}
	now := c.d.Now()
	r, err := payment.NewRefund(c.d.IDs.NextString("R"), p, orderID, reason, amount, payment.Refunded(rs), now)
	if err != nil {
		return nil, err
	}
	r.ForAfterSale(afterSaleID)
	if err := c.d.Payments.CreateRefund(ctx, r); err != nil {
		return nil, err
	}
	if c.Offline(p.Provider()) {
		return r, nil
	}
	if err := c.d.Timers.Schedule(ctx, TimerRefund, TimerRef(p.Tenant(), r.ID()), now.Add(refundRetry)); err != nil {
		return nil, err
	}
	return r, nil
}

// SetOffline declares provider a way of collecting money outside any payment provider (the
// carrier's cash on delivery): its refunds are paid by hand and confirmed by an operator. A flow
// calls it once, when it is built.
func (c *Core) SetOffline(provider string) {
	c.hooksMu.Lock()
	defer c.hooksMu.Unlock()
	c.offline[provider] = true
}

// Offline reports whether provider's payments are refunded by hand (see SetOffline).
func (c *Core) Offline(provider string) bool {
	c.hooksMu.RLock()
	defer c.hooksMu.RUnlock()
	return c.offline[provider]
}

// OnRefundSettled adds fn to what runs in the transaction that records a refund as paid (by its
// provider, or confirmed by an operator): after-sale finishes its request there. A flow calls it
// once, when it is built.
func (c *Core) OnRefundSettled(fn func(ctx context.Context, r *payment.Refund) error) {
	c.hooksMu.Lock()
	defer c.hooksMu.Unlock()
	c.settled = append(c.settled, fn)
}

// ErrOfflineRefund is a refund of money collected offline that only an operator can settle.
var ErrOfflineRefund = errkind.New(errkind.Conflict, "payment.offline_refund", "this refund is paid by hand and confirmed by an operator")

// ConfirmRefund records that an operator paid refund id by hand (money collected offline goes
// back offline), with reference as the proof (a bank transfer's number). Confirming it again
// changes nothing; a refund paid through a provider cannot be confirmed by hand.
func (c *Core) ConfirmRefund(ctx context.Context, tenant string, a Actor, id, reference string) (*payment.Refund, error) {
	if a.Kind != ActorOperator {
		return nil, errkind.WithDetail(errkind.ErrForbidden, "only an operator confirms a refund paid by hand")
	}
	if !validReference(reference) {
		return nil, errkind.Invalidf("reference must be 1-128 letters, digits, '-', '_' or '.'")
	}
	var out *payment.Refund
	err := c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		r, err := c.d.Payments.LockRefund(ctx, id)
		if err != nil {
			return err
		}
		if r.Tenant() != tenant {
			return payment.ErrRefundNotFound
		}
		pay, err := c.d.Payments.Get(ctx, r.PaymentID())
		if err != nil {
			return err
		}
		if !c.Offline(pay.Provider()) {
			return errkind.WithDetail(payment.ErrNotRefundable, "refund %s is paid through %s, not by hand", id, pay.Provider())
		}
		out = r
		return c.settle(ctx, r, reference)
	})
	return out, err
}

func validReference(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
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
	AfterSaleID string    `json:"afterSaleId,omitempty"`
	RefundID    string    `json:"refundId"`
	PaymentID   string    `json:"paymentId"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	Currency    string    `json:"currency"`
	Amount      int64     `json:"amount"`
	ProviderRef string    `json:"providerRef,omitempty"`
	At          time.Time `json:"at"`
}

// SettleRefunds asks the providers for refunds just owed, after their transaction committed; one
// a provider does not accept now is asked again by its durable job (an offline refund waits for
// an operator's confirmation), so a failure here is logged, not returned.
func (c *Core) SettleRefunds(ctx context.Context, refunds []*payment.Refund) {
	for _, r := range refunds {
		if err := c.SettleRefund(ctx, r); err != nil && !errors.Is(err, ErrOfflineRefund) {
			c.d.Log.Warn("refund not accepted by the provider yet; it is asked again", "tenant", r.Tenant(), "refund", r.ID(), "err", err)
		}
	}
}

// SettleRefund asks the provider to refund r, outside any transaction (a slow provider must not
// hold row locks), and records its acceptance with payment.refunded. Two nodes asking at once is
// harmless: the provider deduplicates on the refund id and the second acceptance changes nothing.
func (c *Core) SettleRefund(ctx context.Context, r *payment.Refund) error {
	pay, err := c.d.Payments.Get(ctx, r.PaymentID())
	if err != nil {
		return err
	}
	if c.Offline(pay.Provider()) {
		return fmt.Errorf("trade: refund %s: %w", r.ID(), ErrOfflineRefund)
	}
	prov, ok := c.providers[pay.Provider()]
	if !ok {
		return fmt.Errorf("trade: refund %s: provider %q is not configured on this node", r.ID(), pay.Provider())
	}
	ack, err := prov.Refund(ctx, pay, r)
	if err != nil {
		return fmt.Errorf("trade: refund %s: %w", r.ID(), err)
	}
	if ack.Amount != r.Amount().Minor() || ack.Currency != r.Amount().Currency().Code() {
		// The refund stays pending: its job asks again, and the provider, which deduplicates on
		// the refund's id, answers the same; the report is kept once for an operator.
		return c.refuseMismatch(ctx, pay, payment.Mismatch{Kind: payment.MismatchRefund, RefundID: r.ID(), ProviderRef: ack.ProviderRef,
			Report: r.ID() + "/" + ack.ProviderRef, Expected: r.Amount().Minor(), ExpectedCurrency: r.Amount().Currency().Code(),
			Reported: ack.Amount, ReportedCurrency: ack.Currency})
	}
	providerRef := ack.ProviderRef
	return c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		locked, err := c.d.Payments.LockRefund(ctx, r.ID())
		if err != nil {
			return err
		}
		if err := c.settle(ctx, locked, providerRef); err != nil {
			return err
		}
		*r = *locked
		return nil
	})
}

// settle records the locked refund r as paid with providerRef, writes payment.refunded, stops
// the backstop job and runs the OnRefundSettled hooks, in the caller's transaction. A refund
// already paid changes nothing.
func (c *Core) settle(ctx context.Context, r *payment.Refund, providerRef string) error {
	now := c.d.Now()
	if !r.Succeed(providerRef, now) {
		return nil
	}
	if err := c.d.Payments.SaveRefund(ctx, r); err != nil {
		return err
	}
	ev := RefundEvent{Tenant: r.Tenant(), TradeID: r.TradeID(), OrderID: r.OrderID(), AfterSaleID: r.AfterSaleID(), RefundID: r.ID(),
		PaymentID: r.PaymentID(), Status: string(r.Status()), Reason: r.Reason(), Currency: r.Amount().Currency().Code(),
		Amount: r.Amount().Minor(), ProviderRef: providerRef, At: now}
	if _, err := c.d.Outbox.Append(ctx, TopicPaymentRefunded, r.Tenant(), r.TradeID(), ev); err != nil {
		return err
	}
	if err := c.d.Timers.Cancel(ctx, TimerRefund, TimerRef(r.Tenant(), r.ID())); err != nil {
		return err
	}
	c.hooksMu.RLock()
	hooks := c.settled
	c.hooksMu.RUnlock()
	for _, fn := range hooks {
		if err := fn(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// Refunds are the refunds of the tenant's orders ids, by order, oldest first.
func (c *Core) Refunds(ctx context.Context, tenant string, orderIDs []string) (map[string][]*payment.Refund, error) {
	rs, err := c.d.Payments.RefundsOfOrders(ctx, tenant, orderIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*payment.Refund, len(rs))
	for _, r := range rs {
		out[r.OrderID()] = append(out[r.OrderID()], r)
	}
	return out, nil
}

// Refunded is what the refunds of payment p that the provider accepted have given back; in an
// OnRefundSettled hook it counts the refund being settled.
func (c *Core) Refunded(ctx context.Context, p *payment.Payment) (int64, error) {
	rs, err := c.d.Payments.RefundsOfPayment(ctx, p.ID())
	if err != nil {
		return 0, err
	}
	var back int64
	for _, r := range rs {
		if r.Status() == payment.RefundSucceeded {
			back += r.Amount().Minor()
		}
	}
	return back, nil
}
