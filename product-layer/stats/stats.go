// Package stats is the order-events projection: per tenant, how many orders are in each status
// of each flow (and their amount), and each SKU's sales per day. It is built only from the
// events trades publish (order.created, order.paid, ...), consumed through components/mq, so it
// is what a reporting system outside Atrium could build too, and it never adds a read to the
// order path. It lags the orders by the relay and the consumer (well under a second on one
// node), and it is exact: each event is applied once (the consumer's inbox), and events of one
// order applied in any order give the same figures.
//
// Events of different types may arrive in any order (each type is its own subscription). An
// order's status is the one of its latest event, by the event's time and, for events of the
// same instant, by how far along the lifecycle the status is; its flow, total and currency are
// taken from whichever event says them first. A sale is counted once per order,
// on the UTC day of its order.paid; a refund (order.refunded) gives back the order's units and
// amount on the UTC day of the refund, counted only for an order that was paid (a pre-sale whose
// deposit is refunded sold nothing), whichever of the two events is applied first.
package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// ErrInvalidRange is a report asked for with dates that are not YYYY-MM-DD, reversed, or more
// than MaxDays apart.
var ErrInvalidRange = errkind.New(errkind.Invalid, "stats.invalid_range", "invalid report range")

// MaxDays is the longest range a report covers.
const MaxDays = 366

// Line is an order line as events carry it.
type Line struct {
	SKUID    string `json:"skuId"`
	Quantity int64  `json:"quantity"`
	Paid     int64  `json:"paid"`
}

// OrderState is what one event says of one order.
type OrderState struct {
	Tenant   string    `json:"tenant"`
	OrderID  string    `json:"orderId"`
	Flow     string    `json:"flow"`
	Status   string    `json:"status"`
	Total    int64     `json:"total"`
	Currency string    `json:"currency"`
	Lines    []Line    `json:"lines"`
	At       time.Time `json:"at"`
	// Amount is what a refund event says went back: the order's total, for an event that does
	// not carry the total itself.
	Amount int64 `json:"amount"`
	// AfterSaleID, on order.refunded, says the order's units went back through after-sale
	// requests, each counted by its aftersale.refunded: the order's refund counts nothing more.
	AfterSaleID string `json:"afterSaleId"`
}

// The events the projection reads beyond order status changes.
const (
	EventCreated  = "order.created"
	EventPaid     = "order.paid"
	EventRefunded = "order.refunded"
	// EventAfterSaleRefunded gives back some units of an order, on the day they were refunded.
	EventAfterSaleRefunded = "aftersale.refunded"
)

// Types are the event types the projection consumes.
var Types = []string{EventCreated, EventPaid, "order.deposit_paid", "order.cancelled", "order.shipped", "order.delivered",
	"order.completed", EventRefunded, "order.returned", EventAfterSaleRefunded}

// Decode reads the orders an event is about.
func Decode(eventType string, data []byte) ([]OrderState, error) {
	if eventType == EventCreated {
		var tc struct {
			Orders []OrderState `json:"orders"`
		}
		if err := json.Unmarshal(data, &tc); err != nil {
			return nil, fmt.Errorf("stats: %s: %w", eventType, err)
		}
		return tc.Orders, nil
	}
	if eventType == EventAfterSaleRefunded {
		return decodeAfterSale(data)
	}
	var st OrderState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("stats: %s: %w", eventType, err)
	}
	if st.Tenant == "" || st.OrderID == "" || st.Status == "" {
		return nil, fmt.Errorf("stats: %s without tenant, order or status", eventType)
	}
	if st.Total == 0 && eventType == EventRefunded {
		st.Total = st.Amount
	}
	return []OrderState{st}, nil
}

