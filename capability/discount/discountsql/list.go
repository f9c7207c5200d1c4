package discountsql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
	where, args := []string{`tenant = ?`}, []any{tenant}
	if f.PromotionID != "" {
		where, args = append(where, `promotion_id = ?`), append(args, f.PromotionID)
	}
	if f.State != "" {
		st, ok := couponStateSQL[f.State]
		if !ok {
			return discount.CouponPage{}, fmt.Errorf("discountsql: state %q", f.State)
		}
		where = append(where, `(`+st.cond+`)`)
		for range st.binds {
			args = append(args, now.UnixMilli())
		}
	}
	if cursor != "" {
		at, code, ok := dal.ParseAtCursor(cursor)
		if !ok {
			return discount.CouponPage{}, fmt.Errorf("discountsql: cursor %q: %w", cursor, discount.ErrInvalidCursor)
		}
		where, args = append(where, `(created_at < ? OR (created_at = ? AND code < ?))`), append(args, at, at, code)
	}
	type listed struct {
		c  discount.Coupon
		at int64
	}
	rows, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (l listed, err error) {
		err = r.Scan(&l.c.Code, &l.c.PromotionID, &l.c.TotalUses, &l.c.PerUser, &l.c.ValidFrom, &l.c.ValidTo, &l.c.Used, &l.c.DisabledAt, &l.at)
		return l, err
	}, `SELECT `+couponCols+`, created_at FROM discount_coupons WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, code DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return discount.CouponPage{}, fmt.Errorf("discountsql: list coupons: %w", err)
	}
	var p discount.CouponPage
	rows, p.Next = dal.Page(rows, limit, func(l listed) string { return dal.AtCursorKey(l.at, l.c.Code) })
	for _, l := range rows {
		p.Coupons = append(p.Coupons, l.c)
	}
	return p, nil
}
