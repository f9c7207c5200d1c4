package trade

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Idempotency claims a client's idempotency key for a result inside the transaction.
type Idempotency interface {
	// Claim returns the result already recorded for the key (found) or records ref.
	Claim(ctx context.Context, tenant, userID, scope, key, requestHash, ref string) (string, bool, error)
	// Lookup returns the result recorded for the key, if any.
	Lookup(ctx context.Context, tenant, userID, scope, key, requestHash string) (string, bool, error)
}

// orderPrefix begins every order id (a search turns a window of time into a range of them).
const orderPrefix = "O"

// IDs makes unique ids with a prefix.
type IDs interface {
	NextString(prefix string) string
	// Floor is the smallest id with prefix made at t or later: ids are time-ordered, so a window
	// of time is a range of ids.
	Floor(prefix string, t time.Time) string
}

// RunLog stores the extension script calls made for a trade.
type RunLog interface {
	SaveRuns(ctx context.Context, tenant, tradeID string, recs []extensions.Record) error
}

// TimerRef is the reference of a trade's timers: tenant/tradeID.
func TimerRef(tenant, tradeID string) string { return tenant + "/" + tradeID }

// ParseTimerRef splits a reference made by TimerRef.
func ParseTimerRef(ref string) (tenant, id string, err error) {
	tenant, id, ok := strings.Cut(ref, "/")
	if !ok || tenant == "" || id == "" {
		return "", "", fmt.Errorf("trade: bad timer ref %q", ref)
	}
	return tenant, id, nil
}

// Timer is a durable timer a new trade sets in its own transaction.
type Timer struct {
	Kind string
	Due  time.Time
}

// Placement is what a flow asks the core to write for a planned draft.
type Placement struct {
	Identity identity.Identity
	Draft    *Draft
	// Key is the client's idempotency key (empty: none), claimed in Scope for Hash, the digest
	// of the request: a replay with the same key returns the first trade.
	Key, Scope, Hash string
	PayDeadline      time.Time
	// Timers are set for the trade (TimerRef names it).
	Timers []Timer
	// Hold is how long stock reserved ahead of the transaction (hot SKUs) waits for it.
	Hold time.Duration
	// Runs are the extension calls made while planning, kept with the trade.
	Runs []extensions.Record
	// Also writes the flow's own rows for the trade, in its transaction, after the trade.
	Also func(ctx context.Context, t *order.Trade) error
}

// Order is a buyer's request to place a trade, as every flow takes it.
type Order struct {
	Identity identity.Identity
	Buyer    Buyer
	Items    []pricing.Item
	Coupons  []string
	// Currency is the currency to pay in; empty is the first SKU's own.
	Currency string
	Address  order.Address
	// Key is the client's idempotency key (empty: none).
	Key string
	// Expected, if set, is the total the buyer was shown: a different total now refuses the order
	// with pricing.ErrPriceChanged instead of charging what they did not see.
	Expected *money.Amount
	// Terms are the flow's own fields of the request (a campaign, a group), a value that encodes
	// to JSON: part of what an idempotency key is claimed for.
	Terms any
}

// Taking is how a flow takes one attempt at an order: the plan that prices and checks its draft,
// and what the trade sets beside its orders.
type Taking struct {
	// Plan plans the draft: PlacePlan, or the flow's own steps in its place.
	Plan Plan
	// Place, given the planned draft, says what the trade sets (Placement's PayDeadline, Timers
	// and Also; Hold defaults to the core's); it may still refuse the order (an ineligible COD
	// cart). Nil sets nothing more.
	Place func(ctx context.Context, d *Draft) (Placement, error)
}

// placeHash is what an order's idempotency key is claimed for. Its fields keep the names (and so
// the digest) fixed-price orders were claimed with before every flow shared this template.
type placeHash struct {
	Scenario identity.Scenario
	BizCode  string
	Items    []pricing.Item
	Address  order.Address
	Expected *int64
	Coupons  []string
	Currency string
	Terms    any `json:",omitempty"`
}

