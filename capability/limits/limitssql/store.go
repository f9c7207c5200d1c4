// Package limitssql is the SQL adapter of limits.Store for SQLite and MySQL.
//
// Rules are JSON per tenant. A counter is a row per (rule, subject, period); Ensure inserts
// missing rows with INSERT IGNORE (MySQL) or INSERT OR IGNORE (SQLite) in its own statement, so
// the order transaction only runs the conditional update
//
//	UPDATE limit_counters SET used = used + ? WHERE ... AND used + ? <= ?
//
// which takes the row lock and checks in one step. A claim row per child order and rule records
// what to give back; Release deletes it and gives back only what it deleted.
package limitssql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("limits", migrationFiles) }

// Store implements limits.Store.
type Store struct {
	db  *dal.DB
	now func() time.Time
}

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db, now: time.Now} }

var _ limits.Store = (*Store)(nil)

func (s *Store) insertIgnore() string {
	if s.db.Dialect() == dal.MySQL {
		return "INSERT IGNORE"
	}
	return "INSERT OR IGNORE"
}

// PutRule implements limits.Store.
func (s *Store) PutRule(ctx context.Context, tenant string, r limits.Rule) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("limitssql: rule: %w", err)
	}
	now := s.now().UnixMilli()
	return s.db.Upsert(ctx,
		`UPDATE limit_rules SET body = ?, updated_at = ? WHERE tenant = ? AND rule_id = ?`, []any{string(body), now, tenant, r.ID},
		`INSERT INTO limit_rules (tenant, rule_id, body, updated_at) VALUES (?, ?, ?, ?)`, []any{tenant, r.ID, string(body), now})
}

// Rule implements limits.Store.
func (s *Store) Rule(ctx context.Context, tenant, id string) (limits.Rule, error) {
	var body string
	err := s.db.R(ctx).QueryRowContext(ctx, `SELECT body FROM limit_rules WHERE tenant = ? AND rule_id = ?`, tenant, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return limits.Rule{}, errkind.WithDetail(limits.ErrRuleNotFound, "rule %s not found", id)
	}
	if err != nil {
		return limits.Rule{}, fmt.Errorf("limitssql: rule: %w", err)
	}
	var r limits.Rule
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("limitssql: rule body: %w", err)
	}
	return r, nil
}

