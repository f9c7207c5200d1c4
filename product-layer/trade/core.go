// Package trade is the core every transaction flow composes:
//
//   - who acts (Actor: a buyer, an operator, the system), and the reads of trades, orders and
//     payments as an actor may see them;
//   - plan steps written once over one Draft (price, discount, choose stock, split, shipping,
//     validate, limits); a flow lists the steps it runs and may replace one;
//   - the commit steps that write a planned trade (Place) and the undo steps that give back what
//     an order held (UndoOrder: stock, purchase limits, discounts, pending payments), used by
//     every cancel, expiry, refusal and refund;
//   - payments: the intent for what the trade's flow says it owes, the provider's callback, and
//     money that nothing takes any more, owed back;
//   - a persisted flow instance per trade (scenario, state, version), moved in each step's
//     transaction through the flow's own States.
//
// A flow (fixed price, pre-sale, cash on delivery, auction) keeps what is its own: what its
// trades owe and when, what a payment does to them, its timers and its commands. Each step runs
// inside the caller's local transaction (Transactor), so a step and the record of why (its
// event) commit together or not at all.
package trade

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
	"golang.org/x/sync/singleflight"
)

// Transactor runs fn in one local transaction carried by ctx.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Outbox appends an event to the transaction's outbox.
type Outbox interface {
	// Append writes an event of tenant; key orders it among others (a trade's events are keyed by
	// the trade id, so that every consumer sees one trade's events in the order they happened).
	Append(ctx context.Context, topic, tenant, key string, payload any) (string, error)
}

// Timers are durable timers written in the transaction.
type Timers interface {
	Schedule(ctx context.Context, kind, ref string, due time.Time) error
	Cancel(ctx context.Context, kind, ref string) error
}

// Deps are what the core works with. Limits, Discounts, Prices, Delivery, Ext and Runs may be
// nil: nothing is limited or discounted, every SKU sells at its own price, everything ships free,
// only the Go defaults run, and no record of script runs is kept.
type Deps struct {
	Tx          Transactor
	Catalog     catalog.Store
	Orders      order.Repository
	Inventory   *inventory.Service
	Payments    payment.Store
	Outbox      Outbox
	Timers      Timers
	Idempotency Idempotency
	IDs         IDs
	Limits      *limits.Service
	Discounts   *discount.Service
	Prices      *pricing.Prices
	Delivery    *delivery.Service
	Ext         extensions.Runtime
	Runs        RunLog
	Providers   []payment.Provider
	// Instances keeps each trade's flow instance; nil keeps none (a test of one step).
	Instances Instances
	// Config is the intake's: the unpaid window and how long stock reserved ahead is held.
	Config Config
	Now    func() time.Time
	Log    *slog.Logger
}

// Config of the intake every flow's orders go through.
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

// withDefaults fills what is not set.
func (c Config) withDefaults() Config {
	if c.UnpaidWindow == 0 {
		c.UnpaidWindow = 30 * time.Minute
	}
	if c.HotHold == 0 {
		c.HotHold = time.Minute
	}
	return c
}

// Validate reports a config that cannot work (zero values are the defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.UnpaidWindow < time.Second || c.UnpaidWindow > 7*24*time.Hour {
		return fmt.Errorf("trade: unpaidWindow %s must be between 1s and 168h", c.UnpaidWindow)
	}
	if c.HotHold < time.Second || c.HotHold > time.Hour {
		return fmt.Errorf("trade: hotHold %s must be between 1s and 1h", c.HotHold)
	}
	return nil
}

// UnpaidWindow is how long a trade placed now may stay unpaid: the runtime toggle if there is
// one, else the configured window. Every flow's unpaid deadline is computed from it.
func (c *Core) UnpaidWindow() time.Duration {
	if c.d.Config.UnpaidWindowNow != nil {
		if w := c.d.Config.UnpaidWindowNow(); w > 0 {
			return w
		}
	}
	return c.d.Config.UnpaidWindow
}

// Core is the part of every flow that is not the flow's own.
type Core struct {
	d         Deps
	providers map[string]payment.Provider
	// flowsMu guards flows, which flows register as they are built (before the node serves).
	flowsMu  sync.RWMutex
	flows    map[identity.Scenario]Flow
	declared map[identity.Scenario]bool
	// placing joins a request to one with the same idempotency key still running on this node.
	placing singleflight.Group
	// hooksMu guards what flows declare once, as they are built: the providers collected offline,
	// what runs when a refund is paid, and the holders of payments that belong to no trade.
	hooksMu sync.RWMutex
	offline map[string]bool
	settled []func(ctx context.Context, r *payment.Refund) error
	holders map[string]Holder
	// paymentMismatches and refundMismatches count refused provider reports (Mismatches).
	paymentMismatches, refundMismatches atomic.Uint64
}

