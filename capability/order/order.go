// Package order is the trade and its child orders. A trade is what the buyer placed and pays
// once; it splits into orders (one per seller by default), each with its own lines, status and
// shipment. The lifecycle is an explicit state machine (see transitions): one method per
// transition, and ErrInvalidTransition for any move the table does not allow.
package order

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Address is a shipping address: the address library's one type, which every layer passes on
// as it is (the access layer's view and the wire's struct are its only other shapes).
type Address = address.Address

// NormalizeAddress checks an address field by field with the address library and returns it
// normalised: an empty country is CN; in China the levels are resolved to their GB/T 2260 names
// and codes (written in full, short, in pinyin or as codes), each inside the one above, down to
// the district where the city has districts; the phone is valid in the country and kept in
// E.164; the postal code matches the country's pattern. A fault is ErrInvalidAddress listing
// each field at fault as address.<field>.
func NormalizeAddress(a Address) (Address, error) {
	tree, err := address.China()
	if err != nil {
		return Address{}, fmt.Errorf("order: %w", err)
	}
	n, faults := tree.Validate(a)
	if len(faults) > 0 {
		return Address{}, address.Fault(ErrInvalidAddress, "address", faults)
	}
	return n, nil
}

// Line is one SKU in an order. Total is UnitPrice × Quantity; Discount is the line's share of
// the order's discounts (at most Total), which is what a refund of the line gives back.
type Line struct {
	LineNo      int
	SKUID       string
	Title       string
	WarehouseID string
	Quantity    int64
	UnitPrice   money.Amount
	Total       money.Amount
	Discount    money.Amount
	// ListPrice is the SKU's price before any buyer's price list (the crossed-out price when
	// it is above UnitPrice); PriceListID names the list that set UnitPrice, if one did.
	ListPrice   money.Amount
	PriceListID string
}

// Payable is what the buyer pays for the line.
func (l Line) Payable() money.Amount {
	return money.New(l.Total.Minor()-l.Discount.Minor(), l.Total.Currency())
}

// Discount is one promotion's part of an order's discount.
type Discount struct {
	PromotionID string
	Name        string
	Kind        string
	CouponCode  string
	// CampaignID is the campaign whose budget paid for it; a refund of the order gives its
	// Amount back to that budget.
	CampaignID string
	Amount     money.Amount
}

// Amounts are an order's money: Total = Subtotal - Discount + ShippingFee, what the buyer pays.
type Amounts struct {
	Subtotal    money.Amount
	Discount    money.Amount
	ShippingFee money.Amount
	Total       money.Amount
}

// Shipment is how an order travels.
type Shipment struct {
	Carrier    string
	TrackingNo string
}

// Order is one child order of a trade.
type Order struct {
	id           string
	tradeID      string
	tenant       string
	scenario     identity.Scenario
	lifecycle    *Lifecycle
	userID       string
	sellerID     string
	status       Status
	lines        []Line
	amounts      Amounts
	discounts    []Discount
	shipment     Shipment
	shipsAt      time.Time
	cancelReason string
	createdAt    time.Time
	updatedAt    time.Time
	deliveredAt  time.Time
	version      int64
}

// ID is the order id.
func (o *Order) ID() string { return o.id }

// TradeID is the trade the order belongs to.
func (o *Order) TradeID() string { return o.tradeID }

// Tenant owns the order.
func (o *Order) Tenant() string { return o.tenant }

// UserID is the buyer.
func (o *Order) UserID() string { return o.userID }

// SellerID ships the order.
func (o *Order) SellerID() string { return o.sellerID }

// Status is the current status.
func (o *Order) Status() Status { return o.status }

// Scenario is the kind of trade the order belongs to.
func (o *Order) Scenario() identity.Scenario { return o.scenario }

// Lifecycle is what may follow what for the order.
func (o *Order) Lifecycle() *Lifecycle { return o.lifecycle }

// Move moves the order to status to if its lifecycle allows it. Flows use it for the moves of
// their own lifecycles; the standard moves have their own methods.
func (o *Order) Move(to Status, now time.Time) error { return o.move(to, now) }

// Lines are the order's lines.
func (o *Order) Lines() []Line { return append([]Line(nil), o.lines...) }

// Total is what the buyer pays for the order: its lines less their discounts, plus shipping.
func (o *Order) Total() money.Amount { return o.amounts.Total }

// Amounts break the total down.
func (o *Order) Amounts() Amounts { return o.amounts }

// Discounts are the promotions that discounted the order, each with its part.
func (o *Order) Discounts() []Discount { return append([]Discount(nil), o.discounts...) }

// Shipment is set once shipped.
func (o *Order) Shipment() Shipment { return o.shipment }

