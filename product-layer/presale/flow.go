package presale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
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

func init() { order.RegisterLifecycle(Scenario, Lifecycle) }

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
})

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

// refundSettled runs as a refund is recorded paid: a paid deposit whose payment has gone back in
// full (an after-sale refunded the trade: the balance first, then the deposit) reads refunded,
// not paid.
func (f *Flow) refundSettled(ctx context.Context, r *payment.Refund) error {
	p, err := f.d.Core.Payment(ctx, r.Tenant(), r.PaymentID())
	if err != nil || p.Purpose() != payment.Deposit {
		return err
	}
	rec, err := f.d.Trades.LockRecord(ctx, r.Tenant(), r.TradeID())
	if errors.Is(err, ErrNotAPresaleTrade) {
		return nil // another flow's deposit
	}
	if err != nil || rec.DepositStatus != DepositPaidState {
		return err
	}
	back, err := f.d.Core.Refunded(ctx, p)
	if err != nil || back < rec.Deposit {
		return err
	}
	return f.d.Trades.SetDepositStatus(ctx, r.Tenant(), r.TradeID(), DepositRefunded)
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

// Line is one cart line as the campaign terms it.
type Line struct {
	SKUID                  string
	Quantity               int64
	Price, Deposit, Credit int64 // per line: unit terms × quantity
}

// Terms are a cart's pre-sale money: the deposit, what it counts for, and the balance left after
// discounts and shipping, in total and per child order the cart splits into (Orders, in the
// draft's group order; their OrderIDs are set once the trade is placed).
type Terms struct {
	Lines                    []Line
	Deposit, Credit, Balance int64
	Orders                   []OrderShare
}

// priceStep prices the cart at the campaign's prices; the SKUs must all be in it.
func priceStep(c *Campaign) trade.Step {
	return trade.Step{Name: trade.StepPrice.Name, Run: func(core *trade.Core, ctx context.Context, d *trade.Draft) error {
		cur := money.MustCurrency(c.Currency)
		for _, it := range d.Cart.Items {
			if _, ok := c.SKU(it.SKUID); !ok {
				return errkind.WithDetail(ErrNotInCampaign, "sku %s is not in pre-sale %s", it.SKUID, c.ID)
			}
		}
		if d.Cart.Currency != "" && d.Cart.Currency != c.Currency {
			return errkind.WithDetail(pricing.ErrMixedCurrency, "pre-sale %s is sold in %s", c.ID, c.Currency)
		}
		d.Cart.Currency = c.Currency
		return core.PriceAt(ctx, d, cur, func(skuID string) (int64, bool) {
			s, ok := c.SKU(skuID)
			return s.Price, ok
		}, "presale:"+c.ID)
	}}
}

// terms works out a planned draft's deposit and credit per line (the credit as
// presale.deposit_credit decides, by default the campaign's), divides them over the child orders
// the draft splits into (see allocate), and the balance: the total after discounts and shipping,
// less the credit.
func (f *Flow) terms(ctx context.Context, c *Campaign, d *trade.Draft) (Terms, error) {
	in := CreditInput{CampaignID: c.ID, UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel, Channel: d.Buyer.Channel, At: d.At.UnixMilli()}
	var t Terms
	for _, l := range d.Quote.Lines {
		s, _ := c.SKU(l.SKU.ID())
		line := Line{SKUID: l.SKU.ID(), Quantity: l.Quantity, Price: s.Price * l.Quantity, Deposit: s.Deposit * l.Quantity, Credit: s.DepositCredit * l.Quantity}
		t.Lines = append(t.Lines, line)
		in.Lines = append(in.Lines, CreditLine{SKUID: line.SKUID, Quantity: line.Quantity, Price: line.Price, Deposit: line.Deposit, Credit: line.Credit})
	}
	out, err := CreditPoint.Run(ctx, f.d.Ext, d.Call, in)
	if err != nil {
		return Terms{}, err
	}
	for i := range t.Lines {
		t.Lines[i].Credit = out.Lines[i].Credit
		t.Deposit += t.Lines[i].Deposit
	}
	if t.Orders, err = allocate(c, d, t.Lines); err != nil {
		return Terms{}, err
	}
	for _, s := range t.Orders {
		t.Credit += s.Credit
	}
	t.Balance = d.Total().Minor() - t.Credit
	return t, nil
}

// Quote is a priced pre-sale cart: the trade core's quote and the pre-sale's terms.
type Quote struct {
	Draft *trade.Draft
	Terms Terms
}

// Quote prices a cart in a campaign for a buyer, without reserving anything.
func (f *Flow) Quote(ctx context.Context, ident identity.Identity, b trade.Buyer, dest address.Place, campaignID string, cart trade.Cart) (Quote, error) {
	c, err := f.campaign(ctx, ident.Tenant(), campaignID)
	if err != nil {
		return Quote{}, err
	}
	items, err := pricing.NormalizeItems(cart.Items)
	if err != nil {
		return Quote{}, err
	}
	if dest, err = trade.Destination(dest); err != nil {
		return Quote{}, err
	}
	cart.Items = items
	d := &trade.Draft{Call: extensions.Call{Identity: ident, UserID: b.UserID}, Buyer: b, Cart: cart, Dest: dest, At: f.d.Now()}
	if err := f.d.Core.Plan(ctx, d, trade.QuotePlan.Replace(priceStep(&c))); err != nil {
		return Quote{}, err
	}
	tm, err := f.terms(ctx, &c, d)
	if err != nil {
		return Quote{}, err
	}
	return Quote{Draft: d, Terms: tm}, nil
}

func (f *Flow) campaign(ctx context.Context, tenant, id string) (Campaign, error) {
	if id == "" {
		return Campaign{}, ErrCampaignRequired
	}
	c, err := f.d.Campaigns.Campaign(ctx, tenant, id)
	if err != nil {
		return Campaign{}, err
	}
	if c.Status != Active {
		return Campaign{}, errkind.WithDetail(ErrCampaignCancelled, "pre-sale %s was cancelled", id)
	}
	return c, nil
}

// PlaceOrder is a buyer's pre-sale order.
type PlaceOrder struct {
	Identity       identity.Identity
	Buyer          trade.Buyer
	CampaignID     string
	Items          []pricing.Item
	Address        order.Address
	IdempotencyKey string
	Coupons        []string
}

const scopePlaceOrder = "presale_place_order"

// PlaceOrder places a pre-sale trade inside the campaign's deposit window, through the core's
// template: its orders await the deposit, their stock is reserved, the buyer's per-user claim is
// taken, and the timers for an unpaid deposit and a missed balance are set, in one transaction.
func (f *Flow) PlaceOrder(ctx context.Context, cmd PlaceOrder) (*order.Trade, Record, error) {
	if cmd.Identity.Scenario() != Scenario {
		return nil, Record{}, fmt.Errorf("presale: a %s identity", cmd.Identity.Scenario())
	}
	var rec Record
	tr, err := f.d.Core.PlaceOrder(ctx, trade.Order{Identity: cmd.Identity, Buyer: cmd.Buyer, Items: cmd.Items, Coupons: cmd.Coupons,
		Address: cmd.Address, Key: cmd.IdempotencyKey, Terms: struct{ Campaign string }{cmd.CampaignID}}, scopePlaceOrder,
		func(ctx context.Context) (trade.Taking, error) { return f.take(ctx, cmd, &rec) })
	if err != nil {
		return nil, Record{}, err
	}
	if rec.TradeID != tr.ID() { // a replay, or a concurrent request with the same key placed it
		rec, err = f.d.Trades.Record(ctx, cmd.Identity.Tenant(), tr.ID())
	}
	return tr, rec, err
}

// take is how the flow takes an order, inside the campaign's deposit window: the campaign prices
// the lines; the deposit is due within the unpaid window or by the window's close, whichever
// comes first; the trade's record (and *rec) and the buyer's claim on the campaign are written
// with it.
func (f *Flow) take(ctx context.Context, cmd PlaceOrder, rec *Record) (trade.Taking, error) {
	tenant, userID := cmd.Identity.Tenant(), cmd.Buyer.UserID
	c, err := f.campaign(ctx, tenant, cmd.CampaignID)
	if err != nil {
		return trade.Taking{}, err
	}
	if now := f.d.Now(); !c.DepositOpen(now) {
		return trade.Taking{}, errkind.WithDetail(ErrDepositClosed, "pre-sale %s takes deposits from %s to %s", c.ID,
			time.UnixMilli(c.DepositStartsAt).UTC().Format(time.RFC3339), time.UnixMilli(c.DepositEndsAt).UTC().Format(time.RFC3339))
	}
	return trade.Taking{Plan: trade.PlacePlan.Replace(priceStep(&c)), Place: func(ctx context.Context, d *trade.Draft) (trade.Placement, error) {
		tm, err := f.terms(ctx, &c, d)
		if err != nil {
			return trade.Placement{}, err
		}
		var units int64
		for _, l := range tm.Lines {
			units += l.Quantity
		}
		depositDue := f.d.Core.UnpaidDeadline(d.At, time.UnixMilli(c.DepositEndsAt))
		return trade.Placement{PayDeadline: depositDue,
			Timers: []trade.Timer{{Kind: TimerDepositUnpaid, Due: depositDue}, {Kind: TimerBalanceMissed, Due: time.UnixMilli(c.BalanceEndsAt)}},
			Also: func(ctx context.Context, t *order.Trade) error {
				if err := f.d.Trades.ClaimUnits(ctx, tenant, c.ID, userID, units, c.PerUser); err != nil {
					return err
				}
				*rec = Record{Tenant: tenant, TradeID: t.ID(), CampaignID: c.ID, UserID: userID, Currency: c.Currency, Deposit: tm.Deposit,
					Credit: tm.Credit, Balance: tm.Balance, Units: units, DepositStatus: DepositPending, Orders: withIDs(tm.Orders, t), CreatedAt: d.At}
				return f.d.Trades.CreateRecord(ctx, *rec)
			}}, nil
	}}, nil
}

// withIDs names each share by the order placed for its group.
func withIDs(shares []OrderShare, t *order.Trade) []OrderShare {
	out := append([]OrderShare(nil), shares...)
	for i, o := range t.Orders() {
		out[i].OrderID = o.ID()
	}
	return out
}

// allocate divides the deposit and the credit over the child orders the draft splits into, by
// their lines: each line's credit over the units of it each order holds, the remainder to the
// last holder, so that the orders' shares add up to the lines' exactly. An order's credit never
// counts for more than the order costs (its total after discounts, with its shipping): what a
// line's credit would give beyond that is not given, so the balance of every order is what its
// buyer still owes for it, and a refund of one order is its own deposit and balance.
func allocate(c *Campaign, d *trade.Draft, lines []Line) ([]OrderShare, error) {
	credit, units := map[string]int64{}, map[string]int64{}
	for _, l := range lines {
		credit[l.SKUID] += l.Credit
		units[l.SKUID] += l.Quantity
	}
	given, seen := map[string]int64{}, map[string]int64{}
	out := make([]OrderShare, 0, len(d.Groups))
	for gi := range d.Groups {
		spec, _ := d.OrderSpec(gi)
		a, err := spec.Amounts(d.Quote.Currency)
		if err != nil {
			return nil, err
		}
		var s OrderShare
		for _, l := range spec.Lines {
			terms, _ := c.SKU(l.SKUID)
			s.Deposit += terms.Deposit * l.Quantity
			seen[l.SKUID] += l.Quantity
			part := credit[l.SKUID] * l.Quantity / units[l.SKUID]
			if seen[l.SKUID] == units[l.SKUID] {
				part = credit[l.SKUID] - given[l.SKUID] // the last holder takes the remainder
			}
			given[l.SKUID] += part
			s.Credit += part
		}
		s.Credit = min(s.Credit, a.Total.Minor())
		out = append(out, s)
	}
	return out, nil
}

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

// depositUnpaid is the deposit timer: orders still awaiting their deposit are cancelled and
// their stock and the buyer's claim given back.
func (f *Flow) depositUnpaid(ctx context.Context, ref string) error {
	return f.expire(ctx, ref, PendingDeposit, ReasonDepositUnpaid, "")
}

// balanceMissed is the balance timer: orders whose deposit is paid but whose balance is not are
// cancelled, their stock and claim given back, and the deposit forfeited (never refunded).
func (f *Flow) balanceMissed(ctx context.Context, ref string) error {
	return f.expire(ctx, ref, DepositPaid, ReasonBalanceMissed, DepositForfeited)
}

func (f *Flow) expire(ctx context.Context, ref string, waiting order.Status, reason, depositTo string) error {
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
		_, _, err = f.end(ctx, t, []order.Status{waiting}, reason, depositTo)
		return err
	})
}

