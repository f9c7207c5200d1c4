package fixedprice_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
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
	flow    *fixedprice.Flow
	core    *trade.Core
	inv     *inventory.Service
	sandbox *sandboxpay.Provider
	queue   *delay.Queue
	clock   *clock
	outbox  *outbox.Writer
	ident   identity.Identity
}

func sets() []dal.Migrations {
	return []dal.Migrations{catalogsql.Migrations(), inventorysql.Migrations(), ordersql.Migrations(), tradesql.Migrations(), paymentsql.Migrations(),
		outbox.Migrations(), delay.Migrations(), idempotency.Migrations()}
}

// newEnv builds a flow on db; opts may add collaborators (discounts, limits) to its deps.
func newEnv(t *testing.T, db *dal.DB, opts ...func(*trade.Deps)) *env {
	t.Helper()
	ids, _ := idgen.New(1)
	clk := &clock{t: time.Now()}
	sb, err := sandboxpay.New(sandboxpay.Config{Secret: "0123456789abcdef", CallbackURL: "http://127.0.0.1:1/unused"})
	if err != nil {
		t.Fatal(err)
	}
	q := delay.New(db, func() string { return ids.NextString("J") }, delay.WithClock(clk.Now))
	ob := outbox.NewWriter(db, func() string { return ids.NextString("E") })
	inv := inventory.NewService(inventorysql.New(db))
	deps := trade.Deps{
		Tx: db, Catalog: catalogsql.New(db), Inventory: inv, Orders: ordersql.New(db), Payments: paymentsql.New(db),
		Providers: []payment.Provider{sb}, Outbox: ob, Timers: q, Idempotency: idempotency.New(db), IDs: ids, Now: clk.Now,
		Instances: tradesql.New(db),
	}
	for _, o := range opts {
		o(&deps)
	}
	core := trade.New(deps)
	flow, err := fixedprice.New(fixedprice.Deps{Core: core, Tx: db, Inventory: inv, Orders: deps.Orders, Payments: deps.Payments, Timers: q,
		Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	core.RegisterTimers(q.Handle)
	ident, _ := identity.New("t1", "", fixedprice.Scenario)
	cny := money.MustCurrency("CNY")
	cat := catalogsql.New(db)
	for _, s := range []struct{ id, seller string }{{"a", "s1"}, {"b", "s2"}} {
		sku, err := catalog.NewSKU("t1", s.id, "SKU "+s.id, s.seller, money.New(1990, cny))
		if err != nil {
			t.Fatal(err)
		}
		if err := cat.Upsert(context.Background(), sku); err != nil {
			t.Fatal(err)
		}
		if _, err := inv.SetOnHand(context.Background(), "t1", s.id, "wh1", 50); err != nil {
			t.Fatal(err)
		}
	}
	return &env{flow: flow, core: core, inv: inv, sandbox: sb, queue: q, clock: clk, outbox: ob, ident: ident}
}

var addr = order.Address{Name: "Li Lei", Phone: "13800000000", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}

func (e *env) place(t *testing.T, user, key string, items ...pricing.Item) (*order.Trade, error) {
	t.Helper()
	return e.flow.PlaceOrder(context.Background(), fixedprice.PlaceOrder{Identity: e.ident, Buyer: fixedprice.Buyer{UserID: user}, Items: items, Address: addr, IdempotencyKey: key})
}

func (e *env) pay(t *testing.T, tr *order.Trade, outcome payment.Outcome) *payment.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: tr.UserID(), TradeID: tr.ID(), Method: "sandbox"})
	if err != nil {
		t.Fatalf("create payment: %v", err)
	}
	body, h := e.sandbox.Callback(p, outcome)
	for i := 0; i < 2; i++ { // the second delivery is a replay and must change nothing
		if err := e.core.HandlePaymentCallback(ctx, "sandbox", h, body); err != nil {
			t.Fatalf("callback #%d: %v", i, err)
		}
	}
	return p
}

