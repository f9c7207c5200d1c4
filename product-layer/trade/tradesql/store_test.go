package tradesql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
	"github.com/atriumtrade/atrium/product-layer/trade/tradesql"
)

func newTrade(t *testing.T, id string, at time.Time) *order.Trade {
	t.Helper()
	ident, _ := identity.New("t1", "", identity.Scenario("fixed_price"))
	cny := money.MustCurrency("CNY")
	tr, err := order.NewTrade(id, ident, "u1", order.Address{Name: "A", Phone: "1", City: "C", Detail: "D"}, []order.NewOrderSpec{
		{ID: id + "-a", SellerID: "s1", Lines: []order.Line{{SKUID: "x", Title: "x", WarehouseID: "w", Quantity: 1, UnitPrice: money.New(100, cny), Total: money.New(100, cny)}}},
		{ID: id + "-b", SellerID: "s2", Lines: []order.Line{{SKUID: "y", Title: "y", WarehouseID: "w", Quantity: 1, UnitPrice: money.New(100, cny), Total: money.New(100, cny)}}},
	}, at, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestInstances: a trade's instance is written with the trade and round-trips; a trade created
// without a flow state has none; a save checks the version it read.
func TestInstances(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations(), tradesql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := tradesql.New(db)
		at := time.UnixMilli(time.Now().UnixMilli())
		tr := newTrade(t, "T1", at)
		tr.SetFlowState("awaiting_payment")
		if err := ordersql.New(db).CreateTrade(ctx, tr); err != nil {
			t.Fatal(err)
		}
		if err := ordersql.New(db).CreateTrade(ctx, newTrade(t, "T2", at)); err != nil {
			t.Fatal(err)
		}
		in := &trade.Instance{Tenant: "t1", TradeID: "T1", Scenario: identity.Scenario("fixed_price"), State: "awaiting_payment", Version: 1, UpdatedAt: at}
		got, err := s.Instance(ctx, "t1", "T1")
		if err != nil || *got != *in {
			t.Fatalf("round trip: %+v %v; want %+v", got, err, in)
		}
		if _, err := s.Instance(ctx, "t2", "T1"); !errors.Is(err, trade.ErrInstanceNotFound) {
			t.Fatalf("another tenant's: %v", err)
		}
		if _, err := s.Instance(ctx, "t1", "T2"); !errors.Is(err, trade.ErrInstanceNotFound) {
			t.Fatalf("a trade created without a flow state: %v", err)
		}
		a, b := *got, *got
		a.State, b.State = "paid", "cancelled"
		if err := s.SaveInstance(ctx, &a); err != nil || a.Version != 2 {
			t.Fatalf("first save: %v, version %d", err, a.Version)
		}
		if err := s.SaveInstance(ctx, &b); !errors.Is(err, trade.ErrConcurrentMove) {
			t.Fatalf("a save from a stale read: %v", err)
		}
		if got, _ := s.Instance(ctx, "t1", "T1"); got.State != "paid" || got.Version != 2 {
			t.Fatalf("after the race: %+v", got)
		}
	})
}

// TestBackfill: trades placed before instances existed get one in the state their orders show,
// and it moves onto the trade's row.
func TestBackfill(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		orders := ordersql.New(db)
		at := time.Now()
		for _, id := range []string{"T-pending", "T-paid", "T-cancelled"} {
			if err := orders.CreateTrade(ctx, newTrade(t, id, at)); err != nil {
				t.Fatal(err)
			}
		}
		mv := func(id string, f func(o *order.Order) error) {
			o, err := orders.Order(ctx, "t1", id)
			if err != nil {
				t.Fatal(err)
			}
			if err := f(o); err != nil {
				t.Fatal(err)
			}
			if err := orders.Save(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		mv("T-paid-a", func(o *order.Order) error { return o.Pay(at) })
		mv("T-paid-b", func(o *order.Order) error { return o.Cancel("x", at) })
		mv("T-cancelled-a", func(o *order.Order) error { return o.Cancel("x", at) })
		mv("T-cancelled-b", func(o *order.Order) error { return o.Cancel("x", at) })
		mv("T-pending-a", func(o *order.Order) error { return o.Cancel("x", at) })
		if _, err := db.Migrate(ctx, []dal.Migrations{tradesql.Migrations()}, nil); err != nil {
			t.Fatal(err)
		}
		s := tradesql.New(db)
		for id, want := range map[string]string{"T-pending": "awaiting_payment", "T-paid": "paid", "T-cancelled": "cancelled"} {
			in, err := s.Instance(ctx, "t1", id)
			if err != nil || in.State != want || in.Scenario != identity.Scenario("fixed_price") || in.Version != 1 {
				t.Errorf("%s: %+v %v; want %s", id, in, err, want)
			}
		}
	})
}
