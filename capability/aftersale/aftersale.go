// Package aftersale is the reverse side of a trade: a buyer asks for money back, with or without
// sending goods back, for some units of some lines of one child order, and an operator (or the
// tenant's rules, on a timer) decides. It holds the request's lifecycle, what the units are worth
// to the minor unit, and the tenant's policy (windows, which kind when, shipping); the flow in
// product-layer/aftersale moves money and stock.
//
// What a refund gives back is decided by units, never by dividing money per unit: a line that
// paid P for Q units has given back, once r of its units are refunded, the cumulative portion
// floor(P·r/Q) (money.Portion), and each request takes the difference its units make. Whatever
// the order and sizes of the requests, a line's refunds never exceed what it paid and sum to it
// exactly when its last unit goes; the rounding remainder always rides with the last unit. The
// same rule divides each line's discount (what goes back to campaign budgets) and the order's
// shipping fee where the tenant gives it back.
package aftersale

import (
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Kind is what the buyer asks for.
type Kind string

// The kinds of after-sale.
const (
	// RefundOnly: money back, no goods sent back (before shipment, or goods never received).
	RefundOnly Kind = "refund_only"
	// ReturnRefund: the buyer sends the goods back and gets the money once they arrive.
	ReturnRefund Kind = "return_refund"
)

// Status is where a request stands.
type Status string

// The statuses.
const (
	Requested Status = "requested"
	Approved  Status = "approved"
	Rejected  Status = "rejected"
	Cancelled Status = "cancelled"
	// Returning: the buyer shipped the goods back.
	Returning Status = "returning"
	// Received: the returned goods arrived and were inspected.
	Received Status = "received"
	// Refunding: the money is owed and asked of the provider.
	Refunding Status = "refunding"
	Refunded  Status = "refunded"
	// Closed: an approved return the buyer did not ship back within the tenant's window.
	Closed Status = "closed"
)

// moves is the lifecycle: what may follow what. Refund only goes approved → refunding; a return
// goes approved → returning → received → refunding.
var moves = map[Status][]Status{
	Requested: {Approved, Rejected, Cancelled},
	Approved:  {Refunding, Returning, Closed},
	Returning: {Received},
	Received:  {Refunding},
	Refunding: {Refunded},
}

// Active reports whether a request in status s holds its units: no other request may ask for
// them (requested, approved, on the way back, refunding or refunded).
func (s Status) Active() bool { return s != Rejected && s != Cancelled && s != Closed }

// Known reports whether s is one of the statuses.
func (s Status) Known() bool {
	switch s {
	case Requested, Approved, Rejected, Cancelled, Returning, Received, Refunding, Refunded, Closed:
		return true
	}
	return false
}

// Condition is what an operator found when the returned goods arrived.
type Condition string

// The conditions of returned goods.
const (
	// Sellable goods go back on sale.
	Sellable Condition = "sellable"
	// Damaged goods go to the level's damaged count, off sale.
	Damaged Condition = "damaged"
)

// Errors.
var (
	ErrInvalidRequest    = errkind.New(errkind.Invalid, "aftersale.invalid_request", "invalid after-sale request")
	ErrNotFound          = errkind.New(errkind.NotFound, "aftersale.not_found", "after-sale request not found")
	ErrInvalidTransition = errkind.New(errkind.Conflict, "aftersale.invalid_transition", "the after-sale request cannot make this change in its current status")
	ErrUnknownLine       = errkind.New(errkind.Invalid, "aftersale.unknown_line", "the order has no such line")
	ErrTooManyUnits      = errkind.New(errkind.Conflict, "aftersale.quantity_exceeds_remaining", "more units than remain refundable on the line")
	ErrNotEligible       = errkind.New(errkind.Conflict, "aftersale.not_eligible", "the order cannot have this kind of after-sale now")
	ErrWindowPassed      = errkind.New(errkind.Conflict, "aftersale.window_passed", "the return window has passed")
	ErrNotReturnable     = errkind.New(errkind.Conflict, "aftersale.not_returnable", "an item of this kind cannot be returned")
	ErrInvalidAmount     = errkind.New(errkind.Invalid, "aftersale.invalid_amount", "the amount must be positive and at most what the units paid")
	ErrRefused           = errkind.New(errkind.Conflict, "aftersale.refused", "the after-sale request was refused")
	ErrInvalidPolicy     = errkind.New(errkind.Invalid, "aftersale.invalid_policy", "invalid after-sale policy")
)

// Line is some units of one order line in a request, and what they are worth.
type Line struct {
	LineNo      int
	SKUID       string
	WarehouseID string
	Quantity    int64
	// Amount is the units' exact share of what their line paid after every discount.
	Amount money.Amount
	// Discount is the units' share of the line's discount: what goes back to campaign budgets.
	Discount money.Amount
}

// Shipment is how returned goods travel back.
type Shipment struct {
	Carrier    string
	TrackingNo string
}

// AfterSale is one request for money back on one child order.
type AfterSale struct {
	id       string
	tenant   string
	tradeID  string
	orderID  string
	userID   string
	kind     Kind
	status   Status
	lines    []Line
	reason   string
	note     string
	goods    money.Amount // the lines' amounts together
	shipping money.Amount // the order's shipping fee given back with this request
	amount   money.Amount // what goes back: goods + shipping, or less where an operator said so
	// decision is the operator's or the rule's reason for approving below the computed amount,
	// rejecting, or closing.
	decision  string
	decidedBy string
	condition Condition
	shipment  Shipment
	refundIDs []string
	createdAt time.Time
	updatedAt time.Time
	version   int64
}

// Spec is a new request, its units already valued by Quote.
type Spec struct {
	ID, Tenant, TradeID, OrderID, UserID string
	Kind                                 Kind
	Lines                                []Line
	Shipping                             money.Amount
	Reason, Note                         string
}

var (
	idRe    = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// MaxReasonLen and MaxNoteLen bound the buyer's words, in characters.
const (
	MaxReasonLen = 64
	MaxNoteLen   = 500
)

func invalid(format string, args ...any) error {
	return errkind.WithDetail(ErrInvalidRequest, format, args...)
}

// ValidKind reports whether k is one of the kinds.
func ValidKind(k Kind) bool { return k == RefundOnly || k == ReturnRefund }

// ValidText checks a reason, note or decision: valid UTF-8 of at most max characters.
func ValidText(what, s string, max int) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return invalid("%s must be at most %d characters", what, max)
	}
	return nil
}

