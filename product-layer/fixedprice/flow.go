// Package fixedprice is the fixed-price transaction flow: quote → reserve stock → create the
// trade and its child orders → pay → confirm stock → ship → deliver → complete, with cancel by the
// buyer and automatic cancel of unpaid trades.
//
// Every step is one local transaction that changes the orders, the stock reservation, the
// payment and the outbox together, so there is no moment at which an order exists without its
// stock, or stock is sold without a paid order. The unpaid-trade timeout is a durable timer set in
// the same transaction as the trade, so it survives restarts. Steps are idempotent: a replayed
// payment callback, a repeated cancel or a timer that fires twice changes nothing the second time.
//
// The flow is built on the trade core (product-layer/trade): planning, placing, payments, reads,
// lifecycle moves and the undo steps are the core's; what is fixed-price's own is here: paid in
// full, the unpaid window, per-child refunds before shipping. The composition root gives it SQL
// adapters from components/.
package fixedprice

import (
	"context"
	"errors"
	"time"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Scenario names the fixed-price flow: its trades, its business identities and its scripts' scope.
const Scenario identity.Scenario = "fixed_price"

func init() {
	order.RegisterLifecycle(Scenario, order.Standard)
	trade.RegisterStates(Scenario, states)
}

// The ports the flow shares with the trade core.
type (
	Transactor  = trade.Transactor
	Outbox      = trade.Outbox
	Timers      = trade.Timers
	Idempotency = trade.Idempotency
	IDs         = trade.IDs
	RunLog      = trade.RunLog
)

// TimerUnpaid is the kind of the unpaid-trade timer.
const TimerUnpaid = "fixedprice.unpaid_timeout"

// Topics of the events the flow emits (the trade core's).
const (
	TopicOrderCreated      = trade.TopicOrderCreated
	TopicOrderPaid         = trade.TopicOrderPaid
	TopicOrderCancelled    = trade.TopicOrderCancelled
	TopicOrderShipped      = trade.TopicOrderShipped
	TopicOrderDelivered    = trade.TopicOrderDelivered
	TopicOrderCompleted    = trade.TopicOrderCompleted
	TopicPaymentRefundOwed = trade.TopicPaymentRefundOwed
)

// Cancel reasons.
const (
	ReasonBuyer         = "buyer_cancelled"
	ReasonUnpaidTimeout = "unpaid_timeout"
)

// Config of the flow: the intake's (trade.Config), whose unpaid window and hot hold every flow
// shares; the platform's configuration names it "trade".
type Config = trade.Config

// Deps are the flow's collaborators. The trade core is built by the composition root and shared
// by every flow of the node: planning, placing, payments, reads and lifecycle moves are its.
type Deps struct {
	Core      *trade.Core
	Tx        Transactor
	Inventory *inventory.Service
	Orders    order.Repository
	Payments  payment.Store
	Timers    Timers
	Now       func() time.Time
}

// Flow runs fixed-price trades.
type Flow struct {
	d    Deps
	core *trade.Core
}

// New returns a Flow registered with its core.
func New(d Deps) (*Flow, error) {
	if d.Core == nil {
		return nil, errors.New("fixedprice: no trade core")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	f := &Flow{d: d, core: d.Core}
	f.core.Register(f)
	return f, nil
}

// RegisterTimers implements trade.TimerOwner.
func (f *Flow) RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error)) {
	register(TimerUnpaid, f.expireUnpaid)
}

func timerRef(tenant, tradeID string) string { return trade.TimerRef(tenant, tradeID) }

// Scenario implements trade.Flow.
func (f *Flow) Scenario() identity.Scenario { return Scenario }

// The states of a fixed-price trade: it waits for its payment, then is paid, or is cancelled
// (every order cancelled before payment). Fulfilment and refunds are each child order's.
const (
	StateAwaitingPayment = "awaiting_payment"
	StatePaid            = "paid"
	StateCancelled       = "cancelled"
)

