package groupbuy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// A group-buy order moves as a fixed-price one: paid, shipped (once its group is formed),
// delivered, completed; cancelled before payment; refunded after.
func init() {
	order.RegisterLifecycle(Scenario, order.Standard)
	trade.RegisterStates(Scenario, states)
}

// Timer kinds: a member's unpaid window (ref tenant/trade), a group's deadline (ref tenant/group).
const (
	TimerUnpaid = "groupbuy.unpaid_timeout"
	TimerExpire = "groupbuy.group_deadline"
)

// Reasons an order or a group ends.
const (
	ReasonBuyer             = "buyer_cancelled"
	ReasonUnpaidTimeout     = "unpaid_timeout"
	ReasonExpired           = "group_expired"
	ReasonCampaignCancelled = "campaign_cancelled"
)

// The states of a group-buy trade: it awaits its payment, then is paid (its group decides when
// it ships), or is cancelled unpaid; a trade refunded in full reads refunded (the core's).
const (
	StateAwaitingPayment = "awaiting_payment"
	StatePaid            = "paid"
	StateCancelled       = "cancelled"
)

var states = trade.NewStates(StateAwaitingPayment, map[string][]string{
	StateAwaitingPayment: {StatePaid, StateCancelled},
}).Waits(StateAwaitingPayment, TimerUnpaid)

// Deps are the flow's collaborators.
type Deps struct {
	Core      *trade.Core
	Tx        trade.Transactor
	Store     Store
	Catalog   catalog.Store
	Orders    order.Repository
	Inventory *inventory.Service
	Payments  payment.Store
	Outbox    trade.Outbox
	Timers    trade.Timers
	IDs       trade.IDs
	// Ext runs the groupbuy.price extension point; nil runs the Go default.
	Ext extensions.Runtime
	Now func() time.Time
	Log *slog.Logger
}

// Flow runs group-buy trades.
type Flow struct{ d Deps }

// New returns a Flow registered with its core.
func New(d Deps) (*Flow, error) {
	if d.Core == nil {
		return nil, errors.New("groupbuy: no trade core")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	f := &Flow{d: d}
	d.Core.Register(f)
	return f, nil
}

var (
	_ trade.Flow          = (*Flow)(nil)
	_ trade.ShipChecker   = (*Flow)(nil)
	_ trade.RefundWatcher = (*Flow)(nil)
	_ trade.TimerOwner    = (*Flow)(nil)
)

// Scenario implements trade.Flow.
func (f *Flow) Scenario() identity.Scenario { return Scenario }

// States implements trade.Flow.
func (f *Flow) States() *trade.States { return states }

// RegisterTimers implements trade.TimerOwner.
func (f *Flow) RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error)) {
	register(TimerUnpaid, f.unpaidDue)
	register(TimerExpire, f.deadlineDue)
}

// Owes implements trade.Flow: a member pays in full, at the group price.
func (f *Flow) Owes(_ context.Context, t *order.Trade, purpose payment.Purpose, _ time.Time) (money.Amount, error) {
	if purpose != payment.Full {
		return money.Amount{}, errkind.WithDetail(payment.ErrInvalidPurpose, "a group-buy trade is paid in full, not by %q", purpose)
	}
	return t.Payable(), nil
}

// Collected implements trade.Flow: the trade's latest succeeded full payment paid every order its
// total.
func (f *Flow) Collected(ctx context.Context, t *order.Trade, o *order.Order) ([]trade.Collected, error) {
	ps, err := f.d.Payments.ByTrade(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Status() == payment.Succeeded && ps[i].Purpose() == payment.Full {
			return []trade.Collected{{Payment: ps[i], Amount: o.Total().Minor()}}, nil
		}
	}
	return nil, errkind.WithDetail(payment.ErrNotRefundable, "trade %s has no succeeded payment to refund order %s from", t.ID(), o.ID())
}

