package auction_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/auction/auctionsql"
	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/paymentsql"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idempotency"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/auction"
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
	core     *trade.Core
	flow     *auction.Flow
	inv      *inventory.Service
	deposits *auctionsql.Deposits
	payments *paymentsql.Store
	sandbox  *sandboxpay.Provider
	queue    *delay.Queue
	clock    *clock
}

var addr = order.Address{Name: "Li Lei", Phone: "13800000000", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}

var ops = trade.ByOperator("ops")

func sets() []dal.Migrations {
	return []dal.Migrations{catalogsql.Migrations(), inventorysql.Migrations(), ordersql.Migrations(), tradesql.Migrations(),
		paymentsql.Migrations(), outbox.Migrations(), delay.Migrations(), idempotency.Migrations(), auctionsql.Migrations()}
}

func newEnv(t *testing.T, db *dal.DB) *env { return newNode(t, db, 1, nil) }

// newNode is trade node number node on db; wrap, if not nil, wraps its auction store.
func newNode(t *testing.T, db *dal.DB, node int, wrap func(auc.Store) auc.Store) *env {
	t.Helper()
	ids, _ := idgen.New(node)
	clk := &clock{t: time.UnixMilli(time.Now().UnixMilli())}
	sb, err := sandboxpay.New(sandboxpay.Config{Secret: "0123456789abcdef", CallbackURL: "http://127.0.0.1:1/unused"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{clock: clk, sandbox: sb, inv: inventory.NewService(inventorysql.New(db)), deposits: auctionsql.NewDeposits(db), payments: paymentsql.New(db)}
	e.queue = delay.New(db, func() string { return ids.NextString("J") }, delay.WithClock(clk.Now))
	ob := outbox.NewWriter(db, func() string { return ids.NextString("E") })
	orders := ordersql.New(db)
	e.core = trade.New(trade.Deps{Tx: db, Catalog: catalogsql.New(db), Inventory: e.inv, Orders: orders, Payments: e.payments,
		Providers: []payment.Provider{sb}, Outbox: ob, Timers: e.queue, Idempotency: idempotency.New(db), IDs: ids, Now: clk.Now,
		Instances: tradesql.New(db)})
	var store auc.Store = auctionsql.New(db)
	if wrap != nil {
		store = wrap(store)
	}
	e.flow = auction.New(auction.Deps{Tx: db, Core: e.core, Auctions: store, Deposits: e.deposits, Sales: auctionsql.NewSales(db),
		Catalog: catalogsql.New(db), Inventory: e.inv, Orders: orders, Payments: e.payments, Outbox: ob, Timers: e.queue,
		Idempotency: idempotency.New(db), IDs: ids, Now: clk.Now})
	e.core.RegisterTimers(e.queue.Handle)
	cny := money.MustCurrency("CNY")
	sku, _ := catalog.NewSKU("t1", "vase", "Ming vase", "s1", money.New(100000, cny))
	if err := catalogsql.New(db).Upsert(context.Background(), sku); err != nil {
		t.Fatal(err)
	}
	if _, err := e.inv.SetOnHand(context.Background(), "t1", "vase", "wh1", 3); err != nil {
		t.Fatal(err)
	}
	return e
}

// terms: 100.00 to start, +5.00 below 200.00 and +10.00 from it, a 300.00 reserve, a 50.00
// deposit, an hour long from the clock's now.
func (e *env) terms(id string) auc.Terms {
	now := e.clock.Now()
	return auc.Terms{ID: id, SKUID: "vase", Title: "Ming vase", Currency: "CNY", StartPrice: 10000, ReservePrice: 30000,
		Increments: auc.Ladder{{From: 0, Step: 500}, {From: 20000, Step: 1000}}, Deposit: 5000, StartsAt: now, EndsAt: now.Add(time.Hour),
		AntiSnipe: 2 * time.Minute, Extend: 3 * time.Minute, MaxExtensions: 2, PayWindow: time.Hour}
}

func (e *env) pay(t *testing.T, p *payment.Payment) {
	t.Helper()
	body, h := e.sandbox.Callback(p, payment.OutcomeSucceeded)
	if err := e.core.HandlePaymentCallback(context.Background(), "sandbox", http.Header(h), body); err != nil {
		t.Fatal(err)
	}
}

func (e *env) deposit(t *testing.T, id, bidder string) {
	t.Helper()
	d, p, err := e.flow.PayDeposit(context.Background(), auction.DepositRequest{Tenant: "t1", Actor: trade.ByBuyer(bidder), AuctionID: id,
		Method: "sandbox", ShipTo: addr})
	if err != nil || d.Status != auc.DepositPending || p.Amount().Minor() != 5000 {
		t.Fatalf("deposit of %s: %+v %v", bidder, d, err)
	}
	e.pay(t, p)
}

func (e *env) bid(t *testing.T, id, bidder string, amount, max int64) (auction.BidResult, error) {
	t.Helper()
	return e.flow.Bid(context.Background(), auction.BidRequest{Tenant: "t1", Actor: trade.ByBuyer(bidder), AuctionID: id, Amount: amount, Max: max})
}

func (e *env) level(t *testing.T) inventory.Level {
	t.Helper()
	ls, err := e.inv.Levels(context.Background(), "t1", "vase")
	if err != nil || len(ls) != 1 || !ls[0].Consistent() {
		t.Fatalf("level: %+v %v", ls, err)
	}
	return ls[0]
}

// deposits maps each bidder to their deposit's status.
func (e *env) deposits_(t *testing.T, id string) map[string]auc.DepositStatus {
	t.Helper()
	ds, err := e.deposits.OfAuction(context.Background(), "t1", id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]auc.DepositStatus{}
	for _, d := range ds {
		out[d.Bidder] = d.Status
	}
	return out
}

// TestSoldPaidAndRefunded: two bidders pay their deposits and bid; a bidder without one is
// refused. At the close the timer sells the unit to the leader: a trade of flow auction at the
// winning price that owes it less the deposit, the unit the auction held, the loser's deposit
// refunded and the winner's credited. Paying it sells the unit.
func TestSoldPaidAndRefunded(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		x, err := e.flow.Put(ctx, "t1", ops, e.terms("A1"))
		if err != nil || x.ClosesAt != e.clock.Now().Add(time.Hour) {
			t.Fatalf("put: %+v %v", x, err)
		}
		if l := e.level(t); l.Reserved != 1 || l.Available != 2 {
			t.Fatalf("the auction holds one unit: %+v", l)
		}
		if _, err := e.bid(t, "A1", "ann", 10000, 0); !errors.Is(err, auc.ErrDepositNeeded) {
			t.Fatalf("a bid without a deposit: %v", err)
		}
		e.deposit(t, "A1", "ann")
		e.deposit(t, "A1", "bob")
		if r, err := e.bid(t, "A1", "ann", 10000, 0); err != nil || !r.Leading || r.Current != 10000 || r.MinNext != 10500 {
			t.Fatalf("ann's bid: %+v %v", r, err)
		}
		if r, err := e.bid(t, "A1", "bob", 0, 40000); err != nil || !r.Leading || r.Current != 10500 {
			t.Fatalf("bob's proxy: %+v %v", r, err)
		}
		if r, err := e.bid(t, "A1", "ann", 35000, 0); err != nil || r.Leading || r.Current != 36000 {
			t.Fatalf("ann against bob's proxy: %+v %v", r, err)
		}
		e.clock.Advance(time.Hour)
		if _, err := e.bid(t, "A1", "ann", 40000, 0); !errors.Is(err, auc.ErrClosed) {
			t.Fatalf("a bid at the close: %v", err)
		}
		if _, err := e.queue.RunDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
		sales, err := auctionsql.NewSales(db).Sales(ctx, "t1", "A1")
		if err != nil || len(sales) != 1 || sales[0].Bidder != "bob" || sales[0].Price != 36000 || sales[0].Credit != 5000 {
			t.Fatalf("sales: %+v %v", sales, err)
		}
		tr, err := e.core.Trade(ctx, "t1", trade.ByBuyer("bob"), sales[0].TradeID)
		if err != nil || tr.Identity().Scenario() != "auction" || tr.Total().Minor() != 36000 || tr.Orders()[0].Status() != order.PendingPayment {
			t.Fatalf("the winner's trade: %+v %v", tr, err)
		}
		if got := e.deposits_(t, "A1"); got["bob"] != auc.DepositCredited || got["ann"] != auc.DepositRefunded {
			t.Fatalf("deposits after the sale: %v", got)
		}
		if l := e.level(t); l.Reserved != 1 || l.Available != 2 {
			t.Fatalf("the sale took over the held unit: %+v", l)
		}
		if x, _ := e.flow.Settle(ctx, "t1", "A1"); x.Settled != auc.Sold {
			t.Fatalf("settled again: %+v", x)
		}
		if again, _ := auctionsql.NewSales(db).Sales(ctx, "t1", "A1"); len(again) != 1 {
			t.Fatalf("a second settlement sold again: %+v", again)
		}
		p, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: "bob", TradeID: tr.ID(), Method: "sandbox"})
		if err != nil || p.Amount().Minor() != 31000 {
			t.Fatalf("the winner owes the price less the deposit: %v %v", p, err)
		}
		e.pay(t, p)
		tr, _ = e.core.Trade(ctx, "t1", ops, tr.ID())
		if tr.Orders()[0].Status() != order.Paid {
			t.Fatalf("after paying: %s", tr.Orders()[0].Status())
		}
		if l := e.level(t); l.Sold != 1 || l.Available != 2 {
			t.Fatalf("stock after the sale: %+v", l)
		}
		collected, err := e.core.Collected(ctx, tr, tr.Orders()[0])
		if err != nil || len(collected) != 2 || collected[0].Amount != 31000 || collected[1].Amount != 5000 {
			t.Fatalf("what the payments collected for the order: %+v %v", collected, err)
		}
	})
}

