// Package paymentsql is the SQL adapter of payment.Store for SQLite and MySQL.
package paymentsql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/components/dal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("payment", migrationFiles) }

// Store implements payment.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ payment.Store = (*Store)(nil)

// Create implements payment.Store.
func (s *Store) Create(ctx context.Context, p *payment.Payment) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO payments (payment_id, tenant, trade_id, user_id, provider, currency,
		amount, status, provider_ref, created_at, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID(), p.Tenant(), p.TradeID(), p.UserID(), p.Provider(), p.Amount().Currency().Code(), p.Amount().Minor(),
		string(p.Status()), p.ProviderRef(), p.CreatedAt().UnixMilli(), millis(p.SettledAt()))
	if err != nil {
		return fmt.Errorf("paymentsql: insert: %w", err)
	}
	return nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

const cols = `payment_id, tenant, trade_id, user_id, provider, currency, amount, status, provider_ref, created_at, settled_at`

func scan(row interface{ Scan(...any) error }) (*payment.Payment, error) {
	var id, tenant, trade, user, provider, currency, status, ref string
	var amount, created, settled int64
	if err := row.Scan(&id, &tenant, &trade, &user, &provider, &currency, &amount, &status, &ref, &created, &settled); err != nil {
		return nil, err
	}
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return nil, fmt.Errorf("paymentsql: payment %s: %w", id, err)
	}
	var settledAt time.Time
	if settled != 0 {
		settledAt = time.UnixMilli(settled)
	}
	return payment.FromStorage(id, tenant, trade, user, provider, money.New(amount, cur), payment.Status(status), ref,
		time.UnixMilli(created), settledAt), nil
}

func (s *Store) get(ctx context.Context, q dal.Querier, suffix, id string) (*payment.Payment, error) {
	p, err := scan(q.QueryRowContext(ctx, `SELECT `+cols+` FROM payments WHERE payment_id = ?`+suffix, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("paymentsql: get: %w", err)
	}
	return p, nil
}

// Get implements payment.Store.
func (s *Store) Get(ctx context.Context, id string) (*payment.Payment, error) {
	return s.get(ctx, s.db.R(ctx), "", id)
}

// Lock implements payment.Store.
func (s *Store) Lock(ctx context.Context, id string) (*payment.Payment, error) {
	return s.get(ctx, s.db.Q(ctx), s.db.ForUpdate(), id)
}

// ByTrade implements payment.Store.
func (s *Store) ByTrade(ctx context.Context, tenant, tradeID string) ([]*payment.Payment, error) {
	rows, err := s.db.R(ctx).QueryContext(ctx, `SELECT `+cols+` FROM payments WHERE tenant = ? AND trade_id = ?
		ORDER BY created_at, payment_id`, tenant, tradeID)
	if err != nil {
		return nil, fmt.Errorf("paymentsql: by trade: %w", err)
	}
	defer rows.Close()
	var out []*payment.Payment
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("paymentsql: scan: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Save implements payment.Store.
func (s *Store) Save(ctx context.Context, p *payment.Payment) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE payments SET status = ?, provider_ref = ?, settled_at = ? WHERE payment_id = ?`,
		string(p.Status()), p.ProviderRef(), millis(p.SettledAt()), p.ID())
	if err != nil {
		return fmt.Errorf("paymentsql: save: %w", err)
	}
	return nil
}
