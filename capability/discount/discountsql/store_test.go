package discountsql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/discount/discountsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

func sets() []dal.Migrations { return []dal.Migrations{discountsql.Migrations()} }

func seed(t *testing.T, s *discountsql.Store, c discount.Coupon) {
	t.Helper()
	ctx := context.Background()
	p := discount.Promotion{ID: "vip", Name: "VIP", Kind: discount.AmountOff, Currency: "CNY", Amount: 500, CouponOnly: true, CampaignID: "camp"}
	if err := s.PutPromotion(ctx, "t1", p); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCampaign(ctx, "t1", discount.Campaign{ID: "camp", Name: "Camp", Currency: "CNY", Budget: 10000}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCoupon(ctx, "t1", c); err != nil {
		t.Fatal(err)
	}
}

func TestStoreContract(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := discountsql.New(db)
		seed(t, s, discount.Coupon{Code: "VIP10", PromotionID: "vip", TotalUses: 2, PerUser: 1})
		if err := s.PutCoupon(ctx, "t1", discount.Coupon{Code: "NOPE1", PromotionID: "missing"}); !errors.Is(err, discount.ErrPromotionNotFound) {
			t.Fatalf("coupon of a missing promotion: got %v", err)
		}
		if _, err := s.Coupon(ctx, "t1", "OTHER"); !errors.Is(err, discount.ErrCouponNotFound) {
			t.Fatalf("got %v; want not found", err)
		}
		if _, err := s.Coupon(ctx, "t2", "VIP10"); !errors.Is(err, discount.ErrCouponNotFound) {
			t.Fatalf("another tenant's coupon: got %v; want not found", err)
		}
		ps, err := s.Promotions(ctx, "t1", time.Now())
		if err != nil || len(ps) != 1 || ps[0].Amount != 500 || !ps[0].CouponOnly {
			t.Fatalf("promotions %+v, %v", ps, err)
		}
		redeem := func(trade, user string) error {
			return s.Redeem(ctx, "t1", discount.Redemption{TradeID: trade, UserID: user, Coupons: []string{"VIP10"}, Spend: map[string]int64{"camp": 500}})
		}
		if err := redeem("T1", "u1"); err != nil {
			t.Fatal(err)
		}
		if err := redeem("T2", "u1"); !errors.Is(err, discount.ErrCouponUserLimit) {
			t.Fatalf("second use by u1: got %v; want %v", err, discount.ErrCouponUserLimit)
		}
		if err := redeem("T3", "u2"); err != nil {
			t.Fatal(err)
		}
		if err := redeem("T4", "u3"); !errors.Is(err, discount.ErrCouponExhausted) {
			t.Fatalf("third use: got %v; want %v", err, discount.ErrCouponExhausted)
		}
		c, _ := s.Coupon(ctx, "t1", "VIP10")
		camp, _ := s.Campaign(ctx, "t1", "camp")
		if c.Used != 2 || camp.Spent != 1000 {
			t.Fatalf("used %d spent %d; want 2 and 1000 (failed redemptions must change nothing)", c.Used, camp.Spent)
		}
		if err := s.PutCampaign(ctx, "t1", discount.Campaign{ID: "camp", Name: "Camp", Currency: "CNY", Budget: 999}); !errors.Is(err, discount.ErrBudgetBelowSpent) {
			t.Fatalf("budget below spent: got %v", err)
		}
		// Release gives back once, however often it is called.
		for i := 0; i < 3; i++ {
			if err := s.Release(ctx, "t1", "T1"); err != nil {
				t.Fatal(err)
			}
		}
		c, _ = s.Coupon(ctx, "t1", "VIP10")
		camp, _ = s.Campaign(ctx, "t1", "camp")
		if c.Used != 1 || camp.Spent != 500 {
			t.Fatalf("after release used %d spent %d; want 1 and 500", c.Used, camp.Spent)
		}
		if err := redeem("T5", "u1"); err != nil {
			t.Fatalf("u1 after their order was released: %v", err)
		}
		// Budget: a spend over what is left is refused whole.
		err = s.Redeem(ctx, "t1", discount.Redemption{TradeID: "T6", UserID: "u9", Spend: map[string]int64{"camp": 9001}})
		if !errors.Is(err, discount.ErrBudgetExhausted) {
			t.Fatalf("over budget: got %v", err)
		}
	})
}

