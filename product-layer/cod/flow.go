package cod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Scenario names the cash-on-delivery flow: its trades, its business identities and its scripts' scope.
const Scenario identity.Scenario = "cod"

// The statuses of a COD order: confirmed without payment, shipped, then delivered (the carrier
// collected its total: the order is paid from here on) and completed; or returned (the buyer
// refused the parcel), or cancelled before it shipped.
const (
	Confirmed order.Status = "confirmed"
	Returned  order.Status = "returned"
)

// Lifecycle is the lifecycle of COD orders. Only delivered and completed orders read as paid.
var Lifecycle = order.NewLifecycle("cod", Confirmed, map[order.Status][]order.Status{
	Confirmed:       {order.Shipped, order.Cancelled},
	order.Shipped:   {order.Delivered, Returned},
	order.Delivered: {order.Completed, order.Refunded},
	order.Completed: {order.Refunded},
}, order.Cancelled, Returned, order.Refunded).WithPaid(order.Delivered, order.Completed)

func init() {
	order.RegisterLifecycle(Scenario, Lifecycle)
	trade.RegisterStates(Scenario, states) // a confirmed COD trade waits on its delivery, not on a timer
}

// The states of a COD trade's flow: confirmed while an order awaits its delivery; collected once
// none does and the carrier collected for at least one; closed when every order was refused or
// cancelled.
const (
	StateConfirmed = "confirmed"
	StateCollected = "collected"
	StateClosed    = "closed"
)

var states = trade.NewStates(StateConfirmed, map[string][]string{
	StateConfirmed: {StateCollected, StateClosed},
})

// Delivery outcomes.
const (
	OutcomeDelivered = trade.OutcomeDelivered
	OutcomeRefused   = "refused"
)

// Provider names the "provider" of a cod_collection payment: the carrier collecting cash. Its
// reference is the order collected for.
const Provider = "cod"

// TopicOrderReturned is emitted when a buyer refuses a COD parcel.
const TopicOrderReturned = "order.returned"

// Cancel reasons.
const (
	ReasonBuyer    = "buyer_cancelled"
	ReasonOperator = "operator_cancelled"
)

// Errors of delivery.
var (
	ErrCollectionRequired = errkind.New(errkind.Invalid, "cod.collection_required", "a delivered COD order says what the carrier collected")
	ErrCollectionMismatch = errkind.New(errkind.Conflict, "cod.collection_mismatch", "the amount collected is not the order's total")
	ErrInvalidOutcome     = errkind.New(errkind.Invalid, "cod.invalid_outcome", "a COD delivery is delivered or refused")
)

// Deps are the flow's collaborators.
type Deps struct {
	Core      *trade.Core
	Rules     Store
	Tx        trade.Transactor
	Orders    order.Repository
	Inventory *inventory.Service
	Payments  payment.Store
	Outbox    trade.Outbox
	IDs       trade.IDs
	// Ext runs cod.eligibility for each business identity; nil runs the Go default only.
	Ext extensions.Runtime
	// Enabled, if set, is the operators' switch for a tenant (the runtime toggle cod.enabled, with
	// its per-tenant override), read for each quote and order: off, COD is not offered whatever
	// the tenant's rules say.
	Enabled func(tenant string) bool
	Now     func() time.Time
	Log     *slog.Logger
}

// Flow runs COD trades.
type Flow struct {
	d Deps
}

// New returns the flow and plugs it into the core.
func New(d Deps) *Flow {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	f := &Flow{d: d}
	d.Core.Register(f)
	d.Core.SetOffline(Provider)
	return f
}

// Scenario implements trade.Flow.
func (f *Flow) Scenario() identity.Scenario { return Scenario }

// States implements trade.Flow.
func (f *Flow) States() *trade.States { return states }

// Owes implements trade.Flow: a COD trade owes nothing online; its cash is collected at the door.
func (f *Flow) Owes(_ context.Context, t *order.Trade, purpose payment.Purpose, _ time.Time) (money.Amount, error) {
	return money.Amount{}, errkind.WithDetail(payment.ErrInvalidPurpose, "trade %s is paid in cash on delivery, not online (%s)", t.ID(), purpose)
}

// Collect implements trade.Flow: no online payment is ever owed, so none is taken; the core
// records any that arrives as money owed back.
func (f *Flow) Collect(context.Context, *order.Trade, *payment.Payment, time.Time) (bool, error) {
	return false, nil
}

