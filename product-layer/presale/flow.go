package presale

import (
	"context"
	"log/slog"
	"time"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Scenario names the pre-sale flow: its trades, its business identities and its scripts' scope.
const Scenario identity.Scenario = "presale"

// The statuses of a pre-sale order: placed awaiting its deposit, the deposit paid, then paid in
// full when the balance is; then shipped, delivered and completed as any order; cancelled (the
// deposit unpaid, the balance missed, the buyer or the merchant calling it off) or refunded.
const (
	PendingDeposit order.Status = "pending_deposit"
	DepositPaid    order.Status = "deposit_paid"
)

// Lifecycle is the lifecycle of pre-sale orders.
var Lifecycle = order.NewLifecycle("presale", PendingDeposit, map[order.Status][]order.Status{
	PendingDeposit:  {DepositPaid, order.Cancelled},
	DepositPaid:     {order.Paid, order.Cancelled},
	order.Paid:      {order.Shipped, order.Refunded},
	order.Shipped:   {order.Delivered, order.Refunded},
	order.Delivered: {order.Completed, order.Refunded},
	order.Completed: {order.Refunded},
}, order.Cancelled, order.Refunded).WithPaid(order.Paid, order.Shipped, order.Delivered, order.Completed)

func init() {
	order.RegisterLifecycle(Scenario, Lifecycle)
	trade.RegisterStates(Scenario, states)
}

// The states of a pre-sale trade's flow.
const (
	StateAwaitingDeposit = "awaiting_deposit"
	StateDepositPaid     = "deposit_paid"
	StatePaid            = "paid"
	StateCancelled       = "cancelled"
)

var states = trade.NewStates(StateAwaitingDeposit, map[string][]string{
	StateAwaitingDeposit: {StateDepositPaid, StatePaid, StateCancelled},
	StateDepositPaid:     {StatePaid, StateCancelled},
	StatePaid:            {StateCancelled}, // the campaign called off before the goods shipped
}).Waits(StateAwaitingDeposit, TimerDepositUnpaid).Waits(StateDepositPaid, TimerBalanceMissed)

// Deposit statuses.
const (
	DepositPending   = "pending"
	DepositPaidState = "paid"
	DepositRefunded  = "refunded"
	DepositForfeited = "forfeited"
	// DepositCancelled is a deposit never paid whose trade ended: nothing is owed.
	DepositCancelled = "cancelled"
)

// Cancel reasons.
const (
	ReasonDepositUnpaid = "deposit_unpaid"
	ReasonBalanceMissed = "balance_missed"
)

// Timers.
const (
	TimerDepositUnpaid = "presale.deposit_unpaid"
	TimerBalanceMissed = "presale.balance_missed"
)

// Topics of the pre-sale's own events.
const (
	TopicDepositPaid      = "order.deposit_paid"
	TopicDepositForfeited = "presale.deposit_forfeited"
)

// Errors of ordering in a campaign.
var (
	ErrNotInCampaign    = errkind.New(errkind.Invalid, "presale.sku_not_in_campaign", "an item is not sold in this pre-sale")
	ErrDepositClosed    = errkind.New(errkind.Conflict, "presale.deposit_window_closed", "the pre-sale's deposit window is not open")
	ErrBalanceNotOpen   = errkind.New(errkind.Conflict, "presale.balance_window_not_open", "the pre-sale's balance window is not open")
	ErrPerUserLimit     = errkind.New(errkind.Exhausted, "presale.per_user_limit", "the pre-sale's limit per buyer is reached")
	ErrCampaignRequired = errkind.New(errkind.Invalid, "presale.campaign_required", "a pre-sale order names its campaign (presaleId)")
	ErrNotAPresaleTrade = errkind.New(errkind.NotFound, "presale.trade_not_found", "pre-sale trade not found")
	ErrDepositNotPaid   = errkind.New(errkind.Conflict, "presale.deposit_not_paid", "the deposit is not paid")
)

// Record is what a pre-sale trade owes: its deposit and what the deposit counts for, in total and
// per child order, and where the deposit stands.
type Record struct {
	Tenant, TradeID, CampaignID, UserID string
	Currency                            string
	// Deposit is what the buyer pays first; Credit what it counts for against the total;
	// Balance what is left to pay (the total less the credit).
	Deposit, Credit, Balance int64
	// Units is how many units the trade claims of the buyer's per-user cap.
	Units         int64
	DepositStatus string
	Orders        []OrderShare
	CreatedAt     time.Time
}

// OrderShare is one child order's part of the deposit and of its credit.
type OrderShare struct {
	OrderID         string
	Deposit, Credit int64
}

// TradeStore keeps pre-sale trades and each buyer's claims on a campaign's per-user cap.
type TradeStore interface {
	CreateRecord(ctx context.Context, r Record) error
	Record(ctx context.Context, tenant, tradeID string) (Record, error)
	LockRecord(ctx context.Context, tenant, tradeID string) (Record, error)
	SetDepositStatus(ctx context.Context, tenant, tradeID, status string) error
	// ClaimUnits adds units to the buyer's claim on the campaign if it stays within max (0: no
	// cap), in one conditional write; else ErrPerUserLimit.
	ClaimUnits(ctx context.Context, tenant, campaignID, userID string, units, max int64) error
	// ReleaseUnits gives units back.
	ReleaseUnits(ctx context.Context, tenant, campaignID, userID string, units int64) error
	// TradesOf lists the trades placed in a campaign.
	TradesOf(ctx context.Context, tenant, campaignID string) ([]string, error)
}

// Deps are the flow's collaborators.
type Deps struct {
	Core      *trade.Core
	Campaigns Store
	Trades    TradeStore
	Tx        trade.Transactor
	Orders    order.Repository
	Inventory *inventory.Service
	Outbox    trade.Outbox
	Timers    trade.Timers
	// Ext runs the extension points published for each business identity (presale.deposit_credit);
	// nil runs the Go defaults only.
	Ext extensions.Runtime
	Now func() time.Time
	Log *slog.Logger
}

// Flow runs pre-sale trades.
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
	d.Core.OnRefundSettled(f.refundSettled)
	return f
}