// TestReturnSpendGivesBackAShareThenReleaseTheRest: a refunded child order's share of a budget
// goes back, never more than the trade took; the coupon stays used; releasing the trade later
// gives back exactly what is left.
func TestReturnSpendGivesBackAShareThenReleaseTheRest(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := discountsql.New(db)
		seed(t, s, discount.Coupon{Code: "VIP10", PromotionID: "vip", TotalUses: 10})
		if err := s.Redeem(ctx, "t1", discount.Redemption{TradeID: "T1", UserID: "u1", Coupons: []string{"VIP10"},
			Spend: map[string]int64{"camp": 500}}); err != nil {
			t.Fatal(err)
		}
		state := func() (int64, int64) {
			c, _ := s.Coupon(ctx, "t1", "VIP10")
			camp, _ := s.Campaign(ctx, "t1", "camp")
			return c.Used, camp.Spent
		}
		if err := s.ReturnSpend(ctx, "t1", "T1", map[string]int64{"camp": 167}); err != nil {
			t.Fatal(err)
		}
		if used, spent := state(); used != 1 || spent != 333 {
			t.Fatalf("after returning 1.67: coupon used %d, spent %d; want 1 and 333", used, spent)
		}
		for _, bad := range []map[string]int64{{"camp": 334}, {"other": 1}} {
			err := s.ReturnSpend(ctx, "t1", "T1", bad)
			if !errors.Is(err, discount.ErrBudgetReturn) {
				t.Fatalf("return %v: %v; want ErrBudgetReturn", bad, err)
			}
		}
		if err := s.ReturnSpend(ctx, "t1", "T2", map[string]int64{"camp": 1}); !errors.Is(err, discount.ErrBudgetReturn) {
			t.Fatalf("return for a trade that took nothing: %v", err)
		}
		if used, spent := state(); used != 1 || spent != 333 {
			t.Fatalf("refused returns changed the budget: used %d, spent %d", used, spent)
		}
		if err := s.Release(ctx, "t1", "T1"); err != nil {
			t.Fatal(err)
		}
		if used, spent := state(); used != 0 || spent != 0 {
			t.Fatalf("after release: used %d, spent %d; want both 0", used, spent)
		}
	})
}