// Collected implements trade.Flow: the carrier collected each delivered order's total in cash,
// recorded as a cod_collection payment of its own; what goes back goes back by hand.
func (f *Flow) Collected(ctx context.Context, t *order.Trade, o *order.Order) ([]trade.Collected, error) {
	ps, err := f.d.Payments.ByTrade(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Status() == payment.Succeeded && p.Purpose() == payment.CODCollection && p.ProviderRef() == o.ID() {
			return []trade.Collected{{Payment: p, Amount: p.Amount().Minor()}}, nil
		}
	}
	return nil, nil
}

// Quote is a priced COD cart and whether COD is offered for it.
type Quote struct {
	Draft *trade.Draft
	// Ineligible is why COD is not offered (a stable-coded error), nil if it is.
	Ineligible error
}

// Quote prices a cart under the COD identity and judges whether COD is offered for it at the
// destination, without reserving anything.
func (f *Flow) Quote(ctx context.Context, ident identity.Identity, b trade.Buyer, dest address.Place, cart trade.Cart) (Quote, error) {
	items, err := pricing.NormalizeItems(cart.Items)
	if err != nil {
		return Quote{}, err
	}
	if dest, err = trade.Destination(dest); err != nil {
		return Quote{}, err
	}
	cart.Items = items
	d := &trade.Draft{Call: extensions.Call{Identity: ident, UserID: b.UserID}, Buyer: b, Cart: cart, Dest: dest, At: f.d.Now()}
	if err := f.d.Core.Plan(ctx, d, trade.QuotePlan); err != nil {
		return Quote{}, err
	}
	q := Quote{Draft: d, Ineligible: f.eligible(ctx, d)}
	if q.Ineligible != nil && !isReason(q.Ineligible) {
		return Quote{}, q.Ineligible // the rules could not be read: not a reason, a failure
	}
	return q, nil
}