// New returns a request in status requested.
func New(s Spec, now time.Time) (*AfterSale, error) {
	switch {
	case !idRe.MatchString(s.ID) || s.Tenant == "" || s.TradeID == "" || s.OrderID == "" || s.UserID == "":
		return nil, invalid("id, tenant, trade, order and user are required")
	case !ValidKind(s.Kind):
		return nil, invalid("kind must be refund_only or return_refund")
	case len(s.Lines) == 0:
		return nil, invalid("at least one line")
	case s.Reason == "":
		return nil, invalid("reason is required")
	}
	if err := ValidText("reason", s.Reason, MaxReasonLen); err != nil {
		return nil, err
	}
	if err := ValidText("note", s.Note, MaxNoteLen); err != nil {
		return nil, err
	}
	cur := s.Shipping.Currency()
	goods := money.Zero(cur)
	seen := map[int]bool{}
	for _, l := range s.Lines {
		if seen[l.LineNo] || l.Quantity <= 0 || l.Amount.IsNegative() || l.Discount.IsNegative() ||
			l.Amount.Currency() != cur || l.Discount.Currency() != cur {
			return nil, invalid("line %d: each line once, a positive quantity and amounts in %s", l.LineNo, cur.Code())
		}
		seen[l.LineNo] = true
		var err error
		if goods, err = goods.Add(l.Amount); err != nil {
			return nil, err
		}
	}
	if s.Shipping.IsNegative() {
		return nil, invalid("shipping must not be negative")
	}
	amount, err := goods.Add(s.Shipping)
	if err != nil {
		return nil, err
	}
	return &AfterSale{id: s.ID, tenant: s.Tenant, tradeID: s.TradeID, orderID: s.OrderID, userID: s.UserID, kind: s.Kind,
		status: Requested, lines: append([]Line(nil), s.Lines...), reason: s.Reason, note: s.Note, goods: goods,
		shipping: s.Shipping, amount: amount, createdAt: now, updatedAt: now, version: 1}, nil
}

