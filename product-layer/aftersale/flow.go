// Package aftersale is the reverse flow, over the trades of every scenario: a buyer asks for some
// units of one child order back (refund only, or return and refund), an operator or the tenant's
// rules decide, returned goods are received, and the money goes back to the payments it came from.
//
// The request and its worth are the capability's (capability/aftersale): what units are worth is
// decided by cumulative portions, so any split of a line gives back exactly what it paid. This
// package owns the steps and their order:
//
//   - requesting: the order must hold money (its flow says which payments collected what), the
//     kind must fit where the goods are (refund only before they arrive, a return after, within
//     the tenant's window and the SKU's tag window), aftersale.eligibility may refuse and
//     aftersale.refund_amount may lower the amount; the business's scripts run as the trade's
//     business line in scenario refund, before the order is locked, so a slow script never holds
//     a row lock. The request is then made with the trade
//     locked: requests for the same units serialize on it, and together never take more units
//     than the order has.
//   - refunding: in one transaction the refunds are owed to the order's payments (a pre-sale's
//     balance before its deposit; a cash-on-delivery collection is refunded by hand and confirmed
//     by an operator), and the shared undo steps give back the units' stock (on sale when they
//     never left or came back sellable, to the damaged count when they came back damaged, not at
//     all when they were lost on the way), their purchase-limit claims and their share of campaign
//     budgets; the order's last units refund the order and, with the trade's last live order, its
//     coupons. The providers are asked after the commit; a durable job keeps asking while one is
//     down. The request is refunded in the transaction that records its last refund paid.
//   - timers: the seller's window (an unanswered request is approved) and the ship-back window (an
//     approved return never shipped is closed) are durable timers set with the request.
package aftersale

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	asale "github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Scenario is the after-sale flow's: refunds and returns of trades of every flow run under it, so
// that a business may script them on their own.
const Scenario identity.Scenario = "refund"

// Topics of the events the flow writes to the outbox, keyed by the trade id.
const (
	TopicRequested     = "aftersale.requested"
	TopicApproved      = "aftersale.approved"
	TopicRejected      = "aftersale.rejected"
	TopicCancelled     = "aftersale.cancelled"
	TopicReturnShipped = "aftersale.return_shipped"
	TopicReceived      = "aftersale.received"
	TopicRefunding     = "aftersale.refunding"
	TopicRefunded      = "aftersale.refunded"
	TopicClosed        = "aftersale.closed"
)

// Timer kinds.
const (
	// TimerSellerWindow approves a request nobody answered within the tenant's seller window.
	TimerSellerWindow = "aftersale.seller_window"
	// TimerShipBack closes an approved return the buyer did not ship back in time.
	TimerShipBack = "aftersale.ship_back"
)

// scopeRequest is the idempotency scope of a buyer's request.
const scopeRequest = "aftersale.request"

// Deps are the flow's collaborators.
type Deps struct {
	Tx          trade.Transactor
	Core        *trade.Core
	Store       asale.Store
	Orders      order.Repository
	Catalog     catalog.Store
	Payments    payment.Store
	Outbox      trade.Outbox
	Timers      trade.Timers
	Idempotency trade.Idempotency
	IDs         trade.IDs
	// Ext runs the businesses' scripts on aftersale.eligibility and aftersale.refund_amount; nil
	// runs the defaults.
	Ext extensions.Runtime
	Now func() time.Time
	Log *slog.Logger
}

// Flow runs after-sale requests.
type Flow struct{ d Deps }

// New returns a Flow and hooks it to the core: a request is refunded in the transaction that
// records its last refund paid.
func New(d Deps) *Flow {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	f := &Flow{d: d}
	d.Core.Declare(Scenario)
	d.Core.OnRefundSettled(f.refundSettled)
	return f
}

// RegisterTimers registers the flow's timers with the node's queue.
func (f *Flow) RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error)) {
	register(TimerSellerWindow, f.sellerWindowDue)
	register(TimerShipBack, f.shipBackDue)
}

