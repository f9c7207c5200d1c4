package order

import (
	"fmt"
	"sort"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// Status is where an order stands in its lifecycle.
type Status string

// The statuses of the standard (fixed-price) lifecycle. Other kinds of trade declare their own
// statuses and lifecycles.
const (
	PendingPayment Status = "pending_payment"
	Paid           Status = "paid"
	Shipped        Status = "shipped"
	Delivered      Status = "delivered"
	Completed      Status = "completed"
	Cancelled      Status = "cancelled"
	// Refunded is a paid order closed before it shipped, its money given back.
	Refunded Status = "refunded"
)

// Lifecycle is the statuses of one kind of trade's orders and what may follow what. Each flow
// declares its own (a pre-sale order waits for a deposit, a cash-on-delivery one is confirmed
// without payment); an order's status is read and moved through its scenario's lifecycle, and
// a status the lifecycle does not know is an error, never a free string.
type Lifecycle struct {
	name    string
	initial Status
	moves   map[Status][]Status
	known   map[Status]bool
	// closed are the statuses of an order that no longer goes ahead (Live is false).
	closed map[Status]bool
	// paid are the statuses in which the order's money is in and kept (see WithPaid).
	paid map[Status]bool
}

// NewLifecycle declares a lifecycle: orders start in initial, may move as moves says, and are no
// longer live in any of closed (cancelled, refunded, returned...). Every status must be reachable
// from initial.
func NewLifecycle(name string, initial Status, moves map[Status][]Status, closed ...Status) *Lifecycle {
	l := &Lifecycle{name: name, initial: initial, moves: moves, known: map[Status]bool{initial: true}, closed: map[Status]bool{},
		paid: map[Status]bool{}}
	for from, tos := range moves {
		l.known[from] = true
		for _, to := range tos {
			l.known[to] = true
		}
	}
	for _, s := range closed {
		if !l.known[s] {
			panic(fmt.Sprintf("order: lifecycle %s: closed status %s is not in its table", name, s))
		}
		l.closed[s] = true
	}
	reached := map[Status]bool{initial: true}
	for queue := []Status{initial}; len(queue) > 0; queue = queue[1:] {
		for _, to := range moves[queue[0]] {
			if !reached[to] {
				reached[to] = true
				queue = append(queue, to)
			}
		}
	}
	for s := range l.known {
		if !reached[s] {
			panic(fmt.Sprintf("order: lifecycle %s: status %s cannot be reached from %s", name, s, initial))
		}
	}
	return l
}

// WithPaid declares the statuses in which an order reads as paid: its money is in and kept. A
// prepaid order is paid from its payment on; a cash-on-delivery order only once the carrier
// collected; a refunded one is not. It returns l, for use where the lifecycle is declared.
func (l *Lifecycle) WithPaid(statuses ...Status) *Lifecycle {
	for _, s := range statuses {
		if !l.known[s] || l.closed[s] {
			panic(fmt.Sprintf("order: lifecycle %s: paid status %s is unknown or closed", l.name, s))
		}
		l.paid[s] = true
	}
	return l
}

// IsPaid reports whether an order in status s reads as paid.
func (l *Lifecycle) IsPaid(s Status) bool { return l.paid[s] }

// IsClosed reports whether an order in status s no longer goes ahead (Order.Live is its
// negation).
func (l *Lifecycle) IsClosed(s Status) bool { return l.closed[s] }

// Name names the lifecycle.
func (l *Lifecycle) Name() string { return l.name }

// Initial is the status a new order starts in.
func (l *Lifecycle) Initial() Status { return l.initial }

// CanMove reports whether from → to is allowed.
func (l *Lifecycle) CanMove(from, to Status) bool {
	for _, s := range l.moves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Knows reports whether s is one of the lifecycle's statuses.
func (l *Lifecycle) Knows(s Status) bool { return l.known[s] }

// Terminal reports whether no move leaves s.
func (l *Lifecycle) Terminal(s Status) bool { return len(l.moves[s]) == 0 }

// Statuses lists every status of the lifecycle, sorted.
func (l *Lifecycle) Statuses() []Status {
	out := make([]Status, 0, len(l.known))
	for s := range l.known {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Standard is the lifecycle of a fixed-price order: paid, shipped, delivered and completed, or
// cancelled before payment, or refunded after payment: whole before it ships, or once
// after-sale gave back every unit of it (goods lost in transit, or returned).
var Standard = NewLifecycle("standard", PendingPayment, map[Status][]Status{
	PendingPayment: {Paid, Cancelled},
	Paid:           {Shipped, Refunded},
	Shipped:        {Delivered, Refunded},
	Delivered:      {Completed, Refunded},
	Completed:      {Refunded},
}, Cancelled, Refunded).WithPaid(Paid, Shipped, Delivered, Completed)

var lifecycles = identity.NewRegistry[*Lifecycle]("order: lifecycle")

// RegisterLifecycle declares the lifecycle of a scenario's orders; a flow calls it once, at
// start-up. Registering a scenario twice is a programming error and panics.
func RegisterLifecycle(sc identity.Scenario, l *Lifecycle) { lifecycles.Register(sc, l) }

// LifecycleOf returns the lifecycle of a scenario's orders.
func LifecycleOf(sc identity.Scenario) (*Lifecycle, error) {
	if l, ok := lifecycles.Get(sc); ok {
		return l, nil
	}
	return nil, fmt.Errorf("order: no lifecycle is registered for scenario %q", sc)
}

// Scenarios lists the scenarios whose lifecycles are registered, sorted: the kinds of order
// there are.
func Scenarios() []identity.Scenario { return lifecycles.Scenarios() }

// AllStatuses lists every status of every registered lifecycle once, sorted: what an order
// search may filter by.
func AllStatuses() []Status {
	seen := map[Status]bool{}
	var out []Status
	for _, sc := range lifecycles.Scenarios() {
		l, _ := lifecycles.Get(sc)
		for _, s := range l.Statuses() {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Errors.
var (
	ErrInvalidTransition = errkind.New(errkind.Conflict, "order.invalid_transition", "the order cannot make this change in its current status")
	ErrNotFound          = errkind.New(errkind.NotFound, "order.not_found", "order not found")
	ErrTradeNotFound     = errkind.New(errkind.NotFound, "order.trade_not_found", "trade not found")
	ErrInvalidAddress    = errkind.New(errkind.Invalid, "order.invalid_address", "invalid shipping address")
	ErrInvalidShipment   = errkind.New(errkind.Invalid, "order.invalid_shipment", "invalid shipment")
	ErrConcurrentUpdate  = errkind.New(errkind.Conflict, "order.concurrent_update", "the order was changed concurrently, retry")
)

func transitionError(o *Order, to Status) error {
	return errkind.WithDetail(ErrInvalidTransition, "order %s is %s and cannot become %s", o.id, o.status, to)
}

// ErrInvalidCursor is a list cursor that this server did not hand out.
var ErrInvalidCursor = errkind.New(errkind.Invalid, "order.invalid_cursor", "invalid page cursor")
