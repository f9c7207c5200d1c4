package trade

import (
	"context"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
)

// Stock is what an undone order's stock does.
type Stock int

const (
	// ReleaseReserved gives back stock reserved for an order that was never paid.
	ReleaseReserved Stock = iota
	// Restock puts sold stock back on sale: the goods never left, or came back sellable.
	Restock
	// KeepStock leaves the stock as it is (goods lost on their way, never back).
	KeepStock
	// Damaged takes sold units back off sale: goods that came back unfit to sell.
	Damaged
)

// Undo says how to undo one order.
type Undo struct {
	Stock Stock
	// ClosePayments closes the trade's pending payments: an intent made for the trade's old
	// payable amount must not pay what is left.
	ClosePayments bool
}

// Returned is what undoing an order gave back of its trade's discounts.
type Returned struct {
	// BudgetReturned is what went back to each campaign's budget.
	BudgetReturned map[string]int64
	// CouponsReleased is set when the undone order was the trade's last live one, so every use
	// the trade redeemed (coupons included) came back.
	CouponsReleased bool
}

// UndoOrder gives back what order o, whose status the caller has just moved to cancelled or
// refunded, held of the trade: its stock (per u.Stock), its purchase-limit claims, its part of
// the trade's discounts, and, if asked, the trade's pending payments. It runs in the caller's
// transaction, with the trade locked and o saved by the caller. Cancel, expiry, refusal and
// refund all undo through here.
func (c *Core) UndoOrder(ctx context.Context, t *order.Trade, o *order.Order, u Undo) (Returned, error) {
	tenant, now := t.Tenant(), c.d.Now()
	switch u.Stock {
	case ReleaseReserved:
		if err := c.d.Inventory.Cancel(ctx, tenant, o.ID()); err != nil {
			return Returned{}, err
		}
	case Restock:
		if err := c.d.Inventory.Restock(ctx, tenant, o.ID()); err != nil {
			return Returned{}, err
		}
	}
	if c.d.Limits != nil {
		if err := c.d.Limits.Release(ctx, tenant, o.ID()); err != nil {
			return Returned{}, err
		}
	}
	if u.ClosePayments {
		if err := c.closePending(ctx, t, now); err != nil {
			return Returned{}, err
		}
	}
	return c.giveBackDiscounts(ctx, t, o)
}

