package tradesql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/product-layer/trade"
	"github.com/atriumtrade/atrium/product-layer/trade/tradesql"
)

func newTrade(t *testing.T, id string, at time.Time) *order.Trade {
	t.Helper()
	ident, _ := identity.New("t1", "", identity.FixedPrice)
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

// TestInstances: an instance round-trips, a save checks the version it read, and the stale
// query finds what has not moved.
func TestInstances(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations(), tradesql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := tradesql.New(db)
		at := time.UnixMilli(time.Now().UnixMilli())
		in := &trade.Instance{Tenant: "t1", TradeID: "T1", Scenario: identity.Presale, State: "awaiting_deposit", Version: 1, UpdatedAt: at}
		if err := s.CreateInstance(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateInstance(ctx, in); err == nil {
			t.Fatal("a trade got two instances")
		}
		got, err := s.Instance(ctx, "t1", "T1")
		if err != nil || *got != *in {
			t.Fatalf("round trip: %+v %v; want %+v", got, err, in)
		}
		if _, err := s.Instance(ctx, "t2", "T1"); !errors.Is(err, trade.ErrInstanceNotFound) {
			t.Fatalf("another tenant's: %v", err)
		}
		stale, err := s.Stale(ctx, identity.Presale, "awaiting_deposit", at.Add(time.Second), 10)
		if err != nil || len(stale) != 1 {
			t.Fatalf("stale: %v %v", stale, err)
		}
		if stale, _ := s.Stale(ctx, identity.Presale, "awaiting_deposit", at, 10); len(stale) != 0 {
			t.Fatalf("stale before it was written: %v", stale)
		}
		a, b := *got, *got
		a.State, b.State = "deposit_paid", "cancelled"
		if err := s.SaveInstance(ctx, &a); err != nil || a.Version != 2 {
			t.Fatalf("first save: %v, version %d", err, a.Version)
		}
		if err := s.SaveInstance(ctx, &b); !errors.Is(err, trade.ErrConcurrentMove) {
			t.Fatalf("a save from a stale read: %v", err)
		}
		if got, _ := s.Instance(ctx, "t1", "T1"); got.State != "deposit_paid" || got.Version != 2 {
			t.Fatalf("after the race: %+v", got)
		}
	})
}

// TestBackfill: trades placed before instances existed get one in the state their orders show.
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
			if err != nil || in.State != want || in.Scenario != identity.FixedPrice || in.Version != 1 {
				t.Errorf("%s: %+v %v; want %s", id, in, err, want)
			}
		}
	})
}
