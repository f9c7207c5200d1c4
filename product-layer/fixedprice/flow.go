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
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

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

// Config of the flow.
type Config struct {
	// UnpaidWindow is how long a trade may stay unpaid before it is cancelled (default 30m).
	UnpaidWindow time.Duration `yaml:"unpaidWindow"`
	// HotHold is how long stock reserved for an order of a hot SKU, ahead of the order's own
	// transaction, is held for that transaction to attach it (default 1m). If the order never
	// commits (it failed, or the process died), the stock comes back after this long.
	HotHold time.Duration `yaml:"hotHold"`
	// UnpaidWindowNow, if set, is read for each new trade instead of UnpaidWindow: the runtime
	// toggle trade.unpaidWindow, which an operator may change while the server runs.
	UnpaidWindowNow func() time.Duration `yaml:"-"`
}

// Window is the unpaid window for a trade placed now.
func (c Config) Window() time.Duration {
	if c.UnpaidWindowNow != nil {
		return c.UnpaidWindowNow()
	}
	return c.UnpaidWindow
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.UnpaidWindow < time.Second || c.UnpaidWindow > 7*24*time.Hour {
		return fmt.Errorf("fixedprice: unpaidWindow %s must be between 1s and 168h", c.UnpaidWindow)
	}
	if c.HotHold < time.Second || c.HotHold > time.Hour {
		return fmt.Errorf("fixedprice: hotHold %s must be between 1s and 1h", c.HotHold)
	}
	return nil
}

// Deps are the flow's collaborators.
type Deps struct {
	Tx          Transactor
	Catalog     catalog.Store
	Inventory   *inventory.Service
	Orders      order.Repository
	Payments    payment.Store
	Providers   []payment.Provider
	Outbox      Outbox
	Timers      Timers
	Idempotency Idempotency
	IDs         IDs
	Now         func() time.Time
	// Ext runs the extension points published for each business identity; nil runs the Go
	// defaults only.
	Ext extensions.Runtime
	// Runs stores which scripts ran for a trade, in the trade's transaction.
	Runs RunLog
	// Discounts applies promotions and coupons; nil discounts nothing.
	Discounts *discount.Service
	// Limits enforces purchase limits; nil limits nothing.
	Limits *limits.Service
	// Prices resolves the tenant's price lists; nil prices every SKU at its own price.
	Prices *pricing.Prices
	// Delivery prices shipping; nil ships everything free.
	Delivery *delivery.Service
	// Log records what the flow could not do and left to a backstop; nil is slog.Default().
	Log *slog.Logger
	// Instances keeps each trade's flow instance; nil keeps none.
	Instances trade.Instances
	// Core is the trade core to run on, shared with the other flows of the node; nil builds one
	// from these deps.
	Core *trade.Core
}

// Flow runs fixed-price trades.
type Flow struct {
	d    Deps
	cfg  Config
	core *trade.Core
}

// New returns a Flow.
func New(d Deps, cfg Config) (*Flow, error) {
	if cfg.UnpaidWindow == 0 {
		cfg.UnpaidWindow = 30 * time.Minute
	}
	if cfg.HotHold == 0 {
		cfg.HotHold = time.Minute
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	f := &Flow{d: d, cfg: cfg}
	f.core = d.Core
	if f.core == nil {
		f.core = trade.New(CoreDeps(d))
	}
	f.core.Register(f)
	return f, nil
}

// CoreDeps are the trade core's deps taken from the flow's.
func CoreDeps(d Deps) trade.Deps {
	return trade.Deps{Tx: d.Tx, Catalog: d.Catalog, Orders: d.Orders, Inventory: d.Inventory, Payments: d.Payments,
		Outbox: d.Outbox, Timers: d.Timers, Idempotency: d.Idempotency, IDs: d.IDs, Limits: d.Limits, Discounts: d.Discounts,
		Prices: d.Prices, Delivery: d.Delivery, Ext: d.Ext, Runs: d.Runs, Providers: d.Providers, Instances: d.Instances, Now: d.Now, Log: d.Log}
}

// RegisterTimers registers the flow's timer handlers with a timer queue.
func (f *Flow) RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error)) {
	register(TimerUnpaid, f.expireUnpaid)
	register(TimerRefund, f.core.RefundDue)
}