// RegisterTimers registers the flow's timer handlers with a timer queue.
func (f *Flow) RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error)) {
	register(TimerDepositUnpaid, f.depositUnpaid)
	register(TimerBalanceMissed, f.balanceMissed)
}

// Scenario implements trade.Flow.
func (f *Flow) Scenario() identity.Scenario { return Scenario }

// States implements trade.Flow.
func (f *Flow) States() *trade.States { return states }

// Record returns the pre-sale record of a trade the actor may see.
func (f *Flow) Record(ctx context.Context, tenant string, a trade.Actor, tradeID string) (Record, error) {
	if _, err := f.d.Core.Trade(ctx, tenant, a, tradeID); err != nil {
		return Record{}, err
	}
	return f.d.Trades.Record(ctx, tenant, tradeID)
}

// Owes implements trade.Flow: the deposit while the deposit window is open and the orders await
// it; the balance while the balance window is open and the deposit is paid.
func (f *Flow) Owes(ctx context.Context, t *order.Trade, purpose payment.Purpose, now time.Time) (money.Amount, error) {
	rec, err := f.d.Trades.Record(ctx, t.Tenant(), t.ID())
	if err != nil {
		return money.Amount{}, err
	}
	cur := t.Total().Currency()
	c, err := f.d.Campaigns.Campaign(ctx, t.Tenant(), rec.CampaignID)
	if err != nil {
		return money.Amount{}, err
	}
	awaiting := func(s order.Status) bool { return countStatus(t, s) > 0 }
	switch purpose {
	case payment.Deposit:
		if !awaiting(PendingDeposit) {
			return money.Zero(cur), nil
		}
		if !c.DepositOpen(now) {
			return money.Amount{}, errkind.WithDetail(ErrDepositClosed, "pre-sale %s no longer takes deposits", c.ID)
		}
		return money.New(rec.Deposit, cur), nil
	case payment.Balance:
		if awaiting(PendingDeposit) {
			return money.Amount{}, errkind.WithDetail(ErrDepositNotPaid, "trade %s owes its deposit first", t.ID())
		}
		if !awaiting(DepositPaid) {
			return money.Zero(cur), nil
		}
		if !c.BalanceOpen(now) {
			return money.Amount{}, errkind.WithDetail(ErrBalanceNotOpen, "pre-sale %s takes balances from %s to %s", c.ID,
				time.UnixMilli(c.BalanceStartsAt).UTC().Format(time.RFC3339), time.UnixMilli(c.BalanceEndsAt).UTC().Format(time.RFC3339))
		}
		return money.New(rec.Balance, cur), nil
	}
	return money.Amount{}, errkind.WithDetail(payment.ErrInvalidPurpose, "a pre-sale trade is paid by its deposit, then its balance, not by %q", purpose)
}

