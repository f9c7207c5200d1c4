package order

import (
	"github.com/atriumtrade/atrium/capability/errkind"
)

// Status is where an order stands in its lifecycle.
type Status string

// The statuses.
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

// transitions is the whole state machine: a status may move only to the ones listed.
var transitions = map[Status][]Status{
	PendingPayment: {Paid, Cancelled},
	Paid:           {Shipped, Refunded},
	Shipped:        {Delivered},
	Delivered:      {Completed},
}

// CanMove reports whether from → to is allowed.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Terminal reports whether no transition leaves s.
func (s Status) Terminal() bool { return len(transitions[s]) == 0 }

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case PendingPayment, Paid, Shipped, Delivered, Completed, Cancelled, Refunded:
		return true
	}
	return false
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
