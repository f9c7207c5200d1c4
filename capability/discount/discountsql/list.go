package discountsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/components/dal"
)

// couponStateSQL is each state of discount.Coupon.StateAt as a condition on a row at ? (now, in
// unix ms, bound once per ?), in the same order of precedence.
var couponStateSQL = map[string]struct {
	cond  string
	binds int
}{
	discount.StateDisabled:  {`disabled_at <> 0`, 0},
	discount.StateScheduled: {`disabled_at = 0 AND valid_from > ?`, 1},
	discount.StateEnded:     {`disabled_at = 0 AND valid_from <= ? AND valid_to <> 0 AND valid_to <= ?`, 2},
	discount.StateUsedUp: {`disabled_at = 0 AND valid_from <= ? AND (valid_to = 0 OR valid_to > ?)
		AND total_uses > 0 AND used >= total_uses`, 2},
	discount.StateActive: {`disabled_at = 0 AND valid_from <= ? AND (valid_to = 0 OR valid_to > ?)
		AND (total_uses = 0 OR used < total_uses)`, 2},
}

// ListCoupons implements discount.Store, newest first along discount_coupons_by_created or, for
// one promotion's, discount_coupons_by_promotion_created; the state is checked on the rows walked.
func (s *Store) ListCoupons(ctx context.Context, tenant string, f discount.CouponFilter, now time.Time, limit int, cursor string) (discount.CouponPage, error) {
	l := dal.Newest{Table: "discount_coupons", Cols: couponCols + ", created_at", At: "created_at", ID: "code", Where: "tenant = ?", Args: []any{tenant}}
	if f.PromotionID != "" {
		l.Where, l.Args = l.Where+" AND promotion_id = ?", append(l.Args, f.PromotionID)
	}
	if f.State != "" {
		st, ok := couponStateSQL[f.State]
		if !ok {
			return discount.CouponPage{}, fmt.Errorf("discountsql: state %q", f.State)
		}
		l.Where += " AND (" + st.cond + ")"
		for range st.binds {
			l.Args = append(l.Args, now.UnixMilli())
		}
	}
	type listed struct {
		c  discount.Coupon
		at int64
	}
	rows, next, err := dal.ListNewest(ctx, s.db.R(ctx), l, limit, cursor, func(r *sql.Rows) (l listed, err error) {
		err = r.Scan(&l.c.Code, &l.c.PromotionID, &l.c.TotalUses, &l.c.PerUser, &l.c.ValidFrom, &l.c.ValidTo, &l.c.Used, &l.c.DisabledAt, &l.at)
		return l, err
	}, func(l listed) (int64, string) { return l.at, l.c.Code })
	if errors.Is(err, dal.ErrBadCursor) {
		return discount.CouponPage{}, fmt.Errorf("discountsql: cursor %q: %w", cursor, discount.ErrInvalidCursor)
	}
	if err != nil {
		return discount.CouponPage{}, fmt.Errorf("discountsql: list coupons: %w", err)
	}
	p := discount.CouponPage{Next: next}
	for _, l := range rows {
		p.Coupons = append(p.Coupons, l.c)
	}
	return p, nil
}
