package aftersale_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	asale "github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/capability/aftersale/aftersalesql"
	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/delivery/deliverysql"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/discount/discountsql"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/limits/limitssql"
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
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/aftersale"
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

// env is a fixed-price flow with discounts, limits and shipping, and the after-sale flow on it.
type env struct {
	db        *dal.DB
	flow      *fixedprice.Flow
	core      *trade.Core
	after     *aftersale.Flow
	store     *aftersalesql.Store
	inv       *inventory.Service
	discounts *discountsql.Store
	limits    *limitssql.Store
	shipping  *deliverysql.Store
	payments  *paymentsql.Store
	sandbox   *sandboxpay.Provider
	queue     *delay.Queue
	clock     *clock
	ident     identity.Identity
}

var cny = money.MustCurrency("CNY")

var addr = order.Address{Name: "Li Lei", Phone: "13800000000", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}

func sets() []dal.Migrations {
	return []dal.Migrations{catalogsql.Migrations(), inventorysql.Migrations(), ordersql.Migrations(), tradesql.Migrations(),
		paymentsql.Migrations(), outbox.Migrations(), delay.Migrations(), idempotency.Migrations(), discountsql.Migrations(),
		limitssql.Migrations(), deliverysql.Migrations(), aftersalesql.Migrations()}
}

