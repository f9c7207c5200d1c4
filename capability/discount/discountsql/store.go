// Package discountsql is the SQL adapter of discount.Store for SQLite and MySQL.
//
// Promotions are stored as JSON (they are read whole, per tenant); coupons and campaigns are rows
// with counters. A redemption consumes with conditional updates, never read-then-write:
//
//	UPDATE discount_campaigns SET spent = spent + ? WHERE ... AND spent + ? <= budget
//	UPDATE discount_coupons SET used = used + 1 WHERE ... AND (total_uses = 0 OR used < total_uses)
//
// The coupon update also takes the coupon's row lock until the order commits, so the per-user
// count that follows it sees every earlier redemption of that coupon committed: two parallel
// orders of one buyer cannot both pass a per-user cap. Each redemption leaves a row per trade, and
// Release deletes those rows one by one and gives back only what it deleted, so a repeated or
// concurrent release gives back nothing twice. Campaigns and coupons are updated in id order so
// two orders redeeming the same pair cannot deadlock.
package discountsql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("discount", migrationFiles) }

const (
	kindCoupon   = "coupon"
	kindCampaign = "campaign"
)

// Store implements discount.Store.
type Store struct {
	db  *dal.DB
	now func() time.Time
}

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db, now: time.Now} }

var _ discount.Store = (*Store)(nil)

// PutPromotion implements discount.Store.
func (s *Store) PutPromotion(ctx context.Context, tenant string, p discount.Promotion) error {
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("discountsql: promotion: %w", err)
	}
	ends := p.EndsAt
	if ends == 0 {
		ends = 1<<63 - 1
	}
	return s.db.Upsert(ctx,
		`UPDATE discount_promotions SET body = ?, ends_at = ?, updated_at = ? WHERE tenant = ? AND promotion_id = ?`,
		[]any{string(body), ends, s.now().UnixMilli(), tenant, p.ID},
		`INSERT INTO discount_promotions (tenant, promotion_id, body, ends_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		[]any{tenant, p.ID, string(body), ends, s.now().UnixMilli()})
}

// Promotion implements discount.Store.
func (s *Store) Promotion(ctx context.Context, tenant, id string) (discount.Promotion, error) {
	var body string
	err := s.db.R(ctx).QueryRowContext(ctx, `SELECT body FROM discount_promotions WHERE tenant = ? AND promotion_id = ?`,
		tenant, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return discount.Promotion{}, errkind.WithDetail(discount.ErrPromotionNotFound, "promotion %s not found", id)
	}
	if err != nil {
		return discount.Promotion{}, fmt.Errorf("discountsql: promotion: %w", err)
	}
	return decodePromotion(body)
}

func decodePromotion(body string) (discount.Promotion, error) {
	var p discount.Promotion
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return p, fmt.Errorf("discountsql: promotion body: %w", err)
	}
	return p, nil
}

// Promotions implements discount.Store.
func (s *Store) Promotions(ctx context.Context, tenant string, since time.Time) ([]discount.Promotion, error) {
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (discount.Promotion, error) {
		var body string
		if err := r.Scan(&body); err != nil {
			return discount.Promotion{}, err
		}
		return decodePromotion(body)
	}, `SELECT body FROM discount_promotions WHERE tenant = ? AND ends_at > ? ORDER BY promotion_id`, tenant, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("discountsql: promotions: %w", err)
	}
	return out, nil
}

// PutCoupon implements discount.Store.
func (s *Store) PutCoupon(ctx context.Context, tenant string, c discount.Coupon) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Promotion(ctx, tenant, c.PromotionID); err != nil {
			return err
		}
		return s.db.Upsert(ctx,
			`UPDATE discount_coupons SET promotion_id = ?, total_uses = ?, per_user = ?, valid_from = ?, valid_to = ?, disabled_at = ?
			WHERE tenant = ? AND code = ?`,
			[]any{c.PromotionID, c.TotalUses, c.PerUser, c.ValidFrom, c.ValidTo, c.DisabledAt, tenant, c.Code},
			`INSERT INTO discount_coupons (tenant, code, promotion_id, total_uses, per_user, valid_from, valid_to, used, disabled_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
			[]any{tenant, c.Code, c.PromotionID, c.TotalUses, c.PerUser, c.ValidFrom, c.ValidTo, c.DisabledAt, s.now().UnixMilli()})
	})
}

const couponCols = `code, promotion_id, total_uses, per_user, valid_from, valid_to, used, disabled_at`

func scanCoupon(row interface{ Scan(...any) error }) (discount.Coupon, error) {
	var c discount.Coupon
	err := row.Scan(&c.Code, &c.PromotionID, &c.TotalUses, &c.PerUser, &c.ValidFrom, &c.ValidTo, &c.Used, &c.DisabledAt)
	return c, err
}

