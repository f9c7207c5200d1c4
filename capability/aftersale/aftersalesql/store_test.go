package aftersalesql_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/capability/aftersale/aftersalesql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/money"
)

var cny = money.MustCurrency("CNY")

func newRequest(t *testing.T, id, user, orderID string, at time.Time) *aftersale.AfterSale {
	t.Helper()
	a, err := aftersale.New(aftersale.Spec{ID: id, Tenant: "t1", TradeID: "T1", OrderID: orderID, UserID: user, Kind: aftersale.ReturnRefund,
		Lines: []aftersale.Line{
			{LineNo: 1, SKUID: "cup", WarehouseID: "wh1", Quantity: 2, Amount: money.New(6666, cny), Discount: money.New(334, cny)},
			{LineNo: 3, SKUID: "saucer", WarehouseID: "wh2", Quantity: 1, Amount: money.New(900, cny), Discount: money.New(0, cny)},
		}, Shipping: money.New(500, cny), Reason: "damaged", Note: "杯子碎了"}, at)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStore(t *testing.T) {
	daltest.Each(t, []dal.Migrations{aftersalesql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := aftersalesql.New(db)
		at := time.UnixMilli(time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC).UnixMilli())
		a := newRequest(t, "AS1", "alice", "O1", at)
		if err := s.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, a); err == nil {
			t.Fatal("the same id twice was accepted")
		}
		got, err := s.Get(ctx, "t1", "AS1")
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Fatalf("round trip:\n got %+v %v\nwant %+v", got, err, a)
		}
		if _, err := s.Get(ctx, "t2", "AS1"); !errors.Is(err, aftersale.ErrNotFound) {
			t.Fatalf("another tenant's request: %v", err)
		}

		// A transition saves over the version read; a stale copy is refused.
		stale, _ := s.Get(ctx, "t1", "AS1")
		if err := db.InTx(ctx, func(ctx context.Context) error {
			locked, err := s.Lock(ctx, "t1", "AS1")
			if err != nil {
				return err
			}
			less := money.New(5000, cny)
			if err := locked.Approve(&less, "scratched", "ops", at.Add(time.Hour)); err != nil {
				return err
			}
			return s.Save(ctx, locked)
		}); err != nil {
			t.Fatal(err)
		}
		if err := stale.Reject("no", "ops", at); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, stale); !errors.Is(err, aftersale.ErrConcurrentUpdate) {
			t.Fatalf("stale save: %v", err)
		}
		got, _ = s.Get(ctx, "t1", "AS1")
		if got.Status() != aftersale.Approved || got.Amount().Minor() != 5000 || got.Computed().Minor() != 8066 || got.Decision() != "scratched" ||
			got.Version() != 2 {
			t.Fatalf("after approval: %s %s of %s %q v%d", got.Status(), got.Amount(), got.Computed(), got.Decision(), got.Version())
		}
		for _, step := range []func(*aftersale.AfterSale) error{
			func(a *aftersale.AfterSale) error {
				return a.ShipBack(aftersale.Shipment{Carrier: "sf", TrackingNo: "SF100"}, at.Add(2*time.Hour))
			},
			func(a *aftersale.AfterSale) error { return a.Receive(aftersale.Damaged, "ops2", at.Add(3*time.Hour)) },
			func(a *aftersale.AfterSale) error { return a.StartRefund([]string{"R1", "R2"}, at.Add(4*time.Hour)) },
		} {
			cur, _ := s.Get(ctx, "t1", "AS1")
			if err := step(cur); err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx, cur); err != nil {
				t.Fatal(err)
			}
		}
		got, _ = s.Get(ctx, "t1", "AS1")
		if got.Status() != aftersale.Refunding || got.Condition() != aftersale.Damaged || got.Shipment().TrackingNo != "SF100" ||
			fmt.Sprint(got.RefundIDs()) != "[R1 R2]" || !got.UpdatedAt().Equal(at.Add(4*time.Hour)) {
			t.Fatalf("after the return: %s %s %+v %v %v", got.Status(), got.Condition(), got.Shipment(), got.RefundIDs(), got.UpdatedAt())
		}

		// An order's requests, oldest first; lists newest first, by buyer or by status, in pages.
		for i := 2; i <= 7; i++ {
			user := "alice"
			if i%2 == 1 {
				user = "bob"
			}
			order := "O1"
			if i > 3 {
				order = fmt.Sprint("O", i)
			}
			if err := s.Create(ctx, newRequest(t, fmt.Sprint("AS", i), user, order, at.Add(time.Duration(i)*time.Minute))); err != nil {
				t.Fatal(err)
			}
		}
		of, err := s.OfOrder(ctx, "t1", "O1")
		if err != nil || len(of) != 3 || of[0].ID() != "AS1" || of[2].ID() != "AS3" || len(of[1].Lines()) != 2 {
			t.Fatalf("of order O1: %v %v", ids(of), err)
		}
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			p, err := s.List(ctx, "t1", aftersale.Filter{UserID: "alice"}, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ids(p.AfterSales)...)
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if fmt.Sprint(seen) != "[AS6 AS4 AS2 AS1]" {
			t.Fatalf("alice's requests: %v", seen)
		}
		if p, err := s.List(ctx, "t1", aftersale.Filter{Status: aftersale.Requested}, 10, ""); err != nil || len(p.AfterSales) != 6 || p.Next != "" {
			t.Fatalf("requested: %v %q %v", ids(p.AfterSales), p.Next, err)
		}
		if p, _ := s.List(ctx, "t1", aftersale.Filter{Status: aftersale.Refunding}, 10, ""); fmt.Sprint(ids(p.AfterSales)) != "[AS1]" {
			t.Fatalf("refunding: %v", ids(p.AfterSales))
		}
		for _, bad := range []string{"x", "1:", ":AS1", "abc:AS1"} {
			if _, err := s.List(ctx, "t1", aftersale.Filter{}, 10, bad); !errors.Is(err, aftersale.ErrInvalidCursor) {
				t.Fatalf("cursor %q: %v", bad, err)
			}
		}
	})
}

func ids(as []*aftersale.AfterSale) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID()
	}
	return out
}

func TestPolicy(t *testing.T) {
	daltest.Each(t, []dal.Migrations{aftersalesql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := aftersalesql.New(db)
		if p, err := s.Policy(ctx, "t1"); err != nil || !reflect.DeepEqual(p, aftersale.DefaultPolicy()) {
			t.Fatalf("no policy yet: %+v %v; want the default", p, err)
		}
		p := aftersale.Policy{ReturnWindow: 15 * 24 * time.Hour, TagWindows: map[string]time.Duration{"fresh": 0, "sale": 72 * time.Hour},
			Shipping: aftersale.ShipAlways, SellerWindow: 0, ShipBackWindow: 5 * 24 * time.Hour}
		if err := s.PutPolicy(ctx, "t1", p); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Policy(ctx, "t1"); err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		if got, _ := s.Policy(ctx, "t2"); !reflect.DeepEqual(got, aftersale.DefaultPolicy()) {
			t.Fatalf("another tenant: %+v", got)
		}
		bad := p
		bad.Shipping = "sometimes"
		if err := s.PutPolicy(ctx, "t1", bad); !errors.Is(err, aftersale.ErrInvalidPolicy) {
			t.Fatalf("bad policy: %v", err)
		}
		if got, _ := s.Policy(ctx, "t1"); !reflect.DeepEqual(got, p) {
			t.Fatalf("a refused policy changed the stored one: %+v", got)
		}
	})
}
