package trade_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/paymentsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

func TestActors(t *testing.T) {
	for _, c := range []struct {
		a     trade.Actor
		owner string
		sees  bool
		valid bool
	}{
		{trade.ByBuyer("u1"), "u1", true, true},
		{trade.ByBuyer("u1"), "u2", false, true},
		{trade.ByBuyer(""), "", false, false},
		{trade.ByOperator("ops"), "u2", true, true},
		{trade.ByOperator(""), "u2", true, true},
		{trade.BySystem("unpaid_timeout"), "u2", true, true},
		{trade.Actor{Kind: "robot"}, "u2", true, false},
	} {
		if got := c.a.Sees(c.owner); got != c.sees {
			t.Errorf("%+v sees %q: %v; want %v", c.a, c.owner, got, c.sees)
		}
		if err := c.a.Validate(); (err == nil) != c.valid {
			t.Errorf("%+v validates: %v; want valid=%v", c.a, err, c.valid)
		}
	}
	if err := trade.ByBuyer("").Validate(); !errors.Is(err, errkind.ErrUnauthenticated) {
		t.Errorf("a buyer without a user: %v", err)
	}
}

type fixture struct {
	core  *trade.Core
	db    *dal.DB
	inv   *inventory.Service
	pays  *paymentsql.Store
	trade *order.Trade
	pay   *payment.Payment
}