// ShipsAt is when a pre-sale order ships; zero for an order that ships from stock now.
func (o *Order) ShipsAt() time.Time { return o.shipsAt }

// CancelReason says why a cancelled order was cancelled.
func (o *Order) CancelReason() string { return o.cancelReason }

// CreatedAt is when the order was placed.
func (o *Order) CreatedAt() time.Time { return o.createdAt }

// UpdatedAt is when the order last changed.
func (o *Order) UpdatedAt() time.Time { return o.updatedAt }

// Version counts changes, for optimistic concurrency.
func (o *Order) Version() int64 { return o.version }

// Stored records that a repository saved the order as it is (its version one higher), so that a
// step that moves it again in the same transaction saves over its own write instead of failing
// as a concurrent update: a pre-sale deposit that leaves no balance moves the orders twice.
func (o *Order) Stored() { o.version++ }

func (o *Order) move(to Status, now time.Time) error {
	if !o.lifecycle.CanMove(o.status, to) {
		return transitionError(o, to)
	}
	o.status = to
	o.updatedAt = now
	return nil
}

// Pay marks a pending order paid.
func (o *Order) Pay(now time.Time) error { return o.move(Paid, now) }

// Ship records the shipment of a paid order.
func (o *Order) Ship(s Shipment, now time.Time) error {
	if !validToken(s.Carrier, 32) || !validToken(s.TrackingNo, 64) {
		return errkind.WithDetail(ErrInvalidShipment, "carrier (1-32) and trackingNo (1-64) are required letters, digits, '-' or '_'")
	}
	if err := o.move(Shipped, now); err != nil {
		return err
	}
	o.shipment = s
	return nil
}

var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func validToken(s string, max int) bool { return len(s) <= max && tokenRe.MatchString(s) }

// Deliver marks a shipped order delivered.
func (o *Order) Deliver(now time.Time) error {
	if err := o.move(Delivered, now); err != nil {
		return err
	}
	o.deliveredAt = now
	return nil
}

// DeliveredAt is when the order was delivered: zero before, and on orders delivered before it
// was kept (their UpdatedAt is the best estimate).
func (o *Order) DeliveredAt() time.Time { return o.deliveredAt }

// Complete closes a delivered order (the buyer confirmed receipt).
func (o *Order) Complete(now time.Time) error { return o.move(Completed, now) }

// Refund closes a paid order whose money went back: in full before it shipped, or once after-sale
// refunded every unit of it (the flow records the refunds with the payments).
func (o *Order) Refund(now time.Time) error { return o.move(Refunded, now) }

// Paid reports whether the order's money is in and kept, as its lifecycle says: a
// cash-on-delivery order is not paid before its cash is collected.
func (o *Order) Paid() bool { return o.lifecycle.IsPaid(o.status) }

// Live reports whether the order still goes ahead: it is in none of its lifecycle's closed
// statuses (cancelled, refunded, ...).
func (o *Order) Live() bool { return !o.lifecycle.closed[o.status] }

// Cancel cancels a pending order.
func (o *Order) Cancel(reason string, now time.Time) error {
	if err := o.move(Cancelled, now); err != nil {
		return err
	}
	o.cancelReason = reason
	return nil
}

// Trade is what a buyer placed: child orders paid together.
type Trade struct {
	id          string
	identity    identity.Identity
	userID      string
	address     Address
	total       money.Amount
	orders      []*Order
	createdAt   time.Time
	payDeadline time.Time
	flowState   string
}

// FlowState is where the trade's flow stands as a whole, as the flow names it, when the trade was
// created (the product layer's flow instance, which moves it in its own store afterwards); it is
// written with the trade so that placing one writes no row of its own for its flow.
func (t *Trade) FlowState() string { return t.flowState }

// SetFlowState sets the state the trade's flow starts in, before the trade is created.
func (t *Trade) SetFlowState(s string) { t.flowState = s }

// NewTrade assembles a trade. Each order's lines must be non-empty and in the trade's currency,
// each line's discount between zero and its total, and the order's discounts must add up to its
// lines' discounts; the amounts are computed here, so they always add up.
func NewTrade(id string, ident identity.Identity, userID string, addr Address, orders []NewOrderSpec, now, payDeadline time.Time) (*Trade, error) {
	if len(orders) == 0 || len(orders[0].Lines) == 0 {
		return nil, errkind.Invalidf("a trade needs at least one order with a line")
	}
	lc, err := LifecycleOf(ident.Scenario())
	if err != nil {
		return nil, err
	}
	t := &Trade{id: id, identity: ident, userID: userID, address: addr, createdAt: now, payDeadline: payDeadline}
	cur := orders[0].Lines[0].UnitPrice.Currency()
	t.total = money.Zero(cur)
	for _, spec := range orders {
		o := &Order{id: spec.ID, tradeID: id, tenant: ident.Tenant(), scenario: ident.Scenario(), lifecycle: lc, userID: userID,
			sellerID: spec.SellerID, status: lc.Initial(), createdAt: now, updatedAt: now, discounts: spec.Discounts, shipsAt: spec.ShipsAt}
		if o.lines, o.amounts, err = spec.check(cur); err != nil {
			return nil, err
		}
		if t.total, err = t.total.Add(o.amounts.Total); err != nil {
			return nil, err
		}
		t.orders = append(t.orders, o)
	}
	return t, nil
}

