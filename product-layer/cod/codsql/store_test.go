package codsql_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/product-layer/cod"
	"github.com/atriumtrade/atrium/product-layer/cod/codsql"
)

func TestRulesAndRefusals(t *testing.T) {
	daltest.Each(t, []dal.Migrations{codsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := codsql.New(db)
		if _, found, err := s.Rules(ctx, "t1"); err != nil || found {
			t.Fatalf("no rules yet: found=%v %v", found, err)
		}
		two := int64(2)
		r := cod.Rules{Enabled: true, MaxAmount: 50000, Currency: "CNY", Regions: []cod.Region{{Country: "CN", Province: "浙江省"},
			{Country: "CN", Province: "上海市", City: "上海市"}}, ExcludedTags: []string{"fresh"}, MaxRefusals: &two, RefusalWindowDays: 30, UpdatedAt: 7}
		if err := s.PutRules(ctx, "t1", r); err != nil {
			t.Fatal(err)
		}
		got, found, err := s.Rules(ctx, "t1")
		if err != nil || !found || !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip: %+v %v %v", got, found, err)
		}
		r.Enabled = false
		if err := s.PutRules(ctx, "t1", r); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s.Rules(ctx, "t1"); got.Enabled {
			t.Fatal("the second put did not replace the rules")
		}
		if _, found, _ := s.Rules(ctx, "t2"); found {
			t.Fatal("another tenant sees the rules")
		}

		now := time.UnixMilli(1_800_000_000_000)
		for i, id := range []string{"O1", "O2", "O2", "O3"} { // O2 twice counts once
			if err := s.RecordRefusal(ctx, "t1", "u1", id, now.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RecordRefusal(ctx, "t1", "u2", "O4", now); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			user  string
			since time.Time
			want  int64
		}{{"u1", now, 3}, {"u1", now.Add(90 * time.Minute), 1}, {"u2", now, 1}, {"u3", now, 0}} {
			if n, err := s.Refusals(ctx, "t1", c.user, c.since); err != nil || n != c.want {
				t.Fatalf("refusals of %s since %v: %d %v; want %d", c.user, c.since, n, err, c.want)
			}
		}
		if n, _ := s.Refusals(ctx, "t2", "u1", now); n != 0 {
			t.Fatalf("another tenant counts %d refusals", n)
		}
	})
}

// TestCachedRules: rules read through the cache are those stored, a write through it is seen at
// once, and editing what a read returned does not edit the cache.
func TestCachedRules(t *testing.T) {
	daltest.Each(t, []dal.Migrations{codsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		c := codsql.NewCached(codsql.New(db), time.Hour)
		if _, found, err := c.Rules(ctx, "t1"); err != nil || found {
			t.Fatalf("no rules yet: %v %v", found, err)
		}
		one := int64(1)
		r := cod.Rules{Enabled: true, Currency: "CNY", Regions: []cod.Region{{Country: "CN", Province: "浙江省"}}, ExcludedTags: []string{"fresh"},
			MaxRefusals: &one, RefusalWindowDays: 30}
		if err := c.PutRules(ctx, "t1", r); err != nil {
			t.Fatal(err)
		}
		got, found, err := c.Rules(ctx, "t1")
		if err != nil || !found || !reflect.DeepEqual(got, r) {
			t.Fatalf("after a write through the cache: %+v %v %v", got, found, err)
		}
		got.Regions[0].Province, got.ExcludedTags[0], *got.MaxRefusals = "x", "x", 9
		if again, _, _ := c.Rules(ctx, "t1"); !reflect.DeepEqual(again, r) {
			t.Fatalf("an edit of a read changed the cache: %+v", again)
		}
	})
}
