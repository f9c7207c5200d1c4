package catalogsql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/money"
)

func TestUpsertAndRead(t *testing.T) {
	daltest.Each(t, []dal.Migrations{catalogsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := catalogsql.New(db)
		mk := func(tenant, id, title string, price int64) catalog.SKU {
			sku, err := catalog.NewSKU(tenant, id, title, "s1", money.New(price, money.MustCurrency("CNY")))
			if err != nil {
				t.Fatal(err)
			}
			return sku
		}
		for _, sku := range []catalog.SKU{mk("t1", "a", "Tea", 100), mk("t1", "a", "Green tea", 120), mk("t2", "a", "Other", 1)} {
			if err := s.Upsert(ctx, sku); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, "t1", "a")
		if err != nil || got.Title() != "Green tea" || got.Price().Minor() != 120 {
			t.Fatalf("after update: %+v %v", got, err)
		}
		if _, err := s.Get(ctx, "t1", "zz"); !errors.Is(err, catalog.ErrSKUNotFound) {
			t.Fatalf("missing: got %v", err)
		}
		m, err := s.GetMany(ctx, "t2", []string{"a", "zz"})
		if err != nil || len(m) != 1 || m["a"].Title() != "Other" {
			t.Fatalf("tenant-scoped GetMany: %v %v", m, err)
		}
	})
}

func TestPresaleShipDateRoundTrips(t *testing.T) {
	daltest.Each(t, []dal.Migrations{catalogsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := catalogsql.New(db)
		sku, err := catalog.NewSKU("t1", "mooncake", "Mooncakes", "s1", money.New(8800, money.MustCurrency("CNY")))
		if err != nil {
			t.Fatal(err)
		}
		ships := time.UnixMilli(1_790_000_000_000)
		if err := s.Upsert(ctx, sku.WithPresale(ships)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "t1", "mooncake")
		if err != nil || !got.ShipsAt().Equal(ships) {
			t.Fatalf("got ships at %v (%v); want %v", got.ShipsAt(), err, ships)
		}
		if got.DeliveryType(ships.Add(-time.Second)) != catalog.Presale || got.DeliveryType(ships) != catalog.InStock {
			t.Fatalf("delivery type around the ship date is wrong")
		}
		if err := s.Upsert(ctx, sku); err != nil { // back in stock
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, "t1", "mooncake"); !got.ShipsAt().IsZero() || got.DeliveryType(time.Time{}) != catalog.InStock {
			t.Fatalf("in stock again: ships at %v", got.ShipsAt())
		}
	})
}
