// Package discount computes what a cart saves: promotions (percentage off, amount off,
// spend-X-save-Y tiers, buy-X-get-Y, a fixed price for a bundle), each scoped to SKUs, sellers,
// categories or the whole order and open in a time window; coupons that unlock a promotion for
// whoever presents the code; and the rules that decide how promotions stack.
//
// Stacking. Promotions apply one after another, highest priority first (ties by id), each on what
// the lines still cost after the ones before it, so a threshold (minimum spend, a tier) is judged
// on what the buyer would actually pay. Within an exclusive group at most one promotion applies:
// the first in that order that applies at all. An exclusive promotion applies only to a cart that
// nothing else has discounted yet, and then nothing after it applies. A cap on the total discount,
// as a share of the cart (Rules.MaxShare), and a promotion's own cap (MaxDiscount) and its
// campaign's remaining budget truncate the promotion that reaches them.
//
// Allocation. Every discount is spread over the lines it came from by share, with the rounding
// remainder given one minor unit at a time by largest fractional share, ties to the earlier line
// (money.Allocate), so the parts always sum to the discount, no line is discounted below zero, and
// a refund can give back exactly what its lines carried.
//
// Categories are the catalog's SKU tags: a promotion scoped to categories applies to the lines
// whose SKU carries one of them.
//
// Budgets and coupon usage are not decided here: Apply trusts the remaining budgets it is given,
// and the store consumes budget and coupon uses atomically with the order (Store), so a cart
// quoted against a budget another order has since spent is refused at commit, not overspent.
package discount