func (c *Core) closePending(ctx context.Context, t *order.Trade, now time.Time) error {
	ps, err := c.d.Payments.ByTrade(ctx, t.Tenant(), t.ID())
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Status() == payment.Pending && p.Close(now) {
			if err := c.d.Payments.Save(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// giveBackDiscounts returns what order o took of its trade's discounts: its share of each
// campaign budget while another order of the trade lives on (the trade's coupons stay used by
// that order), or everything the trade redeemed once none does.
func (c *Core) giveBackDiscounts(ctx context.Context, t *order.Trade, o *order.Order) (Returned, error) {
	if c.d.Discounts == nil {
		return Returned{}, nil
	}
	if !AnyLive(t) {
		return Returned{CouponsReleased: true}, c.d.Discounts.Release(ctx, t.Tenant(), t.ID())
	}
	share := budgetShare(o)
	return Returned{BudgetReturned: share}, c.d.Discounts.ReturnSpend(ctx, t.Tenant(), t.ID(), share)
}

// Units are some units of an order given back by one after-sale request.
type Units struct {
	// ReturnID names the give-back (the request's id): its stock comes back once, however often
	// it is undone.
	ReturnID string
	// Lines are the units by SKU and warehouse.
	Lines []inventory.Line
	// Stock is Restock (never shipped, or back sellable), Damaged (back unfit to sell) or
	// KeepStock (not back).
	Stock Stock
	// Budgets is what goes back to each campaign's budget: the units' share of the order's
	// discounts (aftersale.Budgets).
	Budgets map[string]int64
	// Whole is set when these are the order's last units, the caller having moved the order to
	// refunded: the order's remaining limit claims go, and with the trade's last live order,
	// everything the trade redeemed (its coupons) comes back.
	Whole bool
}

// UndoUnits gives back what some units of order o held of the trade: their stock, their
// purchase-limit claims, their share of campaign budgets; see Units. It runs in the caller's
// transaction, with the trade locked. Every after-sale refund undoes through here, as every whole
// cancel, expiry, refusal and refund undoes through UndoOrder.
func (c *Core) UndoUnits(ctx context.Context, t *order.Trade, o *order.Order, u Units) (Returned, error) {
	tenant := t.Tenant()
	switch u.Stock {
	case Restock, Damaged:
		if err := c.d.Inventory.Return(ctx, tenant, u.ReturnID, o.ID(), u.Lines, u.Stock == Damaged); err != nil {
			return Returned{}, err
		}
	case KeepStock:
	default:
		return Returned{}, fmt.Errorf("trade: units of %s cannot be undone with stock %d", o.ID(), u.Stock)
	}
	if c.d.Limits != nil {
		bySKU := map[string]int64{}
		for _, l := range u.Lines {
			bySKU[l.SKUID] += l.Quantity
		}
		if err := c.d.Limits.ReleaseUnits(ctx, tenant, o.ID(), bySKU); err != nil {
			return Returned{}, err
		}
		if u.Whole {
			if err := c.d.Limits.Release(ctx, tenant, o.ID()); err != nil {
				return Returned{}, err
			}
		}
	}
	if c.d.Discounts == nil {
		return Returned{}, nil
	}
	out := Returned{BudgetReturned: u.Budgets}
	if err := c.d.Discounts.ReturnSpend(ctx, tenant, t.ID(), u.Budgets); err != nil {
		return Returned{}, err
	}
	if u.Whole && !AnyLive(t) {
		out.CouponsReleased = true
		if err := c.d.Discounts.Release(ctx, tenant, t.ID()); err != nil {
			return Returned{}, err
		}
	}
	return out, nil
}

// CancelUnpaid cancels order o of trade t (locked by the caller, in its transaction) for reason:
// the order's status, its reserved stock, limit claims and discounts given back, the trade's
// pending payments closed, and order.cancelled written. Fixed price's and auction's cancels and
// unpaid timers end through here (pre-sale's and COD's undo differently: deposits, no payments).
func (c *Core) CancelUnpaid(ctx context.Context, t *order.Trade, o *order.Order, reason string) error {
	now := c.d.Now()
	if err := o.Cancel(reason, now); err != nil {
		return err
	}
	if err := c.d.Orders.Save(ctx, o); err != nil {
		return err
	}
	if _, err := c.UndoOrder(ctx, t, o, Undo{Stock: ReleaseReserved, ClosePayments: true}); err != nil {
		return err
	}
	_, err := c.d.Outbox.Append(ctx, TopicOrderCancelled, o.Tenant(), o.TradeID(), NewOrderEvent(o, now, ""))
	return err
}

// CloseRefunded moves the trade's flow instance to StateRefunded once no order of t goes ahead
// and at least one was refunded, and tells its flow if it watches (RefundWatcher), in the caller's
// transaction (t locked); otherwise it changes nothing.
func (c *Core) CloseRefunded(ctx context.Context, t *order.Trade) (bool, error) {
	if AnyLive(t) {
		return false, nil
	}
	for _, o := range t.Orders() {
		if o.Status() == order.Refunded {
			if _, err := c.Advance(ctx, t.Tenant(), t.ID(), StateRefunded); err != nil {
				return false, err
			}
			if f, err := c.flowOf(t); err == nil {
				if w, ok := f.(RefundWatcher); ok {
					return true, w.TradeRefunded(ctx, t)
				}
			}
			return true, nil
		}
	}
	return false, nil
}

// AnyLive reports whether an order of the trade still goes ahead (is neither cancelled nor
// refunded, nor closed otherwise by its lifecycle).
func AnyLive(t *order.Trade) bool {
	for _, o := range t.Orders() {
		if o.Live() {
			return true
		}
	}
	return false
}

// budgetShare is what the order's discounts took from each campaign's budget.
func budgetShare(o *order.Order) map[string]int64 {
	out := map[string]int64{}
	for _, d := range o.Discounts() {
		if d.CampaignID != "" {
			out[d.CampaignID] += d.Amount.Minor()
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
