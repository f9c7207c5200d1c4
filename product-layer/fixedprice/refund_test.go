package fixedprice_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/discount/discountsql"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TestRefundOnePaidChildOrder: a trade of two sellers paid once; refunding one child order
// closes it, puts its sold stock back on sale, and records a refund of exactly its total against
// the trade's payment, which the provider accepts. The other child goes on. Orders that are not
// paid, or already shipped, are refused and change nothing; a second refund returns the first.
func TestRefundOnePaidChildOrder(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tr, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 2}, pricing.Item{SKUID: "b", Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		a, b := tr.Orders()[0], tr.Orders()[1]
		if _, _, err := e.flow.Refund(ctx, "t1", trade.ByBuyer("u1"), a.ID(), fixedprice.ReasonBuyerRefund); !errors.Is(err, order.ErrInvalidTransition) {
			t.Fatalf("refund before payment: %v; want ErrInvalidTransition", err)
		}
		pay := e.pay(t, tr, payment.OutcomeSucceeded)
		if _, _, err := e.flow.Refund(ctx, "t1", trade.ByBuyer("u2"), a.ID(), fixedprice.ReasonBuyerRefund); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("another buyer refunds: %v; want ErrNotFound", err)
		}
		if _, _, err := e.flow.Refund(ctx, "t1", trade.ByBuyer("u1"), "O-nosuch", fixedprice.ReasonBuyerRefund); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("unknown order: %v; want ErrNotFound", err)
		}
		if _, err := e.flow.Ship(ctx, "t1", trade.ByOperator("ops"), b.ID(), order.Shipment{Carrier: "SF", TrackingNo: "SF1"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.flow.Refund(ctx, "t1", trade.ByBuyer("u1"), b.ID(), fixedprice.ReasonBuyerRefund); !errors.Is(err, order.ErrInvalidTransition) {
			t.Fatalf("refund after shipping: %v; want ErrInvalidTransition", err)
		}
		if l := e.level(t, "b"); l.Sold != 1 || l.Available != 49 {
			t.Fatalf("refused refund changed stock: %+v", l)
		}

		o, r, err := e.flow.Refund(ctx, "t1", trade.ByBuyer("u1"), a.ID(), fixedprice.ReasonBuyerRefund)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status() != order.Refunded || r == nil || r.Amount() != a.Total() || r.PaymentID() != pay.ID() ||
			r.Status() != payment.RefundSucceeded || r.ProviderRef() == "" || r.Reason() != fixedprice.ReasonBuyerRefund {
			t.Fatalf("refund: order %s, refund %+v", o.Status(), r)
		}
		if l := e.level(t, "a"); l.Sold != 0 || l.Available != 50 {
			t.Fatalf("stock after refund: %+v; want all 50 back on sale", l)
		}
		again, r2, err := e.flow.Refund(ctx, "t1", trade.ByBuyer("u1"), a.ID(), fixedprice.ReasonBuyerRefund)
		if err != nil || again.Status() != order.Refunded || r2 == nil || r2.ID() != r.ID() {
			t.Fatalf("second refund: %v %+v %v", again, r2, err)
		}
		if l := e.level(t, "a"); l.Available != 50 {
			t.Fatalf("second refund restocked again: %+v", l)
		}
		got, _ := e.flow.Trade(ctx, "t1", trade.ByBuyer("u1"), tr.ID())
		if got.Orders()[0].Status() != order.Refunded || got.Orders()[1].Status() != order.Shipped {
			t.Fatalf("trade after refund: %s, %s", got.Orders()[0].Status(), got.Orders()[1].Status())
		}
		if topics := e.topics(t); topics[fixedprice.TopicOrderRefunded] != 1 || topics[fixedprice.TopicPaymentRefunded] != 1 {
			t.Fatalf("outbox topics %v; want one order.refunded and one payment.refunded", topics)
		}
		// The backstop job was cancelled with the acceptance: nothing runs later.
		e.clock.Advance(time.Hour)
		if n, err := e.queue.RunDue(ctx, 10); err != nil || n != 0 {
			t.Fatalf("jobs after an accepted refund: ran %d, %v", n, err)
		}
	})
}

