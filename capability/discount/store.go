package discount

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Redemption is what one trade takes: a use of each coupon and an amount of each campaign's budget.
type Redemption struct {
	TradeID string
	UserID  string
	Coupons []string
	Spend   map[string]int64
}

// Store is the persistence port. Redeem runs inside the order's transaction and must be atomic
// under concurrency: a coupon's total and per-user caps and a campaign's budget are checked and
// consumed in one step each, never read and then written, so parallel orders cannot overshoot
// (ErrCouponExhausted, ErrCouponUserLimit, ErrBudgetExhausted). Release gives back what a trade
// redeemed, exactly once however often it is called. ReturnSpend gives back part of what a trade
// took from campaign budgets (a refunded child order's share) and never more than it took; the
// caller makes it happen once (it runs in the transaction that refunds the order).
type Store interface {
	PutPromotion(ctx context.Context, tenant string, p Promotion) error
	Promotion(ctx context.Context, tenant, id string) (Promotion, error)
	// Promotions lists a tenant's promotions, those not ended at since first (since 0: all).
	Promotions(ctx context.Context, tenant string, since time.Time) ([]Promotion, error)
	// PutCoupon creates a coupon or changes its caps and validity (never its use count).
	PutCoupon(ctx context.Context, tenant string, c Coupon) error
	Coupon(ctx context.Context, tenant, code string) (Coupon, error)
	Coupons(ctx context.Context, tenant, promotionID string) ([]Coupon, error)
	// ListCoupons lists a tenant's coupons for its operators, newest first by when each was
	// created, in f.State at now.
	ListCoupons(ctx context.Context, tenant string, f CouponFilter, now time.Time, limit int, cursor string) (CouponPage, error)
	PutCampaign(ctx context.Context, tenant string, c Campaign) error
	Campaign(ctx context.Context, tenant, id string) (Campaign, error)
	Campaigns(ctx context.Context, tenant string, ids []string) (map[string]Campaign, error)
	Redeem(ctx context.Context, tenant string, r Redemption) error
	Release(ctx context.Context, tenant, tradeID string) error
	ReturnSpend(ctx context.Context, tenant, tradeID string, spend map[string]int64) error
}

// Service loads what a cart's discounts depend on and redeems them.
type Service struct {
	store Store
	rules func(tenant string) Rules
}

// NewService returns a Service over store; rules gives a tenant's stacking rules (nil: defaults).
func NewService(store Store, rules func(tenant string) Rules) *Service {
	if rules == nil {
		rules = func(string) Rules { return Rules{} }
	}
	return &Service{store: store, rules: rules}
}

// Store is the service's store, for admin operations.
func (s *Service) Store() Store { return s.store }

// Prepare builds the Input of a cart: the tenant's running promotions, the presented coupons
// (normalized, found, in their validity window) with their promotions, and the remaining budgets
// of the campaigns involved.
func (s *Service) Prepare(ctx context.Context, tenant string, at time.Time, currency string, lines []Line, codes []string) (Input, error) {
	in := Input{At: at, Currency: currency, Lines: lines, Rules: s.rules(tenant)}
	if len(codes) > MaxCouponsPerCart {
		return in, ErrTooManyCoupons
	}
	promos, err := s.store.Promotions(ctx, tenant, at)
	if err != nil {
		return in, err
	}
	have := map[string]bool{}
	for _, p := range promos {
		if p.Active(at) {
			in.Promotions = append(in.Promotions, p)
			have[p.ID] = true
		}
	}
	seen := map[string]bool{}
	for _, raw := range codes {
		code, err := NormalizeCode(raw)
		if err != nil {
			return in, err
		}
		if seen[code] {
			continue
		}
		seen[code] = true
		c, err := s.store.Coupon(ctx, tenant, code)
		if err != nil {
			return in, err
		}
		if !c.Valid(at) {
			return in, errkind.WithDetail(ErrCouponNotApplicable, "coupon %s is not valid now", code)
		}
		if c.TotalUses > 0 && c.Used >= c.TotalUses {
			return in, errkind.WithDetail(ErrCouponExhausted, "coupon %s has been used up", code)
		}
		if !have[c.PromotionID] {
			// A coupon-only promotion that has ended is not among the running ones: say so.
			return in, errkind.WithDetail(ErrCouponNotApplicable, "coupon %s: the promotion is not running now", code)
		}
		in.Coupons = append(in.Coupons, c)
	}
	var ids []string
	for _, p := range in.Promotions {
		if p.CampaignID != "" {
			ids = append(ids, p.CampaignID)
		}
	}
	if len(ids) > 0 {
		sort.Strings(ids)
		camps, err := s.store.Campaigns(ctx, tenant, ids)
		if err != nil {
			return in, err
		}
		in.Budgets = map[string]int64{}
		for id, c := range camps {
			if c.Currency == currency {
				in.Budgets[id] = c.Remaining()
			}
		}
	}
	return in, nil
}

// Redemption is what res takes from coupons and budgets for a trade.
func (r Result) Redemption(tradeID, userID string) Redemption {
	red := Redemption{TradeID: tradeID, UserID: userID, Spend: r.Spent()}
	for _, a := range r.Applied {
		if a.CouponCode != "" {
			red.Coupons = append(red.Coupons, a.CouponCode)
		}
	}
	return red
}

// Redeem consumes what a trade's discounts take, inside the caller's transaction.
func (s *Service) Redeem(ctx context.Context, tenant string, r Redemption) error {
	if len(r.Coupons) == 0 && len(r.Spend) == 0 {
		return nil
	}
	return s.store.Redeem(ctx, tenant, r)
}

// Release gives back what a trade redeemed (on cancel); idempotent.
func (s *Service) Release(ctx context.Context, tenant, tradeID string) error {
	return s.store.Release(ctx, tenant, tradeID)
}

// ReturnSpend gives back to each campaign's budget the part of a trade's spend in spend (what a
// refunded child order's discounts took), inside the caller's transaction. Coupon uses stay with
// the trade: the rest of it still used the coupon.
func (s *Service) ReturnSpend(ctx context.Context, tenant, tradeID string, spend map[string]int64) error {
	back := make(map[string]int64, len(spend))
	for id, amount := range spend {
		if amount < 0 {
			return fmt.Errorf("discount: return %d to campaign %s: %w", amount, id, money.ErrInvalidAmount)
		}
		if amount > 0 {
			back[id] = amount
		}
	}
	if len(back) == 0 {
		return nil
	}
	return s.store.ReturnSpend(ctx, tenant, tradeID, back)
}