// newFixture is a trade of u1 with two child orders (2 of "a" and 1 of "b" from wh1), their stock
// reserved, and a pending payment for it.
func newFixture(t *testing.T, db *dal.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	ids, _ := idgen.New(3)
	inv := inventory.NewService(inventorysql.New(db))
	pays := paymentsql.New(db)
	orders := ordersql.New(db)
	core := trade.New(trade.Deps{Tx: db, Orders: orders, Inventory: inv, Payments: pays,
		Outbox: outbox.NewWriter(db, func() string { return ids.NextString("E") })})
	cny := money.MustCurrency("CNY")
	for _, sku := range []string{"a", "b"} {
		if _, err := inv.SetOnHand(ctx, "t1", sku, "wh1", 10); err != nil {
			t.Fatal(err)
		}
	}
	line := func(sku string, q int64) order.Line {
		return order.Line{SKUID: sku, Title: sku, WarehouseID: "wh1", Quantity: q, UnitPrice: money.New(500, cny), Total: money.New(500*q, cny),
			Discount: money.New(0, cny), ListPrice: money.New(500, cny)}
	}
	ident, _ := identity.New("t1", "", identity.Scenario("fixed_price"))
	now := time.Now()
	tr, err := order.NewTrade("T1", ident, "u1", order.Address{Name: "Li", Phone: "13800000000", Province: "P", City: "C", Detail: "D"},
		[]order.NewOrderSpec{{ID: "O1", SellerID: "s1", Lines: []order.Line{line("a", 2)}, ShippingFee: money.New(0, cny)},
			{ID: "O2", SellerID: "s2", Lines: []order.Line{line("b", 1)}, ShippingFee: money.New(0, cny)}}, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p := payment.New("P1", "t1", "T1", "u1", "sandbox", payment.Full, tr.Payable(), now)
	p.SetProviderRef("ref-1")
	err = db.InTx(ctx, func(ctx context.Context) error {
		if err := orders.CreateTrade(ctx, tr); err != nil {
			return err
		}
		for _, o := range tr.Orders() {
			l := o.Lines()[0]
			if err := inv.Reserve(ctx, "t1", o.ID(), []inventory.Line{{SKUID: l.SKUID, WarehouseID: l.WarehouseID, Quantity: l.Quantity}}); err != nil {
				return err
			}
		}
		return pays.Create(ctx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{core: core, db: db, inv: inv, pays: pays, trade: tr, pay: p}
}

func (f *fixture) level(t *testing.T, sku string) inventory.Level {
	t.Helper()
	ls, err := f.inv.Levels(context.Background(), "t1", sku)
	if err != nil || len(ls) != 1 {
		t.Fatalf("levels of %s: %v %v", sku, ls, err)
	}
	return ls[0]
}

func migrations() []dal.Migrations {
	return []dal.Migrations{inventorysql.Migrations(), ordersql.Migrations(), paymentsql.Migrations(), outbox.Migrations(), delay.Migrations()}
}

// TestReadsAreTheActorsOwn: a buyer reads only their own trades and orders; an operator reads
// every one of the tenant's; nobody reads another tenant's.
func TestReadsAreTheActorsOwn(t *testing.T) {
	daltest.Each(t, migrations(), func(t *testing.T, db *dal.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, err := f.core.Trade(ctx, "t1", trade.ByBuyer("u1"), "T1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.core.Trade(ctx, "t1", trade.ByBuyer("u2"), "T1"); !errors.Is(err, order.ErrTradeNotFound) {
			t.Fatalf("another buyer reads the trade: %v", err)
		}
		if _, err := f.core.Order(ctx, "t1", trade.ByBuyer(""), "O1"); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("a buyer without a user reads an order: %v", err)
		}
		if _, err := f.core.Order(ctx, "t1", trade.ByOperator("ops"), "O2"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.core.Order(ctx, "t2", trade.ByOperator("ops"), "O2"); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("another tenant's operator reads the order: %v", err)
		}
	})
}

// TestUndoReleasesWhatAnOrderHeld: cancelling one order gives its reserved stock back and closes
// the trade's pending payment; refunding the other after it was paid puts its sold stock back on
// sale. Each happens in the caller's transaction: a failure after it undoes the undo.
func TestUndoReleasesWhatAnOrderHeld(t *testing.T) {
	daltest.Each(t, migrations(), func(t *testing.T, db *dal.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		boom := errors.New("boom")
		undoFirst := func(fail bool) error {
			return db.InTx(ctx, func(ctx context.Context) error {
				tr, o, err := f.core.LockOrder(ctx, "t1", trade.ByBuyer("u1"), "O1")
				if err != nil {
					return err
				}
				if err := o.Cancel("buyer_cancelled", time.Now()); err != nil {
					return err
				}
				if _, err := f.core.UndoOrder(ctx, tr, o, trade.Undo{Stock: trade.ReleaseReserved, ClosePayments: true}); err != nil {
					return err
				}
				if fail {
					return boom
				}
				return ordersql.New(db).Save(ctx, o)
			})
		}
		if err := undoFirst(true); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if l := f.level(t, "a"); l.Reserved != 2 {
			t.Fatalf("an undo whose transaction failed gave stock back: %+v", l)
		}
		if err := undoFirst(false); err != nil {
			t.Fatal(err)
		}
		if l := f.level(t, "a"); l.Reserved != 0 || l.Available != 10 {
			t.Fatalf("stock of the cancelled order: %+v", l)
		}
		if p, _ := f.pays.Get(ctx, "P1"); p.Status() != payment.Closed {
			t.Fatalf("the pending payment for the old amount is %s; want closed", p.Status())
		}

		// The other order is paid (its stock sold), then refunded: the stock goes back on sale.
		if err := db.InTx(ctx, func(ctx context.Context) error { return f.inv.Confirm(ctx, "t1", "O2") }); err != nil {
			t.Fatal(err)
		}
		if l := f.level(t, "b"); l.Sold != 1 {
			t.Fatalf("after confirm: %+v", l)
		}
		err := db.InTx(ctx, func(ctx context.Context) error {
			tr, o, err := f.core.LockOrder(ctx, "t1", trade.ByOperator("ops"), "O2")
			if err != nil {
				return err
			}
			_, err = f.core.UndoOrder(ctx, tr, o, trade.Undo{Stock: trade.Restock})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if l := f.level(t, "b"); l.Sold != 0 || l.Available != 10 {
			t.Fatalf("after the refund's restock: %+v", l)
		}
	})
}

// TestTransitionsAreTheActorsOwn: a lifecycle move by a buyer on another buyer's order finds no
// order; a move the lifecycle does not allow changes nothing; an allowed one is saved and emits
// its event in the same transaction.
func TestTransitionsAreTheActorsOwn(t *testing.T) {
	daltest.Each(t, migrations(), func(t *testing.T, db *dal.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		complete := func(o *order.Order, now time.Time) error { return o.Complete(now) }
		if _, err := f.core.Transition(ctx, "t1", trade.ByBuyer("u2"), "O1", trade.TopicOrderCompleted, complete); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("another buyer's move: %v", err)
		}
		if _, err := f.core.Transition(ctx, "t1", trade.ByBuyer("u1"), "O1", trade.TopicOrderCompleted, complete); !errors.Is(err, order.ErrInvalidTransition) {
			t.Fatalf("completing an unpaid order: %v", err)
		}
		pay := func(o *order.Order, now time.Time) error { return o.Pay(now) }
		o, err := f.core.Transition(ctx, "t1", trade.BySystem("test"), "O1", trade.TopicOrderPaid, pay)
		if err != nil || o.Status() != order.Paid {
			t.Fatalf("pay: %v %v", o, err)
		}
		var events int
		if err := db.Primary().QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE topic = ? AND msg_key = ? AND payload LIKE ?`, trade.TopicOrderPaid, o.TradeID(), `%"orderId":"O1"%`).Scan(&events); err != nil || events != 1 {
			t.Fatalf("%d order.paid events (%v); want 1", events, err)
		}
		if got, _ := f.core.Order(ctx, "t1", trade.ByBuyer("u1"), "O1"); got.Status() != order.Paid {
			t.Fatalf("stored status %s", got.Status())
		}
	})
}

// noReplays is an idempotency store that has seen no key yet.
type noReplays struct{}

func (noReplays) Claim(context.Context, string, string, string, string, string, string) (string, bool, error) {
	return "", false, nil
}

func (noReplays) Lookup(context.Context, string, string, string, string, string) (string, bool, error) {
	return "", false, nil
}

// TestOnceJoinsARequestStillRunning: a request sent again with its key while the first is still
// running on the node is answered with the first one's trade instead of running again (which
// could find its own first attempt holding the last unit and answer "sold out"); another request
// under the same key, or a request without one, runs on its own.
func TestOnceJoinsARequestStillRunning(t *testing.T) {
	core := trade.New(trade.Deps{Idempotency: noReplays{}})
	release := make(chan struct{})
	var runs atomic.Int32
	first := &order.Trade{}
	place := func() (*order.Trade, error) {
		runs.Add(1)
		<-release
		return first, nil
	}
	results := make(chan *order.Trade, 2)
	go func() {
		tr, _ := core.Once(context.Background(), "t1", "u1", "place", "k1", "h1", place)
		results <- tr
	}()
	for runs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	go func() {
		tr, _ := core.Once(context.Background(), "t1", "u1", "place", "k1", "h1", func() (*order.Trade, error) { t.Error("a joined request ran"); return nil, nil })
		results <- tr
	}()
	other := &order.Trade{}
	if tr, _ := core.Once(context.Background(), "t1", "u1", "place", "k1", "another request", func() (*order.Trade, error) { return other, nil }); tr != other {
		t.Error("another request under the same key joined the first")
	}
	if tr, _ := core.Once(context.Background(), "t1", "u1", "place", "", "h1", func() (*order.Trade, error) { return other, nil }); tr != other {
		t.Error("a request without a key joined one")
	}
	// The second request waits on the first once two goroutines are inside the join: the first
	// running, the second waiting for its answer.
	for deadline := time.Now().Add(10 * time.Second); goroutinesIn("singleflight.(*Group).Do") < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second request never joined the first")
		}
	}
	close(release)
	for i := 0; i < 2; i++ {
		if tr := <-results; tr != first {
			t.Fatalf("request %d got another trade", i)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("the first request ran %d times", n)
	}
}

// goroutinesIn counts the goroutines whose stack holds a call of fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	count := 0
	for _, g := range strings.Split(string(buf[:n]), "\n\n") {
		if strings.Contains(g, fn) {
			count++
		}
	}
	return count
}
