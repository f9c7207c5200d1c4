// Package codsql is the SQL adapter of the cash-on-delivery flow's rules and refusals, for SQLite
// and MySQL.
package codsql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/cod"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("cod", migrationFiles) }

// Store implements cod.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ cod.Store = (*Store)(nil)

// Rules implements cod.Store.
func (s *Store) Rules(ctx context.Context, tenant string) (cod.Rules, bool, error) {
	var body string
	err := s.db.R(ctx).QueryRowContext(ctx, `SELECT body FROM cod_rules WHERE tenant = ?`, tenant).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return cod.Rules{}, false, nil
	}
	if err != nil {
		return cod.Rules{}, false, fmt.Errorf("codsql: rules: %w", err)
	}
	var r cod.Rules
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return cod.Rules{}, false, fmt.Errorf("codsql: rules of %s: %w", tenant, err)
	}
	return r, true, nil
}

// PutRules implements cod.Store.
func (s *Store) PutRules(ctx context.Context, tenant string, r cod.Rules) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("codsql: encode: %w", err)
	}
	return s.db.Upsert(ctx, `UPDATE cod_rules SET body = ?, updated_at = ? WHERE tenant = ?`, []any{string(body), r.UpdatedAt, tenant},
		`INSERT INTO cod_rules (tenant, body, updated_at) VALUES (?, ?, ?)`, []any{tenant, string(body), r.UpdatedAt})
}

// RecordRefusal implements cod.Store; an order refused again counts once.
func (s *Store) RecordRefusal(ctx context.Context, tenant, userID, orderID string, at time.Time) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO cod_refusals (tenant, order_id, user_id, refused_at) VALUES (?, ?, ?, ?)`,
		tenant, orderID, userID, at.UnixMilli())
	if err != nil && !dal.IsDuplicate(err) {
		return fmt.Errorf("codsql: record refusal: %w", err)
	}
	return nil
}

// Refusals implements cod.Store.
func (s *Store) Refusals(ctx context.Context, tenant, userID string, since time.Time) (int64, error) {
	var n int64
	if err := s.db.R(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM cod_refusals WHERE tenant = ? AND user_id = ? AND refused_at >= ?`,
		tenant, userID, since.UnixMilli()).Scan(&n); err != nil {
		return 0, fmt.Errorf("codsql: refusals: %w", err)
	}
	return n, nil
}