// Coupon implements discount.Store.
func (s *Store) Coupon(ctx context.Context, tenant, code string) (discount.Coupon, error) {
	c, err := scanCoupon(s.db.R(ctx).QueryRowContext(ctx, `SELECT `+couponCols+` FROM discount_coupons
		WHERE tenant = ? AND code = ?`, tenant, code))
	if errors.Is(err, sql.ErrNoRows) {
		return c, errkind.WithDetail(discount.ErrCouponNotFound, "coupon %s not found", code)
	}
	if err != nil {
		return c, fmt.Errorf("discountsql: coupon: %w", err)
	}
	return c, nil
}

// Coupons implements discount.Store.
func (s *Store) Coupons(ctx context.Context, tenant, promotionID string) ([]discount.Coupon, error) {
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (discount.Coupon, error) { return scanCoupon(r) },
		`SELECT `+couponCols+` FROM discount_coupons WHERE tenant = ? AND promotion_id = ? ORDER BY code`, tenant, promotionID)
	if err != nil {
		return nil, fmt.Errorf("discountsql: coupons: %w", err)
	}
	return out, nil
}

// PutCampaign implements discount.Store.
func (s *Store) PutCampaign(ctx context.Context, tenant string, c discount.Campaign) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.campaign(ctx, s.db.Q(ctx), tenant, c.ID, s.db.ForUpdate())
		if errors.Is(err, discount.ErrCampaignNotFound) {
			_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO discount_campaigns (tenant, campaign_id, name, currency, budget, spent)
				VALUES (?, ?, ?, ?, ?, 0)`, tenant, c.ID, c.Name, c.Currency, c.Budget)
			if dal.IsDuplicate(err) {
				return dal.ErrContention
			}
			if err != nil {
				return fmt.Errorf("discountsql: insert campaign: %w", err)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if c.Budget < cur.Spent {
			return errkind.WithDetail(discount.ErrBudgetBelowSpent, "campaign %s has spent %d", c.ID, cur.Spent)
		}
		if cur.Spent > 0 && c.Currency != cur.Currency {
			return errkind.WithDetail(discount.ErrInvalidCampaign, "a campaign that has spent cannot change currency")
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE discount_campaigns SET name = ?, currency = ?, budget = ?
			WHERE tenant = ? AND campaign_id = ?`, c.Name, c.Currency, c.Budget, tenant, c.ID); err != nil {
			return fmt.Errorf("discountsql: update campaign: %w", err)
		}
		return nil
	})
}

func (s *Store) campaign(ctx context.Context, q dal.Querier, tenant, id, suffix string) (discount.Campaign, error) {
	c := discount.Campaign{ID: id}
	err := q.QueryRowContext(ctx, `SELECT name, currency, budget, spent FROM discount_campaigns
		WHERE tenant = ? AND campaign_id = ?`+suffix, tenant, id).Scan(&c.Name, &c.Currency, &c.Budget, &c.Spent)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errkind.WithDetail(discount.ErrCampaignNotFound, "campaign %s not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("discountsql: campaign: %w", err)
	}
	return c, nil
}

// Campaign implements discount.Store.
func (s *Store) Campaign(ctx context.Context, tenant, id string) (discount.Campaign, error) {
	return s.campaign(ctx, s.db.R(ctx), tenant, id, "")
}

// Campaigns implements discount.Store; campaigns that do not exist are left out.
func (s *Store) Campaigns(ctx context.Context, tenant string, ids []string) (map[string]discount.Campaign, error) {
	out := map[string]discount.Campaign{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{tenant}
	for _, id := range ids {
		args = append(args, id)
	}
	cs, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (c discount.Campaign, err error) {
		err = r.Scan(&c.ID, &c.Name, &c.Currency, &c.Budget, &c.Spent)
		return c, err
	}, `SELECT campaign_id, name, currency, budget, spent FROM discount_campaigns
		WHERE tenant = ? AND campaign_id IN (`+dal.Placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("discountsql: campaigns: %w", err)
	}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}

