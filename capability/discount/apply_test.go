package discount_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/discount"
)

var now = time.UnixMilli(1_800_000_000_000)

func line(sku, seller string, qty, unit int64, cats ...string) discount.Line {
	return discount.Line{SKUID: sku, SellerID: seller, Categories: cats, Quantity: qty, UnitPrice: unit, Total: qty * unit}
}

func promo(id string, kind discount.Kind, f func(*discount.Promotion)) discount.Promotion {
	p := discount.Promotion{ID: id, Name: id, Kind: kind, Currency: "CNY"}
	if f != nil {
		f(&p)
	}
	return p
}

// cart is the cart most cases use: three lines, 100.00 + 2 × 30.00 + 3 × 9.99 = 189.97.
var cart = []discount.Line{
	line("A", "s1", 1, 10000, "shoes"),
	line("B", "s1", 2, 3000, "socks"),
	line("C", "s2", 3, 999, "socks", "sale"),
}

func TestApply(t *testing.T) {
	cases := []struct {
		name    string
		lines   []discount.Line
		promos  []discount.Promotion
		coupons []discount.Coupon
		budgets map[string]int64
		rules   discount.Rules
		want    []int64 // per line
		applied []string
		err     error
	}{
		{name: "no promotions", lines: cart, want: []int64{0, 0, 0}},
		{name: "percent off whole order: 10% of 189.97 = 18.99, by share",
			lines:  cart,
			promos: []discount.Promotion{promo("p10", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 1000 })},
			want:   []int64{1000, 600, 299}, applied: []string{"p10"}},
		{name: "percent off scoped to a category",
			lines:  cart,
			promos: []discount.Promotion{promo("socks", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 5000; p.Scope.Categories = []string{"socks"} })},
			want:   []int64{0, 3000, 1498}, applied: []string{"socks"}},
		{name: "amount off scoped to a seller, remainder to the largest fractional share",
			lines:  cart,
			promos: []discount.Promotion{promo("s1", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1001; p.Scope.Sellers = []string{"s1"} })},
			want:   []int64{626, 375, 0}, applied: []string{"s1"}},
		{name: "amount off larger than the lines takes only what they cost",
			lines:  cart,
			promos: []discount.Promotion{promo("big", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 50000; p.Scope.SKUs = []string{"C"} })},
			want:   []int64{0, 0, 2997}, applied: []string{"big"}},
		{name: "spend-save picks the highest tier reached",
			lines: cart,
			promos: []discount.Promotion{promo("tiers", discount.SpendSave, func(p *discount.Promotion) {
				p.Tiers = []discount.Tier{{MinSpend: 10000, Save: 1000}, {MinSpend: 18000, Save: 2500}, {MinSpend: 30000, Save: 5000}}
			})},
			want: []int64{1316, 790, 394}, applied: []string{"tiers"}},
		{name: "spend-save below the first tier does nothing",
			lines: []discount.Line{line("A", "s1", 1, 5000)},
			promos: []discount.Promotion{promo("tiers", discount.SpendSave, func(p *discount.Promotion) {
				p.Tiers = []discount.Tier{{MinSpend: 10000, Save: 1000}}
			})},
			want: []int64{0}},
		{name: "buy 2 get 1 free: the cheapest of each three",
			lines:  []discount.Line{line("A", "s1", 2, 1000), line("B", "s1", 4, 500)},
			promos: []discount.Promotion{promo("b2g1", discount.BuyGet, func(p *discount.Promotion) { p.Buy, p.Get, p.Percent = 2, 1, 10000 })},
			// units by price: 1000 1000 500 | 500 500 500 → one 500 free in each group
			want: []int64{0, 1000}, applied: []string{"b2g1"}},
		{name: "buy 1 get 1 half price, a trailing unit gets nothing",
			lines:  []discount.Line{line("A", "s1", 3, 999)},
			promos: []discount.Promotion{promo("b1g1", discount.BuyGet, func(p *discount.Promotion) { p.Buy, p.Get, p.Percent = 1, 1, 5000 })},
			want:   []int64{499}, applied: []string{"b1g1"}},
		{name: "bundle: any 3 socks for 50.00, most expensive first",
			lines: cart,
			promos: []discount.Promotion{promo("3for50", discount.Bundle, func(p *discount.Promotion) {
				p.BundleQuantity, p.BundlePrice = 3, 5000
				p.Scope.Categories = []string{"socks"}
			})},
			// bundle 3000 3000 999 = 6999 → saves 1999, spread 857 857 285; two C units are left over
			want: []int64{0, 1714, 285}, applied: []string{"3for50"}},
		{name: "bundle priced above its items saves nothing",
			lines: cart,
			promos: []discount.Promotion{promo("bad", discount.Bundle, func(p *discount.Promotion) {
				p.BundleQuantity, p.BundlePrice = 2, 100000
			})},
			want: []int64{0, 0, 0}},
		{name: "time window: not started, ended",
			lines: cart,
			promos: []discount.Promotion{
				promo("later", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 1000; p.StartsAt = now.UnixMilli() + 1 }),
				promo("over", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 1000; p.EndsAt = now.UnixMilli() }),
			},
			want: []int64{0, 0, 0}},
		{name: "minimum spend is judged after earlier discounts",
			lines: []discount.Line{line("A", "s1", 1, 10000)},
			promos: []discount.Promotion{
				promo("first", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.Priority = 10 }),
				promo("min100", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 500; p.MinSpend = 10000 }),
			},
			want: []int64{1000}, applied: []string{"first"}},
		{name: "stacking in priority order, each on what is left",
			lines: []discount.Line{line("A", "s1", 1, 10000)},
			promos: []discount.Promotion{
				promo("pct", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 1000 }),
				promo("amt", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 2000; p.Priority = 5 }),
			},
			// 100.00 - 20.00 = 80.00, then 10% = 8.00
			want: []int64{2800}, applied: []string{"amt", "pct"}},
		{name: "exclusive group: only the first of the group",
			lines: cart,
			promos: []discount.Promotion{
				promo("g-a", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 100; p.Group = "g"; p.Priority = 2 }),
				promo("g-b", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 5000; p.Group = "g"; p.Priority = 1 }),
				promo("other", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 3; p.Scope.SKUs = []string{"A"} }),
			},
			want: []int64{53 + 3, 31, 16}, applied: []string{"g-a", "other"}},
		{name: "exclusive promotion first stops the rest",
			lines: cart,
			promos: []discount.Promotion{
				promo("solo", discount.AmountOff, func(p *discount.Promotion) {
					p.Amount = 1000
					p.Exclusive = true
					p.Priority = 9
					p.Scope.SKUs = []string{"A"}
				}),
				promo("pct", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 1000 }),
			},
			want: []int64{1000, 0, 0}, applied: []string{"solo"}},
		{name: "exclusive promotion after another does not apply",
			lines: cart,
			promos: []discount.Promotion{
				promo("solo", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.Exclusive = true; p.Scope.SKUs = []string{"A"} }),
				promo("pct", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 1000; p.Priority = 9 }),
			},
			want: []int64{1000, 600, 299}, applied: []string{"pct"}},
		{name: "max discount share truncates the promotion that reaches it",
			lines: []discount.Line{line("A", "s1", 1, 10000)},
			rules: discount.Rules{MaxShare: 3000},
			promos: []discount.Promotion{
				promo("a", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 2000; p.Priority = 2 }),
				promo("b", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 2000; p.Priority = 1 }),
				promo("c", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 2000 }),
			},
			want: []int64{3000}, applied: []string{"a", "b"}},
		{name: "a promotion's own cap",
			lines:  cart,
			promos: []discount.Promotion{promo("p50", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 5000; p.MaxDiscount = 2000 })},
			want:   []int64{1053, 632, 315}, applied: []string{"p50"}},
		{name: "a campaign budget truncates, shared by its promotions",
			lines:   []discount.Line{line("A", "s1", 1, 10000)},
			budgets: map[string]int64{"camp": 1500},
			promos: []discount.Promotion{
				promo("a", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.CampaignID = "camp"; p.Priority = 1 }),
				promo("b", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.CampaignID = "camp" }),
				promo("c", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.CampaignID = "gone" }),
			},
			want: []int64{1500}, applied: []string{"a", "b"}},
		{name: "coupon unlocks a coupon-only promotion",
			lines:   cart,
			promos:  []discount.Promotion{promo("vip", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.CouponOnly = true })},
			coupons: []discount.Coupon{{Code: "VIP10", PromotionID: "vip"}},
			want:    []int64{526, 316, 158}, applied: []string{"vip"}},
		{name: "coupon-only promotion without its coupon does nothing",
			lines:  cart,
			promos: []discount.Promotion{promo("vip", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.CouponOnly = true })},
			want:   []int64{0, 0, 0}},
		{name: "coupon below its minimum spend is refused with the reason",
			lines:   cart,
			promos:  []discount.Promotion{promo("vip", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.CouponOnly = true; p.MinSpend = 50000 })},
			coupons: []discount.Coupon{{Code: "VIP10", PromotionID: "vip"}},
			err:     discount.ErrCouponNotApplicable},
		{name: "two coupons of one promotion",
			lines:   cart,
			promos:  []discount.Promotion{promo("vip", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.CouponOnly = true })},
			coupons: []discount.Coupon{{Code: "VIP10", PromotionID: "vip"}, {Code: "VIP11", PromotionID: "vip"}},
			err:     discount.ErrCouponNotApplicable},
		{name: "coupon in an exclusive group already taken is refused",
			lines: cart,
			promos: []discount.Promotion{
				promo("auto", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 100; p.Group = "g"; p.Priority = 9 }),
				promo("vip", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.CouponOnly = true; p.Group = "g" }),
			},
			coupons: []discount.Coupon{{Code: "VIP10", PromotionID: "vip"}},
			err:     discount.ErrCouponNotApplicable},
		{name: "other currency is ignored",
			lines:  cart,
			promos: []discount.Promotion{promo("usd", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1000; p.Currency = "USD" })},
			want:   []int64{0, 0, 0}},
		{name: "free items: 100% off",
			lines:  []discount.Line{line("A", "s1", 2, 0), line("B", "s1", 1, 1)},
			promos: []discount.Promotion{promo("all", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 10000 })},
			want:   []int64{0, 1}, applied: []string{"all"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range tc.promos {
				if err := p.Validate(); err != nil {
					t.Fatalf("promotion %s: %v", p.ID, err)
				}
			}
			res, err := discount.Apply(discount.Input{At: now, Currency: "CNY", Lines: tc.lines, Promotions: tc.promos,
				Coupons: tc.coupons, Budgets: tc.budgets, Rules: tc.rules})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v; want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Lines, tc.want) {
				t.Errorf("lines %v; want %v", res.Lines, tc.want)
			}
			var ids []string
			for _, a := range res.Applied {
				ids = append(ids, a.PromotionID)
			}
			if !slices.Equal(ids, tc.applied) {
				t.Errorf("applied %v; want %v", ids, tc.applied)
			}
			checkSums(t, tc.lines, res)
		})
	}
}

