package deliverysql_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/delivery/deliverysql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

// TestTemplates runs on the store and on its cache (an hour's TTL: a change must reach the cache
// through invalidation).
func TestTemplates(t *testing.T) {
	for name, open := range map[string]func(*dal.DB) delivery.Store{
		"store":  func(db *dal.DB) delivery.Store { return deliverysql.New(db) },
		"cached": func(db *dal.DB) delivery.Store { return deliverysql.NewCached(deliverysql.New(db), time.Hour) },
	} {
		t.Run(name, func(t *testing.T) { testTemplates(t, open) })
	}
}

func testTemplates(t *testing.T, open func(*dal.DB) delivery.Store) {
	daltest.Each(t, []dal.Migrations{deliverysql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := open(db)
		if got, err := s.ForSellers(ctx, "t1", "CNY", []string{"s1"}); err != nil || len(got) != 0 {
			t.Fatalf("before any template: %v %v", got, err)
		}
		for _, tp := range []delivery.Template{
			{SellerID: "s1", Currency: "CNY", Fee: 1000, FreeOver: 9900},
			{SellerID: "s1", Currency: "CNY", Fee: 1200, FreeOver: 0}, // replaces
			{SellerID: "s1", Currency: "USD", Fee: 5},
			{SellerID: "*", Currency: "CNY", Fee: 800},
			{SellerID: "s2", Currency: "CNY", Fee: 1},
		} {
			if err := s.Put(ctx, "t1", tp); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Put(ctx, "t2", delivery.Template{SellerID: "s1", Currency: "CNY", Fee: 7}); err != nil {
			t.Fatal(err)
		}
		all, err := s.Templates(ctx, "t1")
		if err != nil || len(all) != 4 {
			t.Fatalf("templates: %v %v", all, err)
		}
		got, err := s.ForSellers(ctx, "t1", "CNY", []string{"s1", "s9"})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]delivery.Template{}
		for _, tp := range got {
			m[tp.SellerID] = tp
		}
		want := map[string]delivery.Template{"s1": {SellerID: "s1", Currency: "CNY", Fee: 1200}, "*": {SellerID: "*", Currency: "CNY", Fee: 800}}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("got %v; want %v", m, want)
		}
		if err := s.Put(ctx, "t1", delivery.Template{SellerID: "s1", Currency: "CNY", Fee: 1300}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ForSellers(ctx, "t1", "CNY", []string{"s1"}); len(got) != 2 || (got[0].Fee != 1300 && got[1].Fee != 1300) {
			t.Fatalf("after a change: %v", got)
		}
	})
}