var states = trade.NewStates(StateAwaitingPayment, map[string][]string{
	StateAwaitingPayment: {StatePaid, StateCancelled},
}).Waits(StateAwaitingPayment, TimerUnpaid)

// States implements trade.Flow.
func (f *Flow) States() *trade.States { return states }

// Owes implements trade.Flow: a fixed-price trade is paid in full, for every order still
// awaiting payment.
func (f *Flow) Owes(_ context.Context, t *order.Trade, purpose payment.Purpose, _ time.Time) (money.Amount, error) {
	if purpose != payment.Full {
		return money.Amount{}, errkind.WithDetail(payment.ErrInvalidPurpose, "a fixed-price trade is paid in full, not by %q", purpose)
	}
	return t.Payable(), nil
}

// Collected implements trade.Flow: the trade's latest succeeded full payment paid every order its
// total.
func (f *Flow) Collected(ctx context.Context, t *order.Trade, o *order.Order) ([]trade.Collected, error) {
	p, err := f.refundablePayment(ctx, t, o)
	if err != nil {
		return nil, err
	}
	return []trade.Collected{{Payment: p, Amount: o.Total().Minor()}}, nil
}

// Collect implements trade.Flow: every order of the trade still awaiting payment becomes paid and
// its stock is confirmed as sold; with one paid, the unpaid timer is no longer needed.
func (f *Flow) Collect(ctx context.Context, t *order.Trade, p *payment.Payment, now time.Time) (bool, error) {
	if p.Purpose() != payment.Full {
		return false, nil
	}
	paid, err := f.core.MoveAll(ctx, t, order.PendingPayment, order.Paid, TopicOrderPaid, p.ID(), now)
	if err != nil || len(paid) == 0 {
		return false, err
	}
	for _, o := range paid {
		if err := f.d.Inventory.Confirm(ctx, t.Tenant(), o.ID()); err != nil {
			return false, err
		}
	}
	if _, err := f.core.Advance(ctx, t.Tenant(), t.ID(), StatePaid); err != nil {
		return false, err
	}
	return true, f.d.Timers.Cancel(ctx, TimerUnpaid, timerRef(t.Tenant(), t.ID()))
}

// CancelOrder implements trade.Canceller: an order awaiting payment is cancelled and gives its
// stock, limits and discounts back; a fixed-price order holds no deposit.
func (f *Flow) CancelOrder(ctx context.Context, tr *order.Trade, o *order.Order, c trade.Cancellation) ([]*payment.Refund, error) {
	if c.RefundDeposit {
		return nil, errkind.WithDetail(trade.ErrNoDeposit, "order %s is a fixed-price order", o.ID())
	}
	return nil, f.cancelLocked(ctx, tr, o, c.Reason)
}

func (f *Flow) cancelLocked(ctx context.Context, tr *order.Trade, o *order.Order, reason string) error {
	if err := f.core.CancelUnpaid(ctx, tr, o, reason); err != nil {
		return err
	}
	if tr.Payable().Minor() != 0 {
		return nil // another order still awaits payment
	}
	if !trade.AnyLive(tr) {
		if _, err := f.core.Advance(ctx, tr.Tenant(), tr.ID(), StateCancelled); err != nil {
			return err
		}
	}
	return f.d.Timers.Cancel(ctx, TimerUnpaid, timerRef(o.Tenant(), tr.ID()))
}

// expireUnpaid is the unpaid timer: every order of the trade still awaiting payment is cancelled.
func (f *Flow) expireUnpaid(ctx context.Context, ref string) error {
	tenant, tradeID, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	return f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		tr, err := f.d.Orders.LockTrade(ctx, tenant, tradeID)
		if errors.Is(err, order.ErrTradeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, o := range tr.Orders() {
			if o.Status() == order.PendingPayment {
				if err := f.cancelLocked(ctx, tr, o, ReasonUnpaidTimeout); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
