package presale_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/paymentsql"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idempotency"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/presale"
	"github.com/atriumtrade/atrium/product-layer/presale/presalesql"
	"github.com/atriumtrade/atrium/product-layer/trade"
	"github.com/atriumtrade/atrium/product-layer/trade/tradesql"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	flow    *presale.Flow
	core    *trade.Core
	inv     *inventory.Service
	store   *presalesql.Store
	sandbox *sandboxpay.Provider
	queue   *delay.Queue
	clock   *clock
	db      *dal.DB
	ident   identity.Identity
	start   time.Time
}

func sets() []dal.Migrations {
	return []dal.Migrations{catalogsql.Migrations(), inventorysql.Migrations(), ordersql.Migrations(), tradesql.Migrations(),
		paymentsql.Migrations(), outbox.Migrations(), delay.Migrations(), idempotency.Migrations(), presalesql.Migrations()}
}

const hour = time.Hour

// newEnv is a pre-sale of tea (price 100.00, deposit 10.00 counting for 30.00) whose deposit
// window is the next hour and whose balance window the hour after, at most 2 units a buyer,
// with 50 units of tea in stock.
func newEnv(t *testing.T, db *dal.DB) *env {
	t.Helper()
	ctx := context.Background()
	ids, _ := idgen.New(5)
	clk := &clock{t: time.UnixMilli(time.Now().UnixMilli())}
	sb, err := sandboxpay.New(sandboxpay.Config{Secret: "0123456789abcdef", CallbackURL: "http://127.0.0.1:1/unused"})
	if err != nil {
		t.Fatal(err)
	}
	q := delay.New(db, func() string { return ids.NextString("J") }, delay.WithClock(clk.Now))
	ob := outbox.NewWriter(db, func() string { return ids.NextString("E") })
	inv := inventory.NewService(inventorysql.New(db))
	orders := ordersql.New(db)
	core := trade.New(trade.Deps{Tx: db, Catalog: catalogsql.New(db), Orders: orders, Inventory: inv, Payments: paymentsql.New(db),
		Outbox: ob, Timers: q, Idempotency: idempotency.New(db), IDs: ids, Providers: []payment.Provider{sb},
		Instances: tradesql.New(db), Now: clk.Now})
	store := presalesql.New(db)
	flow := presale.New(presale.Deps{Core: core, Campaigns: store, Trades: store, Tx: db, Orders: orders, Inventory: inv, Outbox: ob,
		Timers: q, Now: clk.Now})
	flow.RegisterTimers(q.Handle)
	cny := money.MustCurrency("CNY")
	for _, id := range []string{"tea", "cup"} {
		sku, _ := catalog.NewSKU("t1", id, "SKU "+id, "s1", money.New(12000, cny))
		if err := catalogsql.New(db).Upsert(ctx, sku); err != nil {
			t.Fatal(err)
		}
		if _, err := inv.SetOnHand(ctx, "t1", id, "wh1", 50); err != nil {
			t.Fatal(err)
		}
	}
	start := clk.Now()
	c := presale.Campaign{ID: "d11", Name: "Double 11", Currency: "CNY",
		SKUs:            []presale.SKU{{SKUID: "tea", Price: 10000, Deposit: 1000, DepositCredit: 3000}},
		DepositStartsAt: start.UnixMilli(), DepositEndsAt: start.Add(hour).UnixMilli(),
		BalanceStartsAt: start.Add(hour).UnixMilli(), BalanceEndsAt: start.Add(2 * hour).UnixMilli(), PerUser: 2}
	if _, err := presale.NewAdmin(store, clk.Now).Put(ctx, "t1", c); err != nil {
		t.Fatal(err)
	}
	ident, _ := identity.New("t1", "", presale.Scenario)
	return &env{flow: flow, core: core, inv: inv, store: store, sandbox: sb, queue: q, clock: clk, db: db, ident: ident, start: start}
}