// Redeem implements discount.Store.
func (s *Store) Redeem(ctx context.Context, tenant string, r discount.Redemption) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		now := s.now().UnixMilli()
		record := func(kind, ref string, amount int64) error {
			if _, err := q.ExecContext(ctx, `INSERT INTO discount_redemptions (tenant, trade_id, kind, ref, user_id, amount, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, tenant, r.TradeID, kind, ref, r.UserID, amount, now); err != nil {
				return fmt.Errorf("discountsql: record redemption: %w", err)
			}
			return nil
		}
		camps := make([]string, 0, len(r.Spend))
		for id, amount := range r.Spend {
			if amount > 0 {
				camps = append(camps, id)
			}
		}
		sort.Strings(camps)
		for _, id := range camps {
			amount := r.Spend[id]
			res, err := q.ExecContext(ctx, `UPDATE discount_campaigns SET spent = spent + ?
				WHERE tenant = ? AND campaign_id = ? AND spent + ? <= budget`, amount, tenant, id, amount)
			if err != nil {
				return fmt.Errorf("discountsql: spend budget: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errkind.WithDetail(discount.ErrBudgetExhausted, "campaign %s cannot give %d more", id, amount)
			}
			if err := record(kindCampaign, id, amount); err != nil {
				return err
			}
		}
		codes := append([]string(nil), r.Coupons...)
		sort.Strings(codes)
		for _, code := range codes {
			res, err := q.ExecContext(ctx, `UPDATE discount_coupons SET used = used + 1
				WHERE tenant = ? AND code = ? AND (total_uses = 0 OR used < total_uses)`, tenant, code)
			if err != nil {
				return fmt.Errorf("discountsql: redeem coupon: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errkind.WithDetail(discount.ErrCouponExhausted, "coupon %s has been used up", code)
			}
			// The update above holds the coupon's row lock to commit, so this count is exact.
			var perUser, mine int64
			if err := q.QueryRowContext(ctx, `SELECT per_user FROM discount_coupons WHERE tenant = ? AND code = ?`,
				tenant, code).Scan(&perUser); err != nil {
				return fmt.Errorf("discountsql: coupon cap: %w", err)
			}
			if perUser > 0 {
				if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM discount_redemptions
					WHERE tenant = ? AND kind = ? AND ref = ? AND user_id = ?`, tenant, kindCoupon, code, r.UserID).Scan(&mine); err != nil {
					return fmt.Errorf("discountsql: coupon uses: %w", err)
				}
				if mine >= perUser {
					return errkind.WithDetail(discount.ErrCouponUserLimit, "coupon %s can be used %d time(s) per buyer", code, perUser)
				}
			}
			if err := record(kindCoupon, code, 1); err != nil {
				return err
			}
		}
		return nil
	})
}

// Release implements discount.Store.
func (s *Store) Release(ctx context.Context, tenant, tradeID string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		type red struct {
			kind, ref string
			amount    int64
		}
		reds, err := dal.All(ctx, q, func(r *sql.Rows) (x red, err error) {
			err = r.Scan(&x.kind, &x.ref, &x.amount)
			return x, err
		}, `SELECT kind, ref, amount FROM discount_redemptions
			WHERE tenant = ? AND trade_id = ? ORDER BY kind, ref`, tenant, tradeID)
		if err != nil {
			return fmt.Errorf("discountsql: redemptions: %w", err)
		}
		for _, x := range reds {
			res, err := q.ExecContext(ctx, `DELETE FROM discount_redemptions WHERE tenant = ? AND trade_id = ? AND kind = ? AND ref = ?`,
				tenant, tradeID, x.kind, x.ref)
			if err != nil {
				return fmt.Errorf("discountsql: release: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue // another release got there first
			}
			var stmt string
			if x.kind == kindCampaign {
				stmt = `UPDATE discount_campaigns SET spent = spent - ? WHERE tenant = ? AND campaign_id = ?`
			} else {
				stmt = `UPDATE discount_coupons SET used = used - ? WHERE tenant = ? AND code = ?`
			}
			if _, err := q.ExecContext(ctx, stmt, x.amount, tenant, x.ref); err != nil {
				return fmt.Errorf("discountsql: give back %s %s: %w", x.kind, x.ref, err)
			}
		}
		return nil
	})
}

// ReturnSpend implements discount.Store. Each campaign's redemption row of the trade shrinks by
// the amount, guarded so that it never goes below zero, and the budget's spend with it; a return
// larger than what the trade still holds is refused whole (the transaction rolls back).
func (s *Store) ReturnSpend(ctx context.Context, tenant, tradeID string, spend map[string]int64) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		ids := make([]string, 0, len(spend))
		for id := range spend {
			ids = append(ids, id)
		}
		sort.Strings(ids) // one lock order for every trade
		for _, id := range ids {
			amount := spend[id]
			res, err := q.ExecContext(ctx, `UPDATE discount_redemptions SET amount = amount - ?
				WHERE tenant = ? AND trade_id = ? AND kind = ? AND ref = ? AND amount >= ?`, amount, tenant, tradeID, kindCampaign, id, amount)
			if err != nil {
				return fmt.Errorf("discountsql: return spend: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("discountsql: trade %s holds less than %d of campaign %s: %w", tradeID, amount, id, discount.ErrBudgetReturn)
			}
			if _, err := q.ExecContext(ctx, `UPDATE discount_campaigns SET spent = spent - ? WHERE tenant = ? AND campaign_id = ?`,
				amount, tenant, id); err != nil {
				return fmt.Errorf("discountsql: return to budget %s: %w", id, err)
			}
		}
		return nil
	})
}