// PlaceOrder is the one way an order is placed, whatever its flow. The request is checked
// (buyer, key, items, address) before anything is read. With an idempotency key, a request
// already answered gets the trade the first one created, one still running on this node is
// joined, and the key reused for another request is refused (scope names the flow's keys). Then
// take says how the flow takes the order: the draft is planned with its plan, the total the
// buyer was shown is checked before the business's validation runs, and the trade is placed
// (Place) with what the flow sets beside it. An attempt that lost a race it could not see while
// planning runs once more from fresh data (PlaceRetrying), take included.
func (c *Core) PlaceOrder(ctx context.Context, o Order, scope string, take func(ctx context.Context) (Taking, error)) (*order.Trade, error) {
	userID := o.Buyer.UserID
	items, addr, err := NormalizeOrder(o.Buyer, o.Key, o.Items, o.Address)
	if err != nil {
		return nil, err
	}
	var expected *int64
	if o.Expected != nil {
		m := o.Expected.Minor()
		expected = &m
	}
	hash := RequestHash(placeHash{o.Identity.Scenario(), o.Identity.BizCode(), o.Items, addr, expected, o.Coupons, o.Currency, o.Terms})
	return c.Once(ctx, o.Identity.Tenant(), userID, scope, o.Key, hash, func() (*order.Trade, error) {
		return PlaceRetrying(func() (*order.Trade, error) {
			now := c.d.Now()
			ctx, trace := extensions.WithTrace(ctx)
			tk, err := take(ctx)
			if err != nil {
				return nil, err
			}
			d := &Draft{Call: extensions.Call{Identity: o.Identity, UserID: userID}, Buyer: o.Buyer,
				Cart: Cart{Items: items, Coupons: o.Coupons, Currency: o.Currency}, Dest: address.PlaceOf(addr), Address: addr, At: now}
			if err := c.planOrder(ctx, d, tk.Plan, o.Expected); err != nil {
				return nil, err
			}
			var pl Placement
			if tk.Place != nil {
				if pl, err = tk.Place(ctx, d); err != nil {
					return nil, err
				}
			}
			pl.Identity, pl.Draft, pl.Key, pl.Scope, pl.Hash = o.Identity, d, o.Key, scope, hash
			pl.Runs = trace.Records()
			if pl.Hold == 0 {
				pl.Hold = c.d.Config.HotHold
			}
			return c.Place(ctx, pl)
		})
	})
}

// UnpaidDeadline is when a trade placed at now that awaits its payment is cancelled: after the
// unpaid window, or at until if that comes first (a campaign's window closing).
func (c *Core) UnpaidDeadline(now, until time.Time) time.Time {
	due := now.Add(c.UnpaidWindow())
	if !until.IsZero() && until.Before(due) {
		return until
	}
	return due
}

// Once answers a request to place a trade: with the trade an earlier request with the same
// idempotency key created (Replayed), else by running place; a request with the same key and
// request still running on this node is joined and answered with its result. A client that
// stopped waiting and sent the request again (under load, or after reconnecting) is then told what
// the first one did, never "sold out" by its own first attempt holding the last unit. Across
// nodes the key's claim in the order's transaction still keeps it to one trade.
func (c *Core) Once(ctx context.Context, tenant, userID, scope, key, hash string, place func() (*order.Trade, error)) (*order.Trade, error) {
	if key == "" {
		return place()
	}
	v, err, _ := c.placing.Do(strings.Join([]string{tenant, userID, scope, key, hash}, "\x00"), func() (any, error) {
		if prev, err := c.Replayed(ctx, tenant, userID, scope, key, hash); err != nil || prev != nil {
			return prev, err
		}
		return place()
	})
	t, _ := v.(*order.Trade)
	return t, err
}

// Replayed returns the trade an earlier request with the same idempotency key created, or nil.
func (c *Core) Replayed(ctx context.Context, tenant, userID, scope, key, hash string) (*order.Trade, error) {
	if key == "" {
		return nil, nil
	}
	prev, found, err := c.d.Idempotency.Lookup(ctx, tenant, userID, scope, key, hash)
	if err != nil || !found {
		return nil, err
	}
	return c.d.Orders.Trade(ctx, tenant, prev)
}

