// Package paymentsql is the SQL adapter of payment.Store for SQLite and MySQL.
package paymentsql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
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
	if !p.Purpose().Valid() {
		return fmt.Errorf("paymentsql: payment %s has no purpose: %w", p.ID(), payment.ErrInvalidPurpose)
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO payments (payment_id, tenant, trade_id, user_id, provider, purpose, currency,
		amount, status, provider_ref, created_at, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID(), p.Tenant(), p.TradeID(), p.UserID(), p.Provider(), string(p.Purpose()), p.Amount().Currency().Code(), p.Amount().Minor(),
		string(p.Status()), p.ProviderRef(), p.CreatedAt().UnixMilli(), dal.Millis(p.SettledAt()))
	if err != nil {
		return fmt.Errorf("paymentsql: insert: %w", err)
	}
	return nil
}

const cols = `payment_id, tenant, trade_id, user_id, provider, purpose, currency, amount, status, provider_ref, created_at, settled_at`

func scan(row interface{ Scan(...any) error }) (*payment.Payment, error) {
	var id, tenant, trade, user, provider, purpose, currency, status, ref string
	var amount, created, settled int64
	if err := row.Scan(&id, &tenant, &trade, &user, &provider, &purpose, &currency, &amount, &status, &ref, &created, &settled); err != nil {
		return nil, err
	}
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return nil, fmt.Errorf("paymentsql: payment %s: %w", id, err)
	}
	if !payment.Purpose(purpose).Valid() {
		return nil, fmt.Errorf("paymentsql: payment %s has purpose %q: %w", id, purpose, payment.ErrInvalidPurpose)
	}
	return payment.FromStorage(id, tenant, trade, user, provider, payment.Purpose(purpose), money.New(amount, cur), payment.Status(status), ref,
		time.UnixMilli(created), dal.FromMillis(settled)), nil
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
		string(p.Status()), p.ProviderRef(), dal.Millis(p.SettledAt()), p.ID())
	if err != nil {
		return fmt.Errorf("paymentsql: save: %w", err)
	}
	return nil
}

const refundCols = `refund_id, tenant, payment_id, trade_id, order_id, aftersale_id, reason, currency, amount, status, provider_ref, created_at, settled_at`

// CreateRefund implements payment.Store. A second refund of one order from one payment for the
// same after-sale request (or outside after-sale) is refused by the database
// (payment.not_refundable), whatever races.
func (s *Store) CreateRefund(ctx context.Context, r *payment.Refund) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO payment_refunds (`+refundCols+`) VALUES (`+dal.Placeholders(13)+`)`,
		r.ID(), r.Tenant(), r.PaymentID(), r.TradeID(), r.OrderID(), r.AfterSaleID(), r.Reason(), r.Amount().Currency().Code(), r.Amount().Minor(),
		string(r.Status()), r.ProviderRef(), r.CreatedAt().UnixMilli(), dal.Millis(r.SettledAt()))
	if dal.IsDuplicate(err) {
		return errkind.WithDetail(payment.ErrNotRefundable, "order %s is already refunded from payment %s", r.OrderID(), r.PaymentID())
	}
	if err != nil {
		return fmt.Errorf("paymentsql: insert refund: %w", err)
	}
	return nil
}

func scanRefund(row interface{ Scan(...any) error }) (*payment.Refund, error) {
	var id, tenant, pay, trade, ord, afterSale, reason, currency, status, ref string
	var amount, created, settled int64
	if err := row.Scan(&id, &tenant, &pay, &trade, &ord, &afterSale, &reason, &currency, &amount, &status, &ref, &created, &settled); err != nil {
		return nil, err
	}
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return nil, fmt.Errorf("paymentsql: refund %s: %w", id, err)
	}
	return payment.RefundFromStorage(id, tenant, pay, trade, ord, afterSale, reason, money.New(amount, cur), payment.RefundStatus(status), ref,
		time.UnixMilli(created), dal.FromMillis(settled)), nil
}

func scanRefundRow(r *sql.Rows) (*payment.Refund, error) { return scanRefund(r) }

func (s *Store) refund(ctx context.Context, q dal.Querier, suffix, id string) (*payment.Refund, error) {
	r, err := scanRefund(q.QueryRowContext(ctx, `SELECT `+refundCols+` FROM payment_refunds WHERE refund_id = ?`+suffix, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrRefundNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("paymentsql: get refund: %w", err)
	}
	return r, nil
}

// Refund implements payment.Store.
func (s *Store) Refund(ctx context.Context, id string) (*payment.Refund, error) {
	return s.refund(ctx, s.db.R(ctx), "", id)
}

// LockRefund implements payment.Store.
func (s *Store) LockRefund(ctx context.Context, id string) (*payment.Refund, error) {
	return s.refund(ctx, s.db.Q(ctx), s.db.ForUpdate(), id)
}

// SaveRefund implements payment.Store.
func (s *Store) SaveRefund(ctx context.Context, r *payment.Refund) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE payment_refunds SET status = ?, provider_ref = ?, settled_at = ? WHERE refund_id = ?`,
		string(r.Status()), r.ProviderRef(), dal.Millis(r.SettledAt()), r.ID())
	if err != nil {
		return fmt.Errorf("paymentsql: save refund: %w", err)
	}
	return nil
}