// FromStorage rehydrates a request; only storage adapters call it.
func FromStorage(id, tenant, tradeID, orderID, userID string, kind Kind, status Status, lines []Line, reason, note string,
	goods, shipping, amount money.Amount, decision, decidedBy string, condition Condition, shipment Shipment, refundIDs []string,
	createdAt, updatedAt time.Time, version int64) (*AfterSale, error) {
	if !ValidKind(kind) || !status.Known() {
		return nil, fmt.Errorf("aftersale %s: stored kind %q or status %q is unknown", id, kind, status)
	}
	return &AfterSale{id: id, tenant: tenant, tradeID: tradeID, orderID: orderID, userID: userID, kind: kind, status: status,
		lines: lines, reason: reason, note: note, goods: goods, shipping: shipping, amount: amount, decision: decision,
		decidedBy: decidedBy, condition: condition, shipment: shipment, refundIDs: refundIDs, createdAt: createdAt,
		updatedAt: updatedAt, version: version}, nil
}

// ID is the request id.
func (a *AfterSale) ID() string { return a.id }

// Tenant owns the request.
func (a *AfterSale) Tenant() string { return a.tenant }

// TradeID is the trade of the order.
func (a *AfterSale) TradeID() string { return a.tradeID }

// OrderID is the child order the request is about.
func (a *AfterSale) OrderID() string { return a.orderID }

// UserID is the buyer who asked.
func (a *AfterSale) UserID() string { return a.userID }

// Kind is what was asked for.
func (a *AfterSale) Kind() Kind { return a.kind }

// Status is where the request stands.
func (a *AfterSale) Status() Status { return a.status }

// Lines are the units asked for, with what they are worth.
func (a *AfterSale) Lines() []Line { return append([]Line(nil), a.lines...) }

// Reason is the buyer's reason code.
func (a *AfterSale) Reason() string { return a.reason }

// Note is the buyer's free text.
func (a *AfterSale) Note() string { return a.note }

// Goods is what the units paid, together.
func (a *AfterSale) Goods() money.Amount { return a.goods }

// Shipping is the part of the order's shipping fee given back with this request.
func (a *AfterSale) Shipping() money.Amount { return a.shipping }

// Amount is what goes back: Goods + Shipping, unless an operator granted less.
func (a *AfterSale) Amount() money.Amount { return a.amount }

// Computed is what the units and shipping are worth, before any operator's decision.
func (a *AfterSale) Computed() money.Amount {
	c, _ := a.goods.Add(a.shipping)
	return c
}

// Decision is why an operator or a rule approved below the computed amount, rejected or closed.
func (a *AfterSale) Decision() string { return a.decision }

// DecidedBy names who decided: an operator's id, or "rule:<name>" for the tenant's rules.
func (a *AfterSale) DecidedBy() string { return a.decidedBy }

// Condition is what the returned goods were found in; empty until received.
func (a *AfterSale) Condition() Condition { return a.condition }

// Shipment is the return parcel; empty until the buyer ships.
func (a *AfterSale) Shipment() Shipment { return a.shipment }

// RefundIDs are the payment refunds the money went back through.
func (a *AfterSale) RefundIDs() []string { return append([]string(nil), a.refundIDs...) }

// CreatedAt is when the buyer asked.
func (a *AfterSale) CreatedAt() time.Time { return a.createdAt }

// UpdatedAt is the last change.
func (a *AfterSale) UpdatedAt() time.Time { return a.updatedAt }

// Version counts changes; a store saves only over the version it read.
func (a *AfterSale) Version() int64 { return a.version }

// Units is how many units of line lineNo the request holds.
func (a *AfterSale) Units(lineNo int) int64 {
	for _, l := range a.lines {
		if l.LineNo == lineNo {
			return l.Quantity
		}
	}
	return 0
}

func (a *AfterSale) move(to Status, now time.Time) error {
	for _, s := range moves[a.status] {
		if s == to {
			a.status, a.updatedAt = to, now
			return nil
		}
	}
	return errkind.WithDetail(ErrInvalidTransition, "after-sale %s is %s and cannot become %s", a.id, a.status, to)
}

