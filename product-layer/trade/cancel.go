package trade

import (
	"context"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Cancellation is a request to cancel one order, as its flow's business allows.
type Cancellation struct {
	Actor Actor
	// Reason is recorded on the order ("buyer_cancelled", "operator_cancelled").
	Reason string
	// RefundDeposit is an operator's goodwill: a deposit the cancel would forfeit (an auction
	// winner's, a pre-sale's) goes back to the payment it came from instead. A flow whose orders
	// hold no deposit refuses it.
	RefundDeposit bool
}

// ErrNoDeposit is a cancel asking to refund a deposit of an order that holds none.
var ErrNoDeposit = errkind.New(errkind.Invalid, "order.no_deposit", "the order holds no deposit to refund")

// Canceller is the part of a Flow that cancels its orders: what a cancel does is the flow's own
// (a fixed-price order gives its stock back; a won auction's sale forfeits the winner's deposit;
// a pre-sale forfeits or refunds its deposit by its campaign's terms), so the core never cancels
// an order in another flow's way.
type Canceller interface {
	// Cancel cancels order o of trade t, both locked in the caller's transaction, and returns the
	// refunds it owed, which the core asks the providers for once the transaction commits. An
	// order the flow no longer cancels (paid, shipped) is order.invalid_transition.
	CancelOrder(ctx context.Context, t *order.Trade, o *order.Order, c Cancellation) ([]*payment.Refund, error)
}

// Cancel cancels an order the actor may see, in its flow's way. Cancelling an order already
// cancelled answers it as it is.
func (c *Core) Cancel(ctx context.Context, tenant, orderID string, req Cancellation) (*order.Order, error) {
	if err := req.Actor.Validate(); err != nil {
		return nil, err
	}
	if req.RefundDeposit && req.Actor.Kind != ActorOperator {
		return nil, errkind.WithDetail(errkind.ErrForbidden, "only an operator refunds a deposit on cancel")
	}
	var (
		out     *order.Order
		refunds []*payment.Refund
	)
	err := c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, o, err := c.LockOrder(ctx, tenant, req.Actor, orderID)
		if err != nil {
			return err
		}
		out = o
		if o.Status() == order.Cancelled {
			return nil
		}
		f, err := c.flowOf(t)
		if err != nil {
			return err
		}
		refunds, err = f.CancelOrder(ctx, t, o, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.SettleRefunds(ctx, refunds)
	return out, nil
}