// Collected implements trade.Flow: the balance paid the order's total less what its deposit
// counts for, and the deposit its own share; refunds take from the balance first, so a deposit
// that counted for more than it cost (expansion) is what comes back last, and never more than it
// collected.
func (f *Flow) Collected(ctx context.Context, t *order.Trade, o *order.Order) ([]trade.Collected, error) {
	rec, err := f.d.Trades.Record(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	var share OrderShare
	for _, sh := range rec.Orders {
		if sh.OrderID == o.ID() {
			share = sh
		}
	}
	ps, err := f.d.Core.Payments(ctx, t.Tenant(), trade.BySystem("presale"), t.ID())
	if err != nil {
		return nil, err
	}
	var out []trade.Collected
	for _, purpose := range []payment.Purpose{payment.Balance, payment.Deposit} {
		amount := share.Deposit
		if purpose == payment.Balance {
			amount = o.Total().Minor() - share.Credit
		}
		for _, p := range ps {
			if p.Status() == payment.Succeeded && p.Purpose() == purpose && amount > 0 {
				out = append(out, trade.Collected{Payment: p, Amount: amount})
				break
			}
		}
	}
	return out, nil
}

// Collect implements trade.Flow: a deposit moves the orders awaiting it to deposit_paid (or paid,
// when the credit leaves no balance); a balance moves them to paid and confirms their stock.
func (f *Flow) Collect(ctx context.Context, t *order.Trade, p *payment.Payment, now time.Time) (bool, error) {
	rec, err := f.d.Trades.LockRecord(ctx, t.Tenant(), t.ID())
	if err != nil {
		return false, err
	}
	ref := trade.TimerRef(t.Tenant(), t.ID())
	switch p.Purpose() {
	case payment.Deposit:
		if p.Amount().Minor() != rec.Deposit || rec.DepositStatus != DepositPending {
			return false, nil
		}
		moved, err := f.d.Core.MoveAll(ctx, t, PendingDeposit, DepositPaid, TopicDepositPaid, p.ID(), now)
		if err != nil || len(moved) == 0 {
			return false, err
		}
		if err := f.d.Trades.SetDepositStatus(ctx, t.Tenant(), t.ID(), DepositPaidState); err != nil {
			return false, err
		}
		if err := f.d.Timers.Cancel(ctx, TimerDepositUnpaid, ref); err != nil {
			return false, err
		}
		if rec.Balance == 0 {
			return true, f.paidInFull(ctx, t, p, now)
		}
		_, err = f.d.Core.Advance(ctx, t.Tenant(), t.ID(), StateDepositPaid)
		return true, err
	case payment.Balance:
		if p.Amount().Minor() != rec.Balance || rec.DepositStatus != DepositPaidState {
			return false, nil
		}
		if n := countStatus(t, DepositPaid); n == 0 {
			return false, nil
		}
		return true, f.paidInFull(ctx, t, p, now)
	}
	return false, nil
}

// paidInFull moves the orders whose deposit is paid to paid, confirms their stock as sold, and
// ends the balance timer.
func (f *Flow) paidInFull(ctx context.Context, t *order.Trade, p *payment.Payment, now time.Time) error {
	paid, err := f.d.Core.MoveAll(ctx, t, DepositPaid, order.Paid, trade.TopicOrderPaid, p.ID(), now)
	if err != nil {
		return err
	}
	for _, o := range paid {
		if err := f.d.Inventory.Confirm(ctx, t.Tenant(), o.ID()); err != nil {
			return err
		}
	}
	if err := f.d.Timers.Cancel(ctx, TimerBalanceMissed, trade.TimerRef(t.Tenant(), t.ID())); err != nil {
		return err
	}
	_, err = f.d.Core.Advance(ctx, t.Tenant(), t.ID(), StatePaid)
	return err
}

func countStatus(t *order.Trade, s order.Status) int {
	n := 0
	for _, o := range t.Orders() {
		if o.Status() == s {
			n++
		}
	}
	return n
}