// checkSums asserts the allocation invariants: each promotion's lines sum to its amount, the
// lines sum to the total, and no line is discounted below zero or at all if negative.
func checkSums(t *testing.T, lines []discount.Line, res discount.Result) {
	t.Helper()
	perLine := make([]int64, len(lines))
	var total int64
	for _, a := range res.Applied {
		var sum int64
		for i, v := range a.Lines {
			if v < 0 {
				t.Fatalf("%s gives line %d a negative discount %d", a.PromotionID, i, v)
			}
			sum += v
			perLine[i] += v
		}
		if sum != a.Amount || a.Amount <= 0 {
			t.Fatalf("%s: lines sum to %d; amount %d", a.PromotionID, sum, a.Amount)
		}
		total += a.Amount
	}
	if total != res.Total {
		t.Fatalf("applied sum to %d; total %d", total, res.Total)
	}
	for i, l := range lines {
		if perLine[i] != res.Lines[i] {
			t.Fatalf("line %d: %d from promotions; result says %d", i, perLine[i], res.Lines[i])
		}
		if res.Lines[i] < 0 || res.Lines[i] > l.Total {
			t.Fatalf("line %d: discount %d of a %d line", i, res.Lines[i], l.Total)
		}
	}
}

// TestApplyProperties: for random carts and promotions, the lines sum to the order, nothing is
// negative, no line's discount exceeds its price, caps and budgets hold.
func TestApplyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	kinds := []discount.Kind{discount.PercentOff, discount.AmountOff, discount.SpendSave, discount.BuyGet, discount.Bundle}
	pick := func(list []string) []string {
		var out []string
		for _, s := range list {
			if rng.IntN(3) == 0 {
				out = append(out, s)
			}
		}
		return out
	}
	for iter := 0; iter < 5000; iter++ {
		n := 1 + rng.IntN(8)
		lines := make([]discount.Line, n)
		var subtotal int64
		for i := range lines {
			unit := rng.Int64N(100000)
			if rng.IntN(5) == 0 {
				unit = rng.Int64N(10)
			}
			lines[i] = line(fmt.Sprintf("K%d", rng.IntN(5)), fmt.Sprintf("s%d", rng.IntN(3)), 1+rng.Int64N(12), unit,
				pick([]string{"a", "b", "c"})...)
			subtotal += lines[i].Total
		}
		var promos []discount.Promotion
		budgets := map[string]int64{"c1": rng.Int64N(20000), "c2": rng.Int64N(2000)}
		for j := 0; j < rng.IntN(6); j++ {
			p := promo(fmt.Sprintf("p%d", j), kinds[rng.IntN(len(kinds))], nil)
			switch p.Kind {
			case discount.PercentOff:
				p.Percent = 1 + rng.Int64N(10000)
			case discount.AmountOff:
				p.Amount = 1 + rng.Int64N(50000)
			case discount.SpendSave:
				p.Tiers = []discount.Tier{{MinSpend: 1000 + rng.Int64N(10000), Save: 1 + rng.Int64N(1000)}}
				p.Tiers = append(p.Tiers, discount.Tier{MinSpend: p.Tiers[0].MinSpend * 3, Save: p.Tiers[0].Save * 2})
			case discount.BuyGet:
				p.Buy, p.Get, p.Percent = 1+rng.Int64N(3), 1+rng.Int64N(2), 1+rng.Int64N(10000)
			case discount.Bundle:
				p.BundleQuantity, p.BundlePrice = 2+rng.Int64N(3), rng.Int64N(100000)
			}
			p.Scope = discount.Scope{SKUs: pick([]string{"K0", "K1", "K2", "K3"}), Sellers: pick([]string{"s0", "s1"}), Categories: pick([]string{"a", "b"})}
			p.Priority = rng.Int64N(4)
			if rng.IntN(3) == 0 {
				p.Group = "g"
			}
			p.Exclusive = rng.IntN(8) == 0
			if rng.IntN(3) == 0 {
				p.MaxDiscount = 1 + rng.Int64N(5000)
			}
			if rng.IntN(3) == 0 {
				p.CampaignID = []string{"c1", "c2"}[rng.IntN(2)]
			}
			if rng.IntN(4) == 0 {
				p.MinSpend = rng.Int64N(50000)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("generated %+v: %v", p, err)
			}
			promos = append(promos, p)
		}
		rules := discount.Rules{MaxShare: []int64{0, 5000, 9000}[rng.IntN(3)]}
		res, err := discount.Apply(discount.Input{At: now, Currency: "CNY", Lines: lines, Promotions: promos, Budgets: budgets, Rules: rules})
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		checkSums(t, lines, res)
		if rules.MaxShare > 0 && res.Total*discount.BasisPoints > subtotal*rules.MaxShare {
			t.Fatalf("iteration %d: total discount %d exceeds %d bp of %d", iter, res.Total, rules.MaxShare, subtotal)
		}
		for c, s := range res.Spent() {
			if s > budgets[c] {
				t.Fatalf("iteration %d: campaign %s spent %d of %d", iter, c, s, budgets[c])
			}
		}
		groups := map[string]int{}
		for _, a := range res.Applied {
			for _, p := range promos {
				if p.ID == a.PromotionID {
					if p.MaxDiscount > 0 && a.Amount > p.MaxDiscount {
						t.Fatalf("iteration %d: %s took %d over its cap %d", iter, p.ID, a.Amount, p.MaxDiscount)
					}
					if p.Group != "" {
						groups[p.Group]++
					}
					if p.Exclusive && len(res.Applied) > 1 && res.Applied[0].PromotionID != p.ID {
						t.Fatalf("iteration %d: exclusive %s applied after another", iter, p.ID)
					}
				}
			}
		}
		for g, n := range groups {
			if n > 1 {
				t.Fatalf("iteration %d: %d promotions of group %s", iter, n, g)
			}
		}
	}
}

