package catalogsql_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/money"
)

// TestListSKUs: filters by seller, tag (whole tags only: "tea" is not "tea_set", and '_' is no
// wildcard) and a piece of title (ASCII in any case); pages that neither repeat nor skip while
// SKUs are added and updated; another tenant's never appear; a forged cursor is refused.
func TestListSKUs(t *testing.T) {
	daltest.Each(t, []dal.Migrations{catalogsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := catalogsql.New(db)
		put := func(tenant, id, title, seller string, tags ...string) {
			t.Helper()
			sku, err := catalog.NewSKU(tenant, id, title, seller, money.New(100, money.MustCurrency("CNY")), tags...)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Upsert(ctx, sku); err != nil {
				t.Fatal(err)
			}
		}
		list := func(tenant string, f catalog.Filter, limit int, between func()) []string {
			t.Helper()
			var ids []string
			cursor := ""
			for pages := 0; pages < 50; pages++ {
				p, err := s.List(ctx, tenant, f, limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				for _, sku := range p.SKUs {
					ids = append(ids, sku.ID())
				}
				if p.Next == "" {
					return ids
				}
				cursor = p.Next
				if between != nil {
					between()
				}
			}
			t.Fatal("paging does not end")
			return nil
		}
		put("t1", "longjing", "Longjing Green Tea", "s1", "tea", "china")
		put("t1", "set", "Tea set", "s2", "tea_set")
		put("t1", "cup", "Glass cup", "s2", "glass")
		put("t1", "xteax", "Oolong", "s1", "teax")
		put("t1", "puer", "普洱 Pu'er tea", "s1", "tea")
		put("t2", "longjing", "Longjing", "s1", "tea")
		all := list("t1", catalog.Filter{}, 100, nil)
		if len(all) != 5 {
			t.Fatalf("all of t1: %v", all)
		}
		keep := func(ids ...string) []string { // in all's order
			return slices.DeleteFunc(slices.Clone(all), func(id string) bool { return !slices.Contains(ids, id) })
		}
		for _, c := range []struct {
			name string
			f    catalog.Filter
			want []string
		}{
			{"seller", catalog.Filter{SellerID: "s2"}, keep("set", "cup")},
			{"tag", catalog.Filter{Tag: "tea"}, keep("longjing", "puer")},
			{"tag with an underscore", catalog.Filter{Tag: "tea_set"}, keep("set")},
			{"an underscore is no wildcard", catalog.Filter{Tag: "tea_"}, nil},
			{"title, any case", catalog.Filter{Title: "TEA"}, keep("longjing", "set", "puer")},
			{"title in Chinese", catalog.Filter{Title: "普洱"}, keep("puer")},
			{"a percent is no wildcard", catalog.Filter{Title: "%"}, nil},
			{"seller and tag", catalog.Filter{SellerID: "s1", Tag: "tea"}, keep("longjing", "puer")},
		} {
			if got := list("t1", c.f, 2, nil); !slices.Equal(got, c.want) {
				t.Errorf("%s: got %v; want %v", c.name, got, c.want)
			}
		}
		if got := list("t2", catalog.Filter{}, 10, nil); !slices.Equal(got, []string{"longjing"}) {
			t.Errorf("t2: got %v", got)
		}
		n := 0
		got := list("t1", catalog.Filter{}, 2, func() {
			n++
			put("t1", fmt.Sprint("new", n), "New", "s3")
			put("t1", "cup", fmt.Sprint("Glass cup, edition ", n), "s2", "glass") // an update does not move it
		})
		if !slices.Equal(got, all) {
			t.Errorf("pages while SKUs are added and updated: got %v; want %v", got, all)
		}
		for _, bad := range []string{"garbage", "LTE6eA", "YTpi", "MTo"} {
			if _, err := s.List(ctx, "t1", catalog.Filter{}, 2, bad); !errors.Is(err, catalog.ErrInvalidCursor) {
				t.Errorf("cursor %q: %v", bad, err)
			}
		}
	})
}
