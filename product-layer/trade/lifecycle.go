package trade

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// OutcomeDelivered is the delivery outcome every flow knows: the goods arrived.
const OutcomeDelivered = "delivered"

// Delivery is a carrier's report on a shipped order: the outcome, and for a flow that collects
// on the doorstep, what the carrier collected (minor units of the order's currency).
type Delivery struct {
	Outcome   string
	Collected *int64
}

// Deliverer is a flow whose orders end their delivery in more ways than arriving (cash on
// delivery: delivered and collected, or refused at the door). A flow that is not one takes only
// "delivered", with nothing collected.
type Deliverer interface {
	Deliver(ctx context.Context, tenant string, a Actor, orderID string, d Delivery) (*order.Order, error)
}

// ShipChecker is a flow whose orders may not ship in every status the order lifecycle allows
// (a group-buy order waits for its group). CheckShip runs in the shipment's transaction, with the
// trade locked, and refuses with a stable-coded error.
type ShipChecker interface {
	CheckShip(ctx context.Context, t *order.Trade, o *order.Order) error
}

// RefundWatcher is a flow that keeps something of its own per trade that a trade refunded in full
// must end (a group-buy member's place in its group). TradeRefunded runs in the refund's
// transaction, with the trade locked, when CloseRefunded closes the trade.
type RefundWatcher interface {
	TradeRefunded(ctx context.Context, t *order.Trade) error
}

// TimerOwner is a flow with durable timers of its own.
type TimerOwner interface {
	RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error))
}

// RegisterTimers registers the timers of the core (refunds owed) and of every registered flow
// with the node's timer queue.
func (c *Core) RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error)) {
	register(TimerRefund, c.RefundDue)
	for _, sc := range c.Scenarios() {
		if f, err := c.FlowOf(sc); err == nil {
			if t, ok := f.(TimerOwner); ok {
				t.RegisterTimers(register)
			}
		}
	}
}

// Ship records the shipment of a paid order, if its flow lets it ship.
func (c *Core) Ship(ctx context.Context, tenant string, a Actor, orderID string, sh order.Shipment) (*order.Order, error) {
	var o *order.Order
	err := c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, locked, err := c.LockOrder(ctx, tenant, a, orderID)
		if err != nil {
			return err
		}
		f, err := c.flowOf(t)
		if err != nil {
			return err
		}
		if sc, ok := f.(ShipChecker); ok {
			if err := sc.CheckShip(ctx, t, locked); err != nil {
				return err
			}
		}
		o = locked
		return c.move(ctx, o, TopicOrderShipped, func(o *order.Order, now time.Time) error { return o.Ship(sh, now) })
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Deliver records a carrier's report on a shipped order, in the way of the order's flow.
func (c *Core) Deliver(ctx context.Context, tenant string, a Actor, orderID string, d Delivery) (*order.Order, error) {
	peek, err := c.Order(ctx, tenant, a, orderID)
	if err != nil {
		return nil, err
	}
	f, err := c.FlowOf(peek.Scenario())
	if err != nil {
		return nil, err
	}
	if dl, ok := f.(Deliverer); ok {
		return dl.Deliver(ctx, tenant, a, orderID, d)
	}
	if d.Outcome != OutcomeDelivered {
		return nil, errkind.Invalidf("outcome must be \"delivered\" for a prepaid order")
	}
	if d.Collected != nil {
		return nil, errkind.Invalidf("a prepaid order collects nothing on delivery; collected is for cash-on-delivery orders")
	}
	return c.Transition(ctx, tenant, a, orderID, TopicOrderDelivered, func(o *order.Order, now time.Time) error { return o.Deliver(now) })
}

// Complete closes a delivered order: the buyer confirmed receipt.
func (c *Core) Complete(ctx context.Context, tenant string, a Actor, orderID string) (*order.Order, error) {
	return c.Transition(ctx, tenant, a, orderID, TopicOrderCompleted, func(o *order.Order, now time.Time) error { return o.Complete(now) })
}