func timerRef(tenant, tradeID string) string { return trade.TimerRef(tenant, tradeID) }

// Core is the trade core the flow is built on.
func (f *Flow) Core() *trade.Core { return f.core }

// Instance returns the flow instance of a trade.
func (f *Flow) Instance(ctx context.Context, tenant, tradeID string) (*trade.Instance, error) {
	return f.core.Instance(ctx, tenant, tradeID)
}

// Trade returns a trade the actor may see.
func (f *Flow) Trade(ctx context.Context, tenant string, a trade.Actor, tradeID string) (*order.Trade, error) {
	return f.core.Trade(ctx, tenant, a, tradeID)
}

// Order returns an order the actor may see.
func (f *Flow) Order(ctx context.Context, tenant string, a trade.Actor, orderID string) (*order.Order, error) {
	return f.core.Order(ctx, tenant, a, orderID)
}

// Payments are the payments made for a trade the actor may see, oldest first.
func (f *Flow) Payments(ctx context.Context, tenant string, a trade.Actor, tradeID string) ([]*payment.Payment, error) {
	return f.core.Payments(ctx, tenant, a, tradeID)
}

// Orders lists a buyer's orders, newest first.
func (f *Flow) Orders(ctx context.Context, tenant, userID string, limit int, cursor string) (order.Page, error) {
	return f.core.Orders(ctx, tenant, userID, limit, cursor)
}

// CreatePayment is a buyer's request to pay a trade (the trade core's).
type CreatePayment = trade.CreatePayment

// CreatePayment creates a payment intent for what the trade owes (see trade.Core.CreatePayment).
func (f *Flow) CreatePayment(ctx context.Context, cmd CreatePayment) (*payment.Payment, error) {
	return f.core.CreatePayment(ctx, cmd)
}

// Payment returns a payment of the tenant.
func (f *Flow) Payment(ctx context.Context, tenant, paymentID string) (*payment.Payment, error) {
	return f.core.Payment(ctx, tenant, paymentID)
}

// HandlePaymentCallback verifies a provider callback and applies it (see
// trade.Core.HandlePaymentCallback and Collect).
func (f *Flow) HandlePaymentCallback(ctx context.Context, providerName string, header http.Header, body []byte) error {
	return f.core.HandlePaymentCallback(ctx, providerName, header, body)
}

// Scenario implements trade.Flow.
func (f *Flow) Scenario() identity.Scenario { return identity.FixedPrice }

// The states of a fixed-price trade: it waits for its payment, then is paid, or is cancelled
// (every order cancelled before payment). Fulfilment and refunds are each child order's.
const (
	StateAwaitingPayment = "awaiting_payment"
	StatePaid            = "paid"
	StateCancelled       = "cancelled"
)

var states = trade.NewStates(StateAwaitingPayment, map[string][]string{
	StateAwaitingPayment: {StatePaid, StateCancelled},
})

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

// Ship records the shipment of a paid order.
func (f *Flow) Ship(ctx context.Context, tenant string, a trade.Actor, orderID string, sh order.Shipment) (*order.Order, error) {
	return f.core.Transition(ctx, tenant, a, orderID, TopicOrderShipped, func(o *order.Order, now time.Time) error { return o.Ship(sh, now) })
}

// Deliver records that a shipped order arrived.
func (f *Flow) Deliver(ctx context.Context, tenant string, a trade.Actor, orderID string) (*order.Order, error) {
	return f.core.Transition(ctx, tenant, a, orderID, TopicOrderDelivered, func(o *order.Order, now time.Time) error { return o.Deliver(now) })
}

// Complete closes a delivered order: the buyer confirmed receipt.
func (f *Flow) Complete(ctx context.Context, tenant string, a trade.Actor, orderID string) (*order.Order, error) {
	return f.core.Transition(ctx, tenant, a, orderID, TopicOrderCompleted, func(o *order.Order, now time.Time) error { return o.Complete(now) })
}