// topics counts the events waiting in the outbox by topic.
func (e *env) topics(t *testing.T) map[string]int {
	t.Helper()
	evs, err := e.outbox.Pending(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range evs {
		out[ev.Topic]++
	}
	return out
}

func (e *env) level(t *testing.T, sku string) inventory.Level {
	t.Helper()
	ls, err := e.inv.Levels(context.Background(), "t1", sku)
	if err != nil || len(ls) != 1 {
		t.Fatalf("levels: %v %v", ls, err)
	}
	if !ls[0].Consistent() {
		t.Fatalf("invariant broken: %+v", ls[0])
	}
	return ls[0]
}

func TestPlacePayShipDeliverComplete(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tr, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 2}, pricing.Item{SKUID: "b", Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Orders()) != 2 || tr.Total().Minor() != 3*1990 {
			t.Fatalf("got %d orders total %d; want 2 orders (one per seller) total 5970", len(tr.Orders()), tr.Total().Minor())
		}
		if l := e.level(t, "a"); l.Reserved != 2 {
			t.Fatalf("after place got %+v; want 2 reserved", l)
		}
		e.pay(t, tr, payment.OutcomeSucceeded)
		if l := e.level(t, "a"); l.Reserved != 0 || l.Sold != 2 {
			t.Fatalf("after pay got %+v; want 0 reserved 2 sold", l)
		}
		o := tr.Orders()[0]
		if _, err := e.core.Ship(ctx, "t1", trade.ByOperator("ops"), o.ID(), order.Shipment{Carrier: "SF", TrackingNo: "SF123"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.core.Complete(ctx, "t1", trade.ByBuyer("u1"), o.ID()); !errors.Is(err, order.ErrInvalidTransition) {
			t.Fatalf("complete before delivery: got %v; want ErrInvalidTransition", err)
		}
		if _, err := e.core.Deliver(ctx, "t1", trade.ByOperator("ops"), o.ID(), trade.Delivery{Outcome: trade.OutcomeDelivered}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.core.Complete(ctx, "t1", trade.ByBuyer("u2"), o.ID()); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("another buyer completes: got %v; want ErrNotFound", err)
		}
		done, err := e.core.Complete(ctx, "t1", trade.ByBuyer("u1"), o.ID())
		if err != nil || done.Status() != order.Completed {
			t.Fatalf("complete: %v %v", done, err)
		}
		// The unpaid timer was cancelled by the payment: nothing fires later.
		e.clock.Advance(time.Hour)
		if n, err := e.queue.RunDue(ctx, 10); err != nil || n != 0 {
			t.Fatalf("timers after payment: ran %d, %v; want 0", n, err)
		}
		topics := e.topics(t)
		want := map[string]int{"order.created": 1, "order.paid": 2, "order.shipped": 1, "order.delivered": 1, "order.completed": 1}
		if fmt.Sprint(topics) != fmt.Sprint(want) {
			t.Fatalf("outbox topics %v; want %v", topics, want)
		}
	})
}

func TestCancelAndUnpaidTimeoutReleaseStock(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tr, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 3})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, err := e.core.Cancel(ctx, "t1", tr.Orders()[0].ID(), trade.Cancellation{Actor: trade.ByBuyer("u1"), Reason: fixedprice.ReasonBuyer}); err != nil {
				t.Fatalf("cancel #%d: %v", i, err)
			}
		}
		if l := e.level(t, "a"); l.Available != 50 {
			t.Fatalf("after cancel got %+v; want all 50 available", l)
		}
		if _, err := e.core.Ship(ctx, "t1", trade.ByOperator("ops"), tr.Orders()[0].ID(), order.Shipment{Carrier: "SF", TrackingNo: "1"}); !errors.Is(err, order.ErrInvalidTransition) {
			t.Fatalf("ship cancelled: got %v; want ErrInvalidTransition", err)
		}

		tr2, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 4})
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: "u1", TradeID: tr2.ID(), Method: "sandbox"})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(29 * time.Minute)
		if n, _ := e.queue.RunDue(ctx, 10); n != 0 {
			t.Fatalf("timer fired %d jobs before the window ended", n)
		}
		e.clock.Advance(2 * time.Minute)
		if n, err := e.queue.RunDue(ctx, 10); err != nil || n != 1 {
			t.Fatalf("timer ran %d, %v; want 1", n, err)
		}
		got, _ := e.core.Order(ctx, "t1", trade.ByBuyer("u1"), tr2.Orders()[0].ID())
		if got.Status() != order.Cancelled || got.CancelReason() != fixedprice.ReasonUnpaidTimeout {
			t.Fatalf("got %s/%s; want cancelled/unpaid_timeout", got.Status(), got.CancelReason())
		}
		if l := e.level(t, "a"); l.Available != 50 {
			t.Fatalf("after timeout got %+v; want all 50 available", l)
		}
		// The money arrives late: recorded, the orders stay cancelled, a refund is owed.
		body, h := e.sandbox.Callback(p, payment.OutcomeSucceeded)
		if err := e.core.HandlePaymentCallback(ctx, "sandbox", h, body); err != nil {
			t.Fatal(err)
		}
		if l := e.level(t, "a"); l.Sold != 0 {
			t.Fatalf("late payment sold stock: %+v", l)
		}
		evs, _ := e.outbox.Pending(ctx, 100)
		if evs[len(evs)-1].Topic != fixedprice.TopicPaymentRefundOwed {
			t.Fatalf("last event %s; want %s", evs[len(evs)-1].Topic, fixedprice.TopicPaymentRefundOwed)
		}
	})
}