// Collect implements trade.Flow: the member's orders become paid and their stock sold, and the
// member counts toward the group; the last member to pay forms it. A payment that arrives after
// the member's place is gone (unpaid too long, the group failed) takes nothing: the core owes it
// back.
func (f *Flow) Collect(ctx context.Context, t *order.Trade, p *payment.Payment, now time.Time) (bool, error) {
	if p.Purpose() != payment.Full {
		return false, nil
	}
	m, err := f.d.Store.MemberOf(ctx, t.Tenant(), t.ID())
	if err != nil {
		return false, err
	}
	g, err := f.d.Store.LockGroup(ctx, t.Tenant(), m.GroupID)
	if err != nil {
		return false, err
	}
	if g.Status != Forming || m.Status != Joined {
		return false, nil
	}
	paid, err := f.d.Core.MoveAll(ctx, t, order.PendingPayment, order.Paid, trade.TopicOrderPaid, p.ID(), now)
	if err != nil || len(paid) == 0 {
		return false, err
	}
	for _, o := range paid {
		if err := f.d.Inventory.Confirm(ctx, t.Tenant(), o.ID()); err != nil {
			return false, err
		}
	}
	if _, err := f.d.Core.Advance(ctx, t.Tenant(), t.ID(), StatePaid); err != nil {
		return false, err
	}
	if err := f.d.Timers.Cancel(ctx, TimerUnpaid, trade.TimerRef(t.Tenant(), t.ID())); err != nil {
		return false, err
	}
	m.Status, m.UpdatedAt = Paid, now
	if err := f.d.Store.SaveMember(ctx, m); err != nil {
		return false, err
	}
	members, err := f.d.Store.Members(ctx, t.Tenant(), g.ID)
	if err != nil {
		return false, err
	}
	if count(members, Paid) >= g.Size {
		return true, f.form(ctx, &g, members, false, now)
	}
	return true, nil
}

// CheckShip implements trade.ShipChecker: an order ships once its group is formed.
func (f *Flow) CheckShip(ctx context.Context, t *order.Trade, o *order.Order) error {
	m, err := f.d.Store.MemberOf(ctx, t.Tenant(), t.ID())
	if err != nil {
		return err
	}
	g, err := f.d.Store.Group(ctx, t.Tenant(), m.GroupID)
	if err != nil {
		return err
	}
	if g.Status != Formed {
		return errkind.WithDetail(ErrNotFormed, "order %s waits for group %s (%s)", o.ID(), g.ID, g.Status)
	}
	return nil
}

// CancelOrder implements trade.Canceller: an order awaiting payment is cancelled with the rest
// of its trade, and the member's place in the group is free again. A paid member is refunded
// (after-sale), not cancelled; a group-buy order holds no deposit.
func (f *Flow) CancelOrder(ctx context.Context, t *order.Trade, o *order.Order, c trade.Cancellation) ([]*payment.Refund, error) {
	if c.RefundDeposit {
		return nil, errkind.WithDetail(trade.ErrNoDeposit, "order %s is a group-buy order", o.ID())
	}
	if o.Status() != order.PendingPayment {
		return nil, errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: a paid group-buy order is refunded, not cancelled", o.ID(), o.Status())
	}
	reason := ReasonBuyer
	if c.Actor.Kind == trade.ActorOperator {
		reason = c.Reason
	}
	m, err := f.d.Store.MemberOf(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	g, err := f.d.Store.LockGroup(ctx, t.Tenant(), m.GroupID)
	if err != nil {
		return nil, err
	}
	return nil, f.leave(ctx, t, &g, m, reason, f.d.Now())
}

// leave cancels every order of a member's trade still awaiting payment and frees the member's
// place: its units come back to the buyer's count. The group is locked by the caller.
func (f *Flow) leave(ctx context.Context, t *order.Trade, g *Group, m Member, reason string, now time.Time) error {
	for _, o := range t.Orders() {
		if o.Status() == order.PendingPayment {
			if err := f.d.Core.CancelUnpaid(ctx, t, o, reason); err != nil {
				return err
			}
		}
	}
	if trade.AnyLive(t) {
		return nil
	}
	if _, err := f.d.Core.Advance(ctx, t.Tenant(), t.ID(), StateCancelled); err != nil {
		return err
	}
	if err := f.d.Timers.Cancel(ctx, TimerUnpaid, trade.TimerRef(t.Tenant(), t.ID())); err != nil {
		return err
	}
	if m.Status != Joined {
		return nil
	}
	m.Status, m.UpdatedAt = Left, now
	if err := f.d.Store.SaveMember(ctx, m); err != nil {
		return err
	}
	return f.d.Store.ReleaseUnits(ctx, t.Tenant(), g.CampaignID, m.UserID, m.Units)
}

// TradeRefunded implements trade.RefundWatcher: a member refunded in full (after-sale) no longer
// counts as active. Before formation the place is free again and the units come back; after, the
// group stays formed.
func (f *Flow) TradeRefunded(ctx context.Context, t *order.Trade) error {
	m, err := f.d.Store.MemberOf(ctx, t.Tenant(), t.ID())
	if err != nil {
		return err
	}
	if m.Status == Refunded || m.Status == Left {
		return nil
	}
	g, err := f.d.Store.LockGroup(ctx, t.Tenant(), m.GroupID)
	if err != nil {
		return err
	}
	now := f.d.Now()
	m.Status, m.UpdatedAt = Refunded, now
	if err := f.d.Store.SaveMember(ctx, m); err != nil {
		return err
	}
	if g.Status == Forming {
		if err := f.d.Store.ReleaseUnits(ctx, t.Tenant(), g.CampaignID, m.UserID, m.Units); err != nil {
			return err
		}
	}
	members, err := f.d.Store.Members(ctx, t.Tenant(), g.ID)
	if err != nil {
		return err
	}
	return f.emit(ctx, TopicMemberRefunded, &g, members, Event{UserID: m.UserID, TradeID: t.ID()}, now)
}

// unpaidDue is a member's unpaid window: the orders still unpaid are cancelled and the place is
// free again.
func (f *Flow) unpaidDue(ctx context.Context, ref string) error {
	tenant, tradeID, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	return f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, err := f.d.Orders.LockTrade(ctx, tenant, tradeID)
		if errors.Is(err, order.ErrTradeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		m, err := f.d.Store.MemberOf(ctx, tenant, tradeID)
		if err != nil {
			return err
		}
		g, err := f.d.Store.LockGroup(ctx, tenant, m.GroupID)
		if err != nil {
			return err
		}
		return f.leave(ctx, t, &g, m, ReasonUnpaidTimeout, f.d.Now())
	})
}