// decodeAfterSale reads aftersale.refunded as the units it gave back: each line with its share
// of what went back for the goods (an operator's or a rule's lower amount comes off the goods
// after the shipping part, spread over the lines by what they paid).
func decodeAfterSale(data []byte) ([]OrderState, error) {
	var ev struct {
		Tenant   string    `json:"tenant"`
		OrderID  string    `json:"orderId"`
		Currency string    `json:"currency"`
		Goods    int64     `json:"goods"`
		Shipping int64     `json:"shipping"`
		Amount   int64     `json:"amount"`
		At       time.Time `json:"at"`
		Lines    []struct {
			SKUID    string `json:"skuId"`
			Quantity int64  `json:"quantity"`
			Amount   int64  `json:"amount"`
		} `json:"lines"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("stats: %s: %w", EventAfterSaleRefunded, err)
	}
	if ev.Tenant == "" || ev.OrderID == "" || len(ev.Lines) == 0 {
		return nil, fmt.Errorf("stats: %s without tenant, order or lines", EventAfterSaleRefunded)
	}
	goods := min(ev.Goods, max(0, ev.Amount-ev.Shipping))
	weights := make([]int64, len(ev.Lines))
	var sum int64
	for i, l := range ev.Lines {
		weights[i] = l.Amount
		sum += l.Amount
	}
	shares := weights
	if sum > 0 && goods != sum {
		var err error
		if shares, err = money.Allocate(goods, weights); err != nil {
			return nil, fmt.Errorf("stats: %s: %w", EventAfterSaleRefunded, err)
		}
	}
	st := OrderState{Tenant: ev.Tenant, OrderID: ev.OrderID, Currency: ev.Currency, Status: "refunded", At: ev.At}
	for i, l := range ev.Lines {
		st.Lines = append(st.Lines, Line{SKUID: l.SKUID, Quantity: l.Quantity, Paid: shares[i]})
	}
	return []OrderState{st}, nil
}

// Rank orders statuses along the lifecycle, for events of the same instant: the later status
// wins (an order paid and delivered at the door in one step is delivered).
func Rank(status string) int {
	switch status {
	case "pending_payment", "awaiting_deposit", "pending_collection":
		return 1
	case "awaiting_balance":
		return 2
	case "paid":
		return 3
	case "shipped":
		return 4
	case "delivered":
		return 5
	case "completed":
		return 6
	case "cancelled", "refunded", "returned", "closed":
		return 7
	}
	return 0
}

// Store keeps the projection.
type Store interface {
	// Apply records what an event of eventType says of one order, in the transaction ctx
	// carries.
	Apply(ctx context.Context, eventType string, st OrderState) error
	// Report reads a tenant's figures.
	Report(ctx context.Context, tenant string, q Query) (Report, error)
}

// Projection applies events to the store.
type Projection struct{ store Store }

// New returns the projection over store.
func New(store Store) *Projection { return &Projection{store: store} }

// Handle applies one event (a consumer's handler: ctx carries its transaction).
func (p *Projection) Handle(ctx context.Context, eventType string, data []byte) error {
	states, err := Decode(eventType, data)
	if err != nil {
		return err
	}
	for _, st := range states {
		if err := p.store.Apply(ctx, eventType, st); err != nil {
			return err
		}
	}
	return nil
}

// Query selects a report: the days from From to To (inclusive, UTC, YYYY-MM-DD; default the
// last 30 days), optionally one flow and one SKU.
type Query struct {
	From, To string
	Flow     string
	SKUID    string
}

// Range checks q and returns its days (now gives the default).
func (q Query) Range(now time.Time) (from, to time.Time, err error) {
	to = now.UTC().Truncate(24 * time.Hour)
	from = to.AddDate(0, 0, -29)
	if q.To != "" {
		if to, err = time.Parse(time.DateOnly, q.To); err != nil {
			return from, to, errkind.WithDetail(ErrInvalidRange, "to %q is not YYYY-MM-DD", q.To)
		}
		if q.From == "" {
			from = to.AddDate(0, 0, -29)
		}
	}
	if q.From != "" {
		if from, err = time.Parse(time.DateOnly, q.From); err != nil {
			return from, to, errkind.WithDetail(ErrInvalidRange, "from %q is not YYYY-MM-DD", q.From)
		}
	}
	if to.Before(from) {
		return from, to, errkind.WithDetail(ErrInvalidRange, "from %s is after to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if to.Sub(from) >= MaxDays*24*time.Hour {
		return from, to, errkind.WithDetail(ErrInvalidRange, "at most %d days", MaxDays)
	}
	return from, to, nil
}

// StatusCount is how many of a tenant's orders of one flow are in one status, and their total.
type StatusCount struct {
	Flow, Status, Currency string
	Orders, Amount         int64
}

// SKUDay is one SKU's sales on one day.
type SKUDay struct {
	Day, SKUID, Currency          string
	Orders, Units, Amount         int64
	RefundedUnits, RefundedAmount int64
}

// Report is a tenant's figures: statuses as they are now, sales for the days asked.
type Report struct {
	From, To string
	ByStatus []StatusCount
	SKUDaily []SKUDay
}

// Day is t's UTC date as the report names days.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