// TestUnsoldForfeitSecondChanceAndCancel: below the reserve the unit goes back to stock and
// every deposit is refunded; a winner who does not pay forfeits the deposit, and the runner-up
// gets a second chance at their last bid; an auction cancelled refunds every deposit. Every
// deposit ends refunded, credited or forfeited.
func TestUnsoldForfeitSecondChanceAndCancel(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		// Unsold.
		if _, err := e.flow.Put(ctx, "t1", ops, e.terms("U1")); err != nil {
			t.Fatal(err)
		}
		e.deposit(t, "U1", "ann")
		if _, err := e.bid(t, "U1", "ann", 20000, 0); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		if x, err := e.flow.Settle(ctx, "t1", "U1"); err != nil || x.Settled != auc.Unsold {
			t.Fatalf("below the reserve: %+v %v", x, err)
		}
		if got := e.deposits_(t, "U1"); got["ann"] != auc.DepositRefunded {
			t.Fatalf("deposits of an unsold auction: %v", got)
		}
		if l := e.level(t); l.Reserved != 0 || l.Available != 3 {
			t.Fatalf("the unit of an unsold auction: %+v", l)
		}

		// Sold, not paid, offered to the runner-up.
		if _, err := e.flow.Put(ctx, "t1", ops, e.terms("S1")); err != nil {
			t.Fatal(err)
		}
		e.deposit(t, "S1", "ann")
		e.deposit(t, "S1", "bob")
		for _, b := range []struct {
			who    string
			amount int64
		}{{"ann", 25000}, {"bob", 31000}} {
			if _, err := e.bid(t, "S1", b.who, b.amount, 0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.flow.SecondChance(ctx, "t1", ops, "S1"); !errors.Is(err, auction.ErrNoSecondChance) {
			t.Fatalf("a second chance before the end: %v", err)
		}
		e.clock.Advance(time.Hour)
		if _, err := e.flow.Settle(ctx, "t1", "S1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.flow.SecondChance(ctx, "t1", ops, "S1"); !errors.Is(err, auction.ErrNoSecondChance) {
			t.Fatalf("a second chance while the winner may still pay: %v", err)
		}
		e.clock.Advance(time.Hour)
		if _, err := e.queue.RunDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if got := e.deposits_(t, "S1"); got["bob"] != auc.DepositForfeited || got["ann"] != auc.DepositRefunded {
			t.Fatalf("deposits after the winner did not pay: %v", got)
		}
		if l := e.level(t); l.Reserved != 0 || l.Available != 3 {
			t.Fatalf("the unpaid sale's unit: %+v", l)
		}
		tr, err := e.flow.SecondChance(ctx, "t1", ops, "S1")
		if err != nil || tr.UserID() != "ann" || tr.Total().Minor() != 25000 {
			t.Fatalf("second chance: %+v %v", tr, err)
		}
		if again, err := e.flow.SecondChance(ctx, "t1", ops, "S1"); err != nil || again.ID() != tr.ID() {
			t.Fatalf("offered twice: %v %v", again, err)
		}
		p, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: "ann", TradeID: tr.ID(), Method: "sandbox"})
		if err != nil || p.Amount().Minor() != 25000 {
			t.Fatalf("the runner-up pays in full: %v %v", p, err)
		}

		// Cancelled.
		if _, err := e.flow.Put(ctx, "t1", ops, e.terms("C1")); err != nil {
			t.Fatal(err)
		}
		e.deposit(t, "C1", "ann")
		if _, err := e.flow.Cancel(ctx, "t1", ops, "C1"); err != nil {
			t.Fatal(err)
		}
		if got := e.deposits_(t, "C1"); got["ann"] != auc.DepositRefunded {
			t.Fatalf("deposits of a cancelled auction: %v", got)
		}
		if _, err := e.bid(t, "C1", "ann", 10000, 0); !errors.Is(err, auc.ErrClosed) {
			t.Fatalf("a bid on a cancelled auction: %v", err)
		}
		if _, err := e.flow.Cancel(ctx, "t1", ops, "C1"); !errors.Is(err, auc.ErrNotSettleable) {
			t.Fatalf("cancelled twice: %v", err)
		}
		for _, id := range []string{"U1", "S1", "C1"} {
			for who, st := range e.deposits_(t, id) {
				if st != auc.DepositRefunded && st != auc.DepositCredited && st != auc.DepositForfeited {
					t.Errorf("%s: %s's deposit ended %s", id, who, st)
				}
			}
		}
	})
}