// TestRefundProviderDownIsAskedAgain: the provider refuses the first asks; the order is refunded
// and the refund stays pending (the money is owed), and the durable job asks again after the
// retry delay until the provider accepts.
func TestRefundProviderDownIsAskedAgain(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tr, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		e.pay(t, tr, payment.OutcomeSucceeded)
		e.sandbox.FailRefunds(2)
		o, r, err := e.flow.Refund(ctx, "t1", trade.ByOperator(""), tr.Orders()[0].ID(), fixedprice.ReasonOperatorRefund)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status() != order.Refunded || r.Status() != payment.RefundPending {
			t.Fatalf("refund while the provider is down: order %s, refund %s", o.Status(), r.Status())
		}
		status := func() payment.RefundStatus {
			rs, err := e.flow.Refunds(ctx, "t1", []string{o.ID()})
			if err != nil || rs[o.ID()] == nil {
				t.Fatalf("refunds: %v %v", rs, err)
			}
			return rs[o.ID()][0].Status()
		}
		e.clock.Advance(time.Minute)
		if n, err := e.queue.RunDue(ctx, 10); err != nil || n != 0 || status() != payment.RefundPending {
			t.Fatalf("first ask of the job (provider still down): ran %d, %v, refund %s", n, err, status())
		}
		e.clock.Advance(time.Minute) // past the job's backoff; the provider is back
		if n, err := e.queue.RunDue(ctx, 10); err != nil || n != 1 {
			t.Fatalf("second ask: ran %d, %v", n, err)
		}
		rs, err := e.flow.Refunds(ctx, "t1", []string{o.ID()})
		if err != nil || rs[o.ID()] == nil || rs[o.ID()][0].Status() != payment.RefundSucceeded {
			t.Fatalf("refund after the provider came back: %+v %v", rs[o.ID()], err)
		}
	})
}

// TestRefundRacesRefundOnce: 20 parallel refunds of one order refund it once: one refund of its
// total, its stock back once.
func TestRefundRacesRefundOnce(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tr, err := e.place(t, "u1", "", pricing.Item{SKUID: "a", Quantity: 4})
		if err != nil {
			t.Fatal(err)
		}
		pay := e.pay(t, tr, payment.OutcomeSucceeded)
		id := tr.Orders()[0].ID()
		var wg sync.WaitGroup
		ids := make([]string, 20)
		errs := make([]error, 20)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, r, err := e.flow.Refund(ctx, "t1", trade.ByBuyer("u1"), id, fixedprice.ReasonBuyerRefund)
				errs[i] = err
				if r != nil {
					ids[i] = r.ID()
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			// Two refunds racing on SQLite or MySQL either wait for the trade lock or are told to
			// retry; none may refund twice.
			if err != nil && !errors.Is(err, order.ErrConcurrentUpdate) && !errors.Is(err, dal.ErrContention) {
				t.Fatalf("refund #%d: %v", i, err)
			}
		}
		rs, err := e.flow.Refunds(ctx, "t1", []string{id})
		if err != nil || len(rs) != 1 || rs[id][0].Amount() != pay.Amount() {
			t.Fatalf("refunds: %v %v; want one of %s", rs, err, pay.Amount())
		}
		for i, got := range ids {
			if got != "" && got != rs[id][0].ID() {
				t.Fatalf("refund #%d answered %s; the refund is %s", i, got, rs[id][0].ID())
			}
		}
		if l := e.level(t, "a"); l.Sold != 0 || l.Available != 50 {
			t.Fatalf("stock: %+v; want 4 back once", l)
		}
	})
}