// New returns a Core.
func New(d Deps) *Core {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	d.Config = d.Config.withDefaults()
	c := &Core{d: d, providers: map[string]payment.Provider{}, flows: map[identity.Scenario]Flow{}, declared: map[identity.Scenario]bool{}, offline: map[string]bool{},
		holders: map[string]Holder{}}
	for _, p := range d.Providers {
		c.providers[p.Name()] = p
	}
	return c
}

// Provider returns the payment provider named name, if this node has it.
func (c *Core) Provider(name string) (payment.Provider, bool) {
	p, ok := c.providers[name]
	return p, ok
}

// Now is the core's clock.
func (c *Core) Now() time.Time { return c.d.Now() }

// Trade returns a trade the actor may see.
func (c *Core) Trade(ctx context.Context, tenant string, a Actor, tradeID string) (*order.Trade, error) {
	t, err := c.d.Orders.Trade(ctx, tenant, tradeID)
	if err != nil {
		return nil, err
	}
	if !a.Sees(t.UserID()) {
		return nil, order.ErrTradeNotFound // another buyer's trade does not exist for this one
	}
	return t, nil
}

// Order returns an order the actor may see.
func (c *Core) Order(ctx context.Context, tenant string, a Actor, orderID string) (*order.Order, error) {
	o, err := c.d.Orders.Order(ctx, tenant, orderID)
	if err != nil {
		return nil, err
	}
	if !a.Sees(o.UserID()) {
		return nil, order.ErrNotFound
	}
	return o, nil
}

// Payments are the payments made for a trade the actor may see, oldest first.
func (c *Core) Payments(ctx context.Context, tenant string, a Actor, tradeID string) ([]*payment.Payment, error) {
	if _, err := c.Trade(ctx, tenant, a, tradeID); err != nil {
		return nil, err
	}
	return c.d.Payments.ByTrade(ctx, tenant, tradeID)
}

// LockOrder locks the trade of an order the actor may see, in the caller's transaction, and
// returns it with the order. Every change to a child order locks its trade: the trade's payments
// and discounts are shared by all its orders.
func (c *Core) LockOrder(ctx context.Context, tenant string, a Actor, orderID string) (*order.Trade, *order.Order, error) {
	peek, err := c.Order(ctx, tenant, a, orderID)
	if err != nil {
		return nil, nil, err
	}
	t, err := c.d.Orders.LockTrade(ctx, tenant, peek.TradeID())
	if err != nil {
		return nil, nil, err
	}
	for _, o := range t.Orders() {
		if o.ID() == orderID {
			return t, o, nil
		}
	}
	return nil, nil, order.ErrNotFound
}

// Transition applies one lifecycle move to an order the actor may see (deliver, complete) and
// emits topic with the order as it is after, in one transaction.
func (c *Core) Transition(ctx context.Context, tenant string, a Actor, orderID, topic string, apply func(*order.Order, time.Time) error) (*order.Order, error) {
	var o *order.Order
	err := c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if o, err = c.d.Orders.LockOrder(ctx, tenant, orderID); err != nil {
			return err
		}
		if !a.Sees(o.UserID()) {
			return order.ErrNotFound
		}
		return c.move(ctx, o, topic, apply)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// move applies a lifecycle move to a locked order, saves it and emits topic, in the caller's
// transaction.
func (c *Core) move(ctx context.Context, o *order.Order, topic string, apply func(*order.Order, time.Time) error) error {
	now := c.d.Now()
	if err := apply(o, now); err != nil {
		return err
	}
	if err := c.d.Orders.Save(ctx, o); err != nil {
		return err
	}
	_, err := c.d.Outbox.Append(ctx, topic, o.Tenant(), o.TradeID(), NewOrderEvent(o, now, ""))
	return err
}

// MoveAll moves every order of the trade in status from to status to, saves it and emits topic
// with it (naming paymentID, if any), in the caller's transaction with the trade locked. It
// returns the orders it moved: a payment's flow moves what the payment covers through here.
func (c *Core) MoveAll(ctx context.Context, t *order.Trade, from, to order.Status, topic, paymentID string, now time.Time) ([]*order.Order, error) {
	var moved []*order.Order
	for _, o := range t.Orders() {
		if o.Status() != from {
			continue
		}
		if err := o.Move(to, now); err != nil {
			return moved, err
		}
		if err := c.d.Orders.Save(ctx, o); err != nil {
			return moved, err
		}
		if _, err := c.d.Outbox.Append(ctx, topic, o.Tenant(), o.TradeID(), NewOrderEvent(o, now, paymentID)); err != nil {
			return moved, err
		}
		moved = append(moved, o)
	}
	return moved, nil
}