func TestPaymentCallbackGuards(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tr, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: "u1", TradeID: tr.ID(), Method: "sandbox"})
		if err != nil {
			t.Fatal(err)
		}
		body, h := e.sandbox.Callback(p, payment.OutcomeSucceeded)
		forged := append([]byte(nil), body...)
		forged[len(forged)-3] ^= 1
		if err := e.core.HandlePaymentCallback(ctx, "sandbox", h, forged); !errors.Is(err, payment.ErrInvalidSignature) {
			t.Fatalf("forged body: got %v; want ErrInvalidSignature", err)
		}
		// A signed callback naming another intent of the provider settles nothing.
		ref := p.ProviderRef()
		p.SetProviderRef("sbi_someone_elses_intent")
		other, oh := e.sandbox.Callback(p, payment.OutcomeSucceeded)
		p.SetProviderRef(ref)
		if err := e.core.HandlePaymentCallback(ctx, "sandbox", oh, other); !errors.Is(err, payment.ErrInvalidCallback) {
			t.Fatalf("callback with another provider reference: got %v; want ErrInvalidCallback", err)
		}
		if _, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: "u2", TradeID: tr.ID(), Method: "sandbox"}); !errors.Is(err, order.ErrTradeNotFound) {
			t.Fatalf("another buyer pays: got %v; want ErrTradeNotFound", err)
		}
		again, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: "u1", TradeID: tr.ID(), Method: "sandbox"})
		if err != nil || again.ID() != p.ID() {
			t.Fatalf("second payment for the same trade: got %v, %v; want the open intent %s", again, err, p.ID())
		}
		if l := e.level(t, "a"); l.Sold != 0 {
			t.Fatalf("refused callbacks sold stock: %+v", l)
		}
	})
}