// TestRedeemConcurrently: 500 parallel redemptions of a coupon with 100 uses succeed exactly 100
// times; 20 parallel redemptions by one buyer of a once-per-buyer coupon succeed exactly once;
// a budget is never overspent.
func TestRedeemConcurrently(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := discountsql.New(db)
		seed(t, s, discount.Coupon{Code: "HUNDRED", PromotionID: "vip", TotalUses: 100})
		if err := s.PutCoupon(ctx, "t1", discount.Coupon{Code: "ONCE", PromotionID: "vip", PerUser: 1}); err != nil {
			t.Fatal(err)
		}
		run := func(n int, f func(ctx context.Context, i int) error) map[string]int {
			var mu sync.Mutex
			got := map[string]int{}
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := db.InTx(ctx, func(ctx context.Context) error { return f(ctx, i) })
					key := "ok"
					if err != nil {
						key = err.Error()
						for _, e := range []error{discount.ErrCouponExhausted, discount.ErrCouponUserLimit, discount.ErrBudgetExhausted} {
							if errors.Is(err, e) {
								key = e.(interface{ Code() string }).Code()
							}
						}
					}
					mu.Lock()
					got[key]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			return got
		}
		got := run(500, func(ctx context.Context, i int) error {
			return s.Redeem(ctx, "t1", discount.Redemption{TradeID: fmt.Sprintf("H%d", i), UserID: fmt.Sprintf("u%d", i), Coupons: []string{"HUNDRED"}})
		})
		if got["ok"] != 100 || got["discount.coupon_exhausted"] != 400 {
			t.Fatalf("500 parallel redemptions of 100 uses: %v", got)
		}
		got = run(20, func(ctx context.Context, i int) error {
			return s.Redeem(ctx, "t1", discount.Redemption{TradeID: fmt.Sprintf("O%d", i), UserID: "same", Coupons: []string{"ONCE"}})
		})
		if got["ok"] != 1 || got["discount.coupon_user_limit"] != 19 {
			t.Fatalf("20 parallel redemptions by one buyer of a once-per-buyer coupon: %v", got)
		}
		got = run(50, func(ctx context.Context, i int) error {
			return s.Redeem(ctx, "t1", discount.Redemption{TradeID: fmt.Sprintf("B%d", i), UserID: "u", Spend: map[string]int64{"camp": 300}})
		})
		camp, _ := s.Campaign(ctx, "t1", "camp")
		if got["ok"] != 33 || camp.Spent != 9900 {
			t.Fatalf("50 parallel spends of 300 from 10000: %v, spent %d; want 33 and 9900", got, camp.Spent)
		}
		c, _ := s.Coupon(ctx, "t1", "HUNDRED")
		if c.Used != 100 {
			t.Fatalf("used %d; want 100", c.Used)
		}
	})
}

// TestCachedPromotions: promotions read through the cache (an hour's TTL) follow every change made
// through it, and filter by end time as the store does.
func TestCachedPromotions(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := discountsql.NewCached(discountsql.New(db), time.Hour)
		now := time.Now()
		ids := func(at time.Time) string {
			ps, err := s.Promotions(ctx, "t1", at)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, p := range ps {
				out = append(out, fmt.Sprintf("%s:%d", p.ID, p.Amount))
			}
			return strings.Join(out, ",")
		}
		if got := ids(now); got != "" {
			t.Fatalf("no promotions yet: %q", got)
		}
		open := discount.Promotion{ID: "open", Name: "Open", Kind: discount.AmountOff, Currency: "CNY", Amount: 100,
			Scope: discount.Scope{SKUs: []string{"tea", "cup"}}}
		ends := discount.Promotion{ID: "ends", Name: "Ends", Kind: discount.AmountOff, Currency: "CNY", Amount: 200, EndsAt: now.Add(time.Hour).UnixMilli()}
		for _, p := range []discount.Promotion{open, ends} {
			if err := s.PutPromotion(ctx, "t1", p); err != nil {
				t.Fatal(err)
			}
		}
		if got := ids(now); got != "ends:200,open:100" {
			t.Fatalf("now: %q", got)
		}
		// What a caller gets is its own: editing its scope leaves the cache as it was.
		got, _ := s.Promotions(ctx, "t1", now)
		for i := range got {
			if got[i].ID == "open" {
				got[i].Scope.SKUs[0] = "kettle"
			}
		}
		again, _ := s.Promotions(ctx, "t1", now)
		for _, p := range again {
			if p.ID == "open" && p.Scope.SKUs[0] != "tea" {
				t.Fatalf("a caller's edit reached the cache: %+v", p.Scope)
			}
		}
		if got := ids(now.Add(2 * time.Hour)); got != "open:100" {
			t.Fatalf("after the end: %q", got)
		}
		if got := ids(time.Time{}); got != "ends:200,open:100" {
			t.Fatalf("all: %q", got)
		}
		open.Amount = 150
		if err := s.PutPromotion(ctx, "t1", open); err != nil {
			t.Fatal(err)
		}
		if got := ids(now); got != "ends:200,open:150" {
			t.Fatalf("after a change: %q", got)
		}
		if ps, _ := s.Promotions(ctx, "t2", now); len(ps) != 0 {
			t.Fatalf("another tenant: %v", ps)
		}
	})
}

