package fixedprice_test

import (
	"context"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TestSplitByWarehouseAndDeliveryType: with no script, a cart ships from the warehouses nearest
// the buyer, a line no single warehouse can fill is spread, and every warehouse and every
// pre-sale ship date gets a child order of its own, whose money adds up to the trade's.
func TestSplitByWarehouseAndDeliveryType(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		for _, w := range []inventory.Warehouse{
			{ID: "wh-hz", Name: "Hangzhou", Region: address.Place{Country: "CN", Province: "Zhejiang", City: "Hangzhou"}},
			{ID: "wh-bj", Name: "Beijing", Region: address.Place{Country: "CN", Province: "Beijing", City: "Beijing"}},
		} {
			if _, err := e.inv.PutWarehouse(ctx, "t1", w); err != nil {
				t.Fatal(err)
			}
		}
		cat := catalogsql.New(db)
		cny := money.MustCurrency("CNY")
		ships := e.clock.Now().Add(30 * 24 * time.Hour).Truncate(time.Millisecond)
		tea, _ := catalog.NewSKU("t1", "tea", "Longjing", "s1", money.New(3333, cny))
		cake, _ := catalog.NewSKU("t1", "cake", "Mooncakes", "s1", money.New(8800, cny))
		for _, sku := range []catalog.SKU{tea, cake.WithPresale(ships)} {
			if err := cat.Upsert(ctx, sku); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []struct {
			sku, wh string
			n       int64
		}{{"tea", "wh-hz", 3}, {"tea", "wh-bj", 10}, {"cake", "wh-hz", 5}, {"cake", "wh-bj", 100}} {
			if _, err := e.inv.SetOnHand(ctx, "t1", s.sku, s.wh, s.n); err != nil {
				t.Fatal(err)
			}
		}
		// 2 teas fit in Hangzhou, the nearest; 12 do not fit anywhere alone: 3 + 9.
		tr, err := e.place(t, "u1", "", pricing.Item{SKUID: "tea", Quantity: 12}, pricing.Item{SKUID: "cake", Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		type child struct {
			wh      string
			qty     int64
			total   int64
			presale bool
		}
		var got []child
		var sum int64
		for _, o := range tr.Orders() {
			if len(o.Lines()) != 1 {
				t.Fatalf("order %s has %d lines; want one per warehouse and delivery type", o.ID(), len(o.Lines()))
			}
			l := o.Lines()[0]
			got = append(got, child{l.WarehouseID, l.Quantity, o.Total().Minor(), !o.ShipsAt().IsZero()})
			sum += o.Total().Minor()
			if !o.ShipsAt().IsZero() && !o.ShipsAt().Equal(ships) {
				t.Fatalf("pre-sale order ships at %v; want %v", o.ShipsAt(), ships)
			}
		}
		want := []child{{"wh-bj", 9, 9 * 3333, false}, {"wh-hz", 3, 3 * 3333, false}, {"wh-hz", 2, 2 * 8800, true}}
		if len(got) != len(want) {
			t.Fatalf("got %+v; want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("child %d: got %+v; want %+v (all %+v)", i, got[i], want[i], got)
			}
		}
		if sum != tr.Total().Minor() || sum != 12*3333+2*8800 {
			t.Fatalf("children sum to %d, trade total %d", sum, tr.Total().Minor())
		}
		// The stored trade reads back the same, pre-sale date included.
		back, err := e.core.Trade(ctx, "t1", trade.ByBuyer("u1"), tr.ID())
		if err != nil {
			t.Fatal(err)
		}
		if !back.Orders()[2].ShipsAt().Equal(ships) || !back.Orders()[0].ShipsAt().IsZero() {
			t.Fatalf("stored ships at: %v, %v", back.Orders()[0].ShipsAt(), back.Orders()[2].ShipsAt())
		}
		// Each child reserved its own warehouse's stock; one payment pays them all.
		levels, _ := e.inv.Levels(ctx, "t1", "tea", "cake")
		reserved := map[string]int64{}
		for _, l := range levels {
			reserved[l.SKUID+"@"+l.WarehouseID] = l.Reserved
		}
		if reserved["tea@wh-hz"] != 3 || reserved["tea@wh-bj"] != 9 || reserved["cake@wh-hz"] != 2 || reserved["cake@wh-bj"] != 0 {
			t.Fatalf("reserved %v", reserved)
		}
		e.pay(t, tr, payment.OutcomeSucceeded)
		back, _ = e.core.Trade(ctx, "t1", trade.ByBuyer("u1"), tr.ID())
		for _, o := range back.Orders() {
			if o.Status() != order.Paid {
				t.Fatalf("order %s is %s after the trade's payment", o.ID(), o.Status())
			}
		}
	})
}