// TestRefundsInAnyOrderGiveBackExactly: random trades over three sellers with two campaign
// promotions and a coupon, paid once, then each child order refunded in a random order. After
// every refund the refunds never exceed the payment and each campaign has spent exactly what the
// live child orders' discounts carry; after the last, the refunds sum to the payment to the minor
// unit, the budgets and the coupon are back where they started, and all the stock is on sale.
func TestRefundsInAnyOrderGiveBackExactly(t *testing.T) {
	daltest.Each(t, append(sets(), discountsql.Migrations()), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		dstore := discountsql.New(db)
		e := newEnv(t, db, func(d *fixedprice.Deps) { d.Discounts = discount.NewService(dstore, nil) })
		flow, sb, inv := e.flow, e.sandbox, e.inv
		cny := money.MustCurrency("CNY")
		rng := rand.New(rand.NewPCG(4, 2))
		var skus []string
		for i := 0; i < 9; i++ {
			id := fmt.Sprintf("sku%d", i)
			s, _ := catalog.NewSKU("t1", id, id, fmt.Sprintf("s%d", i%3), money.New(int64(99+rng.IntN(5000)), cny))
			if err := catalogsql.New(db).Upsert(ctx, s); err != nil {
				t.Fatal(err)
			}
			if _, err := inv.SetOnHand(ctx, "t1", id, "wh1", 1000); err != nil {
				t.Fatal(err)
			}
			skus = append(skus, id)
		}
		for _, c := range []discount.Campaign{{ID: "ca", Name: "A", Currency: "CNY", Budget: 1 << 40}, {ID: "cb", Name: "B", Currency: "CNY", Budget: 1 << 40}} {
			if err := dstore.PutCampaign(ctx, "t1", c); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range []discount.Promotion{
			{ID: "pa", Name: "7.77% off", Kind: discount.PercentOff, Currency: "CNY", Percent: 777, CampaignID: "ca"},
			{ID: "pb", Name: "3.33 off s1", Kind: discount.AmountOff, Currency: "CNY", Amount: 333, Scope: discount.Scope{Sellers: []string{"s1"}}, CampaignID: "cb"},
			{ID: "pc", Name: "Coupon 5.01 off", Kind: discount.AmountOff, Currency: "CNY", Amount: 501, CouponOnly: true, CampaignID: "cb"},
		} {
			if err := dstore.PutPromotion(ctx, "t1", p); err != nil {
				t.Fatal(err)
			}
		}
		if err := dstore.PutCoupon(ctx, "t1", discount.Coupon{Code: "SAVE5", PromotionID: "pc"}); err != nil {
			t.Fatal(err)
		}
		spent := func(id string) int64 { c, _ := dstore.Campaign(ctx, "t1", id); return c.Spent }
		for round := 0; round < 12; round++ {
			var items []pricing.Item
			for _, i := range rng.Perm(len(skus))[:2+rng.IntN(6)] {
				items = append(items, pricing.Item{SKUID: skus[i], Quantity: int64(1 + rng.IntN(4))})
			}
			tr, err := flow.PlaceOrder(ctx, fixedprice.PlaceOrder{Identity: e.ident, Buyer: fixedprice.Buyer{UserID: "u1"}, Items: items,
				Address: addr, Coupons: []string{"SAVE5"}})
			if err != nil {
				t.Fatalf("round %d: place: %v", round, err)
			}
			p, err := flow.CreatePayment(ctx, fixedprice.CreatePayment{Tenant: "t1", UserID: "u1", TradeID: tr.ID(), Method: "sandbox"})
			if err != nil {
				t.Fatal(err)
			}
			body, h := sb.Callback(p, payment.OutcomeSucceeded)
			if err := flow.HandlePaymentCallback(ctx, "sandbox", h, body); err != nil {
				t.Fatal(err)
			}
			live := map[string]bool{}
			for _, o := range tr.Orders() {
				live[o.ID()] = true
			}
			var refunded int64
			for _, i := range rng.Perm(len(tr.Orders())) {
				o := tr.Orders()[i]
				_, r, err := flow.Refund(ctx, "t1", trade.ByBuyer("u1"), o.ID(), fixedprice.ReasonBuyerRefund)
				if err != nil {
					t.Fatalf("round %d: refund %s: %v", round, o.ID(), err)
				}
				if r.Amount() != o.Total() {
					t.Fatalf("round %d: refund %s of %s; the order cost %s", round, o.ID(), r.Amount(), o.Total())
				}
				refunded += r.Amount().Minor()
				delete(live, o.ID())
				if refunded > p.Amount().Minor() {
					t.Fatalf("round %d: refunds %d exceed the payment %s", round, refunded, p.Amount())
				}
				want := map[string]int64{}
				for _, x := range tr.Orders() {
					for _, d := range x.Discounts() {
						if live[x.ID()] && d.CampaignID != "" {
							want[d.CampaignID] += d.Amount.Minor()
						}
					}
				}
				if spent("ca") != want["ca"] || spent("cb") != want["cb"] {
					t.Fatalf("round %d: campaigns spent %d/%d; live orders carry %d/%d", round, spent("ca"), spent("cb"), want["ca"], want["cb"])
				}
			}
			if refunded != p.Amount().Minor() {
				t.Fatalf("round %d: refunds sum to %d; the payment was %s", round, refunded, p.Amount())
			}
			if c, _ := dstore.Coupon(ctx, "t1", "SAVE5"); c.Used != 0 {
				t.Fatalf("round %d: coupon still used %d times", round, c.Used)
			}
		}
		for _, id := range skus {
			ls, _ := inv.Levels(ctx, "t1", id)
			if ls[0].Available != 1000 || !ls[0].Consistent() {
				t.Fatalf("%s after all refunds: %+v", id, ls[0])
			}
		}
	})
}