// Lower offers less than the computed amount from the start (a business's rule on what a
// refund gives back, aftersale.refund_amount); it never raises it. by names the rule.
func (a *AfterSale) Lower(amount money.Amount, by string) error {
	if a.status != Requested || amount.Currency() != a.amount.Currency() || amount.IsNegative() || amount.Minor() > a.amount.Minor() {
		return errkind.WithDetail(ErrInvalidAmount, "a request's amount may only be lowered, to between 0 and %d", a.amount.Minor())
	}
	if amount.Minor() < a.amount.Minor() {
		a.amount, a.decidedBy = amount, by
	}
	return nil
}

// Approve accepts the request at what it offers (Amount). amount, when not nil, grants less (a
// partial refund for a scratched item): it must be positive, in the request's currency and at
// most the offer, and reason must say why. by names the operator or the rule.
func (a *AfterSale) Approve(amount *money.Amount, reason, by string, now time.Time) error {
	if err := ValidText("reason", reason, MaxNoteLen); err != nil {
		return err
	}
	grant := a.amount
	if amount != nil {
		switch {
		case amount.Currency() != grant.Currency() || amount.Minor() <= 0 || amount.Minor() > grant.Minor():
			return errkind.WithDetail(ErrInvalidAmount, "amount must be between 1 and %d minor units of %s", grant.Minor(), grant.Currency().Code())
		case amount.Minor() < grant.Minor() && reason == "":
			return invalid("a reason is required to refund less than the request's amount")
		}
		grant = *amount
	}
	if err := a.move(Approved, now); err != nil {
		return err
	}
	a.amount, a.decidedBy = grant, by
	if reason != "" {
		a.decision = reason
	}
	return nil
}

// Reject refuses the request; its units are free to ask for again.
func (a *AfterSale) Reject(reason, by string, now time.Time) error {
	if reason == "" {
		return invalid("a reason is required to reject")
	}
	if err := ValidText("reason", reason, MaxNoteLen); err != nil {
		return err
	}
	if err := a.move(Rejected, now); err != nil {
		return err
	}
	a.decision, a.decidedBy = reason, by
	return nil
}

// Cancel withdraws the request, by the buyer, before a decision.
func (a *AfterSale) Cancel(now time.Time) error { return a.move(Cancelled, now) }

// ShipBack records the buyer's return parcel of an approved return.
func (a *AfterSale) ShipBack(s Shipment, now time.Time) error {
	if a.kind != ReturnRefund {
		return errkind.WithDetail(ErrInvalidTransition, "after-sale %s is refund only: nothing is shipped back", a.id)
	}
	if !validToken(s.Carrier, 32) || !validToken(s.TrackingNo, 64) {
		return invalid("carrier (1-32) and trackingNo (1-64) are letters, digits, '-' or '_'")
	}
	if err := a.move(Returning, now); err != nil {
		return err
	}
	a.shipment = s
	return nil
}

func validToken(s string, max int) bool { return len(s) <= max && tokenRe.MatchString(s) }

// Receive records the returned goods' arrival and condition.
func (a *AfterSale) Receive(c Condition, by string, now time.Time) error {
	if c != Sellable && c != Damaged {
		return invalid("condition must be sellable or damaged")
	}
	if err := a.move(Received, now); err != nil {
		return err
	}
	a.condition, a.decidedBy = c, by
	return nil
}

// StartRefund moves an approved refund-only request, or a received return, to refunding; ids are
// the payment refunds it is paid through.
func (a *AfterSale) StartRefund(refundIDs []string, now time.Time) error {
	if a.kind == ReturnRefund && a.status == Approved {
		return errkind.WithDetail(ErrInvalidTransition, "after-sale %s is a return: it refunds once the goods are received", a.id)
	}
	if err := a.move(Refunding, now); err != nil {
		return err
	}
	a.refundIDs = append([]string(nil), refundIDs...)
	return nil
}

// Finish records that every refund of the request was accepted by its provider.
func (a *AfterSale) Finish(now time.Time) error { return a.move(Refunded, now) }

// Close ends an approved return that was never shipped back.
func (a *AfterSale) Close(reason string, now time.Time) error {
	if a.kind != ReturnRefund {
		return errkind.WithDetail(ErrInvalidTransition, "after-sale %s is refund only: it does not wait for goods", a.id)
	}
	if err := a.move(Closed, now); err != nil {
		return err
	}
	a.decision, a.decidedBy = reason, "rule:return_window"
	return nil
}