func TestValidateRefusesStrayFields(t *testing.T) {
	bad := []discount.Promotion{
		promo("x", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 1000; p.Amount = 5 }),
		promo("x", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 10001 }),
		promo("x", discount.AmountOff, nil),
		promo("x", discount.SpendSave, func(p *discount.Promotion) { p.Tiers = []discount.Tier{{MinSpend: 100, Save: 200}} }),
		promo("x", discount.SpendSave, func(p *discount.Promotion) {
			p.Tiers = []discount.Tier{{MinSpend: 100, Save: 20}, {MinSpend: 50, Save: 30}}
		}),
		promo("x", discount.BuyGet, func(p *discount.Promotion) { p.Buy, p.Get = 1, 1 }),
		promo("x", discount.Bundle, func(p *discount.Promotion) { p.BundleQuantity = 1 }),
		promo("x", "mystery", nil),
		promo("x y", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1 }),
		promo("x", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 1; p.StartsAt, p.EndsAt = 10, 5 }),
	}
	for i, p := range bad {
		if err := p.Validate(); !errors.Is(err, discount.ErrInvalidPromotion) {
			t.Errorf("case %d: got %v; want %v", i, err, discount.ErrInvalidPromotion)
		}
	}
	if _, err := discount.NormalizeCode("ab"); !errors.Is(err, discount.ErrInvalidCoupon) {
		t.Errorf("short code: got %v", err)
	}
	if c, err := discount.NormalizeCode("vip-10"); err != nil || c != "VIP-10" {
		t.Errorf("got %q, %v; want VIP-10", c, err)
	}
}

// BenchmarkApply: the cost of the discount step per cart, with no promotions and with five of
// different kinds (compare the two in one run).
func BenchmarkApply(b *testing.B) {
	five := []discount.Promotion{
		promo("pct", discount.PercentOff, func(p *discount.Promotion) { p.Percent = 1000 }),
		promo("amt", discount.AmountOff, func(p *discount.Promotion) { p.Amount = 500; p.Scope.Sellers = []string{"s1"} }),
		promo("tiers", discount.SpendSave, func(p *discount.Promotion) { p.Tiers = []discount.Tier{{MinSpend: 10000, Save: 1000}} }),
		promo("b2g1", discount.BuyGet, func(p *discount.Promotion) { p.Buy, p.Get, p.Percent = 2, 1, 10000 }),
		promo("bundle", discount.Bundle, func(p *discount.Promotion) { p.BundleQuantity, p.BundlePrice = 3, 5000 }),
	}
	for _, bc := range []struct {
		name   string
		promos []discount.Promotion
	}{{"none", nil}, {"five", five}} {
		b.Run(bc.name, func(b *testing.B) {
			in := discount.Input{At: now, Currency: "CNY", Lines: cart, Promotions: bc.promos}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := discount.Apply(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