// end cancels, in the caller's transaction with the trade locked, every order of the trade in one
// of the statuses in waiting, gives their stock and the buyer's claim back, and settles the
// deposit as depositTo says: forfeited (kept, never refunded), refunded (owed back through the
// provider), or left as it is (""). Orders already paid in full are refunded whole when the
// deposit is refunded (a campaign called off before they shipped). It returns the refunds to ask
// the provider for once the transaction commits. A deposit is refunded or forfeited, never both,
// never twice: its status moves once, from paid.
func (f *Flow) end(ctx context.Context, t *order.Trade, waiting []order.Status, reason, depositTo string) (int, []*payment.Refund, error) {
	tenant, tradeID := t.Tenant(), t.ID()
	rec, err := f.d.Trades.LockRecord(ctx, tenant, tradeID)
	if err != nil {
		return 0, nil, err
	}
	now := f.d.Now()
	var ended []*order.Order
	for _, o := range t.Orders() {
		undo := trade.Undo{Stock: trade.ReleaseReserved, ClosePayments: true}
		switch {
		case slices.Contains(waiting, o.Status()):
			if err := o.Cancel(reason, now); err != nil {
				return 0, nil, err
			}
		case o.Status() == order.Paid && depositTo == DepositRefunded:
			if err := o.Refund(now); err != nil {
				return 0, nil, err
			}
			undo = trade.Undo{Stock: trade.Restock}
		default:
			continue
		}
		if err := f.d.Orders.Save(ctx, o); err != nil {
			return 0, nil, err
		}
		if _, err := f.d.Core.UndoOrder(ctx, t, o, undo); err != nil {
			return 0, nil, err
		}
		topic := trade.TopicOrderCancelled
		if o.Status() == order.Refunded {
			topic = trade.TopicOrderRefunded
		}
		if _, err := f.d.Outbox.Append(ctx, topic, o.Tenant(), o.TradeID(), trade.NewOrderEvent(o, now, "")); err != nil {
			return 0, nil, err
		}
		ended = append(ended, o)
	}
	if len(ended) == 0 {
		return 0, nil, nil
	}
	if err := f.d.Trades.ReleaseUnits(ctx, tenant, rec.CampaignID, rec.UserID, rec.Units); err != nil {
		return 0, nil, err
	}
	var refunds []*payment.Refund
	if rec.DepositStatus == DepositPaidState && depositTo != "" {
		if err := f.d.Trades.SetDepositStatus(ctx, tenant, tradeID, depositTo); err != nil {
			return 0, nil, err
		}
		switch depositTo {
		case DepositForfeited:
			if _, err := f.d.Outbox.Append(ctx, TopicDepositForfeited, tenant, tradeID, trade.RefundOwed{Tenant: tenant, TradeID: tradeID,
				Amount: rec.Deposit, Currency: rec.Currency, At: now}); err != nil {
				return 0, nil, err
			}
		case DepositRefunded:
			ps, err := f.d.Core.Payments(ctx, tenant, trade.BySystem("presale"), tradeID)
			if err != nil {
				return 0, nil, err
			}
			// Each order gets back its own share of each payment: its deposit, and what it paid
			// of the balance (its total less its credit). The shares add up to the payments.
			share := map[string]OrderShare{}
			for _, sh := range rec.Orders {
				share[sh.OrderID] = sh
			}
			for _, p := range ps {
				if p.Status() != payment.Succeeded || (p.Purpose() != payment.Deposit && p.Purpose() != payment.Balance) {
					continue
				}
				for _, o := range ended {
					amount := share[o.ID()].Deposit
					if p.Purpose() == payment.Balance {
						amount = o.Total().Minor() - share[o.ID()].Credit
					}
					if amount <= 0 {
						continue
					}
					r, err := f.d.Core.OweRefund(ctx, p, o.ID(), reason, money.New(amount, p.Amount().Currency()))
					if err != nil {
						return 0, nil, err
					}
					refunds = append(refunds, r)
				}
			}
		}
	}
	ref := trade.TimerRef(tenant, tradeID)
	for _, kind := range []string{TimerDepositUnpaid, TimerBalanceMissed} {
		if err := f.d.Timers.Cancel(ctx, kind, ref); err != nil {
			return 0, nil, err
		}
	}
	if rec.DepositStatus == DepositPending {
		// Never paid, and now it never will be: it does not read as still owed.
		if err := f.d.Trades.SetDepositStatus(ctx, tenant, tradeID, DepositCancelled); err != nil {
			return 0, nil, err
		}
	}
	closed, err := f.d.Core.CloseRefunded(ctx, t)
	if err != nil {
		return 0, nil, err
	}
	if !closed {
		if _, err := f.d.Core.Advance(ctx, tenant, tradeID, StateCancelled); err != nil {
			return 0, nil, err
		}
	}
	return len(ended), refunds, nil
}