// TestFiftyBiddersAtOnce: 50 bidders with paid deposits send 20 bids each at once through the
// flow (its early refusals from the node's recent copy of the auction included), on SQLite and
// MariaDB under -race: every bid is answered (accepted, or refused as too low or as one's own
// lead), the history strictly rises by the step, and its last entry is the price and the leader.
func TestFiftyBiddersAtOnce(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		nodes := []*auction.Flow{e.flow, newNode(t, db, 2, nil).flow} // two trade nodes on one database
		terms := e.terms("R1")
		terms.EndsAt = terms.StartsAt.Add(24 * time.Hour)
		if _, err := e.flow.Put(ctx, "t1", ops, terms); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			e.deposit(t, "R1", fmt.Sprint("b", i))
		}
		var accepted, refused atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i), 3))
				next := int64(10000)
				for n := 0; n < 20; n++ {
					req := auction.BidRequest{Tenant: "t1", Actor: trade.ByBuyer(fmt.Sprint("b", i)), AuctionID: "R1",
						IdempotencyKey: fmt.Sprint("k", i, "-", n)}
					if x := next + rng.Int64N(2000); rng.IntN(4) == 0 {
						req.Max = x + rng.Int64N(3000)
					} else {
						req.Amount = x
					}
					r, err := nodes[i%2].Bid(ctx, req)
					switch {
					case err == nil:
						accepted.Add(1)
						next = r.MinNext
					case errors.Is(err, auc.ErrBidTooLow):
						refused.Add(1)
						for _, f := range errkind.Fields(err) {
							if v, perr := strconv.ParseInt(f.Message, 10, 64); perr == nil {
								next = v
							}
						}
					case errors.Is(err, auc.ErrOwnBid):
						refused.Add(1)
					default:
						t.Errorf("bid: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if accepted.Load()+refused.Load() != 1000 || accepted.Load() == 0 {
			t.Fatalf("%d accepted and %d refused of 1000", accepted.Load(), refused.Load())
		}
		x, err := auctionsql.New(db).Get(ctx, "t1", "R1")
		if err != nil {
			t.Fatal(err)
		}
		h, err := auctionsql.New(db).History(ctx, "t1", "R1", 0, 10000)
		if err != nil || int64(len(h)) != x.Bids {
			t.Fatalf("%d entries for %d bids: %v", len(h), x.Bids, err)
		}
		for i := len(h) - 1; i > 0; i-- {
			if prev, e := h[i], h[i-1]; e.Amount < prev.Amount+x.Increments.StepAt(prev.Amount) {
				t.Fatalf("entry %+v after %+v", e, prev)
			}
		}
		if h[0].Amount != x.Current || h[0].Bidder != x.Leader {
			t.Fatalf("last entry %+v; the auction says %d by %s", h[0], x.Current, x.Leader)
		}
	})
}

