package discount

import (
	"fmt"
	"math/bits"
	"sort"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Line is a priced cart line, as the discount sees it. Money is in minor units.
type Line struct {
	SKUID      string
	SellerID   string
	Categories []string
	Quantity   int64
	UnitPrice  int64
	Total      int64 // UnitPrice × Quantity
}

// Rules are the stacking rules that hold across promotions.
type Rules struct {
	// MaxShare caps all discounts of a cart together, in basis points of its total; 0 is 10000.
	MaxShare int64 `yaml:"maxShare"`
}

// Validate reports rules that cannot work.
func (r Rules) Validate() error {
	if r.MaxShare < 0 || r.MaxShare > BasisPoints {
		return fmt.Errorf("discount: maxShare %d must be 0-10000 basis points", r.MaxShare)
	}
	return nil
}

// Input is what Apply decides on.
type Input struct {
	At       time.Time
	Currency string
	Lines    []Line
	// Promotions are the candidates: the tenant's promotions and those of presented coupons.
	// Inactive ones, other currencies and coupon-only ones without a coupon are ignored.
	Promotions []Promotion
	// Coupons are the presented coupons, already found; their caps are the store's to enforce.
	Coupons []Coupon
	// Budgets is the remaining budget per campaign id; a campaign missing here has nothing left.
	Budgets map[string]int64
	Rules   Rules
}

// Applied is one promotion that discounted the cart.
type Applied struct {
	PromotionID string
	Name        string
	Kind        Kind
	CouponCode  string
	CampaignID  string
	Amount      int64
	// Lines is this promotion's discount on each cart line; it sums to Amount.
	Lines []int64
}

// Result is what a cart saves.
type Result struct {
	Applied []Applied
	// Lines is the total discount of each cart line, never more than the line's total.
	Lines []int64
	Total int64
}

// Spent is what the result spends of each campaign's budget.
func (r Result) Spent() map[string]int64 {
	out := map[string]int64{}
	for _, a := range r.Applied {
		if a.CampaignID != "" {
			out[a.CampaignID] += a.Amount
		}
	}
	return out
}

// Apply works out the discounts of a cart: see the package doc for stacking and allocation. A
// presented coupon whose promotion does not apply is ErrCouponNotApplicable, saying why.
func Apply(in Input) (Result, error) {
	res := Result{Lines: make([]int64, len(in.Lines))}
	if len(in.Coupons) > MaxCouponsPerCart {
		return res, errkind.WithDetail(ErrTooManyCoupons, "at most %d coupons per order", MaxCouponsPerCart)
	}
	rem := make([]int64, len(in.Lines))
	var subtotal int64
	for i, l := range in.Lines {
		if l.Total < 0 || l.Quantity < 1 {
			return res, fmt.Errorf("discount: line %d: total %d, quantity %d: %w", i, l.Total, l.Quantity, money.ErrInvalidAmount)
		}
		rem[i] = l.Total
		if subtotal+l.Total < subtotal {
			return res, money.ErrOverflow
		}
		subtotal += l.Total
	}
	coupon := map[string]string{} // promotion id → the code that unlocked it
	for _, c := range in.Coupons {
		if _, dup := coupon[c.PromotionID]; dup {
			return res, errkind.WithDetail(ErrCouponNotApplicable, "coupon %s: another coupon of the same promotion is already applied", c.Code)
		}
		coupon[c.PromotionID] = c.Code
	}
	why := map[string]string{} // promotion id → why it did not apply
	cands := make([]Promotion, 0, len(in.Promotions))
	seen := map[string]bool{}
	for _, p := range in.Promotions {
		switch _, hasCoupon := coupon[p.ID]; {
		case seen[p.ID]:
			continue
		case !p.Active(in.At):
			why[p.ID] = "the promotion is not running now"
		case p.Currency != in.Currency:
			why[p.ID] = "the promotion is in " + p.Currency
		case p.CouponOnly && !hasCoupon:
		default:
			cands = append(cands, p)
		}
		seen[p.ID] = true
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Priority != cands[j].Priority {
			return cands[i].Priority > cands[j].Priority
		}
		return cands[i].ID < cands[j].ID
	})
	shareCap := subtotal
	if in.Rules.MaxShare > 0 && in.Rules.MaxShare < BasisPoints {
		shareCap = mulDiv(subtotal, in.Rules.MaxShare, BasisPoints)
	}
	spent := map[string]int64{}
	groups := map[string]string{}
	closed := false // an exclusive promotion applied
	for _, p := range cands {
		if closed {
			why[p.ID] = "an exclusive promotion applies"
			continue
		}
		if g, ok := groups[p.Group]; ok && p.Group != "" {
			why[p.ID] = "promotion " + g + " of the same group applies"
			continue
		}
		if p.Exclusive && res.Total > 0 {
			why[p.ID] = "the promotion does not combine with others"
			continue
		}
		weights, d, reason := compute(p, in.Lines, rem)
		if d <= 0 {
			why[p.ID] = reason
			continue
		}
		if p.MaxDiscount > 0 {
			d = min(d, p.MaxDiscount)
		}
		if p.CampaignID != "" {
			left := in.Budgets[p.CampaignID] - spent[p.CampaignID]
			if left <= 0 {
				why[p.ID] = "the promotion's budget is used up"
				continue
			}
			d = min(d, left)
		}
		if d = min(d, shareCap-res.Total); d <= 0 {
			why[p.ID] = "the order has reached its maximum discount"
			continue
		}
		parts, err := money.Allocate(d, weights)
		if err != nil {
			return res, fmt.Errorf("discount: allocate %s: %w", p.ID, err)
		}
		for i, v := range parts {
			rem[i] -= v
			res.Lines[i] += v
		}
		res.Total += d
		spent[p.CampaignID] += d
		if p.Group != "" {
			groups[p.Group] = p.ID
		}
		closed = p.Exclusive
		res.Applied = append(res.Applied, Applied{PromotionID: p.ID, Name: p.Name, Kind: p.Kind, CouponCode: coupon[p.ID],
			CampaignID: p.CampaignID, Amount: d, Lines: parts})
	}
	for _, c := range in.Coupons {
		applied := false
		for _, a := range res.Applied {
			applied = applied || a.CouponCode == c.Code
		}
		if !applied {
			reason, ok := why[c.PromotionID]
			if !ok || reason == "" {
				reason = "the order does not qualify"
			}
			return res, errkind.WithDetail(ErrCouponNotApplicable, "coupon %s: %s", c.Code, reason)
		}
	}
	return res, nil
}

