package catalogsql_test

import (
	"context"
	"errors"
	"testing"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
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