// Amounts checks the spec as NewTrade does and works out its amounts, for a quote.
func (spec NewOrderSpec) Amounts(cur money.Currency) (Amounts, error) {
	_, a, err := spec.check(cur)
	return a, err
}

// check validates the spec's lines and discounts in currency cur and returns the lines numbered
// and the order's amounts.
func (spec NewOrderSpec) check(cur money.Currency) ([]Line, Amounts, error) {
	if len(spec.Lines) == 0 {
		return nil, Amounts{}, errkind.Invalidf("order %s has no lines", spec.ID)
	}
	lines := make([]Line, 0, len(spec.Lines))
	var sub, disc, fromPromos int64
	for i, l := range spec.Lines {
		l.LineNo = i + 1
		if l.Discount.Currency().IsZero() {
			l.Discount = money.Zero(cur)
		}
		if l.ListPrice.Currency().IsZero() {
			l.ListPrice = l.UnitPrice
		}
		if l.UnitPrice.Currency() != cur || l.Total.Currency() != cur || l.Discount.Currency() != cur || l.ListPrice.Currency() != cur {
			return nil, Amounts{}, fmt.Errorf("order: %s line %d is not in %s: %w", spec.ID, i+1, cur.Code(), money.ErrInvalidAmount)
		}
		if l.Discount.Minor() < 0 || l.Discount.Minor() > l.Total.Minor() {
			return nil, Amounts{}, fmt.Errorf("order: line %d discount %d of %d: %w", i+1, l.Discount.Minor(), l.Total.Minor(), money.ErrInvalidAmount)
		}
		sub += l.Total.Minor()
		disc += l.Discount.Minor()
		if sub < 0 {
			return nil, Amounts{}, money.ErrOverflow
		}
		lines = append(lines, l)
	}
	for _, d := range spec.Discounts {
		if d.Amount.Currency() != cur || d.Amount.Minor() <= 0 {
			return nil, Amounts{}, fmt.Errorf("order: discount %s of %s: %w", d.PromotionID, d.Amount, money.ErrInvalidAmount)
		}
		fromPromos += d.Amount.Minor()
	}
	if fromPromos != disc {
		return nil, Amounts{}, fmt.Errorf("order: %s: promotions give %d, lines carry %d: %w", spec.ID, fromPromos, disc, money.ErrInvalidAmount)
	}
	ship := spec.ShippingFee.Minor()
	if ship < 0 || (ship > 0 && spec.ShippingFee.Currency() != cur) {
		return nil, Amounts{}, fmt.Errorf("order: shipping fee %s: %w", spec.ShippingFee, money.ErrInvalidAmount)
	}
	total := sub - disc + ship
	if total < 0 {
		return nil, Amounts{}, money.ErrOverflow
	}
	return lines, Amounts{Subtotal: money.New(sub, cur), Discount: money.New(disc, cur), ShippingFee: money.New(ship, cur),
		Total: money.New(total, cur)}, nil
}

// NewOrderSpec describes one child order of a new trade.
type NewOrderSpec struct {
	ID          string
	SellerID    string
	Lines       []Line
	Discounts   []Discount
	ShippingFee money.Amount
	// ShipsAt is set for a pre-sale order: the date its goods ship from.
	ShipsAt time.Time
}

// ID is the trade id.
func (t *Trade) ID() string { return t.id }

// Identity is the business identity the trade was placed under.
func (t *Trade) Identity() identity.Identity { return t.identity }

// Tenant owns the trade.
func (t *Trade) Tenant() string { return t.identity.Tenant() }

// UserID is the buyer.
func (t *Trade) UserID() string { return t.userID }

// Address is the shipping address.
func (t *Trade) Address() Address { return t.address }

// Total is the sum of all child orders as placed: what the buyer pays for the trade.
func (t *Trade) Total() money.Amount { return t.total }