func newEnv(t *testing.T, db *dal.DB) *env {
	t.Helper()
	ids, _ := idgen.New(1)
	clk := &clock{t: time.Now()}
	sb, err := sandboxpay.New(sandboxpay.Config{Secret: "0123456789abcdef", CallbackURL: "http://127.0.0.1:1/unused"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clock: clk, sandbox: sb, store: aftersalesql.New(db), inv: inventory.NewService(inventorysql.New(db)),
		discounts: discountsql.New(db), limits: limitssql.New(db), shipping: deliverysql.New(db), payments: paymentsql.New(db)}
	e.queue = delay.New(db, func() string { return ids.NextString("J") }, delay.WithClock(clk.Now))
	ob := outbox.NewWriter(db, func() string { return ids.NextString("E") })
	orders := ordersql.New(db)
	e.core = trade.New(trade.Deps{Tx: db, Catalog: catalogsql.New(db), Inventory: e.inv, Orders: orders, Payments: e.payments,
		Providers: []payment.Provider{sb}, Outbox: ob, Timers: e.queue, Idempotency: idempotency.New(db), IDs: ids, Now: clk.Now,
		Instances: tradesql.New(db), Discounts: discount.NewService(e.discounts, nil), Limits: limits.NewService(e.limits, orders),
		Delivery: delivery.NewService(e.shipping)})
	e.flow, err = fixedprice.New(fixedprice.Deps{Core: e.core, Tx: db, Inventory: e.inv, Orders: orders, Payments: e.payments, Timers: e.queue,
		Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.core.RegisterTimers(e.queue.Handle)
	e.after = aftersale.New(aftersale.Deps{Tx: db, Core: e.core, Store: e.store, Orders: orders, Catalog: catalogsql.New(db),
		Payments: e.payments, Outbox: ob, Timers: e.queue, Idempotency: idempotency.New(db), IDs: ids, Now: clk.Now})
	e.after.RegisterTimers(e.queue.Handle)
	e.ident, _ = identity.New("t1", "", fixedprice.Scenario)
	return e
}

func (e *env) sku(t *testing.T, id, seller string, price, onHand int64) {
	t.Helper()
	s, err := catalog.NewSKU("t1", id, "SKU "+id, seller, money.New(price, cny))
	if err != nil {
		t.Fatal(err)
	}
	if err := catalogsql.New(e.db).Upsert(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if _, err := e.inv.SetOnHand(context.Background(), "t1", id, "wh1", onHand); err != nil {
		t.Fatal(err)
	}
}

func (e *env) placePaid(t *testing.T, user string, coupons []string, items ...pricing.Item) (*order.Trade, *payment.Payment) {
	t.Helper()
	ctx := context.Background()
	tr, err := e.flow.PlaceOrder(ctx, fixedprice.PlaceOrder{Identity: e.ident, Buyer: fixedprice.Buyer{UserID: user}, Items: items, Address: addr,
		Coupons: coupons})
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	p, err := e.core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: user, TradeID: tr.ID(), Method: "sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	body, h := e.sandbox.Callback(p, payment.OutcomeSucceeded)
	if err := e.core.HandlePaymentCallback(ctx, "sandbox", h, body); err != nil {
		t.Fatal(err)
	}
	return tr, p
}

func (e *env) level(t *testing.T, sku string) inventory.Level {
	t.Helper()
	ls, err := e.inv.Levels(context.Background(), "t1", sku)
	if err != nil || len(ls) != 1 || !ls[0].Consistent() {
		t.Fatalf("level of %s: %+v %v", sku, ls, err)
	}
	return ls[0]
}

// TestRefundsInRandomSplitsGiveBackExactly is the property of after-sale: random trades over
// three sellers with two stacked promotions from campaign budgets, a coupon, shipping fees and a
// purchase limit; some child orders stay in the warehouse (refund only), others are delivered and
// come back (sellable or damaged); every line is asked back in random splits, in random order
// across the trade, some requests rejected or withdrawn and asked again. After every refund no
// line and no trade has given back more than it paid; at the end each line gave back exactly what
// it paid, each trade exactly what it collected, the budgets, the coupon and the limit are where
// they started, and every level keeps available + reserved + sold + damaged = on hand with
// nothing sold or reserved.
func TestRefundsInRandomSplitsGiveBackExactly(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		rng := rand.New(rand.NewPCG(20261205, 1))
		var skus []string
		for i := 0; i < 8; i++ {
			id := fmt.Sprintf("sku%d", i)
			e.sku(t, id, fmt.Sprintf("s%d", i%3), int64(99+rng.IntN(5000)), 1000)
			skus = append(skus, id)
		}
		for i := 0; i < 3; i++ {
			if err := e.shipping.Put(ctx, "t1", delivery.Template{SellerID: fmt.Sprintf("s%d", i), Currency: "CNY", Fee: int64(500 + 101*i), FreeOver: 40000}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []discount.Campaign{{ID: "ca", Name: "A", Currency: "CNY", Budget: 1 << 40}, {ID: "cb", Name: "B", Currency: "CNY", Budget: 1 << 40}} {
			if err := e.discounts.PutCampaign(ctx, "t1", c); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range []discount.Promotion{
			{ID: "pa", Name: "7.77% off", Kind: discount.PercentOff, Currency: "CNY", Percent: 777, CampaignID: "ca"},
			{ID: "pb", Name: "3.33 off s1", Kind: discount.AmountOff, Currency: "CNY", Amount: 333, Scope: discount.Scope{Sellers: []string{"s1"}}, CampaignID: "cb"},
			{ID: "pc", Name: "Coupon 5.01 off", Kind: discount.AmountOff, Currency: "CNY", Amount: 501, CouponOnly: true, CampaignID: "cb"},
		} {
			if err := e.discounts.PutPromotion(ctx, "t1", p); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.discounts.PutCoupon(ctx, "t1", discount.Coupon{Code: "SAVE5", PromotionID: "pc"}); err != nil {
			t.Fatal(err)
		}
		lots := limits.Rule{ID: "lots", Name: "Lots", Kind: limits.PerUser, SKUs: skus[:4], Period: limits.Lifetime, Max: 1_000_000}
		if err := lots.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := e.limits.PutRule(ctx, "t1", lots); err != nil {
			t.Fatal(err)
		}
		lotsKey := limits.Key{RuleID: "lots", Subject: "u1", Period: lots.PeriodKey(time.Now())}
		spent := func(id string) int64 { c, _ := e.discounts.Campaign(ctx, "t1", id); return c.Spent }
		damaged := map[string]int64{} // units returned damaged, by SKU: never back on sale
		for round := 0; round < 8; round++ {
			rule := []asale.ShippingRule{asale.ShipWholeOrder, asale.ShipAlways}[round%2]
			policy := asale.DefaultPolicy()
			policy.Shipping, policy.SellerWindow = rule, 0
			if err := e.store.PutPolicy(ctx, "t1", policy); err != nil {
				t.Fatal(err)
			}
			var items []pricing.Item
			for _, i := range rng.Perm(len(skus))[:2+rng.IntN(5)] {
				items = append(items, pricing.Item{SKUID: skus[i], Quantity: int64(1 + rng.IntN(5))})
			}
			tr, pay := e.placePaid(t, "u1", []string{"SAVE5"}, items...)
			delivered := map[string]bool{}
			type unit struct {
				orderID string
				line    order.Line
			}
			var asks []unit // one entry per line, asked back in pieces
			for _, o := range tr.Orders() {
				if rng.IntN(2) == 0 {
					if _, err := e.core.Ship(ctx, "t1", trade.ByOperator("ops"), o.ID(), order.Shipment{Carrier: "SF", TrackingNo: "SF" + o.ID()}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.core.Deliver(ctx, "t1", trade.ByOperator("ops"), o.ID(), trade.Delivery{Outcome: trade.OutcomeDelivered}); err != nil {
						t.Fatal(err)
					}
					delivered[o.ID()] = true
				}
				for _, l := range o.Lines() {
					asks = append(asks, unit{o.ID(), l})
				}
			}
			left := map[string]int64{}
			for _, u := range asks {
				left[fmt.Sprint(u.orderID, u.line.LineNo)] = u.line.Quantity
			}
			lineBack := map[string]int64{}
			var tradeBack int64
			for n := 0; len(left) > 0; n++ {
				u := asks[rng.IntN(len(asks))]
				k := fmt.Sprint(u.orderID, u.line.LineNo)
				if left[k] == 0 {
					continue
				}
				q := 1 + rng.Int64N(left[k])
				kind := asale.RefundOnly
				if delivered[u.orderID] {
					kind = asale.ReturnRefund
				}
				a, err := e.after.Request(ctx, aftersale.Request{Tenant: "t1", Actor: trade.ByBuyer("u1"), OrderID: u.orderID, Kind: kind,
					Lines: []asale.Ask{{LineNo: u.line.LineNo, Quantity: q}}, Reason: "random"})
				if err != nil {
					t.Fatalf("round %d: ask %d of %s line %d: %v", round, q, u.orderID, u.line.LineNo, err)
				}
				ops := trade.ByOperator("ops")
				switch {
				case rng.IntN(8) == 0 && a.Status() == asale.Requested:
					if _, err := e.after.Reject(ctx, "t1", ops, a.ID(), "not this time"); err != nil {
						t.Fatal(err)
					}
					continue
				case rng.IntN(8) == 0 && a.Status() == asale.Requested:
					if _, err := e.after.Cancel(ctx, "t1", trade.ByBuyer("u1"), a.ID()); err != nil {
						t.Fatal(err)
					}
					continue
				case kind == asale.ReturnRefund:
					if _, err := e.after.Approve(ctx, "t1", ops, a.ID(), nil, ""); err != nil {
						t.Fatal(err)
					}
					if _, err := e.after.ShipBack(ctx, "t1", trade.ByBuyer("u1"), a.ID(), asale.Shipment{Carrier: "SF", TrackingNo: "R" + a.ID()}); err != nil {
						t.Fatal(err)
					}
					cond := []asale.Condition{asale.Sellable, asale.Damaged}[rng.IntN(2)]
					if a, err = e.after.Receive(ctx, "t1", ops, a.ID(), cond); err != nil {
						t.Fatal(err)
					}
					if cond == asale.Damaged {
						damaged[u.line.SKUID] += q
					}
				}
				if a.Status() != asale.Refunded {
					t.Fatalf("round %d: %s is %s; want refunded", round, a.ID(), a.Status())
				}
				left[k] -= q
				if left[k] == 0 {
					delete(left, k)
				}
				lineBack[k] += a.Lines()[0].Amount.Minor()
				tradeBack += a.Amount().Minor()
				if lineBack[k] > u.line.Payable().Minor() {
					t.Fatalf("round %d: %s line %d gave back %d of %d", round, u.orderID, u.line.LineNo, lineBack[k], u.line.Payable().Minor())
				}
				if tradeBack > pay.Amount().Minor() {
					t.Fatalf("round %d: the trade gave back %d of %d", round, tradeBack, pay.Amount().Minor())
				}
			}
			for _, u := range asks {
				if k := fmt.Sprint(u.orderID, u.line.LineNo); lineBack[k] != u.line.Payable().Minor() {
					t.Fatalf("round %d (%s): %s line %d gave back %d; it paid %d", round, rule, u.orderID, u.line.LineNo, lineBack[k], u.line.Payable().Minor())
				}
			}
			rs, err := e.payments.RefundsOfPayment(ctx, pay.ID())
			if err != nil {
				t.Fatal(err)
			}
			if got := payment.Refunded(rs); got != pay.Amount().Minor() || tradeBack != got {
				t.Fatalf("round %d (%s): refunds of the payment add up to %d (requests %d); it collected %d", round, rule, got, tradeBack, pay.Amount().Minor())
			}
			after, err := e.core.Trade(ctx, "t1", trade.ByOperator("ops"), tr.ID())
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range after.Orders() {
				if o.Status() != order.Refunded {
					t.Fatalf("round %d: order %s is %s once every unit came back", round, o.ID(), o.Status())
				}
			}
			if spent("ca") != 0 || spent("cb") != 0 {
				t.Fatalf("round %d: budgets spent %d and %d after every refund; want 0", round, spent("ca"), spent("cb"))
			}
			if c, _ := e.discounts.Coupon(ctx, "t1", "SAVE5"); c.Used != 0 {
				t.Fatalf("round %d: coupon used %d after the whole trade came back", round, c.Used)
			}
			if used, _ := e.limits.Usage(ctx, "t1", []limits.Key{lotsKey}); used[lotsKey] != 0 {
				t.Fatalf("round %d: the limit still counts %v", round, used)
			}
		}
		for _, id := range skus {
			if l := e.level(t, id); l.Sold != 0 || l.Reserved != 0 || l.Damaged != damaged[id] || l.Available != 1000-damaged[id] {
				t.Fatalf("%s at the end: %+v; want %d damaged (returned so), the rest on sale", id, l, damaged[id])
			}
		}
	})
}

// TestRefundWholeOrder: the shorthand refunds a paid child order that has not shipped whole (its
// total, its stock back on sale), answers the same refund when asked again, and refuses orders
// that are not paid, have shipped, or are another buyer's; twenty at once refund once.
func TestRefundWholeOrder(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.sku(t, "a", "s1", 1990, 50)
		e.sku(t, "b", "s2", 1990, 50)
		buyer := trade.ByBuyer("u1")
		tr, pay := e.placePaid(t, "u1", nil, pricing.Item{SKUID: "a", Quantity: 2}, pricing.Item{SKUID: "b", Quantity: 1})
		a, b := tr.Orders()[0], tr.Orders()[1]
		if _, err := e.core.Ship(ctx, "t1", trade.ByOperator("ops"), b.ID(), order.Shipment{Carrier: "SF", TrackingNo: "1"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			actor   trade.Actor
			orderID string
			want    error
		}{
			{buyer, b.ID(), order.ErrInvalidTransition},
			{trade.ByBuyer("u2"), a.ID(), order.ErrNotFound},
			{buyer, "O-nosuch", order.ErrNotFound},
		} {
			if _, _, err := e.after.RefundWhole(ctx, "t1", bad.actor, bad.orderID, "buyer_requested"); !errors.Is(err, bad.want) {
				t.Fatalf("refund %s as %v: %v; want %v", bad.orderID, bad.actor, err, bad.want)
			}
		}
		unpaid, err := e.flow.PlaceOrder(ctx, fixedprice.PlaceOrder{Identity: e.ident, Buyer: fixedprice.Buyer{UserID: "u1"},
			Items: []pricing.Item{{SKUID: "a", Quantity: 1}}, Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.after.RefundWhole(ctx, "t1", buyer, unpaid.Orders()[0].ID(), "buyer_requested"); !errors.Is(err, order.ErrInvalidTransition) {
			t.Fatalf("refund of an unpaid order: %v", err)
		}

		var wg sync.WaitGroup
		ids := make(chan string, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, rs, err := e.after.RefundWhole(ctx, "t1", buyer, a.ID(), "buyer_requested")
				if err != nil || len(rs) != 1 {
					t.Errorf("refund at once: %v %v", rs, err)
					return
				}
				ids <- rs[0].ID()
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		o, rs, err := e.after.RefundWhole(ctx, "t1", buyer, a.ID(), "buyer_requested")
		if err != nil || len(seen) != 1 || len(rs) != 1 || !seen[rs[0].ID()] {
			t.Fatalf("twenty refunds at once made %v; asked again: %v %v", seen, rs, err)
		}
		if o.Status() != order.Refunded || rs[0].Amount() != a.Total() || rs[0].PaymentID() != pay.ID() || rs[0].Status() != payment.RefundSucceeded ||
			rs[0].Reason() != "buyer_requested" {
			t.Fatalf("refunded %s: %+v", o.Status(), rs[0])
		}
		if l := e.level(t, "a"); l.Sold != 0 || l.Available != 49 || l.Reserved != 1 {
			t.Fatalf("stock of a after the refund: %+v (one more is reserved by the unpaid order)", l)
		}
	})
}

// TestRefundProviderDownIsAskedAgain: a refund the provider does not accept stays refunding; the
// durable job asks again and the request ends refunded once the provider is back.
func TestRefundProviderDownIsAskedAgain(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.sku(t, "a", "s1", 1990, 50)
		tr, _ := e.placePaid(t, "u1", nil, pricing.Item{SKUID: "a", Quantity: 3})
		e.sandbox.FailRefunds(2)
		a, err := e.after.Request(ctx, aftersale.Request{Tenant: "t1", Actor: trade.ByBuyer("u1"), OrderID: tr.Orders()[0].ID(),
			Kind: asale.RefundOnly, Lines: []asale.Ask{{LineNo: 1, Quantity: 2}}, Reason: "late"})
		if err != nil || a.Status() != asale.Refunding {
			t.Fatalf("while the provider is down: %v %v", a, err)
		}
		for i := 0; i < 2; i++ {
			e.clock.Advance(time.Minute)
			if _, err := e.queue.RunDue(ctx, 10); err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.after.Get(ctx, "t1", trade.ByBuyer("u1"), a.ID())
		if err != nil || got.Status() != asale.Refunded || got.Amount().Minor() != 2*1990 {
			t.Fatalf("once the provider is back: %v %v", got, err)
		}
	})
}

// lateKeys is an idempotency store whose first Lookup misses what is recorded: the request read
// the key just before its twin committed.
type lateKeys struct {
	trade.Idempotency
	missed atomic.Bool
}

func (k *lateKeys) Lookup(ctx context.Context, tenant, userID, scope, key, hash string) (string, bool, error) {
	if k.missed.CompareAndSwap(false, true) {
		return "", false, nil
	}
	return k.Idempotency.Lookup(ctx, tenant, userID, scope, key, hash)
}

// TestTwinRequestsGetOneAnswer: requests sent at once with the same Idempotency-Key all get the
// first one's answer. A twin that read the key just before the first committed is then checked
// against what the first took ("quantity exceeds what remains"): it answers the first's
// after-sale, not that error (before, 1-2 of 20 got 409 aftersale.quantity_exceeds_remaining).
// Twenty at once on both databases, under -race, make one after-sale.
func TestTwinRequestsGetOneAnswer(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.sku(t, "a", "s1", 1990, 50)
		ask := func(orderID string) aftersale.Request {
			return aftersale.Request{Tenant: "t1", Actor: trade.ByBuyer("u1"), OrderID: orderID, Kind: asale.RefundOnly,
				Lines: []asale.Ask{{LineNo: 1, Quantity: 3}}, Reason: "changed_mind", IdempotencyKey: "k-" + orderID}
		}

		tr, _ := e.placePaid(t, "u1", nil, pricing.Item{SKUID: "a", Quantity: 3})
		first, err := e.after.Request(ctx, ask(tr.Orders()[0].ID()))
		if err != nil {
			t.Fatal(err)
		}
		ids, _ := idgen.New(9)
		late := aftersale.New(aftersale.Deps{Tx: db, Core: e.core, Store: e.store, Orders: ordersql.New(db), Catalog: catalogsql.New(db),
			Payments: e.payments, Outbox: outbox.NewWriter(db, func() string { return ids.NextString("E") }),
			Timers: e.queue, Idempotency: &lateKeys{Idempotency: idempotency.New(db)}, IDs: ids, Now: e.clock.Now})
		twin, err := late.Request(ctx, ask(tr.Orders()[0].ID()))
		if err != nil || twin.ID() != first.ID() {
			t.Fatalf("the twin that read the key late: %v %v; want %s", twin, err, first.ID())
		}

		tr, _ = e.placePaid(t, "u1", nil, pricing.Item{SKUID: "a", Quantity: 3})
		answers := make([]string, 20)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := e.after.Request(ctx, ask(tr.Orders()[0].ID()))
				if err != nil {
					answers[i] = err.Error()
					return
				}
				answers[i] = a.ID()
			}()
		}
		wg.Wait()
		for i, a := range answers {
			if a != answers[0] || !strings.HasPrefix(a, "AS") {
				t.Fatalf("answer #%d: %s; want every answer %s", i, a, answers[0])
			}
		}
	})
}

// TestWhereRefundedGoodsGo: money back for goods that never come back leaves them out of stock;
// goods returned in good condition go back on sale, damaged ones to damaged stock. A refund of an
// order shipped but not delivered (the parcel is with the carrier) must not put its units back on
// sale (nothing killed that mutation before: only a stack test covered refunds before shipping).
func TestWhereRefundedGoodsGo(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.sku(t, "a", "s1", 1000, 50)
		ops := trade.ByOperator("ops")
		ask := func(orderID string, kind asale.Kind, key string) *asale.AfterSale {
			t.Helper()
			a, err := e.after.Request(ctx, aftersale.Request{Tenant: "t1", Actor: trade.ByBuyer("u1"), OrderID: orderID, Kind: kind,
				Lines: []asale.Ask{{LineNo: 1, Quantity: 2}}, Reason: "changed_mind", IdempotencyKey: key})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status() == asale.Requested {
				if a, err = e.after.Approve(ctx, "t1", ops, a.ID(), nil, ""); err != nil {
					t.Fatal(err)
				}
			}
			return a
		}
		shipped := func(deliver bool) string {
			t.Helper()
			tr, _ := e.placePaid(t, "u1", nil, pricing.Item{SKUID: "a", Quantity: 2})
			o := tr.Orders()[0]
			if _, err := e.core.Ship(ctx, "t1", ops, o.ID(), order.Shipment{Carrier: "SF", TrackingNo: "SF" + o.ID()}); err != nil {
				t.Fatal(err)
			}
			if deliver {
				if _, err := e.core.Deliver(ctx, "t1", ops, o.ID(), trade.Delivery{Outcome: trade.OutcomeDelivered}); err != nil {
					t.Fatal(err)
				}
			}
			return o.ID()
		}

		// Shipped, not delivered, refunded only: the two units stay sold.
		ask(shipped(false), asale.RefundOnly, "k1")
		if l := e.level(t, "a"); l.Available != 48 || l.Sold != 2 || l.Damaged != 0 {
			t.Fatalf("after refunding a parcel on its way: %+v; want 48 available, 2 sold", l)
		}
		// Delivered, returned in good condition: back on sale.
		back := ask(shipped(true), asale.ReturnRefund, "k2")
		if _, err := e.after.ShipBack(ctx, "t1", trade.ByBuyer("u1"), back.ID(), asale.Shipment{Carrier: "SF", TrackingNo: "R1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.after.Receive(ctx, "t1", ops, back.ID(), asale.Sellable); err != nil {
			t.Fatal(err)
		}
		if l := e.level(t, "a"); l.Available != 48 || l.Sold != 2 || l.Damaged != 0 {
			t.Fatalf("after a sellable return: %+v; want 48 available, 2 sold", l)
		}
		// Delivered, returned damaged: damaged stock, not on sale.
		broken := ask(shipped(true), asale.ReturnRefund, "k3")
		if _, err := e.after.ShipBack(ctx, "t1", trade.ByBuyer("u1"), broken.ID(), asale.Shipment{Carrier: "SF", TrackingNo: "R2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.after.Receive(ctx, "t1", ops, broken.ID(), asale.Damaged); err != nil {
			t.Fatal(err)
		}
		if l := e.level(t, "a"); l.Available != 46 || l.Sold != 2 || l.Damaged != 2 {
			t.Fatalf("after a damaged return: %+v; want 46 available, 2 sold, 2 damaged", l)
		}
	})
}
