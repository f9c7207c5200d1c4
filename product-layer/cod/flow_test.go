package cod_test

import (
	"context"
	"errors"
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
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idempotency"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/cod"
	"github.com/atriumtrade/atrium/product-layer/cod/codsql"
	"github.com/atriumtrade/atrium/product-layer/trade"
	"github.com/atriumtrade/atrium/product-layer/trade/tradesql"
)

// TestCarrierCollectsExactlyTheTotal: a COD order is paid by what the carrier collects at the
// door, exactly its total. A report of more (over-collection: the buyer was overcharged) or less
// is refused, changes nothing and leaves no payment; the exact amount delivers the order, records
// one collected payment and sells the stock; a refusal at the door puts the stock back.
func TestCarrierCollectsExactlyTheTotal(t *testing.T) {
	sets := []dal.Migrations{catalogsql.Migrations(), inventorysql.Migrations(), ordersql.Migrations(), tradesql.Migrations(),
		paymentsql.Migrations(), outbox.Migrations(), delay.Migrations(), idempotency.Migrations(), codsql.Migrations()}
	daltest.Each(t, sets, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		ids, _ := idgen.New(7)
		inv := inventory.NewService(inventorysql.New(db))
		orders, pays := ordersql.New(db), paymentsql.New(db)
		ob := outbox.NewWriter(db, func() string { return ids.NextString("E") })
		core := trade.New(trade.Deps{Tx: db, Catalog: catalogsql.New(db), Orders: orders, Inventory: inv, Payments: pays, Outbox: ob,
			Timers: delay.New(db, func() string { return ids.NextString("J") }), Idempotency: idempotency.New(db), IDs: ids,
			Instances: tradesql.New(db)})
		rules := codsql.New(db)
		flow := cod.New(cod.Deps{Core: core, Rules: rules, Tx: db, Orders: orders, Inventory: inv, Payments: pays, Outbox: ob, IDs: ids})
		if _, err := cod.NewAdmin(rules, time.Now).Put(ctx, "t1", cod.Rules{Enabled: true, Currency: "CNY", MaxAmount: 100000}); err != nil {
			t.Fatal(err)
		}
		sku, _ := catalog.NewSKU("t1", "tea", "Tea", "s1", money.New(1990, money.MustCurrency("CNY")))
		if err := catalogsql.New(db).Upsert(ctx, sku); err != nil {
			t.Fatal(err)
		}
		if _, err := inv.SetOnHand(ctx, "t1", "tea", "wh1", 10); err != nil {
			t.Fatal(err)
		}
		ident, _ := identity.New("t1", "", cod.Scenario)
		ops := trade.ByOperator("ops")
		level := func() inventory.Level {
			ls, err := inv.Levels(ctx, "t1", "tea")
			if err != nil || len(ls) != 1 {
				t.Fatalf("levels: %v %v", ls, err)
			}
			return ls[0]
		}
		shipped := func() *order.Order {
			t.Helper()
			tr, err := flow.PlaceOrder(ctx, cod.PlaceOrder{Identity: ident, Buyer: trade.Buyer{UserID: "u1"}, Items: []pricing.Item{{SKUID: "tea", Quantity: 2}},
				Address: order.Address{Name: "Li", Phone: "13800000000", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}})
			if err != nil {
				t.Fatal(err)
			}
			o, err := core.Transition(ctx, "t1", ops, tr.Orders()[0].ID(), trade.TopicOrderShipped, func(o *order.Order, now time.Time) error {
				return o.Ship(order.Shipment{Carrier: "SF", TrackingNo: "SF1"}, now)
			})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		o := shipped()
		for _, collected := range []int64{3980 + 1, 3980 - 1, 0} {
			c := collected
			if _, err := flow.Deliver(ctx, "t1", ops, o.ID(), cod.Delivery{Outcome: cod.OutcomeDelivered, Collected: &c}); !errors.Is(err, cod.ErrCollectionMismatch) {
				t.Fatalf("collected %d of 3980: %v; want cod.collection_mismatch", collected, err)
			}
		}
		if got, _ := core.Order(ctx, "t1", ops, o.ID()); got.Status() != order.Shipped {
			t.Fatalf("after the refused reports the order is %s; want shipped", got.Status())
		}
		if ps, _ := core.Payments(ctx, "t1", ops, o.TradeID()); len(ps) != 0 {
			t.Fatalf("refused reports recorded payments: %v", ps)
		}
		exact := int64(3980)
		for i := 0; i < 2; i++ { // reported twice: the second changes nothing
			if got, err := flow.Deliver(ctx, "t1", ops, o.ID(), cod.Delivery{Outcome: cod.OutcomeDelivered, Collected: &exact}); err != nil || got.Status() != order.Delivered {
				t.Fatalf("collected exactly (#%d): %v %v", i, got, err)
			}
		}
		ps, _ := core.Payments(ctx, "t1", ops, o.TradeID())
		if len(ps) != 1 || ps[0].Amount().Minor() != 3980 || ps[0].Purpose() != payment.CODCollection || ps[0].Status() != payment.Succeeded {
			t.Fatalf("the collected payment: %v", ps)
		}
		if l := level(); l.Sold != 2 || l.Available != 8 {
			t.Fatalf("stock after delivery: %+v", l)
		}
		refused := shipped()
		if got, err := flow.Deliver(ctx, "t1", ops, refused.ID(), cod.Delivery{Outcome: cod.OutcomeRefused}); err != nil || got.Status() != cod.Returned {
			t.Fatalf("refused at the door: %v %v", got, err)
		}
		if l := level(); l.Sold != 2 || l.Available != 8 || l.Reserved != 0 {
			t.Fatalf("stock after the refusal: %+v; want the refused units back", l)
		}
	})
}