// Amounts sum the child orders' amounts.
func (t *Trade) Amounts() Amounts {
	cur := t.total.Currency()
	var a [4]int64
	for _, o := range t.orders {
		a[0] += o.amounts.Subtotal.Minor()
		a[1] += o.amounts.Discount.Minor()
		a[2] += o.amounts.ShippingFee.Minor()
		a[3] += o.amounts.Total.Minor()
	}
	return Amounts{Subtotal: money.New(a[0], cur), Discount: money.New(a[1], cur), ShippingFee: money.New(a[2], cur), Total: money.New(a[3], cur)}
}

// Orders are the child orders.
func (t *Trade) Orders() []*Order { return t.orders }

// CreatedAt is when the trade was placed.
func (t *Trade) CreatedAt() time.Time { return t.createdAt }

// PayDeadline is when an unpaid trade is cancelled.
func (t *Trade) PayDeadline() time.Time { return t.payDeadline }

// Payable is the sum of the orders still awaiting payment.
func (t *Trade) Payable() money.Amount {
	sum := money.Zero(t.total.Currency())
	for _, o := range t.orders {
		if o.status == PendingPayment {
			sum, _ = sum.Add(o.amounts.Total) // cannot overflow: bounded by t.total
		}
	}
	return sum
}

// Filter narrows a search of one tenant's orders; its zero value matches every order. Each
// field set must hold. Searches walk orders newest first by id (ids are time-ordered), so a
// window of time is given as a range of ids.
type Filter struct {
	OrderID  string
	TradeID  string
	UserID   string
	SellerID string
	// SKUID matches an order with a line of that SKU.
	SKUID    string
	Status   Status
	Scenario identity.Scenario
	// IDFrom (inclusive) and IDBefore (exclusive) bound the order ids: the smallest id of an
	// instant and of the instant after a window (empty: open).
	IDFrom, IDBefore string
}

// Page is a window of orders, newest first.
type Page struct {
	Orders []*Order
	// Next is the cursor of the following page, empty at the end.
	Next string
}

// Repository is the persistence port. Reads that a transition follows lock the order (LockOrder)
// so two transitions of one order serialize; Save fails with ErrConcurrentUpdate if the order
// changed since it was read.
type Repository interface {
	CreateTrade(ctx context.Context, t *Trade) error
	Trade(ctx context.Context, tenant, tradeID string) (*Trade, error)
	Order(ctx context.Context, tenant, orderID string) (*Order, error)
	LockOrder(ctx context.Context, tenant, orderID string) (*Order, error)
	LockTrade(ctx context.Context, tenant, tradeID string) (*Trade, error)
	Save(ctx context.Context, o *Order) error
	// Search returns a page of the tenant's orders that match f, newest first; cursor is a
	// Page.Next of the same search, or empty for the first page. Orders placed while a client
	// pages appear before its cursor: a page never repeats or skips one.
	Search(ctx context.Context, tenant string, f Filter, limit int, cursor string) (Page, error)
}

// ErrUnknownStatus is a stored order whose status its scenario's lifecycle does not know: data
// written by a newer version, or by hand. It is an internal error, never shown as a status.
var ErrUnknownStatus = errors.New("order: stored status is not in its lifecycle")

// OrderFromStorage rehydrates an order; only storage adapters call it. The status is read
// through the scenario's lifecycle: one it does not know is ErrUnknownStatus.
func OrderFromStorage(id, tradeID, tenant string, scenario identity.Scenario, userID, sellerID string, status Status, lines []Line, amounts Amounts,
	discounts []Discount, shipment Shipment, shipsAt time.Time, cancelReason string, createdAt, updatedAt, deliveredAt time.Time, version int64) (*Order, error) {
	lc, err := LifecycleOf(scenario)
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", id, err)
	}
	if !lc.Knows(status) {
		return nil, fmt.Errorf("order %s is %q in lifecycle %s: %w", id, status, lc.Name(), ErrUnknownStatus)
	}
	return &Order{id: id, tradeID: tradeID, tenant: tenant, scenario: scenario, lifecycle: lc, userID: userID, sellerID: sellerID, status: status,
		lines: lines, amounts: amounts, discounts: discounts, shipment: shipment, shipsAt: shipsAt, cancelReason: cancelReason, createdAt: createdAt,
		updatedAt: updatedAt, deliveredAt: deliveredAt, version: version}, nil
}

// TradeFromStorage rehydrates a trade; only storage adapters call it.
func TradeFromStorage(id string, ident identity.Identity, userID string, addr Address, total money.Amount,
	orders []*Order, createdAt, payDeadline time.Time) *Trade {
	return &Trade{id: id, identity: ident, userID: userID, address: addr, total: total, orders: orders,
		createdAt: createdAt, payDeadline: payDeadline}
}