// Event is the payload of every aftersale.* event.
type Event struct {
	Tenant      string      `json:"tenant"`
	AfterSaleID string      `json:"afterSaleId"`
	TradeID     string      `json:"tradeId"`
	OrderID     string      `json:"orderId"`
	UserID      string      `json:"userId"`
	Kind        string      `json:"kind"`
	Status      string      `json:"status"`
	Reason      string      `json:"reason"`
	Currency    string      `json:"currency"`
	Goods       int64       `json:"goods"`
	Shipping    int64       `json:"shipping"`
	Computed    int64       `json:"computed"`
	Amount      int64       `json:"amount"`
	Decision    string      `json:"decision,omitempty"`
	DecidedBy   string      `json:"decidedBy,omitempty"`
	Condition   string      `json:"condition,omitempty"`
	RefundIDs   []string    `json:"refundIds,omitempty"`
	Lines       []EventLine `json:"lines"`
	// BudgetReturned and CouponsReleased say what the refund gave back of the trade's discounts.
	BudgetReturned  map[string]int64 `json:"budgetReturned,omitempty"`
	CouponsReleased bool             `json:"couponsReleased,omitempty"`
	At              time.Time        `json:"at"`
}

// EventLine is one line of a request in its events.
type EventLine struct {
	LineNo   int    `json:"lineNo"`
	SKUID    string `json:"skuId"`
	Quantity int64  `json:"quantity"`
	Amount   int64  `json:"amount"`
	Discount int64  `json:"discount"`
}

func (f *Flow) emit(ctx context.Context, topic string, a *asale.AfterSale, back trade.Returned) error {
	ev := Event{Tenant: a.Tenant(), AfterSaleID: a.ID(), TradeID: a.TradeID(), OrderID: a.OrderID(), UserID: a.UserID(), Kind: string(a.Kind()),
		Status: string(a.Status()), Reason: a.Reason(), Currency: a.Amount().Currency().Code(), Goods: a.Goods().Minor(),
		Shipping: a.Shipping().Minor(), Computed: a.Computed().Minor(), Amount: a.Amount().Minor(), Decision: a.Decision(),
		DecidedBy: a.DecidedBy(), Condition: string(a.Condition()), RefundIDs: a.RefundIDs(), BudgetReturned: back.BudgetReturned,
		CouponsReleased: back.CouponsReleased, At: a.UpdatedAt()}
	for _, l := range a.Lines() {
		ev.Lines = append(ev.Lines, EventLine{LineNo: l.LineNo, SKUID: l.SKUID, Quantity: l.Quantity, Amount: l.Amount.Minor(), Discount: l.Discount.Minor()})
	}
	_, err := f.d.Outbox.Append(ctx, topic, a.Tenant(), a.TradeID(), ev)
	return err
}

// Get returns a request the actor may see: a buyer sees only their own.
func (f *Flow) Get(ctx context.Context, tenant string, a trade.Actor, id string) (*asale.AfterSale, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	r, err := f.d.Store.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if !a.Sees(r.UserID()) {
		return nil, asale.ErrNotFound
	}
	return r, nil
}

// OfTrade is every request made on the orders of a trade the actor may see, by order, oldest
// first.
func (f *Flow) OfTrade(ctx context.Context, tenant string, a trade.Actor, t *order.Trade) ([]*asale.AfterSale, error) {
	if !a.Sees(t.UserID()) {
		return nil, order.ErrTradeNotFound
	}
	var out []*asale.AfterSale
	for _, o := range t.Orders() {
		as, err := f.d.Store.OfOrder(ctx, tenant, o.ID())
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	return out, nil
}

// List lists requests, newest first (limit 1-100, default 20): a buyer's own, or the tenant's
// for an operator (by status if given).
func (f *Flow) List(ctx context.Context, tenant string, a trade.Actor, status asale.Status, limit int, cursor string) (asale.Page, error) {
	if err := a.Validate(); err != nil {
		return asale.Page{}, err
	}
	if status != "" && !status.Known() {
		return asale.Page{}, errkind.WithDetail(asale.ErrInvalidRequest, "unknown status %q", status)
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	filter := asale.Filter{Status: status}
	if a.Kind == trade.ActorBuyer {
		filter.UserID = a.ID
	}
	return f.d.Store.List(ctx, tenant, filter, limit, cursor)
}

// Refunds are the payment refunds of a request, in the order it owed them: one read of its
// order's refunds, those naming the request.
func (f *Flow) Refunds(ctx context.Context, a *asale.AfterSale) ([]*payment.Refund, error) {
	if len(a.RefundIDs()) == 0 {
		return nil, nil
	}
	rs, err := f.d.Payments.RefundsOfOrders(ctx, a.Tenant(), []string{a.OrderID()})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*payment.Refund, len(rs))
	for _, r := range rs {
		if r.AfterSaleID() == a.ID() {
			byID[r.ID()] = r
		}
	}
	out := make([]*payment.Refund, 0, len(a.RefundIDs()))
	for _, id := range a.RefundIDs() {
		r, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("aftersale: %s names refund %s, which its order does not have: %w", a.ID(), id, payment.ErrRefundNotFound)
		}
		out = append(out, r)
	}
	return out, nil
}

