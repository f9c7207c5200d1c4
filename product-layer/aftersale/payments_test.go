package aftersale_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	asale "github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/capability/aftersale/aftersalesql"
	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/auction/auctionsql"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idempotency"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/product-layer/aftersale"
	"github.com/atriumtrade/atrium/product-layer/auction"
	"github.com/atriumtrade/atrium/product-layer/presale"
	"github.com/atriumtrade/atrium/product-layer/presale/presalesql"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TestRefundsOfTradesPaidTwice is the random-split property on trades paid by several payments:
// a pre-sale (its deposit, counting for more than it cost, and its balance) and an auction sale
// (its price less the deposit, and the deposit credited to it). Refunded in random pieces, no line
// gives back more than its payable, no payment more than it collected, and the payments together
// give back exactly what the buyer paid (a pre-sale's deposit expansion is the seller's, not
// money the buyer gets).
func TestRefundsOfTradesPaidTwice(t *testing.T) {
	sets := append(sets(), presalesql.Migrations(), auctionsql.Migrations())
	daltest.Each(t, sets, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		core := e.core
		ids, _ := idgen.New(8)
		ob := outbox.NewWriter(db, func() string { return ids.NextString("E") })
		orders := ordersql.New(db)
		ps := presalesql.New(db)
		presales := presale.New(presale.Deps{Core: core, Campaigns: ps, Trades: ps, Tx: db, Orders: orders, Inventory: e.inv, Outbox: ob,
			Timers: e.queue, Now: e.clock.Now})
		auctions := auction.New(auction.Deps{Tx: db, Core: core, Auctions: auctionsql.New(db), Deposits: auctionsql.NewDeposits(db),
			Sales: auctionsql.NewSales(db), Catalog: catalogsql.New(db), Inventory: e.inv, Orders: orders, Payments: e.payments, Outbox: ob,
			Timers: e.queue, Idempotency: idempotency.New(db), IDs: ids, Now: e.clock.Now})
		policy := asale.DefaultPolicy()
		policy.SellerWindow = 0
		if err := aftersalesql.New(db).PutPolicy(ctx, "t1", policy); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(20261207, 22))
		pay := func(tradeID, user string, purpose payment.Purpose) *payment.Payment {
			t.Helper()
			p, err := core.CreatePayment(ctx, trade.CreatePayment{Tenant: "t1", UserID: user, TradeID: tradeID, Method: "sandbox", Purpose: purpose})
			if err != nil {
				t.Fatalf("pay %s: %v", purpose, err)
			}
			body, h := e.sandbox.Callback(p, payment.OutcomeSucceeded)
			if err := core.HandlePaymentCallback(ctx, "sandbox", h, body); err != nil {
				t.Fatal(err)
			}
			return p
		}
		// refundInPieces asks for the units of o back in random pieces and checks the property.
		refundInPieces := func(what string, tr *order.Trade, payments ...*payment.Payment) {
			t.Helper()
			var paid int64
			for _, p := range payments {
				paid += p.Amount().Minor()
			}
			var back int64
			for _, o := range tr.Orders() {
				for _, l := range o.Lines() {
					lineBack := int64(0)
					for left := l.Quantity; left > 0; {
						q := 1 + rng.Int64N(left)
						a, err := e.after.Request(ctx, aftersale.Request{Tenant: "t1", Actor: trade.ByBuyer(tr.UserID()), OrderID: o.ID(),
							Kind: asale.RefundOnly, Lines: []asale.Ask{{LineNo: l.LineNo, Quantity: q}}, Reason: "random"})
						if err != nil {
							t.Fatalf("%s: ask %d of line %d: %v", what, q, l.LineNo, err)
						}
						if a.Status() != asale.Refunded {
							t.Fatalf("%s: %s is %s; want refunded", what, a.ID(), a.Status())
						}
						left -= q
						lineBack += a.Lines()[0].Amount.Minor()
						back += a.Amount().Minor()
					}
					// A pre-sale line cost less than its payable when its deposit counted for more than
					// it cost: it gives back what its payments took, never more than its payable.
					if lineBack > l.Payable().Minor() {
						t.Fatalf("%s: line %d gave back %d; its payable is %d", what, l.LineNo, lineBack, l.Payable().Minor())
					}
				}
			}
			var refunded int64
			for _, p := range payments {
				rs, err := e.payments.RefundsOfPayment(ctx, p.ID())
				if err != nil {
					t.Fatal(err)
				}
				got := payment.Refunded(rs)
				if got > p.Amount().Minor() {
					t.Fatalf("%s: payment %s (%s) gave back %d of the %d it collected", what, p.ID(), p.Purpose(), got, p.Amount().Minor())
				}
				refunded += got
			}
			if refunded != paid || back != paid {
				t.Fatalf("%s: the payments gave back %d (requests %d); the buyer paid %d", what, refunded, back, paid)
			}
		}

		// Pre-sales: the deposit (10.01 a unit, counting for 30.03) and the balance, in random carts.
		e.sku(t, "tea", "s1", 12000, 1000)
		e.sku(t, "cup", "s1", 12000, 1000)
		start := e.clock.Now()
		c := presale.Campaign{ID: "p1", Name: "Pre-sale", Currency: "CNY", SKUs: []presale.SKU{
			{SKUID: "tea", Price: 9999, Deposit: 1001, DepositCredit: 3003}, {SKUID: "cup", Price: 4567, Deposit: 333, DepositCredit: 1000}},
			DepositStartsAt: start.UnixMilli(), DepositEndsAt: start.Add(time.Hour).UnixMilli(),
			BalanceStartsAt: start.Add(time.Hour).UnixMilli(), BalanceEndsAt: start.Add(48 * time.Hour).UnixMilli()}
		if _, err := presale.NewAdmin(ps, e.clock.Now).Put(ctx, "t1", c); err != nil {
			t.Fatal(err)
		}
		ident, _ := identity.New("t1", "", presale.Scenario)
		type placed struct {
			tr      *order.Trade
			deposit *payment.Payment
		}
		var trades []placed
		for i := 0; i < 6; i++ {
			items := []pricing.Item{{SKUID: "tea", Quantity: int64(1 + rng.IntN(4))}}
			if rng.IntN(2) == 0 {
				items = append(items, pricing.Item{SKUID: "cup", Quantity: int64(1 + rng.IntN(3))})
			}
			tr, _, err := presales.PlaceOrder(ctx, presale.PlaceOrder{Identity: ident, Buyer: trade.Buyer{UserID: fmt.Sprint("p", i)},
				CampaignID: "p1", Items: items, Address: addr})
			if err != nil {
				t.Fatal(err)
			}
			trades = append(trades, placed{tr, pay(tr.ID(), tr.UserID(), payment.Deposit)})
		}
		e.clock.Advance(time.Hour + time.Second)
		for _, p := range trades {
			balance := pay(p.tr.ID(), p.tr.UserID(), payment.Balance)
			tr, err := core.Trade(ctx, "t1", trade.ByOperator("ops"), p.tr.ID())
			if err != nil {
				t.Fatal(err)
			}
			refundInPieces("pre-sale "+tr.ID(), tr, p.deposit, balance)
		}

		// Auction sales: the price less the deposit, and the deposit credited to it.
		e.sku(t, "vase", "s1", 100000, 10)
		for i := 0; i < 3; i++ {
			id := fmt.Sprint("A", i)
			now := e.clock.Now()
			terms := auc.Terms{ID: id, SKUID: "vase", Title: "Vase", Currency: "CNY", StartPrice: 10000 + int64(rng.IntN(5000)),
				Increments: auc.Ladder{{From: 0, Step: 100}}, Deposit: 1000 + int64(rng.IntN(3000)), StartsAt: now, EndsAt: now.Add(time.Hour),
				PayWindow: time.Hour}
			if _, err := auctions.Put(ctx, "t1", trade.ByOperator("ops"), terms); err != nil {
				t.Fatal(err)
			}
			d, dp, err := auctions.PayDeposit(ctx, auction.DepositRequest{Tenant: "t1", Actor: trade.ByBuyer("winner"), AuctionID: id,
				Method: "sandbox", ShipTo: addr})
			if err != nil || d.Status != auc.DepositPending {
				t.Fatalf("deposit: %+v %v", d, err)
			}
			body, h := e.sandbox.Callback(dp, payment.OutcomeSucceeded)
			if err := core.HandlePaymentCallback(ctx, "sandbox", h, body); err != nil {
				t.Fatal(err)
			}
			if _, err := auctions.Bid(ctx, auction.BidRequest{Tenant: "t1", Actor: trade.ByBuyer("winner"), AuctionID: id,
				Amount: terms.StartPrice}); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Hour + time.Second)
			x, err := auctions.Settle(ctx, "t1", id)
			if err != nil || x.Settled != auc.Sold {
				t.Fatalf("settle: %+v %v", x, err)
			}
			sales, err := auctionsql.NewSales(db).Sales(ctx, "t1", id)
			if err != nil || len(sales) != 1 {
				t.Fatalf("sales: %+v %v", sales, err)
			}
			price := pay(sales[0].TradeID, "winner", payment.Full)
			tr, err := core.Trade(ctx, "t1", trade.ByOperator("ops"), sales[0].TradeID)
			if err != nil {
				t.Fatal(err)
			}
			refundInPieces("auction "+id, tr, price, dp)
		}
	})
}