import (
	"errors"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Errors.
var (
	ErrInvalidPromotion    = errkind.New(errkind.Invalid, "discount.invalid_promotion", "invalid promotion")
	ErrInvalidCoupon       = errkind.New(errkind.Invalid, "discount.invalid_coupon", "invalid coupon")
	ErrPromotionNotFound   = errkind.New(errkind.NotFound, "discount.promotion_not_found", "promotion not found")
	ErrCouponNotFound      = errkind.New(errkind.NotFound, "discount.coupon_not_found", "coupon not found")
	ErrCouponNotApplicable = errkind.New(errkind.Conflict, "discount.coupon_not_applicable", "the coupon does not apply to this order")
	ErrCouponExhausted     = errkind.New(errkind.Exhausted, "discount.coupon_exhausted", "the coupon has been used up")
	ErrCouponUserLimit     = errkind.New(errkind.Exhausted, "discount.coupon_user_limit", "you have already used this coupon")
	ErrBudgetExhausted     = errkind.New(errkind.Exhausted, "discount.budget_exhausted", "the promotion's budget is used up; review the order again")
	ErrTooManyCoupons      = errkind.New(errkind.Invalid, "discount.too_many_coupons", "too many coupons")
	ErrInvalidCampaign     = errkind.New(errkind.Invalid, "discount.invalid_campaign", "invalid campaign")
	ErrCampaignNotFound    = errkind.New(errkind.NotFound, "discount.campaign_not_found", "campaign not found")
	ErrDisabled            = errkind.New(errkind.Unavailable, "discount.disabled", "promotions are not enabled on this server")
	ErrBudgetBelowSpent    = errkind.New(errkind.Conflict, "discount.budget_below_spent", "a budget cannot be set below what is already spent")
	// ErrBudgetReturn is a return of more budget than a trade took: a broken invariant, never
	// a buyer's mistake, so it has no public code.
	ErrBudgetReturn = errors.New("discount: budget return exceeds what the trade took")
)

// Kind is what a promotion does.
type Kind string

// Kinds.
const (
	// PercentOff takes Percent (basis points) off the qualifying lines.
	PercentOff Kind = "percent_off"
	// AmountOff takes Amount off the qualifying lines together.
	AmountOff Kind = "amount_off"
	// SpendSave takes the Save of the highest tier whose MinSpend the qualifying lines reach.
	SpendSave Kind = "spend_save"
	// BuyGet: of every Buy+Get qualifying units, the Get cheapest are Percent (basis points) off;
	// 10000 makes them free.
	BuyGet Kind = "buy_get"
	// Bundle: every BundleQuantity qualifying units, most expensive first, cost BundlePrice together.
	Bundle Kind = "bundle_price"
)

// Limits.
const (
	MaxTiers          = 10
	MaxScopeEntries   = 200
	MaxCouponsPerCart = 5
	BasisPoints       = 10000
)

// Tier is one step of a spend-X-save-Y promotion.
type Tier struct {
	MinSpend int64 `json:"minSpend"`
	Save     int64 `json:"save"`
}

// Scope selects the lines a promotion applies to. Empty lists match everything; a line must
// match every non-empty list.
type Scope struct {
	SKUs       []string `json:"skus,omitempty"`
	Sellers    []string `json:"sellers,omitempty"`
	Categories []string `json:"categories,omitempty"`
}

// Clone returns a copy that shares no slice with p (caches hand out clones).
func (p Promotion) Clone() Promotion {
	p.Scope = Scope{SKUs: slices.Clone(p.Scope.SKUs), Sellers: slices.Clone(p.Scope.Sellers), Categories: slices.Clone(p.Scope.Categories)}
	p.Tiers = slices.Clone(p.Tiers)
	return p
}

// Whole reports whether the scope is the whole order.
func (s Scope) Whole() bool { return len(s.SKUs) == 0 && len(s.Sellers) == 0 && len(s.Categories) == 0 }

func (s Scope) matches(l Line) bool {
	if len(s.SKUs) > 0 && !contains(s.SKUs, l.SKUID) {
		return false
	}
	if len(s.Sellers) > 0 && !contains(s.Sellers, l.SellerID) {
		return false
	}
	if len(s.Categories) > 0 {
		hit := false
		for _, t := range l.Categories {
			if contains(s.Categories, t) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Promotion is a rule that discounts carts. Money is in minor units of Currency.
type Promotion struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     Kind   `json:"kind"`
	Currency string `json:"currency"`
	Scope    Scope  `json:"scope"`

	Percent        int64  `json:"percent,omitempty"` // basis points: percent_off, buy_get
	Amount         int64  `json:"amount,omitempty"`  // amount_off
	Tiers          []Tier `json:"tiers,omitempty"`   // spend_save
	Buy            int64  `json:"buy,omitempty"`     // buy_get
	Get            int64  `json:"get,omitempty"`     // buy_get
	BundleQuantity int64  `json:"bundleQuantity,omitempty"`
	BundlePrice    int64  `json:"bundlePrice,omitempty"`

	// MinSpend is what the qualifying lines must still cost for the promotion to apply.
	MinSpend int64 `json:"minSpend,omitempty"`
	// MaxDiscount caps what one order saves through this promotion; 0 is no cap.
	MaxDiscount int64 `json:"maxDiscount,omitempty"`

	// StartsAt and EndsAt (unix ms, end exclusive; 0 is open) bound when it applies.
	StartsAt int64 `json:"startsAt,omitempty"`
	EndsAt   int64 `json:"endsAt,omitempty"`

	Priority  int64  `json:"priority,omitempty"`
	Group     string `json:"group,omitempty"`
	Exclusive bool   `json:"exclusive,omitempty"`
	// CouponOnly promotions apply only to a cart that presents one of their coupons.
	CouponOnly bool `json:"couponOnly,omitempty"`
	// CampaignID names the budget the promotion spends; empty is unbudgeted.
	CampaignID string `json:"campaignId,omitempty"`
	Disabled   bool   `json:"disabled,omitempty"`
}

var (
	idRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)
	codeRe  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{2,31}$`)
	groupRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{0,64}$`)
)

// ValidID reports whether s can be a promotion or campaign id.
func ValidID(s string) bool { return idRe.MatchString(s) }

// Active reports whether the promotion applies at t.
func (p Promotion) Active(at time.Time) bool {
	ms := at.UnixMilli()
	return !p.Disabled && (p.StartsAt == 0 || ms >= p.StartsAt) && (p.EndsAt == 0 || ms < p.EndsAt)
}

// Validate checks a promotion as an admin or a script defined it.
func (p Promotion) Validate() error {
	bad := func(format string, args ...any) error {
		return errkind.WithDetail(ErrInvalidPromotion, format, args...)
	}
	money := func(v int64) bool { return v >= 0 && v <= catalog.MaxPrice*1000 }
	switch {
	case !ValidID(p.ID):
		return bad("id must be 1-64 letters, digits, '.', '_', ':' or '-'")
	case !utf8.ValidString(p.Name) || utf8.RuneCountInString(p.Name) < 1 || utf8.RuneCountInString(p.Name) > 80:
		return bad("name must be 1-80 characters")
	case len(p.Currency) != 3:
		return bad("currency must be an ISO 4217 code")
	case !money(p.MinSpend) || !money(p.MaxDiscount):
		return bad("minSpend and maxDiscount must be between 0 and %d", int64(catalog.MaxPrice*1000))
	case p.StartsAt < 0 || p.EndsAt < 0 || (p.EndsAt != 0 && p.EndsAt <= p.StartsAt):
		return bad("endsAt must be after startsAt")
	case !groupRe.MatchString(p.Group):
		return bad("group must be at most 64 letters, digits, '.', '_', ':' or '-'")
	case p.CampaignID != "" && !ValidID(p.CampaignID):
		return bad("campaignId is not valid")
	case p.Priority < -1_000_000 || p.Priority > 1_000_000:
		return bad("priority must be between -1000000 and 1000000")
	}
	if n := len(p.Scope.SKUs) + len(p.Scope.Sellers) + len(p.Scope.Categories); n > MaxScopeEntries {
		return bad("a scope lists at most %d entries", MaxScopeEntries)
	}
	for _, list := range [][]string{p.Scope.SKUs, p.Scope.Sellers, p.Scope.Categories} {
		for _, s := range list {
			if s == "" || len(s) > 64 {
				return bad("scope entries must be 1-64 characters")
			}
		}
	}
	// Each kind uses its own fields and no other: a stray field is a mistake an admin should hear of.
	set := map[string]bool{"percent": p.Percent != 0, "amount": p.Amount != 0, "tiers": len(p.Tiers) != 0,
		"buy": p.Buy != 0, "get": p.Get != 0, "bundleQuantity": p.BundleQuantity != 0, "bundlePrice": p.BundlePrice != 0}
	var uses []string
	switch p.Kind {
	case PercentOff:
		uses = []string{"percent"}
		if p.Percent < 1 || p.Percent > BasisPoints {
			return bad("percent is in basis points: 1-10000")
		}
	case AmountOff:
		uses = []string{"amount"}
		if p.Amount < 1 || !money(p.Amount) {
			return bad("amount must be positive")
		}
	case SpendSave:
		uses = []string{"tiers"}
		if len(p.Tiers) == 0 || len(p.Tiers) > MaxTiers {
			return bad("spend_save needs 1-%d tiers", MaxTiers)
		}
		for i, t := range p.Tiers {
			if t.MinSpend < 1 || t.Save < 1 || !money(t.MinSpend) || t.Save > t.MinSpend {
				return bad("tier %d: minSpend must be positive and save between 1 and minSpend", i+1)
			}
			if i > 0 && (t.MinSpend <= p.Tiers[i-1].MinSpend || t.Save <= p.Tiers[i-1].Save) {
				return bad("tiers must rise in both minSpend and save")
			}
		}
	case BuyGet:
		uses = []string{"percent", "buy", "get"}
		if p.Buy < 1 || p.Buy > 100 || p.Get < 1 || p.Get > 100 {
			return bad("buy and get must be 1-100")
		}
		if p.Percent < 1 || p.Percent > BasisPoints {
			return bad("percent is in basis points: 1-10000 (10000: free)")
		}
	case Bundle:
		uses = []string{"bundleQuantity", "bundlePrice"}
		if p.BundleQuantity < 2 || p.BundleQuantity > 100 {
			return bad("bundleQuantity must be 2-100")
		}
		if p.BundlePrice < 0 || !money(p.BundlePrice) {
			return bad("bundlePrice must not be negative")
		}
	default:
		return bad("kind must be percent_off, amount_off, spend_save, buy_get or bundle_price")
	}
	for field, isSet := range set {
		if isSet && !contains(uses, field) {
			return bad("%s is not used by a %s promotion", field, p.Kind)
		}
	}
	return nil
}

// Coupon unlocks a promotion for whoever presents its code.
type Coupon struct {
	Code        string `json:"code"`
	PromotionID string `json:"promotionId"`
	// TotalUses caps redemptions across all buyers; PerUser caps one buyer's. 0 is no cap.
	// A single-use code has TotalUses 1.
	TotalUses int64 `json:"totalUses,omitempty"`
	PerUser   int64 `json:"perUser,omitempty"`
	// ValidFrom and ValidTo (unix ms, end exclusive; 0 is open) bound when it can be redeemed.
	ValidFrom int64 `json:"validFrom,omitempty"`
	ValidTo   int64 `json:"validTo,omitempty"`
	// Used is how many live orders have redeemed it (read-only: cancelled orders give theirs back).
	Used int64 `json:"used"`
	// DisabledAt is when an operator disabled it (unix ms; 0: enabled): it redeems no more from
	// then. Putting the coupon again enables it.
	DisabledAt int64 `json:"disabledAt,omitempty"`
}

// NormalizeCode upper-cases a code as a buyer typed it, so codes are case-insensitive.
func NormalizeCode(code string) (string, error) {
	c := []byte(code)
	for i, b := range c {
		if b >= 'a' && b <= 'z' {
			c[i] = b - 'a' + 'A'
		}
	}
	if !codeRe.Match(c) {
		return "", errkind.WithDetail(ErrInvalidCoupon, "a coupon code is 3-32 letters, digits, '_' or '-'")
	}
	return string(c), nil
}

// Validate checks a coupon as an admin defined it.
func (c Coupon) Validate() error {
	bad := func(format string, args ...any) error { return errkind.WithDetail(ErrInvalidCoupon, format, args...) }
	if _, err := NormalizeCode(c.Code); err != nil {
		return err
	}
	switch {
	case !ValidID(c.PromotionID):
		return bad("promotionId is not valid")
	case c.TotalUses < 0 || c.PerUser < 0 || c.TotalUses > 1_000_000_000 || c.PerUser > 1_000_000:
		return bad("totalUses and perUser must be between 0 (no cap) and 1000000000")
	case c.ValidFrom < 0 || c.ValidTo < 0 || (c.ValidTo != 0 && c.ValidTo <= c.ValidFrom):
		return bad("validTo must be after validFrom")
	}
	return nil
}

// Valid reports whether the coupon can be redeemed at t (its caps are the store's to enforce).
func (c Coupon) Valid(at time.Time) bool {
	ms := at.UnixMilli()
	return (c.ValidFrom == 0 || ms >= c.ValidFrom) && (c.ValidTo == 0 || ms < c.ValidTo) && (c.DisabledAt == 0 || ms < c.DisabledAt)
}

// Campaign is a budget that promotions spend.
type Campaign struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
	Budget   int64  `json:"budget"`
	Spent    int64  `json:"spent"`
}

// Remaining is what the campaign can still give.
func (c Campaign) Remaining() int64 { return max(c.Budget-c.Spent, 0) }

// Validate checks a campaign as an admin defined it.
func (c Campaign) Validate() error {
	bad := func(format string, args ...any) error { return errkind.WithDetail(ErrInvalidCampaign, format, args...) }
	switch {
	case !ValidID(c.ID):
		return bad("id must be 1-64 letters, digits, '.', '_', ':' or '-'")
	case !utf8.ValidString(c.Name) || utf8.RuneCountInString(c.Name) < 1 || utf8.RuneCountInString(c.Name) > 80:
		return bad("name must be 1-80 characters")
	case len(c.Currency) != 3:
		return bad("currency must be an ISO 4217 code")
	case c.Budget < 0 || c.Budget > catalog.MaxPrice*1000:
		return bad("budget must be between 0 and %d", int64(catalog.MaxPrice*1000))
	}
	return nil
}