// Policy is the tenant's after-sale policy.
func (f *Flow) Policy(ctx context.Context, tenant string) (asale.Policy, error) {
	return f.d.Store.Policy(ctx, tenant)
}

// PutPolicy sets the tenant's after-sale policy; it applies to requests made from then on.
func (f *Flow) PutPolicy(ctx context.Context, tenant string, p asale.Policy) error {
	return f.d.Store.PutPolicy(ctx, tenant, p)
}

// stage is how far an order's goods have got, or ErrNotEligible when the order holds no money
// to give back (unpaid, a deposit only, cash not yet collected, cancelled or refunded).
func stage(o *order.Order) (asale.Stage, error) {
	if !o.Paid() {
		return 0, errkind.WithDetail(asale.ErrNotEligible, "order %s is %s: it holds no money to give back", o.ID(), o.Status())
	}
	switch o.Status() {
	case order.Shipped:
		return asale.InTransit, nil
	case order.Delivered, order.Completed:
		return asale.DeliveredStage, nil
	}
	return asale.NotShipped, nil
}

// deliveredAt is when the order's goods arrived: its delivery time, or for orders delivered
// before it was kept, its last change.
func deliveredAt(o *order.Order) time.Time {
	if !o.DeliveredAt().IsZero() {
		return o.DeliveredAt()
	}
	return o.UpdatedAt()
}

// book is the order's after-sale ledger: its lines at what they paid, its shipping, and its
// requests so far. What the lines paid is what the order's payments collected: where a pre-sale
// deposit counted for more than it cost, the difference comes off the goods (then the shipping),
// spread over the lines by what each paid, so that refunds never give back more than came in.
func (f *Flow) book(ctx context.Context, t *order.Trade, o *order.Order, earlier []*asale.AfterSale, shipped bool) (asale.Book, []trade.Collected, error) {
	collected, err := f.d.Core.Collected(ctx, t, o)
	if err != nil {
		return asale.Book{}, nil, err
	}
	var in int64
	for _, c := range collected {
		in += c.Amount
	}
	cur := o.Total().Currency()
	lines := o.Lines()
	payable := make([]int64, len(lines))
	var goods int64
	for i, l := range lines {
		payable[i] = l.Payable().Minor()
		goods += payable[i]
	}
	fee := o.Amounts().ShippingFee.Minor()
	if short := goods + fee - in; short > 0 {
		cut := min(short, goods)
		if goods > 0 {
			if payable, err = money.Allocate(goods-cut, payable); err != nil {
				return asale.Book{}, nil, err
			}
		}
		fee = max(0, fee-(short-cut))
	}
	b := asale.Book{ShippingFee: money.New(fee, cur), Shipped: shipped, Earlier: earlier}
	for i, l := range lines {
		b.Lines = append(b.Lines, asale.OrderLine{LineNo: l.LineNo, SKUID: l.SKUID, WarehouseID: l.WarehouseID, Quantity: l.Quantity,
			Paid: money.New(payable[i], cur), Discount: l.Discount})
	}
	return b, collected, nil
}

// timerRef names a request's timers: tenant/id.
func timerRef(tenant, id string) string { return trade.TimerRef(tenant, id) }