// compute is what promotion p would take off lines that still cost rem, before caps: the
// discount and the weights to spread it by (each weight at most its line's rem, and the discount
// at most their sum). A zero discount comes with the reason.
func compute(p Promotion, lines []Line, rem []int64) ([]int64, int64, string) {
	weights := make([]int64, len(lines))
	var qual int64
	for i, l := range lines {
		if rem[i] > 0 && p.Scope.matches(l) {
			weights[i] = rem[i]
			qual += rem[i]
		}
	}
	if qual == 0 {
		return nil, 0, "no item in the order qualifies"
	}
	if qual < p.MinSpend {
		return nil, 0, fmt.Sprintf("spend at least %d on qualifying items", p.MinSpend)
	}
	switch p.Kind {
	case PercentOff:
		return weights, mulDiv(qual, p.Percent, BasisPoints), "the discount rounds to nothing"
	case AmountOff:
		return weights, min(p.Amount, qual), ""
	case SpendSave:
		var save int64
		for _, t := range p.Tiers {
			if qual >= t.MinSpend {
				save = t.Save
			}
		}
		return weights, min(save, qual), fmt.Sprintf("spend at least %d on qualifying items", p.Tiers[0].MinSpend)
	case BuyGet:
		return unitDeal(p, lines, rem, weights)
	case Bundle:
		return unitDeal(p, lines, rem, weights)
	}
	return nil, 0, "unknown kind"
}

// unitDeal prices buy-X-get-Y and bundles, which are about units, not amounts: the qualifying
// units, most expensive first (ties by line), at what each still costs (its line's remaining
// amount over its quantity, rounded down), taken in groups.
func unitDeal(p Promotion, lines []Line, rem, qualifying []int64) ([]int64, int64, string) {
	type run struct {
		line int
		unit int64
		n    int64
	}
	var runs []run
	var units int64
	for i, l := range lines {
		if qualifying[i] > 0 {
			runs = append(runs, run{line: i, unit: rem[i] / l.Quantity, n: l.Quantity})
			units += l.Quantity
		}
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].unit > runs[j].unit })
	size := p.Buy + p.Get
	if p.Kind == Bundle {
		size = p.BundleQuantity
	}
	if units < size {
		return nil, 0, fmt.Sprintf("add %d more qualifying items", size-units)
	}
	weights := make([]int64, len(lines))
	pos := int64(0) // position of the next unit in the sorted sequence
	var set []run   // the units of the current bundle, as runs
	var setSum int64
	var total int64
	for _, r := range runs {
		for left := r.n; left > 0; {
			inGroup := pos % size
			take := min(left, size-inGroup)
			full := pos/size < units/size // a trailing partial group gets no deal
			switch {
			case !full:
			case p.Kind == BuyGet:
				// positions Buy..size-1 of each group are the ones that get the deal
				if from := max(inGroup, p.Buy); from < inGroup+take {
					free := inGroup + take - from
					weights[r.line] += free * r.unit
				}
			default:
				set = append(set, run{line: r.line, unit: r.unit, n: take})
				setSum += take * r.unit
				if inGroup+take == size {
					if d := setSum - p.BundlePrice; d > 0 {
						w := make([]int64, len(set))
						for k, s := range set {
							w[k] = s.unit * s.n
						}
						parts, _ := money.Allocate(d, w) // d < setSum = sum(w), all non-negative
						for k, s := range set {
							weights[s.line] += parts[k]
						}
						total += d
					}
					set, setSum = set[:0], 0
				}
			}
			pos += take
			left -= take
		}
	}
	if p.Kind == BuyGet {
		var sum int64
		for _, w := range weights {
			sum += w
		}
		total = mulDiv(sum, p.Percent, BasisPoints)
	}
	if total == 0 {
		return nil, 0, "the deal saves nothing on these items"
	}
	return weights, total, ""
}

// mulDiv is floor(a*b/c) for non-negative a, b and positive c, without overflow when the result fits.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return 1<<63 - 1
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}
