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
// The flow declares the small ports it needs (Transactor, Outbox, Timers, Idempotency, IDs); the
// composition root gives it SQL adapters from components/.
package fixedprice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// The ports the flow shares with the trade core.
type (
	Transactor = trade.Transactor
	Outbox     = trade.Outbox
	Timers     = trade.Timers
)

// More ports the flow shares with the trade core.
type (
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
}

// Flow runs fixed-price trades.
type Flow struct {
	d         Deps
	cfg       Config
	core      *trade.Core
	providers map[string]payment.Provider
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
	f := &Flow{d: d, cfg: cfg, providers: map[string]payment.Provider{}}
	f.core = trade.New(trade.Deps{Tx: d.Tx, Catalog: d.Catalog, Orders: d.Orders, Inventory: d.Inventory, Payments: d.Payments,
		Outbox: d.Outbox, Timers: d.Timers, Idempotency: d.Idempotency, IDs: d.IDs, Limits: d.Limits, Discounts: d.Discounts,
		Prices: d.Prices, Delivery: d.Delivery, Ext: d.Ext, Runs: d.Runs, Now: d.Now, Log: d.Log})
	for _, p := range d.Providers {
		f.providers[p.Name()] = p
	}
	return f, nil
}

// RegisterTimers registers the flow's timer handlers with a timer queue.
func (f *Flow) RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error)) {
	register(TimerUnpaid, f.expireUnpaid)
	register(TimerRefund, f.refundDue)
}

func timerRef(tenant, tradeID string) string { return trade.TimerRef(tenant, tradeID) }

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

// CreatePayment is a buyer's request to pay a trade.
type CreatePayment struct {
	Tenant         string
	UserID         string
	TradeID        string
	Method         string
	IdempotencyKey string
	// Purpose is what the payment is for; a fixed-price trade is paid in full ("" is full).
	Purpose payment.Purpose
}

// CreatePayment creates a payment intent for what the trade still owes. While an intent for the
// same method and amount is pending, it is returned instead of a new one.
func (f *Flow) CreatePayment(ctx context.Context, cmd CreatePayment) (*payment.Payment, error) {
	if err := validateKey(cmd.IdempotencyKey); err != nil {
		return nil, err
	}
	prov, ok := f.providers[cmd.Method]
	if !ok {
		return nil, errkind.WithDetail(payment.ErrUnknownProvider, "unknown payment method %q", cmd.Method)
	}
	if cmd.Purpose != "" && cmd.Purpose != payment.Full {
		return nil, errkind.WithDetail(payment.ErrInvalidPurpose, "a fixed-price trade is paid in full, not by %q", cmd.Purpose)
	}
	const scope = "create_payment"
	hash := requestHash([]string{cmd.TradeID, cmd.Method})
	if cmd.IdempotencyKey != "" {
		if prev, found, err := f.d.Idempotency.Lookup(ctx, cmd.Tenant, cmd.UserID, scope, cmd.IdempotencyKey, hash); err != nil {
			return nil, err
		} else if found {
			return f.d.Payments.Get(ctx, prev)
		}
	}
	tr, err := f.Trade(ctx, cmd.Tenant, trade.ByBuyer(cmd.UserID), cmd.TradeID)
	if err != nil {
		return nil, err
	}
	payable := tr.Payable()
	if payable.Minor() == 0 {
		return nil, errkind.WithDetail(payment.ErrNothingToPay, "trade %s has no order awaiting payment", tr.ID())
	}
	if open, err := f.openPayment(ctx, cmd.Tenant, tr.ID(), cmd.Method, payable.Minor()); err != nil || open != nil {
		return open, err
	}
	p := payment.New(f.d.IDs.NextString("P"), cmd.Tenant, tr.ID(), cmd.UserID, cmd.Method, payment.Full, payable, f.d.Now())
	// The provider is called outside the transaction: a slow provider must not hold row locks.
	// An intent orphaned by a failure below expires at the provider unpaid.
	ref, err := prov.CreateIntent(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("fixedprice: create intent: %w", err)
	}
	p.SetProviderRef(ref)
	var result *payment.Payment
	err = f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		result = p
		if cmd.IdempotencyKey != "" {
			prev, found, err := f.d.Idempotency.Claim(ctx, cmd.Tenant, cmd.UserID, scope, cmd.IdempotencyKey, hash, p.ID())
			if err != nil {
				return err
			}
			if found {
				result, err = f.d.Payments.Get(ctx, prev)
				return err
			}
		}
		locked, err := f.d.Orders.LockTrade(ctx, cmd.Tenant, tr.ID())
		if err != nil {
			return err
		}
		if locked.Payable() != payable {
			return errkind.WithDetail(payment.ErrNothingToPay, "trade %s changed while paying; retry", tr.ID())
		}
		if open, err := f.openPayment(ctx, cmd.Tenant, tr.ID(), cmd.Method, payable.Minor()); err != nil || open != nil {
			result = open
			return err
		}
		return f.d.Payments.Create(ctx, p)
	})
	return result, err
}

func (f *Flow) openPayment(ctx context.Context, tenant, tradeID, method string, amount int64) (*payment.Payment, error) {
	ps, err := f.d.Payments.ByTrade(ctx, tenant, tradeID)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Status() == payment.Pending && p.Provider() == method && p.Amount().Minor() == amount {
			return p, nil
		}
	}
	return nil, nil
}