func TestIdempotentPlaceOrder(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		first, err := e.place(t, "u1", "k1", pricing.Item{SKUID: "a", Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		second, err := e.place(t, "u1", "k1", pricing.Item{SKUID: "a", Quantity: 1})
		if err != nil || second.ID() != first.ID() {
			t.Fatalf("replay: got %v, %v; want trade %s", second, err, first.ID())
		}
		if _, err := e.place(t, "u1", "k1", pricing.Item{SKUID: "a", Quantity: 2}); !errors.Is(err, errkind.ErrIdempotencyConflict) {
			t.Fatalf("same key, other body: got %v; want ErrIdempotencyConflict", err)
		}
		if l := e.level(t, "a"); l.Reserved != 1 {
			t.Fatalf("got %+v; want exactly one reservation", l)
		}
		// Concurrent duplicates: one trade.
		var wg sync.WaitGroup
		var ids sync.Map
		var failures atomic.Int64
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr, err := e.place(t, "u1", "k2", pricing.Item{SKUID: "b", Quantity: 1})
				if err != nil {
					failures.Add(1)
					t.Errorf("concurrent replay: %v", err)
					return
				}
				ids.Store(tr.ID(), true)
			}()
		}
		wg.Wait()
		n := 0
		ids.Range(func(any, any) bool { n++; return true })
		if n != 1 {
			t.Fatalf("concurrent replays made %d trades; want 1", n)
		}
		if l := e.level(t, "b"); l.Reserved != 1 {
			t.Fatalf("got %+v; want exactly one reservation of b", l)
		}
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		cases := []struct {
			name  string
			items []pricing.Item
			want  error
		}{
			{"unknown sku", []pricing.Item{{SKUID: "nope", Quantity: 1}}, catalog.ErrSKUNotFound},
			{"zero quantity", []pricing.Item{{SKUID: "a", Quantity: 0}}, pricing.ErrInvalidItem},
			{"negative quantity", []pricing.Item{{SKUID: "a", Quantity: -1}}, pricing.ErrInvalidItem},
			{"over cap", []pricing.Item{{SKUID: "a", Quantity: 1000}}, pricing.ErrInvalidItem},
			{"empty", nil, pricing.ErrEmptyCart},
			{"more than stock", []pricing.Item{{SKUID: "a", Quantity: 51}}, inventory.ErrInsufficientStock},
			{"second line short", []pricing.Item{{SKUID: "a", Quantity: 1}, {SKUID: "b", Quantity: 60}}, inventory.ErrInsufficientStock},
		}
		for _, c := range cases {
			if _, err := e.place(t, "u1", "", c.items...); !errors.Is(err, c.want) {
				t.Errorf("%s: got %v; want %v", c.name, err, c.want)
			}
		}
		if l := e.level(t, "a"); l.Available != 50 {
			t.Fatalf("bad input moved stock: %+v", l)
		}
		page, err := e.core.SearchOrders(context.Background(), "t1", trade.ByBuyer("u1"), trade.OrderSearch{Limit: 10})
		if err != nil || len(page.Orders) != 0 {
			t.Fatalf("bad input left orders: %d, %v", len(page.Orders), err)
		}
	})
}

// TestTheFlowInstanceFollowsTheTrade: a placed trade's flow awaits payment; paying moves it to
// paid; cancelling every order moves it to cancelled, cancelling one of two does not; and an
// instance cannot move back.
func TestTheFlowInstanceFollowsTheTrade(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		state := func(tr *order.Trade) string {
			t.Helper()
			in, err := e.core.Instance(ctx, "t1", tr.ID())
			if err != nil || in.Scenario != fixedprice.Scenario {
				t.Fatalf("instance of %s: %+v %v", tr.ID(), in, err)
			}
			return in.State
		}
		paid, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 1}, pricing.Item{SKUID: "b", Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := state(paid); got != fixedprice.StateAwaitingPayment {
			t.Fatalf("placed: %s", got)
		}
		e.pay(t, paid, payment.OutcomeSucceeded)
		if got := state(paid); got != fixedprice.StatePaid {
			t.Fatalf("paid: %s", got)
		}
		cancelled, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 1}, pricing.Item{SKUID: "b", Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.core.Cancel(ctx, "t1", cancelled.Orders()[0].ID(), trade.Cancellation{Actor: trade.ByBuyer("u1"), Reason: fixedprice.ReasonBuyer}); err != nil {
			t.Fatal(err)
		}
		if got := state(cancelled); got != fixedprice.StateAwaitingPayment {
			t.Fatalf("one of two cancelled: %s", got)
		}
		if _, err := e.core.Cancel(ctx, "t1", cancelled.Orders()[1].ID(), trade.Cancellation{Actor: trade.ByBuyer("u1"), Reason: fixedprice.ReasonBuyer}); err != nil {
			t.Fatal(err)
		}
		if got := state(cancelled); got != fixedprice.StateCancelled {
			t.Fatalf("both cancelled: %s", got)
		}
		err = db.InTx(ctx, func(ctx context.Context) error {
			_, err := e.core.Advance(ctx, "t1", cancelled.ID(), fixedprice.StatePaid)
			return err
		})
		if !errors.Is(err, trade.ErrInvalidMove) {
			t.Fatalf("a cancelled trade made paid: %v", err)
		}
	})
}