// deadlineDue is a group's deadline: a group still forming is formed if it is short of no more
// than its virtualFill paid members (and has at least one), else it fails.
func (f *Flow) deadlineDue(ctx context.Context, ref string) error {
	tenant, groupID, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	g, err := f.d.Store.Group(ctx, tenant, groupID)
	if err != nil {
		return err
	}
	c, err := f.d.Store.Campaign(ctx, tenant, g.CampaignID)
	if err != nil {
		return err
	}
	reason := ReasonExpired
	if c.Status == Cancelled { // its cancel stopped part way: the group fails as the cancel would
		reason = ReasonCampaignCancelled
	}
	_, err = f.settle(ctx, tenant, groupID, reason)
	return err
}

// settle ends a group that is still forming: formed (virtualFill) or failed for reason (always
// failed when the campaign was cancelled). Every member's trade is locked before the group, in
// trade id order, as every other step locks a trade before its group. It runs once: a group
// that is no longer forming changes nothing. The refunds it owes are asked for after it commits.
func (f *Flow) settle(ctx context.Context, tenant, groupID, reason string) (Group, error) {
	var refunds []*payment.Refund
	var g Group
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		refunds = nil
		peek, err := f.d.Store.Members(ctx, tenant, groupID)
		if err != nil {
			return err
		}
		sort.Slice(peek, func(i, j int) bool { return peek[i].TradeID < peek[j].TradeID })
		trades := map[string]*order.Trade{}
		for _, m := range peek {
			if !m.Holds() {
				continue
			}
			if trades[m.TradeID], err = f.d.Orders.LockTrade(ctx, tenant, m.TradeID); err != nil {
				return err
			}
		}
		if g, err = f.d.Store.LockGroup(ctx, tenant, groupID); err != nil {
			return err
		}
		if g.Status != Forming {
			return nil
		}
		members, err := f.d.Store.Members(ctx, tenant, groupID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.Holds() && trades[m.TradeID] == nil {
				return fmt.Errorf("groupbuy: group %s gained member %s while it was settled; run again", groupID, m.TradeID)
			}
		}
		now := f.d.Now()
		paid := count(members, Paid)
		if reason == ReasonExpired && paid > 0 && paid >= g.Size-g.VirtualFill {
			for _, m := range members {
				if m.Status == Joined { // too late to pay: the group is formed without them
					if err := f.leave(ctx, trades[m.TradeID], &g, m, ReasonExpired, now); err != nil {
						return err
					}
				}
			}
			if members, err = f.d.Store.Members(ctx, tenant, groupID); err != nil {
				return err
			}
			return f.form(ctx, &g, members, true, now)
		}
		for _, m := range members {
			t := trades[m.TradeID]
			switch m.Status {
			case Joined:
				if err := f.leave(ctx, t, &g, m, reason, now); err != nil {
					return err
				}
			case Paid:
				rs, err := f.refund(ctx, t, &g, m, reason, now)
				if err != nil {
					return err
				}
				refunds = append(refunds, rs...)
			}
		}
		g.Status, g.EndedAt, g.Reason = Failed, now, reason
		if err := f.d.Store.SaveGroup(ctx, &g); err != nil {
			return err
		}
		if err := f.d.Timers.Cancel(ctx, TimerExpire, trade.TimerRef(tenant, groupID)); err != nil {
			return err
		}
		if members, err = f.d.Store.Members(ctx, tenant, groupID); err != nil {
			return err
		}
		return f.emit(ctx, TopicGroupFailed, &g, members, Event{Reason: reason}, now)
	})
	if err != nil {
		return Group{}, err
	}
	f.d.Core.SettleRefunds(ctx, refunds)
	return g, nil
}

