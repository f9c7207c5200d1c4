package paymentsql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/paymentsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

func TestPaymentStore(t *testing.T) {
	daltest.Each(t, []dal.Migrations{paymentsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := paymentsql.New(db)
		now := time.UnixMilli(time.Now().UnixMilli())
		p := payment.New("P1", "t1", "T1", "u1", "sandbox", money.New(1990, money.MustCurrency("CNY")), now)
		p.SetProviderRef("sbx_1")
		if err := s.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, payment.New("P2", "t1", "T1", "u1", "sandbox", money.New(5, money.MustCurrency("CNY")), now.Add(time.Second))); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(ctx context.Context) error {
			got, err := s.Lock(ctx, "P1")
			if err != nil {
				return err
			}
			if changed, err := got.Settle(payment.OutcomeSucceeded, now); err != nil || !changed {
				t.Fatalf("settle: %v %v", changed, err)
			}
			return s.Save(ctx, got)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "P1")
		if err != nil || got.Status() != payment.Succeeded || got.ProviderRef() != "sbx_1" || !got.SettledAt().Equal(now) || got.Amount().Minor() != 1990 {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		list, err := s.ByTrade(ctx, "t1", "T1")
		if err != nil || len(list) != 2 || list[0].ID() != "P1" {
			t.Fatalf("by trade: %v %v", list, err)
		}
		if list, _ := s.ByTrade(ctx, "t2", "T1"); len(list) != 0 {
			t.Fatalf("another tenant sees payments: %v", list)
		}
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("missing: got %v", err)
		}
	})
}