// await waits up to 20 s for ok to hold: a step of a test waits for the state the next needs.
func await(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// slowLock is an auction store whose Lock takes a while, and counts.
type slowLock struct {
	auc.Store
	delay time.Duration
	locks atomic.Int64
}

func (s *slowLock) Lock(ctx context.Context, tenant, id string) (*auc.Auction, error) {
	s.locks.Add(1)
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Store.Lock(ctx, tenant, id)
}

// TestBidGate: the bids a node lets through on one auction meet at its gate. Ten bids at the
// same price arrive together: one locks the auction and wins; the other nine, waiting, are
// refused by what it committed without locking the auction's row (the database would refuse
// them too, after each had queued on the lock). A waiting bid outbid meanwhile is answered before
// the good bid waiting with it; a caller that gives up while waiting changes nothing; a double
// submit is one bid; good bids that waited together take one lock between them.
func TestBidGate(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		slow := &slowLock{delay: 50 * time.Millisecond}
		e := newNode(t, db, 1, func(s auc.Store) auc.Store { slow.Store = s; return slow })
		if _, err := e.flow.Put(ctx, "t1", ops, e.terms("G1")); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 13; i++ {
			e.deposit(t, "G1", fmt.Sprint("b", i))
		}
		// inTurn waits until the i-th bid of a round, sent when the auction had been locked locks
		// times, is in place: the first holds the lock, the others wait at the gate in turn.
		inTurn := func(i int, bidder string, locks int64) {
			if i == 0 {
				await(t, bidder+" locking the auction", func() bool { return slow.locks.Load() > locks })
				return
			}
			await(t, bidder+" waiting at the gate", func() bool { return auction.WaitingBids(e.flow, "t1", "G1") == i })
		}
		slow.locks.Store(0)
		var accepted, low atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.bid(t, "G1", fmt.Sprint("b", i), 10000, 0)
				switch {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, auc.ErrBidTooLow):
					if f := errkind.Fields(err); len(f) != 1 || f[0].Message != "10500" {
						t.Errorf("refusal %v %v: want minNextBid 10500", err, f)
					}
					low.Add(1)
				default:
					t.Errorf("bid: %v", err)
				}
			}()
		}
		wg.Wait()
		if accepted.Load() != 1 || low.Load() != 9 || slow.locks.Load() != 1 {
			t.Fatalf("%d accepted, %d too low, %d locks of the auction; want 1, 9, 1", accepted.Load(), low.Load(), slow.locks.Load())
		}
		if batches, batched, outbid := e.flow.BidStats(); batches != 1 || batched != 1 || outbid != 9 {
			t.Fatalf("bid stats: %d batches of %d bids, %d outbid on the node", batches, batched, outbid)
		}

		// A bid waiting for its turn is refused as soon as the bid ahead outbids it, not after the
		// good bid waiting with it: a's 200.00 locks; b's 210.00 and then c's 205.00 wait; a commits
		// and c is refused at once (by a's price), while b goes on to the database. Each bid is sent
		// once the one before it holds the lock or waits at the gate, so the order is the test's.
		// b10-b12 first bid once too low, so that the node knows their deposits paid: on SQLite,
		// reading one would wait for the connection that the bid holding the lock writes on.
		for _, b := range []string{"b10", "b11", "b12"} {
			if _, err := e.bid(t, "G1", b, 1, 0); !errors.Is(err, auc.ErrBidTooLow) {
				t.Fatalf("warming %s: %v", b, err)
			}
		}
		slow.delay = 300 * time.Millisecond
		type answer struct {
			bidder string
			err    error
		}
		finished := make(chan answer, 3)
		for i, b := range []struct {
			bidder string
			amount int64
		}{{"b10", 20000}, {"b11", 21000}, {"b12", 20500}} {
			locks := slow.locks.Load()
			go func() {
				_, err := e.bid(t, "G1", b.bidder, b.amount, 0)
				finished <- answer{b.bidder, err}
			}()
			inTurn(i, b.bidder, locks)
		}
		var order []string
		for range 3 {
			a := <-finished
			order = append(order, a.bidder)
			if a.bidder != "b12" && a.err != nil {
				t.Fatalf("bid of %s: %v", a.bidder, a.err)
			}
			if a.bidder == "b12" && (!errors.Is(a.err, auc.ErrBidTooLow) || len(errkind.Fields(a.err)) != 1 || errkind.Fields(a.err)[0].Message != "21000") {
				t.Fatalf("bid of b12: %v %v; want too low, minNextBid 21000 (by b10's 200.00)", a.err, errkind.Fields(a.err))
			}
		}
		if slices.Index(order, "b12") > slices.Index(order, "b11") {
			t.Fatalf("bids finished in the order %v; want b12 (refused as b10 committed) before b11", order)
		}

		// A bid whose caller gives up while waiting for its turn changes nothing.
		slow.delay = 300 * time.Millisecond
		done := make(chan error, 1)
		locks := slow.locks.Load()
		go func() { _, err := e.bid(t, "G1", "b1", 30000, 0); done <- err }()
		inTurn(0, "b1", locks)
		giveUp, cancel := context.WithCancel(ctx)
		given := make(chan error, 1)
		go func() {
			_, err := e.flow.Bid(giveUp, auction.BidRequest{Tenant: "t1", Actor: trade.ByBuyer("b2"), AuctionID: "G1", Amount: 40000})
			given <- err
		}()
		inTurn(1, "b2", locks)
		cancel()
		if err := <-given; !errors.Is(err, context.Canceled) {
			t.Fatalf("bid given up: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		x, err := auctionsql.New(db).Get(ctx, "t1", "G1")
		if err != nil || x.Bids != 4 || x.Current != 30000 || x.Leader != "b1" {
			t.Fatalf("auction after the bid given up: %+v %v", x, err)
		}

		// A double submit (the same key, the same bid, the second while the first is placed) is
		// one bid: both are answered that it was accepted.
		slow.delay = 300 * time.Millisecond
		answers := make(chan auction.BidResult, 2)
		submit := func() {
			r, err := e.flow.Bid(ctx, auction.BidRequest{Tenant: "t1", Actor: trade.ByBuyer("b6"), AuctionID: "G1", Amount: 31000,
				IdempotencyKey: "twice"})
			if err != nil {
				t.Errorf("double submit: %v", err)
			}
			answers <- r
		}
		locks = slow.locks.Load()
		go submit()
		await(t, "the first submit locking the auction", func() bool { return slow.locks.Load() > locks })
		go submit() // while the first holds the lock
		first, second := <-answers, <-answers
		if !first.Accepted || !second.Accepted || first.Replayed == second.Replayed || first.Current != 31000 || second.Current != 31000 {
			t.Fatalf("double submit answered %+v and %+v", first, second)
		}
		if x, err := auctionsql.New(db).Get(ctx, "t1", "G1"); err != nil || x.Bids != 5 {
			t.Fatalf("after a double submit: %+v %v", x, err)
		}

		// Good bids that wait together go together: b8's 330.00 and b9's proxy up to 400.00 wait
		// for b7's 320.00, then take one lock between them, in the order they came.
		locks = slow.locks.Load()
		b0, n0, _ := e.flow.BidStats()
		results := make(map[string]auction.BidResult)
		var mu sync.Mutex
		var all sync.WaitGroup
		for i, b := range []struct {
			bidder      string
			amount, max int64
		}{{"b7", 32000, 0}, {"b8", 33000, 0}, {"b9", 0, 40000}} {
			all.Add(1)
			go func() {
				defer all.Done()
				r, err := e.bid(t, "G1", b.bidder, b.amount, b.max)
				if err != nil {
					t.Errorf("bid of %s: %v", b.bidder, err)
				}
				mu.Lock()
				results[b.bidder] = r
				mu.Unlock()
			}()
			inTurn(i, b.bidder, locks)
		}
		all.Wait()
		b1, n1, _ := e.flow.BidStats()
		if slow.locks.Load()-locks != 2 || b1-b0 != 2 || n1-n0 != 3 {
			t.Fatalf("%d locks, %d batches of %d bids for three bids; want 2, 2, 3", slow.locks.Load()-locks, b1-b0, n1-n0)
		}
		if r := results["b8"]; !r.Accepted || r.Current != 33000 {
			t.Fatalf("b8 in the batch: %+v", r)
		}
		if r := results["b9"]; !r.Accepted || !r.Leading || r.Current != 34000 {
			t.Fatalf("b9 in the batch: %+v", r)
		}
		h, err := auctionsql.New(db).History(ctx, "t1", "G1", 0, 3)
		if err != nil || len(h) != 3 || h[0].Bidder != "b9" || h[0].Seq != 8 || h[1].Bidder != "b8" || h[2].Bidder != "b7" {
			t.Fatalf("history after the batch: %+v %v", h, err)
		}

		// A double submit across two nodes, both in flight at once: the request this node holds
		// at the lock is placed second, by the other node, and then outbid by its own twin; it is
		// answered the twin's acceptance, not refused as too low.
		other := newNode(t, db, 2, nil)
		locks = slow.locks.Load()
		here := make(chan error, 1)
		across := auction.BidRequest{Tenant: "t1", Actor: trade.ByBuyer("b3"), AuctionID: "G1", Amount: 41000, IdempotencyKey: "across"}
		var mine auction.BidResult
		go func() {
			var err error
			mine, err = e.flow.Bid(ctx, across)
			here <- err
		}()
		inTurn(0, "b3", locks)
		theirs, err := other.flow.Bid(ctx, across)
		if err != nil {
			t.Fatalf("the other node's request: %v", err)
		}
		if err := <-here; err != nil {
			t.Fatalf("this node's request: %v", err)
		}
		if !mine.Accepted || !theirs.Accepted || mine.Replayed == theirs.Replayed || mine.Current != 41000 || theirs.Current != 41000 {
			t.Fatalf("a double submit across nodes answered %+v and %+v", mine, theirs)
		}
		if x, err := auctionsql.New(db).Get(ctx, "t1", "G1"); err != nil || x.Bids != 9 || x.Leader != "b3" {
			t.Fatalf("after a double submit across nodes: %+v %v", x, err)
		}
	})
}