// TestListCoupons: newest first a page at a time, with no repeat or gap while coupons are
// created between pages; by promotion and by state at the moment of the list; never another
// tenant's; a forged cursor is discount.invalid_cursor.
func TestListCoupons(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := discountsql.New(db)
		now := time.Now()
		ms := now.UnixMilli()
		seed(t, s, discount.Coupon{Code: "A1", PromotionID: "vip"})
		other := discount.Promotion{ID: "spring", Name: "Spring", Kind: discount.AmountOff, Currency: "CNY", Amount: 100, CouponOnly: true}
		if err := s.PutPromotion(ctx, "t1", other); err != nil {
			t.Fatal(err)
		}
		if err := s.PutPromotion(ctx, "t2", other); err != nil {
			t.Fatal(err)
		}
		put := func(tenant string, c discount.Coupon) {
			t.Helper()
			if err := s.PutCoupon(ctx, tenant, c); err != nil {
				t.Fatal(err)
			}
		}
		put("t1", discount.Coupon{Code: "A2", PromotionID: "vip", ValidFrom: ms + 3600_000})                      // scheduled
		put("t1", discount.Coupon{Code: "A3", PromotionID: "vip", ValidTo: ms - 1})                               // ended
		put("t1", discount.Coupon{Code: "A4", PromotionID: "spring", DisabledAt: ms - 10})                        // disabled
		put("t1", discount.Coupon{Code: "A5", PromotionID: "spring", TotalUses: 1})                               // used up below
		put("t1", discount.Coupon{Code: "A6", PromotionID: "spring", ValidFrom: ms - 10, ValidTo: ms + 3600_000}) // active
		put("t2", discount.Coupon{Code: "B1", PromotionID: "spring"})
		if err := s.Redeem(ctx, "t1", discount.Redemption{TradeID: "T1", UserID: "u1", Coupons: []string{"A5"}}); err != nil {
			t.Fatal(err)
		}
		codes := func(f discount.CouponFilter, limit int, between func()) []string {
			t.Helper()
			var out []string
			cursor := ""
			for {
				p, err := s.ListCoupons(ctx, "t1", f, now, limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range p.Coupons {
					out = append(out, c.Code+"="+c.StateAt(now))
				}
				if p.Next == "" {
					return out
				}
				cursor = p.Next
				if between != nil {
					between()
				}
			}
		}
		n := 0
		got := codes(discount.CouponFilter{}, 2, func() { n++; put("t1", discount.Coupon{Code: fmt.Sprintf("NEW%d", n), PromotionID: "vip"}) })
		want := "A6=active A5=used_up A4=disabled A3=ended A2=scheduled A1=active"
		if strings.Join(got, " ") != want {
			t.Errorf("all, two a page with coupons created between pages: %v; want %s", got, want)
		}
		for _, c := range []struct {
			f    discount.CouponFilter
			want string
		}{
			{discount.CouponFilter{PromotionID: "spring"}, "A6=active A5=used_up A4=disabled"},
			{discount.CouponFilter{State: discount.StateActive}, "NEW2=active NEW1=active A6=active A1=active"},
			{discount.CouponFilter{State: discount.StateScheduled}, "A2=scheduled"},
			{discount.CouponFilter{State: discount.StateEnded}, "A3=ended"},
			{discount.CouponFilter{State: discount.StateDisabled}, "A4=disabled"},
			{discount.CouponFilter{State: discount.StateUsedUp}, "A5=used_up"},
			{discount.CouponFilter{PromotionID: "spring", State: discount.StateActive}, "A6=active"},
		} {
			if got := strings.Join(codes(c.f, 100, nil), " "); got != c.want {
				t.Errorf("%+v: %s; want %s", c.f, got, c.want)
			}
		}
		if _, err := s.ListCoupons(ctx, "t1", discount.CouponFilter{}, now, 10, "forged"); !errors.Is(err, discount.ErrInvalidCursor) {
			t.Errorf("forged cursor: %v; want %v", err, discount.ErrInvalidCursor)
		}
	})
}
