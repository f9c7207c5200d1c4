package pricingsql_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/capability/pricing/pricingsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

// TestPriceListStore runs on the store and on its cache (an hour's TTL: every change below must
// reach the cache through invalidation, not expiry).
func TestPriceListStore(t *testing.T) {
	for name, open := range map[string]func(*dal.DB) pricing.PriceStore{
		"store":  func(db *dal.DB) pricing.PriceStore { return pricingsql.New(db) },
		"cached": func(db *dal.DB) pricing.PriceStore { return pricingsql.NewCached(pricingsql.New(db), time.Hour) },
	} {
		t.Run(name, func(t *testing.T) { testPriceListStore(t, open) })
	}
}

func testPriceListStore(t *testing.T, open func(*dal.DB) pricing.PriceStore) {
	daltest.Each(t, []dal.Migrations{pricingsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := open(db)
		noon := time.UnixMilli(time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC).UnixMilli())
		big := map[string]int64{}
		for i := 0; i < pricing.MaxListPrices; i++ {
			big[fmt.Sprintf("sku-%04d", i)] = int64(i)
		}
		big["tea"] = 700
		sale := pricing.PriceList{ID: "1111", Name: "Singles' Day", Currency: "CNY", StartsAt: noon.Add(-time.Hour), EndsAt: noon.Add(time.Hour),
			Priority: 2, Prices: big}
		gold := pricing.PriceList{ID: "gold", Name: "Gold", Currency: "CNY", Channels: []string{"app", "mp"}, MemberLevels: []string{"gold"},
			Prices: map[string]int64{"tea": 880, "cup": 450}}
		usd := pricing.PriceList{ID: "usd", Name: "Dollars", Currency: "USD", Prices: map[string]int64{"tea": 150}}
		for _, l := range []pricing.PriceList{sale, gold, usd} {
			if err := s.PutPriceList(ctx, "t1", l); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutPriceList(ctx, "t2", pricing.PriceList{ID: "gold", Name: "Other tenant", Currency: "CNY", Prices: map[string]int64{"tea": 1}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.PriceList(ctx, "t1", "gold")
		if err != nil || got.Name != "Gold" || fmt.Sprint(got.Channels) != "[app mp]" || fmt.Sprint(got.MemberLevels) != "[gold]" ||
			!got.StartsAt.IsZero() || len(got.Prices) != 2 || got.Prices["cup"] != 450 {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		if got, _ := s.PriceList(ctx, "t1", "1111"); len(got.Prices) != pricing.MaxListPrices+1 || !got.StartsAt.Equal(sale.StartsAt) || !got.EndsAt.Equal(sale.EndsAt) {
			t.Fatalf("big list: %d prices, %v-%v", len(got.Prices), got.StartsAt, got.EndsAt)
		}
		if cs, err := s.Candidates(ctx, "t1", "CNY", noon, []string{"cup"}); err != nil || len(cs) != 1 || cs[0].Price != 450 {
			t.Fatalf("cup before the replacement: %v %v", cs, err)
		}
		// Replacing a list replaces its prices: cup is gone.
		gold.Prices = map[string]int64{"tea": 860}
		gold.Channels = nil
		if err := s.PutPriceList(ctx, "t1", gold); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.PriceList(ctx, "t1", "gold"); len(got.Prices) != 1 || got.Prices["tea"] != 860 || got.Channels != nil {
			t.Fatalf("replaced: %+v", got)
		}
		if cs, err := s.Candidates(ctx, "t1", "CNY", noon, []string{"cup"}); err != nil || len(cs) != 0 {
			t.Fatalf("cup after the replacement: %v %v", cs, err)
		}
		lists, counts, err := s.PriceLists(ctx, "t1")
		if err != nil || len(lists) != 3 || lists[0].ID != "1111" || counts[0] != pricing.MaxListPrices+1 || counts[1] != 1 || lists[1].Prices != nil {
			t.Fatalf("lists: %v %v %v", lists, counts, err)
		}

		cands := func(cur string, at time.Time, skus ...string) map[string]int64 {
			cs, err := s.Candidates(ctx, "t1", cur, at, skus)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int64{}
			for _, c := range cs {
				out[c.List.ID+"/"+c.SKUID] = c.Price
			}
			return out
		}
		if got := cands("CNY", noon, "tea", "cup"); fmt.Sprint(got) != "map[1111/tea:700 gold/tea:860]" {
			t.Fatalf("candidates at noon: %v", got)
		}
		if got := cands("CNY", noon.Add(time.Hour), "tea"); fmt.Sprint(got) != "map[gold/tea:860]" {
			t.Fatalf("candidates after the sale: %v", got)
		}
		if got := cands("USD", noon, "tea", "cup"); fmt.Sprint(got) != "map[usd/tea:150]" {
			t.Fatalf("dollar candidates: %v", got)
		}
		if err := s.DeletePriceList(ctx, "t1", "1111"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePriceList(ctx, "t1", "1111"); !errors.Is(err, pricing.ErrPriceListNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if _, err := s.PriceList(ctx, "t1", "1111"); !errors.Is(err, pricing.ErrPriceListNotFound) {
			t.Fatalf("deleted list: %v", err)
		}
		if got := cands("CNY", noon, "tea", "sku-0001"); fmt.Sprint(got) != "map[gold/tea:860]" {
			t.Fatalf("candidates after delete: %v", got)
		}
	})
}

// TestCachedReadsInsideATransaction: inside a transaction the cache reads through it, so the
// transaction's own writes are seen (and on SQLite's one connection the read does not wait for
// itself), and nothing read there is kept once the transaction rolls back.
func TestCachedReadsInsideATransaction(t *testing.T) {
	daltest.Each(t, []dal.Migrations{pricingsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := pricingsql.NewCached(pricingsql.New(db), time.Hour)
		rollback := errors.New("roll back")
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := s.PutPriceList(ctx, "t1", pricing.PriceList{ID: "l1", Name: "L1", Currency: "CNY", Prices: map[string]int64{"tea": 5}}); err != nil {
				return err
			}
			cs, err := s.Candidates(ctx, "t1", "CNY", time.Now(), []string{"tea"})
			if err != nil || len(cs) != 1 {
				t.Errorf("inside the transaction: %v %v", cs, err)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if cs, err := s.Candidates(ctx, "t1", "CNY", time.Now(), []string{"tea"}); err != nil || len(cs) != 0 {
			t.Fatalf("after the rollback: %v %v", cs, err)
		}
	})
}