// Payment returns a payment of the tenant.
func (f *Flow) Payment(ctx context.Context, tenant, paymentID string) (*payment.Payment, error) {
	p, err := f.d.Payments.Get(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	if p.Tenant() != tenant {
		return nil, payment.ErrNotFound
	}
	return p, nil
}

// HandlePaymentCallback verifies a provider callback and applies it: on success every order of
// the trade still awaiting payment becomes paid and its stock is confirmed as sold. A replayed
// callback changes nothing. Money that arrives for a trade already cancelled is recorded and a
// payment.refund_required event asks for it to go back.
func (f *Flow) HandlePaymentCallback(ctx context.Context, providerName string, header http.Header, body []byte) error {
	prov, ok := f.providers[providerName]
	if !ok {
		return errkind.WithDetail(payment.ErrUnknownProvider, "unknown payment provider %q", providerName)
	}
	n, err := prov.VerifyCallback(header, body)
	if err != nil {
		return err
	}
	peek, err := f.d.Payments.Get(ctx, n.PaymentID)
	if err != nil {
		return err
	}
	if peek.Provider() != providerName {
		return errkind.WithDetail(payment.ErrInvalidCallback, "payment %s belongs to another provider", n.PaymentID)
	}
	// The provider's reference names the intent it settled: a callback for another intent (or
	// for one this payment never registered) settles nothing, whatever its signature.
	if peek.ProviderRef() == "" || n.ProviderRef != peek.ProviderRef() {
		return errkind.WithDetail(payment.ErrInvalidCallback, "callback's provider reference does not match payment %s", n.PaymentID)
	}
	if n.Amount != peek.Amount().Minor() || n.Currency != peek.Amount().Currency().Code() {
		return errkind.WithDetail(payment.ErrAmountMismatch, "callback says %d %s; payment is %d %s",
			n.Amount, n.Currency, peek.Amount().Minor(), peek.Amount().Currency().Code())
	}
	tenant := peek.Tenant()
	return f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		// Lock order: trade (with its orders), then payment; Cancel takes the same order.
		tr, err := f.d.Orders.LockTrade(ctx, tenant, peek.TradeID())
		if err != nil {
			return err
		}
		p, err := f.d.Payments.Lock(ctx, n.PaymentID)
		if err != nil {
			return err
		}
		wasClosed := p.Status() == payment.Closed
		now := f.d.Now()
		changed, err := p.Settle(n.Outcome, now)
		if err != nil || !changed {
			return err
		}
		if err := f.d.Payments.Save(ctx, p); err != nil {
			return err
		}
		if n.Outcome != payment.OutcomeSucceeded {
			return nil
		}
		paid := 0
		if !wasClosed {
			for _, o := range tr.Orders() {
				if o.Status() != order.PendingPayment {
					continue
				}
				if err := o.Pay(now); err != nil {
					return err
				}
				if err := f.d.Orders.Save(ctx, o); err != nil {
					return err
				}
				if err := f.d.Inventory.Confirm(ctx, tenant, o.ID()); err != nil {
					return err
				}
				if _, err := f.d.Outbox.Append(ctx, TopicOrderPaid, o.ID(), trade.NewOrderEvent(o, now, p.ID())); err != nil {
					return err
				}
				paid++
			}
		}
		if paid == 0 {
			_, err := f.d.Outbox.Append(ctx, TopicPaymentRefundOwed, p.ID(), trade.RefundOwed{Tenant: tenant, PaymentID: p.ID(),
				TradeID: p.TradeID(), Amount: p.Amount().Minor(), Currency: p.Amount().Currency().Code(), At: now})
			return err
		}
		return f.d.Timers.Cancel(ctx, TimerUnpaid, timerRef(tenant, tr.ID()))
	})
}

// Cancel cancels an order awaiting payment and gives its stock back. Cancelling an already
// cancelled order is a no-op.
func (f *Flow) Cancel(ctx context.Context, tenant string, a trade.Actor, orderID, reason string) (*order.Order, error) {
	var result *order.Order
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		tr, o, err := f.core.LockOrder(ctx, tenant, a, orderID)
		if err != nil {
			return err
		}
		result = o
		if o.Status() == order.Cancelled {
			return nil
		}
		return f.cancelLocked(ctx, tr, o, reason)
	})
	return result, err
}

func (f *Flow) cancelLocked(ctx context.Context, tr *order.Trade, o *order.Order, reason string) error {
	now := f.d.Now()
	if err := o.Cancel(reason, now); err != nil {
		return err
	}
	if err := f.d.Orders.Save(ctx, o); err != nil {
		return err
	}
	if _, err := f.core.UndoOrder(ctx, tr, o, trade.Undo{Stock: trade.ReleaseReserved, ClosePayments: true}); err != nil {
		return err
	}
	if _, err := f.d.Outbox.Append(ctx, TopicOrderCancelled, o.ID(), trade.NewOrderEvent(o, now, "")); err != nil {
		return err
	}
	if tr.Payable().Minor() == 0 {
		return f.d.Timers.Cancel(ctx, TimerUnpaid, timerRef(o.Tenant(), tr.ID()))
	}
	return nil
}

// expireUnpaid is the unpaid timer: every order of the trade still awaiting payment is cancelled.
func (f *Flow) expireUnpaid(ctx context.Context, ref string) error {
	tenant, tradeID, ok := strings.Cut(ref, "/")
	if !ok {
		return fmt.Errorf("fixedprice: bad timer ref %q", ref)
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
