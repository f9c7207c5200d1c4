package limitssql_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/limits/limitssql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

// TestClaimsUnderConcurrency: a per-user limit of 1 claimed by 20 parallel transactions of one
// buyer passes exactly once; a limit of 5 units by 40 parallel claims of 1 passes exactly 5 times;
// a release gives back once.
func TestClaimsUnderConcurrency(t *testing.T) {
	daltest.Each(t, []dal.Migrations{limitssql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := limitssql.New(db)
		key := limits.Key{RuleID: "one", Subject: "u1", Period: "all"}
		race := func(n int, c limits.Claim) int64 {
			if err := s.Ensure(ctx, "t1", []limits.Key{c.Key}); err != nil {
				t.Fatal(err)
			}
			var ok atomic.Int64
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := db.InTx(ctx, func(ctx context.Context) error { return s.Claim(ctx, "t1", fmt.Sprintf("O%d", i), c) })
					switch {
					case err == nil:
						ok.Add(1)
					case !errors.Is(err, limits.ErrLimitExceeded):
						t.Errorf("claim: %v", err)
					}
				}()
			}
			wg.Wait()
			return ok.Load()
		}
		if n := race(20, limits.Claim{Key: key, Amount: 1, Max: 1}); n != 1 {
			t.Fatalf("limit 1, 20 parallel claims: %d passed", n)
		}
		five := limits.Key{RuleID: "five", Subject: "u1", Period: "d:2026-11-21"}
		if n := race(40, limits.Claim{Key: five, Amount: 1, Max: 5}); n != 5 {
			t.Fatalf("limit 5, 40 parallel claims: %d passed", n)
		}
		used, err := s.Usage(ctx, "t1", []limits.Key{key, five})
		if err != nil || used[key] != 1 || used[five] != 5 {
			t.Fatalf("usage %v, %v", used, err)
		}
		// Find the order that won the limit of 1 and release it twice.
		for i := 0; i < 20; i++ {
			if err := s.Release(ctx, "t1", fmt.Sprintf("O%d", i)); err != nil {
				t.Fatal(err)
			}
			if err := s.Release(ctx, "t1", fmt.Sprintf("O%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		// The counter of five now holds exactly the claims that were not released.
		var left int64
		if err := db.Primary().QueryRow(`SELECT COUNT(*) FROM limit_claims WHERE rule_id = 'five'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		used, _ = s.Usage(ctx, "t1", []limits.Key{key, five})
		if used[key] != 0 || used[five] != left {
			t.Fatalf("after release: %v; want one: 0, five: %d", used, left)
		}
	})
}

// TestReleaseUnits: an order that claimed 3 cups and 2 saucers under one items rule and one
// order under another gives back the cups one after-sale at a time; the order-count claim stays
// until the whole order is released, and a unit the claim did not count gives back nothing.
func TestReleaseUnits(t *testing.T) {
	daltest.Each(t, []dal.Migrations{limitssql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := limitssql.New(db)
		items := limits.Key{RuleID: "items", Subject: "u1", Period: "all"}
		orders := limits.Key{RuleID: "orders", Subject: "u1", Period: "all"}
		if err := s.Ensure(ctx, "t1", []limits.Key{items, orders}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []limits.Claim{
			{Key: items, Amount: 5, Max: 10, Units: map[string]int64{"cup": 3, "saucer": 2}},
			{Key: orders, Amount: 1, Max: 3},
		} {
			if err := s.Claim(ctx, "t1", "O1", c); err != nil {
				t.Fatal(err)
			}
		}
		usage := func() (int64, int64) {
			u, err := s.Usage(ctx, "t1", []limits.Key{items, orders})
			if err != nil {
				t.Fatal(err)
			}
			return u[items], u[orders]
		}
		for i, step := range []struct {
			units        map[string]int64
			items, count int64
		}{
			{map[string]int64{"cup": 1}, 4, 1},
			{map[string]int64{"cup": 1, "spoon": 4}, 3, 1},
			{map[string]int64{"cup": 5}, 2, 1}, // only one cup is left to give back
			{map[string]int64{"saucer": 2}, 0, 1},
			{map[string]int64{"saucer": 1}, 0, 1},
		} {
			if err := s.ReleaseUnits(ctx, "t1", "O1", step.units); err != nil {
				t.Fatal(err)
			}
			if it, n := usage(); it != step.items || n != step.count {
				t.Fatalf("after step %d (%v): items %d, orders %d; want %d and %d", i, step.units, it, n, step.items, step.count)
			}
		}
		if err := s.Release(ctx, "t1", "O1"); err != nil {
			t.Fatal(err)
		}
		if it, n := usage(); it != 0 || n != 0 {
			t.Fatalf("after the whole release: items %d, orders %d", it, n)
		}
	})
}

// TestCachedRules: rules read through the cache (an hour's TTL) follow every change made
// through it, and a caller changing what it got does not change what others get.
func TestCachedRules(t *testing.T) {
	daltest.Each(t, []dal.Migrations{limitssql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := limitssql.NewCached(limitssql.New(db), time.Hour)
		if rs, err := s.Rules(ctx, "t1"); err != nil || len(rs) != 0 {
			t.Fatalf("no rules yet: %v %v", rs, err)
		}
		one := limits.Rule{ID: "one", Name: "One each", Kind: limits.PerUser, SKUs: []string{"tea"}, Period: limits.Lifetime, Max: 1}
		if err := s.PutRule(ctx, "t1", one); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Rules(ctx, "t1")
		if err != nil || len(rs) != 1 || rs[0].Max != 1 {
			t.Fatalf("after put: %v %v", rs, err)
		}
		// What a caller gets is its own: editing it, slices included, leaves the cache as it was.
		rs[0].Max, rs[0].SKUs[0], rs[0].Categories = 99, "kettle", append(rs[0].Categories, "tea-leaves")
		if again, _ := s.Rules(ctx, "t1"); len(again) != 1 || again[0].Max != 1 || again[0].SKUs[0] != "tea" || len(again[0].Categories) != 0 {
			t.Fatalf("a caller's edit reached the cache: %+v", again)
		}
		one.Max = 2
		if err := s.PutRule(ctx, "t1", one); err != nil {
			t.Fatal(err)
		}
		if rs, _ := s.Rules(ctx, "t1"); len(rs) != 1 || rs[0].Max != 2 {
			t.Fatalf("after a change: %v", rs)
		}
		if rs, _ := s.Rules(ctx, "t2"); len(rs) != 0 {
			t.Fatalf("another tenant: %v", rs)
		}
	})
}