// Cancel reasons of the buyer's and the merchant's own.
const (
	ReasonBuyer             = "buyer_cancelled"
	ReasonCampaignCancelled = "campaign_cancelled"
)

// CancelOrder implements trade.Canceller: an order awaiting its deposit or its balance is
// cancelled with every other such order of its trade; a paid deposit goes back when the
// campaign's terms make it refundable, or an operator gives it back as goodwill, and is forfeited
// otherwise. An order paid in full is refunded, not cancelled.
func (f *Flow) CancelOrder(ctx context.Context, t *order.Trade, o *order.Order, c trade.Cancellation) ([]*payment.Refund, error) {
	if o.Status() != PendingDeposit && o.Status() != DepositPaid {
		return nil, errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: a pre-sale order paid in full is refunded, not cancelled", o.ID(), o.Status())
	}
	rec, err := f.d.Trades.Record(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	camp, err := f.d.Campaigns.Campaign(ctx, t.Tenant(), rec.CampaignID)
	if err != nil {
		return nil, err
	}
	deposit := DepositForfeited
	if camp.DepositRefundable || c.RefundDeposit {
		deposit = DepositRefunded
	}
	reason := ReasonBuyer
	if c.Actor.Kind == trade.ActorOperator {
		reason = c.Reason
	}
	_, refunds, err := f.end(ctx, t, []order.Status{PendingDeposit, DepositPaid}, reason, deposit)
	return refunds, err
}

// CancelCampaign calls a campaign off: no new orders, and every trade of it that has not shipped
// ends (campaign_cancelled): orders awaiting a deposit or a balance are cancelled, orders paid in
// full are refunded, and every deposit and balance paid is refunded through the provider.
// Cancelling a cancelled campaign changes nothing. It returns the campaign and how many trades
// it ended.
func (f *Flow) CancelCampaign(ctx context.Context, tenant, id string) (Campaign, int, error) {
	var c Campaign
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if c, err = f.d.Campaigns.LockCampaign(ctx, tenant, id); err != nil {
			return err
		}
		if c.Status == Cancelled {
			return nil
		}
		c.Status, c.UpdatedAt = Cancelled, f.d.Now().UnixMilli()
		return f.d.Campaigns.PutCampaign(ctx, tenant, c)
	})
	if err != nil {
		return Campaign{}, 0, err
	}
	ids, err := f.d.Trades.TradesOf(ctx, tenant, id)
	if err != nil {
		return Campaign{}, 0, err
	}
	ended := 0
	for _, tradeID := range ids {
		var refunds []*payment.Refund
		n := 0
		err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
			t, err := f.d.Orders.LockTrade(ctx, tenant, tradeID)
			if err != nil {
				return err
			}
			n, refunds, err = f.end(ctx, t, []order.Status{PendingDeposit, DepositPaid}, ReasonCampaignCancelled, DepositRefunded)
			return err
		})
		if err != nil {
			return c, ended, err // the campaign stays cancelled; calling it again ends the rest
		}
		if n > 0 {
			ended++
		}
		f.d.Core.SettleRefunds(ctx, refunds)
	}
	return c, ended, nil
}