func (e *env) place(user string, qty int64, sku ...string) (*order.Trade, presale.Record, error) {
	id := "tea"
	if len(sku) > 0 {
		id = sku[0]
	}
	return e.flow.PlaceOrder(context.Background(), presale.PlaceOrder{Identity: e.ident, Buyer: trade.Buyer{UserID: user}, CampaignID: "d11",
		Items: []pricing.Item{{SKUID: id, Quantity: qty}}, Address: order.Address{Name: "Li", Phone: "13800000000", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}})
}

// pay pays purpose for the trade through the sandbox's signed callback, delivered twice.
func (e *env) pay(t *testing.T, tr *order.Trade, purpose payment.Purpose) (*payment.Payment, error) {
	t.Helper()
	ctx := context.Background()
	p, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: tr.UserID(), TradeID: tr.ID(), Method: "sandbox", Purpose: purpose})
	if err != nil {
		return nil, err
	}
	body, h := e.sandbox.Callback(p, payment.OutcomeSucceeded)
	for i := 0; i < 2; i++ {
		if err := e.core.HandlePaymentCallback(ctx, "sandbox", h, body); err != nil {
			t.Fatalf("callback #%d: %v", i, err)
		}
	}
	return p, nil
}

func (e *env) statuses(t *testing.T, tradeID string) (order.Status, string, string) {
	t.Helper()
	ctx := context.Background()
	tr, err := e.core.Trade(ctx, "t1", trade.ByOperator(""), tradeID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.store.Record(ctx, "t1", tradeID)
	if err != nil {
		t.Fatal(err)
	}
	in, err := e.core.Instance(ctx, "t1", tradeID)
	if err != nil {
		t.Fatal(err)
	}
	return tr.Orders()[0].Status(), rec.DepositStatus, in.State
}

func (e *env) level(t *testing.T) inventory.Level {
	t.Helper()
	ls, err := e.inv.Levels(context.Background(), "t1", "tea")
	if err != nil || len(ls) != 1 {
		t.Fatalf("levels: %v %v", ls, err)
	}
	l := ls[0]
	if l.Available+l.Reserved+l.Sold != l.OnHand || l.Available < 0 {
		t.Fatalf("stock invariant broken: %+v", l)
	}
	return l
}

func (e *env) topics(t *testing.T, topic string) int {
	t.Helper()
	var n int
	if err := e.db.Primary().QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE topic = ?`, topic).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDepositThenBalance: a trade placed in the deposit window awaits its deposit with its stock
// reserved; the deposit (10.00 a unit, counting for 30.00) moves it to deposit_paid; the balance
// (the price less the credit) is refused until its window opens, then pays it in full and sells
// the stock. Wrong purposes and early balances change nothing.
func TestDepositThenBalance(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		tr, rec, err := e.place("u1", 2)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Deposit != 2000 || rec.Credit != 6000 || rec.Balance != 14000 || tr.Total().Minor() != 20000 {
			t.Fatalf("terms: %+v, total %d; want deposit 2000, credit 6000, balance 14000 of 20000", rec, tr.Total().Minor())
		}
		if st, dep, in := e.statuses(t, tr.ID()); st != presale.PendingDeposit || dep != presale.DepositPending || in != presale.StateAwaitingDeposit {
			t.Fatalf("placed: %s %s %s", st, dep, in)
		}
		if l := e.level(t); l.Reserved != 2 {
			t.Fatalf("stock after placing: %+v", l)
		}
		if _, err := e.pay(t, tr, payment.Full); !errors.Is(err, payment.ErrInvalidPurpose) {
			t.Fatalf("a full payment of a pre-sale: %v", err)
		}
		if _, err := e.pay(t, tr, payment.Balance); !errors.Is(err, presale.ErrDepositNotPaid) {
			t.Fatalf("the balance before the deposit: %v", err)
		}
		p, err := e.pay(t, tr, payment.Deposit)
		if err != nil || p.Amount().Minor() != 2000 {
			t.Fatalf("deposit: %v %v", p, err)
		}
		if st, dep, in := e.statuses(t, tr.ID()); st != presale.DepositPaid || dep != presale.DepositPaidState || in != presale.StateDepositPaid {
			t.Fatalf("after the deposit: %s %s %s", st, dep, in)
		}
		if _, err := e.pay(t, tr, payment.Deposit); !errors.Is(err, payment.ErrNothingToPay) {
			t.Fatalf("a second deposit: %v", err)
		}
		if _, err := e.pay(t, tr, payment.Balance); !errors.Is(err, presale.ErrBalanceNotOpen) {
			t.Fatalf("the balance before its window: %v", err)
		}
		e.clock.Advance(hour)
		if n, err := e.queue.RunDue(context.Background(), 10); err != nil || n != 0 {
			t.Fatalf("timers at the balance window's start: %d %v; want none (the deposit timer was cancelled)", n, err)
		}
		b, err := e.pay(t, tr, payment.Balance)
		if err != nil || b.Amount().Minor() != 14000 {
			t.Fatalf("balance: %v %v", b, err)
		}
		if st, dep, in := e.statuses(t, tr.ID()); st != order.Paid || dep != presale.DepositPaidState || in != presale.StatePaid {
			t.Fatalf("after the balance: %s %s %s", st, dep, in)
		}
		if l := e.level(t); l.Sold != 2 || l.Reserved != 0 {
			t.Fatalf("stock after the balance: %+v", l)
		}
		e.clock.Advance(2 * hour)
		if n, err := e.queue.RunDue(context.Background(), 10); err != nil || n != 0 {
			t.Fatalf("timers after the balance window: %d %v; want none", n, err)
		}
		if e.topics(t, trade.TopicPaymentRefundOwed) != 0 || e.topics(t, presale.TopicDepositForfeited) != 0 {
			t.Fatal("money owed back or forfeited on a trade paid in full")
		}
	})
}

// TestUnpaidDepositAndMissedBalance: a deposit unpaid within the unpaid window cancels the
// orders (deposit_unpaid) and gives stock and the buyer's claim back; a balance not paid by the
// window's end cancels them (balance_missed) and forfeits the deposit, once, never refunded.
func TestUnpaidDepositAndMissedBalance(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		unpaid, _, err := e.place("u1", 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.place("u1", 1); !errors.Is(err, presale.ErrPerUserLimit) {
			t.Fatalf("a third unit for a buyer capped at 2: %v", err)
		}
		missed, _, err := e.place("u2", 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.pay(t, missed, payment.Deposit); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(31 * time.Minute)
		if n, err := e.queue.RunDue(ctx, 10); err != nil || n != 1 {
			t.Fatalf("deposit timers: %d %v; want 1", n, err)
		}
		tr, _ := e.core.Trade(ctx, "t1", trade.ByBuyer("u1"), unpaid.ID())
		if o := tr.Orders()[0]; o.Status() != order.Cancelled || o.CancelReason() != presale.ReasonDepositUnpaid {
			t.Fatalf("the unpaid trade: %s %s", o.Status(), o.CancelReason())
		}
		if _, dep, in := e.statuses(t, unpaid.ID()); dep != presale.DepositCancelled || in != presale.StateCancelled {
			t.Fatalf("the unpaid trade's deposit %s, flow %s", dep, in)
		}
		if _, _, err := e.place("u1", 2); err != nil {
			t.Fatalf("the buyer's claim came back with the cancelled trade: %v", err)
		}
		if _, err := e.pay(t, unpaid, payment.Deposit); err == nil {
			t.Fatal("a deposit paid for a cancelled trade")
		}
		e.clock.Advance(2 * hour)
		if n, err := e.queue.RunDue(ctx, 10); err != nil || n < 1 {
			t.Fatalf("balance timers: %d %v", n, err)
		}
		tr, _ = e.core.Trade(ctx, "t1", trade.ByBuyer("u2"), missed.ID())
		if o := tr.Orders()[0]; o.Status() != order.Cancelled || o.CancelReason() != presale.ReasonBalanceMissed {
			t.Fatalf("the missed balance: %s %s", o.Status(), o.CancelReason())
		}
		if _, dep, in := e.statuses(t, missed.ID()); dep != presale.DepositForfeited || in != presale.StateCancelled {
			t.Fatalf("the missed balance's deposit %s, flow %s", dep, in)
		}
		if n := e.topics(t, presale.TopicDepositForfeited); n != 1 {
			t.Fatalf("%d forfeits; want 1", n)
		}
		if n := e.topics(t, trade.TopicPaymentRefundOwed); n != 0 {
			t.Fatalf("%d refunds owed; a forfeited deposit is never refunded", n)
		}
		if l := e.level(t); l.Reserved != 0 || l.Sold != 0 || l.Available != 50 {
			t.Fatalf("stock at the end: %+v; want everything back", l)
		}
	})
}

// TestOrderingOutsideTheCampaign: outside the deposit window, for a SKU not in the campaign, in
// a cancelled or unknown campaign, an order is refused and reserves nothing.
func TestOrderingOutsideTheCampaign(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		if _, _, err := e.place("u1", 1, "cup"); !errors.Is(err, presale.ErrNotInCampaign) {
			t.Fatalf("a sku outside the campaign: %v", err)
		}
		if _, _, err := e.flow.PlaceOrder(context.Background(), presale.PlaceOrder{Identity: e.ident, Buyer: trade.Buyer{UserID: "u1"},
			CampaignID: "nope", Items: []pricing.Item{{SKUID: "tea", Quantity: 1}}, Address: order.Address{Name: "Li", Phone: "13800000000", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}}); !errors.Is(err, presale.ErrCampaignNotFound) {
			t.Fatalf("an unknown campaign: %v", err)
		}
		e.clock.Advance(hour)
		if _, _, err := e.place("u1", 1); !errors.Is(err, presale.ErrDepositClosed) {
			t.Fatalf("after the deposit window: %v", err)
		}
		if l := e.level(t); l.Reserved != 0 {
			t.Fatalf("refused orders reserved stock: %+v", l)
		}
	})
}

func (e *env) refunds(t *testing.T, tradeID string) (n int, amount int64) {
	t.Helper()
	if err := e.db.Primary().QueryRow(`SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM payment_refunds WHERE tenant = 't1' AND trade_id = ?`,
		tradeID).Scan(&n, &amount); err != nil {
		t.Fatal(err)
	}
	return n, amount
}

// TestBuyerCancels: a buyer who cancels after paying the deposit loses it when the campaign's
// deposit is not refundable, and gets it back through the provider when it is; before the
// deposit, nothing is owed either way; a trade paid in full is not cancelled here.
func TestBuyerCancels(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		cancel := func(tr *order.Trade) error {
			_, err := e.core.Cancel(ctx, "t1", tr.Orders()[0].ID(), trade.Cancellation{Actor: trade.ByBuyer(tr.UserID())})
			return err
		}
		before, _, _ := e.place("u1", 1)
		if err := cancel(before); err != nil {
			t.Fatal(err)
		}
		if st, dep, in := e.statuses(t, before.ID()); st != order.Cancelled || dep != presale.DepositCancelled || in != presale.StateCancelled {
			t.Fatalf("cancelled before the deposit: %s %s %s", st, dep, in)
		}
		kept, _, _ := e.place("u2", 1)
		if _, err := e.pay(t, kept, payment.Deposit); err != nil {
			t.Fatal(err)
		}
		if _, err := e.core.Cancel(ctx, "t1", kept.Orders()[0].ID(), trade.Cancellation{Actor: trade.ByBuyer("u3")}); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("another buyer cancels: %v", err)
		}
		if err := cancel(kept); err != nil {
			t.Fatal(err)
		}
		if _, dep, _ := e.statuses(t, kept.ID()); dep != presale.DepositForfeited {
			t.Fatalf("a non-refundable deposit after a cancel: %s", dep)
		}
		if n, _ := e.refunds(t, kept.ID()); n != 0 {
			t.Fatalf("%d refunds of a forfeited deposit", n)
		}
		// An operator gives a non-refundable deposit back as goodwill; a buyer cannot ask that.
		goodwill, _, _ := e.place("u6", 1)
		if _, err := e.pay(t, goodwill, payment.Deposit); err != nil {
			t.Fatal(err)
		}
		byBuyer := trade.Cancellation{Actor: trade.ByBuyer("u6"), RefundDeposit: true}
		if _, err := e.core.Cancel(ctx, "t1", goodwill.Orders()[0].ID(), byBuyer); !errors.Is(err, errkind.ErrForbidden) {
			t.Fatalf("a buyer's goodwill: %v; want forbidden", err)
		}
		byOps := trade.Cancellation{Actor: trade.ByOperator("ops"), Reason: "operator_cancelled", RefundDeposit: true}
		if o, err := e.core.Cancel(ctx, "t1", goodwill.Orders()[0].ID(), byOps); err != nil || o.CancelReason() != "operator_cancelled" {
			t.Fatalf("an operator's goodwill: %v %v", o, err)
		}
		if _, dep, _ := e.statuses(t, goodwill.ID()); dep != presale.DepositRefunded {
			t.Fatalf("the deposit an operator gave back: %s; want refunded", dep)
		}
		if n, amount := e.refunds(t, goodwill.ID()); n != 1 || amount != 1000 {
			t.Fatalf("refunds of the goodwill: %d of %d; want one of the 1000 deposit", n, amount)
		}
		// The campaign's deposits become refundable.
		c, _ := e.store.Campaign(ctx, "t1", "d11")
		c.DepositRefundable = true
		if _, err := presale.NewAdmin(e.store, e.clock.Now).Put(ctx, "t1", c); err != nil {
			t.Fatal(err)
		}
		back, _, _ := e.place("u4", 2)
		if _, err := e.pay(t, back, payment.Deposit); err != nil {
			t.Fatal(err)
		}
		if err := cancel(back); err != nil || cancel(back) != nil {
			t.Fatalf("cancel (twice): %v", err)
		}
		if _, dep, _ := e.statuses(t, back.ID()); dep != presale.DepositRefunded {
			t.Fatalf("a refundable deposit after a cancel: %s", dep)
		}
		if n, amount := e.refunds(t, back.ID()); n != 1 || amount != 2000 {
			t.Fatalf("refunds: %d of %d; want one of the 2000 deposit", n, amount)
		}
		if n := e.topics(t, trade.TopicPaymentRefunded); n != 2 {
			t.Fatalf("%d refunds accepted by the provider; want 2 (the goodwill and this deposit)", n)
		}
		paid, _, _ := e.place("u5", 1)
		if _, err := e.pay(t, paid, payment.Deposit); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(hour)
		if _, err := e.pay(t, paid, payment.Balance); err != nil {
			t.Fatal(err)
		}
		if err := cancel(paid); !errors.Is(err, order.ErrInvalidTransition) {
			t.Fatalf("cancelling a trade paid in full: %v", err)
		}
		if l := e.level(t); l.Reserved != 0 || l.Sold != 1 {
			t.Fatalf("stock: %+v; want only the paid trade's unit sold", l)
		}
	})
}

// TestCampaignCancelled: calling a campaign off ends every trade of it: awaiting a deposit,
// cancelled; with a deposit, cancelled and the deposit refunded; paid in full and not shipped,
// refunded whole (deposit and balance); no new orders are taken, and no timer later forfeits a
// deposit that was refunded.
func TestCampaignCancelled(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		waiting, _, _ := e.place("u1", 1)
		deposited, _, _ := e.place("u2", 1)
		if _, err := e.pay(t, deposited, payment.Deposit); err != nil {
			t.Fatal(err)
		}
		paid, rec, _ := e.place("u3", 2)
		if _, err := e.pay(t, paid, payment.Deposit); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(hour)
		if _, err := e.pay(t, paid, payment.Balance); err != nil {
			t.Fatal(err)
		}
		c, n, err := e.flow.CancelCampaign(ctx, "t1", "d11")
		if err != nil || c.Status != presale.Cancelled || n != 3 {
			t.Fatalf("cancel campaign: %v %d %v", c.Status, n, err)
		}
		if _, n, err := e.flow.CancelCampaign(ctx, "t1", "d11"); err != nil || n != 0 {
			t.Fatalf("cancelling it again: %d %v", n, err)
		}
		for _, tc := range []struct {
			tr      *order.Trade
			status  order.Status
			deposit string
			state   string
			refunds int
			amount  int64
		}{
			{waiting, order.Cancelled, presale.DepositCancelled, presale.StateCancelled, 0, 0},
			{deposited, order.Cancelled, presale.DepositRefunded, presale.StateCancelled, 1, 1000},
			{paid, order.Refunded, presale.DepositRefunded, trade.StateRefunded, 2, rec.Deposit + rec.Balance},
		} {
			st, dep, in := e.statuses(t, tc.tr.ID())
			n, amount := e.refunds(t, tc.tr.ID())
			if st != tc.status || dep != tc.deposit || in != tc.state || n != tc.refunds || amount != tc.amount {
				t.Errorf("trade of %s: %s, deposit %s, flow %s, %d refunds of %d; want %s, %s, %s, %d of %d",
					tc.tr.UserID(), st, dep, in, n, amount, tc.status, tc.deposit, tc.state, tc.refunds, tc.amount)
			}
		}
		if _, _, err := e.place("u9", 1); !errors.Is(err, presale.ErrCampaignCancelled) {
			t.Fatalf("an order in a cancelled campaign: %v", err)
		}
		e.clock.Advance(3 * hour)
		if _, err := e.queue.RunDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if e.topics(t, presale.TopicDepositForfeited) != 0 {
			t.Fatal("a refunded deposit was forfeited too")
		}
		if l := e.level(t); l.Reserved != 0 || l.Sold != 0 || l.Available != 50 {
			t.Fatalf("stock after the campaign was called off: %+v", l)
		}
	})
}

// TestDepositThatCoversThePrice: a campaign whose deposit counts for the whole price (which its
// validation allows) leaves no balance: the deposit's callback settles it (before, the second
// move of the orders from a stale copy failed order.concurrent_update and the provider was
// answered 409 for money it had taken), the trade is paid in full at once, its stock sold, and
// no balance is owed.
func TestDepositThatCoversThePrice(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		c, _ := e.store.Campaign(ctx, "t1", "d11")
		c.SKUs[0].DepositCredit = c.SKUs[0].Price
		if _, err := presale.NewAdmin(e.store, e.clock.Now).Put(ctx, "t1", c); err != nil {
			t.Fatal(err)
		}
		tr, rec, err := e.place("u1", 2)
		if err != nil || rec.Balance != 0 || rec.Deposit != 2000 {
			t.Fatalf("place: %+v %v; want a deposit of 2000 and no balance", rec, err)
		}
		if _, err := e.pay(t, tr, payment.Deposit); err != nil {
			t.Fatal(err)
		}
		if st, dep, in := e.statuses(t, tr.ID()); st != order.Paid || dep != presale.DepositPaidState || in != presale.StatePaid {
			t.Fatalf("after the deposit: order %s, deposit %s, flow %s; want paid, paid, paid", st, dep, in)
		}
		if l := e.level(t); l.Sold != 2 || l.Reserved != 0 {
			t.Fatalf("stock after the deposit paid it in full: %+v", l)
		}
		e.clock.Advance(hour)
		if _, err := e.pay(t, tr, payment.Balance); !errors.Is(err, payment.ErrNothingToPay) {
			t.Fatalf("a balance of a trade paid in full: %v; want payment.nothing_to_pay", err)
		}
	})
}