// Rules implements limits.Store.
func (s *Store) Rules(ctx context.Context, tenant string) ([]limits.Rule, error) {
	out, err := dal.All(ctx, s.db.R(ctx), func(rows *sql.Rows) (r limits.Rule, err error) {
		var body string
		if err := rows.Scan(&body); err != nil {
			return r, err
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			return r, fmt.Errorf("rule body: %w", err)
		}
		return r, nil
	}, `SELECT body FROM limit_rules WHERE tenant = ? ORDER BY rule_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("limitssql: rules: %w", err)
	}
	return out, nil
}

// Usage implements limits.Store.
func (s *Store) Usage(ctx context.Context, tenant string, keys []limits.Key) (map[limits.Key]int64, error) {
	out := map[limits.Key]int64{}
	for _, k := range keys {
		var used int64
		err := s.db.R(ctx).QueryRowContext(ctx, `SELECT used FROM limit_counters WHERE tenant = ? AND rule_id = ? AND subject = ? AND period = ?`,
			tenant, k.RuleID, k.Subject, k.Period).Scan(&used)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("limitssql: usage: %w", err)
		}
		out[k] = used
	}
	return out, nil
}

// Ensure implements limits.Store.
func (s *Store) Ensure(ctx context.Context, tenant string, keys []limits.Key) error {
	for _, k := range keys {
		if _, err := s.db.Q(ctx).ExecContext(ctx, s.insertIgnore()+` INTO limit_counters (tenant, rule_id, subject, period, used)
			VALUES (?, ?, ?, ?, 0)`, tenant, k.RuleID, k.Subject, k.Period); err != nil {
			return fmt.Errorf("limitssql: ensure counter: %w", err)
		}
	}
	return nil
}

// Claim implements limits.Store.
func (s *Store) Claim(ctx context.Context, tenant, orderID string, c limits.Claim) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		res, err := q.ExecContext(ctx, `UPDATE limit_counters SET used = used + ?
			WHERE tenant = ? AND rule_id = ? AND subject = ? AND period = ? AND used + ? <= ?`,
			c.Amount, tenant, c.RuleID, c.Subject, c.Period, c.Amount, c.Max)
		if err != nil {
			return fmt.Errorf("limitssql: claim: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errkind.WithDetail(limits.ErrLimitExceeded, "the limit of %d is reached", c.Max)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO limit_claims (tenant, order_id, rule_id, subject, period, amount, units)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, tenant, orderID, c.RuleID, c.Subject, c.Period, c.Amount, encodeUnits(c.Units)); err != nil {
			return fmt.Errorf("limitssql: record claim: %w", err)
		}
		return nil
	})
}

// encodeUnits writes units as "sku:qty,sku:qty" in SKU order (SKU ids have no ':' or ',').
func encodeUnits(units map[string]int64) string {
	skus := make([]string, 0, len(units))
	for sku, n := range units {
		if n > 0 {
			skus = append(skus, sku)
		}
	}
	sort.Strings(skus)
	parts := make([]string, len(skus))
	for i, sku := range skus {
		parts[i] = sku + ":" + strconv.FormatInt(units[sku], 10)
	}
	return strings.Join(parts, ",")
}

func decodeUnits(s string) (map[string]int64, error) {
	out := map[string]int64{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		sku, n, ok := strings.Cut(part, ":")
		q, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil || sku == "" || q <= 0 {
			return nil, fmt.Errorf("limitssql: stored claim units %q", s)
		}
		out[sku] = q
	}
	return out, nil
}

// ReleaseUnits implements limits.Store.
func (s *Store) ReleaseUnits(ctx context.Context, tenant, orderID string, units map[string]int64) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		type row struct {
			limits.Claim
			units string
		}
		claims, err := dal.All(ctx, q, func(r *sql.Rows) (c row, err error) {
			err = r.Scan(&c.RuleID, &c.Subject, &c.Period, &c.Amount, &c.units)
			return c, err
		}, `SELECT rule_id, subject, period, amount, units FROM limit_claims
			WHERE tenant = ? AND order_id = ? ORDER BY rule_id`+s.db.ForUpdate(), tenant, orderID)
		if err != nil {
			return fmt.Errorf("limitssql: claims: %w", err)
		}
		for _, c := range claims {
			held, err := decodeUnits(c.units)
			if err != nil {
				return err
			}
			var back int64
			for sku, n := range units {
				take := min(max(n, 0), held[sku])
				held[sku] -= take
				back += take
			}
			if back == 0 {
				continue
			}
			back = min(back, c.Amount)
			if c.Amount == back {
				_, err = q.ExecContext(ctx, `DELETE FROM limit_claims WHERE tenant = ? AND order_id = ? AND rule_id = ?`, tenant, orderID, c.RuleID)
			} else {
				_, err = q.ExecContext(ctx, `UPDATE limit_claims SET amount = ?, units = ? WHERE tenant = ? AND order_id = ? AND rule_id = ?`,
					c.Amount-back, encodeUnits(held), tenant, orderID, c.RuleID)
			}
			if err != nil {
				return fmt.Errorf("limitssql: release units: %w", err)
			}
			if _, err := q.ExecContext(ctx, `UPDATE limit_counters SET used = used - ?
				WHERE tenant = ? AND rule_id = ? AND subject = ? AND period = ?`, back, tenant, c.RuleID, c.Subject, c.Period); err != nil {
				return fmt.Errorf("limitssql: give back: %w", err)
			}
		}
		return nil
	})
}

// Release implements limits.Store.
func (s *Store) Release(ctx context.Context, tenant, orderID string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		claims, err := dal.All(ctx, q, func(r *sql.Rows) (c limits.Claim, err error) {
			err = r.Scan(&c.RuleID, &c.Subject, &c.Period, &c.Amount)
			return c, err
		}, `SELECT rule_id, subject, period, amount FROM limit_claims
			WHERE tenant = ? AND order_id = ? ORDER BY rule_id`, tenant, orderID)
		if err != nil {
			return fmt.Errorf("limitssql: claims: %w", err)
		}
		for _, c := range claims {
			res, err := q.ExecContext(ctx, `DELETE FROM limit_claims WHERE tenant = ? AND order_id = ? AND rule_id = ?`, tenant, orderID, c.RuleID)
			if err != nil {
				return fmt.Errorf("limitssql: release: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue
			}
			if _, err := q.ExecContext(ctx, `UPDATE limit_counters SET used = used - ?
				WHERE tenant = ? AND rule_id = ? AND subject = ? AND period = ?`, c.Amount, tenant, c.RuleID, c.Subject, c.Period); err != nil {
				return fmt.Errorf("limitssql: give back: %w", err)
			}
		}
		return nil
	})
}