// TestWinnerWhoCancels: a winner who cancels their sale through the generic cancel is a winner
// who did not pay: the deposit is forfeited (auction.deposit_forfeited), the sale ends
// forfeited, the unit goes back to stock and the runner-up may get a second chance. An operator
// may cancel as goodwill instead: the deposit goes back to its payment and the sale ends
// released. A buyer cannot ask for the goodwill, and a second chance (no deposit) has none to give.
func TestWinnerWhoCancels(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		sales := auctionsql.NewSales(db)
		sold := func(id string) auc.Sale {
			t.Helper()
			if _, err := e.flow.Put(ctx, "t1", ops, e.terms(id)); err != nil {
				t.Fatal(err)
			}
			e.deposit(t, id, "ann")
			e.deposit(t, id, "bob")
			for _, b := range []struct {
				who    string
				amount int64
			}{{"ann", 25000}, {"bob", 31000}} {
				if _, err := e.bid(t, id, b.who, b.amount, 0); err != nil {
					t.Fatal(err)
				}
			}
			e.clock.Advance(time.Hour)
			if x, err := e.flow.Settle(ctx, "t1", id); err != nil || x.Settled != auc.Sold {
				t.Fatalf("settle %s: %+v %v", id, x, err)
			}
			ss, err := sales.Sales(ctx, "t1", id)
			if err != nil || len(ss) != 1 {
				t.Fatalf("sales of %s: %+v %v", id, ss, err)
			}
			return ss[0]
		}
		orderOf := func(tradeID string) string {
			tr, err := e.core.Trade(ctx, "t1", ops, tradeID)
			if err != nil {
				t.Fatal(err)
			}
			return tr.Orders()[0].ID()
		}
		events := func(topic string) int {
			var n int
			if err := db.Primary().QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE topic = ?`, topic).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// The winner cancels.
		s := sold("W1")
		bob := trade.Cancellation{Actor: trade.ByBuyer("bob"), Reason: "buyer_cancelled"}
		goodwill := bob
		goodwill.RefundDeposit = true
		if _, err := e.core.Cancel(ctx, "t1", orderOf(s.TradeID), goodwill); !errors.Is(err, errkind.ErrForbidden) {
			t.Fatalf("the winner refunds their own deposit: %v; want forbidden", err)
		}
		o, err := e.core.Cancel(ctx, "t1", orderOf(s.TradeID), bob)
		if err != nil || o.Status() != order.Cancelled {
			t.Fatalf("the winner cancels: %v %v", o, err)
		}
		if got := e.deposits_(t, "W1"); got["bob"] != auc.DepositForfeited || got["ann"] != auc.DepositRefunded {
			t.Fatalf("deposits after the winner cancelled: %v; want bob forfeited, ann refunded", got)
		}
		if n := events(auction.TopicDepositForfeited); n != 1 {
			t.Fatalf("auction.deposit_forfeited events: %d; want 1", n)
		}
		if got, _ := sales.SaleOf(ctx, "t1", s.TradeID); got.Outcome != auc.SaleForfeited || got.EndedAt.IsZero() {
			t.Fatalf("the sale after the winner cancelled: %+v; want forfeited", got)
		}
		if l := e.level(t); l.Reserved != 0 || l.Available != 3 {
			t.Fatalf("the cancelled sale's unit: %+v; want back on sale", l)
		}
		if _, err := e.core.Cancel(ctx, "t1", orderOf(s.TradeID), bob); err != nil {
			t.Fatalf("cancelled again: %v", err)
		}
		if got := e.deposits_(t, "W1"); got["bob"] != auc.DepositForfeited {
			t.Fatalf("cancelled again: bob's deposit %s", got["bob"])
		}
		second, err := e.flow.SecondChance(ctx, "t1", ops, "W1")
		if err != nil || second.UserID() != "ann" || second.Total().Minor() != 25000 {
			t.Fatalf("second chance after the winner cancelled: %+v %v", second, err)
		}
		if _, err := e.core.Cancel(ctx, "t1", second.Orders()[0].ID(), trade.Cancellation{Actor: ops, Reason: "operator_cancelled",
			RefundDeposit: true}); !errors.Is(err, trade.ErrNoDeposit) {
			t.Fatalf("goodwill on a second chance: %v; want order.no_deposit", err)
		}

		// An operator cancels as goodwill.
		s = sold("W2")
		o, err = e.core.Cancel(ctx, "t1", orderOf(s.TradeID), trade.Cancellation{Actor: ops, Reason: "operator_cancelled", RefundDeposit: true})
		if err != nil || o.Status() != order.Cancelled {
			t.Fatalf("goodwill cancel: %v %v", o, err)
		}
		if got := e.deposits_(t, "W2"); got["bob"] != auc.DepositRefunded {
			t.Fatalf("bob's deposit after the goodwill cancel: %s; want refunded", got["bob"])
		}
		if got, _ := sales.SaleOf(ctx, "t1", s.TradeID); got.Outcome != auc.SaleReleased {
			t.Fatalf("the sale after the goodwill cancel: %+v; want released", got)
		}
		d, err := e.deposits.Get(ctx, "t1", "W2", "bob")
		if err != nil {
			t.Fatal(err)
		}
		rs, err := e.payments.RefundsOfPayment(ctx, d.PaymentID)
		if err != nil || len(rs) != 1 || rs[0].Amount().Minor() != 5000 || rs[0].Status() != payment.RefundSucceeded {
			t.Fatalf("refunds of bob's deposit: %+v %v; want one of 50.00, succeeded", rs, err)
		}
		if n := events(auction.TopicDepositRefunded); n != 1 {
			t.Fatalf("auction.deposit_refunded events: %d; want 1", n)
		}
		if n := events(auction.TopicDepositForfeited); n != 1 {
			t.Fatalf("auction.deposit_forfeited events: %d; want still 1", n)
		}
	})
}
