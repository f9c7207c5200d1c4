package ordersql_test

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
)

var cny = money.MustCurrency("CNY")

func trade(t *testing.T, id, user string, at time.Time) *order.Trade {
	t.Helper()
	ident, _ := identity.New("t1", "t1.flash", identity.Scenario("fixed_price"))
	tr, err := order.NewTrade(id, ident, user, order.Address{Name: "A", Phone: "138", Country: "CN", City: "杭州", Detail: "西湖区 1 号"},
		[]order.NewOrderSpec{
			{ID: id + "-a", SellerID: "s1", Lines: []order.Line{{SKUID: "x", Title: "龙井", WarehouseID: "w1", Quantity: 2, UnitPrice: money.New(500, cny), Total: money.New(1000, cny)}}},
			{ID: id + "-b", SellerID: "s2", Lines: []order.Line{{SKUID: "y", Title: "Cup", WarehouseID: "w2", Quantity: 1, UnitPrice: money.New(99, cny), Total: money.New(99, cny)}}},
		}, at, at.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestRoundTripAndIsolation(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		repo := ordersql.New(db)
		at := time.UnixMilli(time.Now().UnixMilli())
		if err := repo.CreateTrade(ctx, trade(t, "T1", "u1", at)); err != nil {
			t.Fatal(err)
		}
		got, err := repo.Trade(ctx, "t1", "T1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Identity().BizCode() != "t1.flash" || got.Total().Minor() != 1099 || len(got.Orders()) != 2 ||
			got.Address().City != "杭州" || !got.PayDeadline().Equal(at.Add(30*time.Minute)) {
			t.Fatalf("trade round trip: %+v", got)
		}
		o := got.Orders()[0]
		if o.ID() != "T1-a" || o.Lines()[0].Title != "龙井" || o.Lines()[0].UnitPrice.Minor() != 500 || o.Status() != order.PendingPayment {
			t.Fatalf("order round trip: %+v %+v", o, o.Lines())
		}
		if _, err := repo.Order(ctx, "t2", "T1-a"); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("other tenant: got %v; want ErrNotFound", err)
		}
		if _, err := repo.Trade(ctx, "t2", "T1"); !errors.Is(err, order.ErrTradeNotFound) {
			t.Fatalf("other tenant trade: got %v; want ErrTradeNotFound", err)
		}
		if err := repo.CreateTrade(ctx, trade(t, "T1", "u1", at)); err == nil {
			t.Fatal("a trade id was accepted twice")
		}
	})
}

func TestSaveIsOptimistic(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		repo := ordersql.New(db)
		if err := repo.CreateTrade(ctx, trade(t, "T1", "u1", time.Now())); err != nil {
			t.Fatal(err)
		}
		a, _ := repo.Order(ctx, "t1", "T1-a")
		b, _ := repo.Order(ctx, "t1", "T1-a")
		if err := a.Pay(time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := repo.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := b.Cancel("late", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := repo.Save(ctx, b); !errors.Is(err, order.ErrConcurrentUpdate) {
			t.Fatalf("stale save: got %v; want ErrConcurrentUpdate", err)
		}
		now, _ := repo.Order(ctx, "t1", "T1-a")
		if now.Status() != order.Paid || now.Version() != 2 || !now.DeliveredAt().IsZero() {
			t.Fatalf("got %s v%d delivered %v; want paid v2, not delivered", now.Status(), now.Version(), now.DeliveredAt())
		}
		// The delivery time is kept: after-sale's return window runs from it.
		at := time.UnixMilli(time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC).UnixMilli())
		if err := now.Ship(order.Shipment{Carrier: "SF", TrackingNo: "1"}, at); err != nil {
			t.Fatal(err)
		}
		if err := repo.Save(ctx, now); err != nil {
			t.Fatal(err)
		}
		now, _ = repo.Order(ctx, "t1", "T1-a")
		if err := now.Deliver(at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := repo.Save(ctx, now); err != nil {
			t.Fatal(err)
		}
		if got, _ := repo.Order(ctx, "t1", "T1-a"); !got.DeliveredAt().Equal(at.Add(time.Hour)) {
			t.Fatalf("delivered at %v; want %v", got.DeliveredAt(), at.Add(time.Hour))
		}
	})
}

// TestStatusIsReadThroughTheLifecycle: an order's scenario is stored with it, and a stored status
// its scenario's lifecycle does not know fails the read instead of passing as a free string.
func TestStatusIsReadThroughTheLifecycle(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		repo := ordersql.New(db)
		if err := repo.CreateTrade(ctx, trade(t, "T1", "u1", time.Now())); err != nil {
			t.Fatal(err)
		}
		o, err := repo.Order(ctx, "t1", "T1-a")
		if err != nil || o.Scenario() != identity.Scenario("fixed_price") || o.Lifecycle() != order.Standard {
			t.Fatalf("scenario round trip: %v %v", o, err)
		}
		if _, err := db.Primary().ExecContext(ctx, `UPDATE orders SET status = 'teleported' WHERE tenant = 't1' AND order_id = 'T1-b'`); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Trade(ctx, "t1", "T1"); !errors.Is(err, order.ErrUnknownStatus) {
			t.Fatalf("a trade with an unknown status read as %v; want ErrUnknownStatus", err)
		}
		if _, err := repo.Order(ctx, "t1", "T1-a"); err != nil {
			t.Fatalf("its sibling with a known status: %v", err)
		}
		if _, err := db.Primary().ExecContext(ctx, `UPDATE orders SET scenario = 'barter' WHERE tenant = 't1' AND order_id = 'T1-a'`); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Order(ctx, "t1", "T1-a"); err == nil {
			t.Fatal("an order of a scenario with no lifecycle was read")
		}
	})
}