// isReason reports whether err is one of the reasons COD is not offered.
func isReason(err error) bool {
	for _, r := range Reasons {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// PlaceOrder is a buyer's COD order.
type PlaceOrder struct {
	Identity       identity.Identity
	Buyer          trade.Buyer
	Items          []pricing.Item
	Address        order.Address
	IdempotencyKey string
	Coupons        []string
	Currency       string
	// ExpectedTotal, if set, is the total the buyer was shown (what the carrier will collect).
	ExpectedTotal *money.Amount
}

const scopePlaceOrder = "cod_place_order"

// PlaceOrder places a COD trade for an eligible buyer through the core's template: its orders
// are confirmed without payment and their stock reserved, in one transaction. An ineligible order
// is refused with the reason's stable code and reserves nothing.
func (f *Flow) PlaceOrder(ctx context.Context, cmd PlaceOrder) (*order.Trade, error) {
	if cmd.Identity.Scenario() != Scenario {
		return nil, fmt.Errorf("cod: a %s identity", cmd.Identity.Scenario())
	}
	return f.d.Core.PlaceOrder(ctx, trade.Order{Identity: cmd.Identity, Buyer: cmd.Buyer, Items: cmd.Items, Coupons: cmd.Coupons,
		Currency: cmd.Currency, Address: cmd.Address, Key: cmd.IdempotencyKey, Expected: cmd.ExpectedTotal}, scopePlaceOrder, f.take)
}

// take is how the flow takes an order: the core's plan, then the eligibility rules on the planned
// cart; nothing is owed, so there is no pay deadline.
func (f *Flow) take(context.Context) (trade.Taking, error) {
	return trade.Taking{Plan: trade.PlacePlan, Place: func(ctx context.Context, d *trade.Draft) (trade.Placement, error) {
		return trade.Placement{}, f.eligible(ctx, d)
	}}, nil
}

// CancelOrder implements trade.Canceller: a confirmed order that has not shipped is cancelled
// and its stock, limits and discounts come back; a COD order holds no deposit and no payment.
func (f *Flow) CancelOrder(ctx context.Context, t *order.Trade, o *order.Order, c trade.Cancellation) ([]*payment.Refund, error) {
	if c.RefundDeposit {
		return nil, errkind.WithDetail(trade.ErrNoDeposit, "order %s is a cash-on-delivery order", o.ID())
	}
	if o.Status() != Confirmed {
		return nil, errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: a COD order is cancelled before it ships", o.ID(), o.Status())
	}
	now := f.d.Now()
	if err := o.Cancel(c.Reason, now); err != nil {
		return nil, err
	}
	return nil, f.end(ctx, t, o, trade.TopicOrderCancelled, now)
}

// end saves an order just cancelled or returned, gives back its stock, limits and discounts,
// emits topic, and settles the trade's state.
func (f *Flow) end(ctx context.Context, t *order.Trade, o *order.Order, topic string, now time.Time) error {
	if err := f.d.Orders.Save(ctx, o); err != nil {
		return err
	}
	if _, err := f.d.Core.UndoOrder(ctx, t, o, trade.Undo{Stock: trade.ReleaseReserved}); err != nil {
		return err
	}
	if _, err := f.d.Outbox.Append(ctx, topic, o.Tenant(), o.TradeID(), trade.NewOrderEvent(o, now, "")); err != nil {
		return err
	}
	return f.settleState(ctx, t)
}

// settleState moves the trade's flow once no order awaits its delivery: collected if the carrier
// collected for any, else closed.
func (f *Flow) settleState(ctx context.Context, t *order.Trade) error {
	collected := false
	for _, o := range t.Orders() {
		switch o.Status() {
		case Confirmed, order.Shipped:
			return nil
		case order.Delivered, order.Completed:
			collected = true
		}
	}
	to := StateClosed
	if collected {
		to = StateCollected
	}
	_, err := f.d.Core.Advance(ctx, t.Tenant(), t.ID(), to)
	return err
}

// Delivery is the carrier's report on a shipped COD order (the core's): for a delivered order,
// Collected is what the carrier collected, which must be the order's total.
type Delivery = trade.Delivery

// Deliver implements trade.Deliverer: it records the outcome of a COD order's delivery. Delivered: the collected cash, which must
// be the order's total, is recorded as a cod_collection payment, the order becomes delivered (and
// paid) and its stock sold. Refused: the order becomes returned, its stock goes back on sale, its
// limits and discounts are given back, and the refusal counts against the buyer. Reporting the
// same outcome again changes nothing.
func (f *Flow) Deliver(ctx context.Context, tenant string, a trade.Actor, orderID string, dl Delivery) (*order.Order, error) {
	switch dl.Outcome {
	case OutcomeDelivered:
		if dl.Collected == nil {
			return nil, errkind.WithDetail(ErrCollectionRequired, "collected is required (minor units)")
		}
	case OutcomeRefused:
		if dl.Collected != nil && *dl.Collected != 0 {
			return nil, errkind.Invalidf("a refused delivery collects nothing")
		}
	default:
		return nil, errkind.WithDetail(ErrInvalidOutcome, "outcome must be delivered or refused, not %q", dl.Outcome)
	}
	var result *order.Order
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, o, err := f.d.Core.LockOrder(ctx, tenant, a, orderID)
		if err != nil {
			return err
		}
		result = o
		if dl.Outcome == OutcomeDelivered {
			return f.collect(ctx, t, o, *dl.Collected)
		}
		return f.refuse(ctx, t, o)
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

func (f *Flow) collect(ctx context.Context, t *order.Trade, o *order.Order, collected int64) error {
	total := o.Total()
	if collected != total.Minor() {
		return errkind.WithDetail(ErrCollectionMismatch, "collected %d; order %s is %d %s", collected, o.ID(), total.Minor(), total.Currency().Code())
	}
	if o.Status() == order.Delivered || o.Status() == order.Completed {
		return nil // reported twice
	}
	if o.Status() != order.Shipped {
		return errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: only a shipped order is delivered", o.ID(), o.Status())
	}
	now := f.d.Now()
	p := payment.New(f.d.IDs.NextString("P"), t.Tenant(), t.ID(), t.UserID(), Provider, payment.CODCollection, total, now)
	p.SetProviderRef(o.ID())
	if _, err := p.Settle(payment.OutcomeSucceeded, now); err != nil {
		return err
	}
	if err := f.d.Payments.Create(ctx, p); err != nil {
		return err
	}
	if err := o.Deliver(now); err != nil {
		return err
	}
	if err := f.d.Orders.Save(ctx, o); err != nil {
		return err
	}
	if err := f.d.Inventory.Confirm(ctx, t.Tenant(), o.ID()); err != nil {
		return err
	}
	for _, topic := range []string{trade.TopicOrderPaid, trade.TopicOrderDelivered} {
		if _, err := f.d.Outbox.Append(ctx, topic, o.Tenant(), o.TradeID(), trade.NewOrderEvent(o, now, p.ID())); err != nil {
			return err
		}
	}
	return f.settleState(ctx, t)
}

func (f *Flow) refuse(ctx context.Context, t *order.Trade, o *order.Order) error {
	if o.Status() == Returned {
		return nil // reported twice
	}
	if o.Status() != order.Shipped {
		return errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: only a shipped order is refused at the door", o.ID(), o.Status())
	}
	now := f.d.Now()
	if err := o.Move(Returned, now); err != nil {
		return err
	}
	if err := f.d.Rules.RecordRefusal(ctx, t.Tenant(), t.UserID(), o.ID(), now); err != nil {
		return err
	}
	return f.end(ctx, t, o, TopicOrderReturned, now)
}