// Place writes a planned trade. Its stock is prepared first (a hot SKU's is reserved ahead, in a
// batch with other orders'); then, in one transaction: the idempotency key is claimed, the trade
// and its child orders are created with the record of the scripts that decided them, order.created
// is emitted, the trade's timers are set, the flow writes its own rows, discounts are redeemed,
// purchase-limit counters claimed, and the stock reserved (last: on MySQL its row locks are the
// ones every order of a SKU queues on, held until commit). Whatever did not commit gives back
// what was prepared. A replayed request returns the trade the first one created.
func (c *Core) Place(ctx context.Context, pl Placement) (*order.Trade, error) {
	d, tenant, userID := pl.Draft, pl.Identity.Tenant(), pl.Draft.Buyer.UserID
	now := d.At
	tradeID := c.d.IDs.NextString("T")
	specs := make([]order.NewOrderSpec, 0, len(d.Groups))
	reservations := make([]inventory.Reservation, 0, len(d.Groups))
	for gi := range d.Groups {
		spec, lines := d.OrderSpec(gi)
		spec.ID = c.d.IDs.NextString(orderPrefix)
		specs = append(specs, spec)
		reservations = append(reservations, inventory.Reservation{ID: spec.ID, Lines: lines})
	}
	stock, err := c.d.Inventory.Prepare(ctx, tenant, reservations, now.Add(pl.Hold))
	if err != nil {
		return nil, err
	}
	var t *order.Trade
	var existing string
	err = c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		existing = ""
		if pl.Key != "" {
			prev, found, err := c.d.Idempotency.Claim(ctx, tenant, userID, pl.Scope, pl.Key, pl.Hash, tradeID)
			if err != nil {
				return err
			}
			if found {
				existing = prev
				return nil
			}
		}
		var err error
		if t, err = order.NewTrade(tradeID, pl.Identity, userID, d.Address, specs, now, pl.PayDeadline); err != nil {
			return err
		}
		f, err := c.flowOf(t)
		if err != nil {
			return err
		}
		t.SetFlowState(f.States().Initial()) // the trade's row holds its flow instance
		if err := c.d.Orders.CreateTrade(ctx, t); err != nil {
			return err
		}
		if len(pl.Runs) > 0 && c.d.Runs != nil {
			if err := c.d.Runs.SaveRuns(ctx, tenant, tradeID, pl.Runs); err != nil {
				return err
			}
		}
		if _, err := c.d.Outbox.Append(ctx, TopicOrderCreated, tenant, tradeID, NewTradeCreated(t, now)); err != nil {
			return err
		}
		for _, tm := range pl.Timers {
			if err := c.d.Timers.Schedule(ctx, tm.Kind, TimerRef(tenant, tradeID), tm.Due); err != nil {
				return err
			}
		}
		if pl.Also != nil {
			if err := pl.Also(ctx, t); err != nil {
				return err
			}
		}
		if c.d.Discounts != nil {
			if err := c.d.Discounts.Redeem(ctx, tenant, d.Discount.Redemption(tradeID, userID)); err != nil {
				return err
			}
		}
		if len(d.Claims) > 0 {
			ids := make([]string, len(specs))
			for i, spec := range specs {
				ids[i] = spec.ID
			}
			if err := c.d.Limits.Claim(ctx, tenant, ids, d.Claims); err != nil {
				return err
			}
		}
		return stock.Commit(ctx)
	})
	if err != nil || existing != "" {
		if aerr := stock.Abort(ctx); aerr != nil {
			c.d.Log.Warn("stock reserved ahead not given back; it expires at its hold", "tenant", tenant, "trade", tradeID, "err", aerr)
		}
	}
	if err != nil {
		return nil, err
	}
	if existing != "" {
		return c.d.Orders.Trade(ctx, tenant, existing)
	}
	return t, nil
}

// NormalizeOrder checks what every order request carries, before anything is read: an
// authenticated buyer, an idempotency key that fits, the items (merged per SKU) and the address.
func NormalizeOrder(b Buyer, key string, items []pricing.Item, addr order.Address) ([]pricing.Item, order.Address, error) {
	if !identity.ValidUserID(b.UserID) {
		return nil, order.Address{}, errkind.WithDetail(errkind.ErrUnauthenticated, "no buyer")
	}
	if err := ValidateKey(key); err != nil {
		return nil, order.Address{}, err
	}
	items, err := pricing.NormalizeItems(items)
	if err != nil {
		return nil, order.Address{}, err
	}
	addr, err = order.NormalizeAddress(addr)
	if err != nil {
		return nil, order.Address{}, err
	}
	return items, addr, nil
}

// PlaceRetrying runs place (a flow's plan and Place) and, if it lost a race that planning could
// not see, once more from fresh data: a warehouse chosen from a snapshot of stock can be drained
// by a concurrent order before this one reserves, a campaign's budget spent, and stock of a hot
// SKU reserved ahead comes back if the transaction could not attach it within the hold (a node
// that stalled). place must plan anew and take new ids each time.
func PlaceRetrying(place func() (*order.Trade, error)) (*order.Trade, error) {
	for attempt := 0; ; attempt++ {
		t, err := place()
		if attempt == 0 && (errors.Is(err, inventory.ErrInsufficientStock) || errors.Is(err, discount.ErrBudgetExhausted) ||
			errors.Is(err, inventory.ErrReservationCancelled)) {
			continue
		}
		return t, err
	}
}

// Destination resolves a quote's destination with the address library (see
// address.Tree.Resolve): the levels given must exist, in China each inside the one above, and
// come back with their GB/T 2260 codes. No destination stays none: the warehouse choice then
// knows nothing of where the goods go. A fault is order.ErrInvalidAddress listing each field as
// destination.<field>.
func Destination(p address.Place) (address.Place, error) {
	if p == (address.Place{}) {
		return p, nil
	}
	tree, err := address.China()
	if err != nil {
		return p, fmt.Errorf("trade: %w", err)
	}
	r, faults := tree.Resolve(p)
	if len(faults) > 0 {
		return p, address.Fault(order.ErrInvalidAddress, "destination", faults)
	}
	return r, nil
}
