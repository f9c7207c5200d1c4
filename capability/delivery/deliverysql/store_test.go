package deliverysql_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/delivery/deliverysql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

func TestTemplates(t *testing.T) {
	daltest.Each(t, []dal.Migrations{deliverysql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := deliverysql.New(db)
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
	})
}