// refund gives a paid member of a failed group their money back in full: each paid order is
// refunded from the payment that paid it, its stock goes back on sale, its limits and discounts
// come back, and the member's units too.
func (f *Flow) refund(ctx context.Context, t *order.Trade, g *Group, m Member, reason string, now time.Time) ([]*payment.Refund, error) {
	var refunds []*payment.Refund
	for _, o := range t.Orders() {
		if o.Status() != order.Paid {
			continue
		}
		from, err := f.Collected(ctx, t, o)
		if err != nil {
			return nil, err
		}
		if err := o.Refund(now); err != nil {
			return nil, err
		}
		if err := f.d.Orders.Save(ctx, o); err != nil {
			return nil, err
		}
		if _, err := f.d.Core.UndoOrder(ctx, t, o, trade.Undo{Stock: trade.Restock}); err != nil {
			return nil, err
		}
		for _, c := range from {
			r, err := f.d.Core.OweRefund(ctx, c.Payment, o.ID(), reason, money.New(c.Amount, c.Payment.Amount().Currency()))
			if err != nil {
				return nil, err
			}
			refunds = append(refunds, r)
		}
		if _, err := f.d.Outbox.Append(ctx, trade.TopicOrderRefunded, o.Tenant(), o.TradeID(), trade.NewOrderEvent(o, now, "")); err != nil {
			return nil, err
		}
	}
	m.Status, m.UpdatedAt = Refunded, now
	if err := f.d.Store.SaveMember(ctx, m); err != nil {
		return nil, err
	}
	if err := f.d.Store.ReleaseUnits(ctx, t.Tenant(), g.CampaignID, m.UserID, m.Units); err != nil {
		return nil, err
	}
	if _, err := f.d.Core.Advance(ctx, t.Tenant(), t.ID(), trade.StateRefunded); err != nil {
		return nil, err
	}
	members, err := f.d.Store.Members(ctx, t.Tenant(), g.ID)
	if err != nil {
		return nil, err
	}
	return refunds, f.emit(ctx, TopicMemberRefunded, g, members, Event{UserID: m.UserID, TradeID: t.ID(), Reason: reason}, now)
}

// form marks a locked group formed (virtual: by virtualFill at its deadline) and ends its timer:
// its members' orders may ship from now on.
func (f *Flow) form(ctx context.Context, g *Group, members []Member, virtual bool, now time.Time) error {
	g.Status, g.EndedAt = Formed, now
	if err := f.d.Store.SaveGroup(ctx, g); err != nil {
		return err
	}
	if err := f.d.Timers.Cancel(ctx, TimerExpire, trade.TimerRef(g.Tenant, g.ID)); err != nil {
		return err
	}
	return f.emit(ctx, TopicGroupFormed, g, members, Event{Virtual: virtual}, now)
}

// emit writes a groupbuy.* event about g, keyed by the group (a group's events are seen in
// order).
func (f *Flow) emit(ctx context.Context, topic string, g *Group, members []Member, ev Event, now time.Time) error {
	ev.Tenant, ev.CampaignID, ev.GroupID, ev.Status, ev.Size, ev.At = g.Tenant, g.CampaignID, g.ID, g.Status, g.Size, now.UnixMilli()
	ev.Members, ev.Paid = holding(members), count(members, Paid)
	_, err := f.d.Outbox.Append(ctx, topic, g.Tenant, g.ID, ev)
	return err
}

// count is how many members are in status.
func count(members []Member, status string) int {
	n := 0
	for _, m := range members {
		if m.Status == status {
			n++
		}
	}
	return n
}

// holding is how many members hold a place (joined or paid).
func holding(members []Member) int {
	n := 0
	for _, m := range members {
		if m.Holds() {
			n++
		}
	}
	return n
}