// RefundsOfPayment implements payment.Store.
func (s *Store) RefundsOfPayment(ctx context.Context, paymentID string) ([]*payment.Refund, error) {
	out, err := dal.All(ctx, s.db.Q(ctx), scanRefundRow, `SELECT `+refundCols+` FROM payment_refunds WHERE payment_id = ?
		ORDER BY created_at, refund_id`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("paymentsql: refunds of payment: %w", err)
	}
	return out, nil
}

// RefundsOfOrders implements payment.Store.
func (s *Store) RefundsOfOrders(ctx context.Context, tenant string, orderIDs []string) ([]*payment.Refund, error) {
	if len(orderIDs) == 0 {
		return nil, nil
	}
	args := []any{tenant}
	for _, id := range orderIDs {
		args = append(args, id)
	}
	out, err := dal.All(ctx, s.db.R(ctx), scanRefundRow, `SELECT `+refundCols+` FROM payment_refunds WHERE tenant = ? AND order_id IN (`+
		dal.Placeholders(len(orderIDs))+`) ORDER BY created_at, refund_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("paymentsql: refunds of orders: %w", err)
	}
	return out, nil
}

// Unregistered implements payment.Store.
func (s *Store) Unregistered(ctx context.Context, before time.Time, limit int) ([]*payment.Payment, error) {
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (*payment.Payment, error) { return scan(r) },
		`SELECT `+cols+` FROM payments WHERE status = ? AND provider_ref = '' AND created_at < ? ORDER BY created_at LIMIT ?`,
		string(payment.Pending), before.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("paymentsql: unregistered: %w", err)
	}
	return out, nil
}

const mismatchCols = `mismatch_id, tenant, kind, payment_id, refund_id, provider, provider_ref, report, expected, expected_currency,
	reported, reported_currency, created_at`

// RecordMismatch implements payment.Mismatches.
func (s *Store) RecordMismatch(ctx context.Context, m payment.Mismatch) (bool, error) {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO payment_mismatches (`+mismatchCols+`) VALUES (`+dal.Placeholders(13)+`)`,
		m.ID, m.Tenant, string(m.Kind), m.PaymentID, m.RefundID, m.Provider, fit(m.ProviderRef, 128), fit(m.Report, 128),
		m.Expected, fit(m.ExpectedCurrency, 8), m.Reported, fit(m.ReportedCurrency, 8), m.At.UnixMilli())
	if dal.IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("paymentsql: record mismatch: %w", err)
	}
	return true, nil
}

// MismatchesOf implements payment.Mismatches.
func (s *Store) MismatchesOf(ctx context.Context, tenant, paymentID string) ([]payment.Mismatch, error) {
	out, err := dal.All(ctx, s.db.Q(ctx), func(r *sql.Rows) (payment.Mismatch, error) {
		var m payment.Mismatch
		var kind string
		var at int64
		err := r.Scan(&m.ID, &m.Tenant, &kind, &m.PaymentID, &m.RefundID, &m.Provider, &m.ProviderRef, &m.Report, &m.Expected,
			&m.ExpectedCurrency, &m.Reported, &m.ReportedCurrency, &at)
		m.Kind, m.At = payment.MismatchKind(kind), time.UnixMilli(at)
		return m, err
	}, `SELECT `+mismatchCols+` FROM payment_mismatches WHERE tenant = ? AND payment_id = ? ORDER BY created_at, mismatch_id`, tenant, paymentID)
	if err != nil {
		return nil, fmt.Errorf("paymentsql: mismatches: %w", err)
	}
	return out, nil
}

// fit cuts what a provider reported to the column's width (never inside a UTF-8 sequence): a
// report is kept whatever its size.
func fit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
