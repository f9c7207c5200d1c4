// Package statssql keeps the order-events projection (product-layer/stats) in SQL.
package statssql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/stats"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the projection's schema.
func Migrations() dal.Migrations { return dal.Embedded("stats", migrationFiles) }

// Store is the projection on a database.
type Store struct {
	db  *dal.DB
	now func() time.Time
}

// New returns the store.
func New(db *dal.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

var _ stats.Store = (*Store)(nil)

// refund_state values.
const (
	refundNone    = 0
	refundSeen    = 1 // refunded before its payment was applied: counted when it is
	refundCounted = 2
)

type row struct {
	flow, status, currency string
	rank                   int
	at, total              int64
	sold, refund           int
	refundDay              string
}

// Apply implements stats.Store.
func (s *Store) Apply(ctx context.Context, eventType string, st stats.OrderState) error {
	if eventType == stats.EventAfterSaleRefunded {
		// Money went back, so the units were paid: they count as refunded on the day, whatever
		// the order's own events say and whenever they arrive.
		return s.db.InTx(ctx, func(ctx context.Context) error { return s.sales(ctx, st, stats.Day(st.At), -1) })
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		var r row
		err := q.QueryRowContext(ctx, `SELECT flow, status, status_rank, status_at, total, currency, sold, refund_state, refund_day
			FROM stats_orders WHERE tenant = ? AND order_id = ?`+s.db.ForUpdate(), st.Tenant, st.OrderID).
			Scan(&r.flow, &r.status, &r.rank, &r.at, &r.total, &r.currency, &r.sold, &r.refund, &r.refundDay)
		found := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("statssql: read order: %w", err)
		}
		at, rank := st.At.UnixMilli(), stats.Rank(st.Status)
		next := r
		if !found {
			next = row{flow: st.Flow, currency: st.Currency, total: st.Total}
			if next.flow == "" {
				next.flow = "unknown"
			}
		}
		if !found || at > r.at || (at == r.at && rank > r.rank) {
			next.status, next.rank, next.at = st.Status, rank, at
		}
		// What an order is (its flow, total, currency) does not change; an event that arrived
		// first may not have said it.
		if next.flow == "unknown" && st.Flow != "" {
			next.flow = st.Flow
		}
		if next.total == 0 && st.Total > 0 {
			next.total = st.Total
		}
		if next.currency == "" {
			next.currency = st.Currency
		}
		switch {
		case eventType == stats.EventPaid && next.sold == 0:
			next.sold = 1
			if err := s.sales(ctx, st, stats.Day(st.At), 1); err != nil {
				return err
			}
			if next.refund == refundSeen { // the refund was applied first
				next.refund = refundCounted
				if err := s.sales(ctx, st, next.refundDay, -1); err != nil {
					return err
				}
			}
		case eventType == stats.EventRefunded && st.AfterSaleID != "":
			next.refund = refundCounted // its units were counted request by request
		case eventType == stats.EventRefunded && next.refund == refundNone:
			next.refund, next.refundDay = refundSeen, stats.Day(st.At)
			if next.sold == 1 {
				next.refund = refundCounted
				if err := s.sales(ctx, st, next.refundDay, -1); err != nil {
					return err
				}
			}
		}
		if found {
			if r.flow != next.flow || r.status != next.status || r.currency != next.currency || r.total != next.total {
				if err := s.count(ctx, st.Tenant, r, -1); err != nil {
					return err
				}
				if err := s.count(ctx, st.Tenant, next, 1); err != nil {
					return err
				}
			}
			_, err := q.ExecContext(ctx, `UPDATE stats_orders SET flow = ?, status = ?, status_rank = ?, status_at = ?, total = ?, currency = ?,
				sold = ?, refund_state = ?, refund_day = ? WHERE tenant = ? AND order_id = ?`, next.flow, next.status, next.rank, next.at,
				next.total, next.currency, next.sold, next.refund, next.refundDay, st.Tenant, st.OrderID)
			if err != nil {
				return fmt.Errorf("statssql: update order: %w", err)
			}
			return nil
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO stats_orders (tenant, order_id, flow, status, status_rank, status_at, total, currency,
			sold, refund_state, refund_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, st.Tenant, st.OrderID, next.flow, next.status, next.rank,
			next.at, next.total, next.currency, next.sold, next.refund, next.refundDay); err != nil {
			return fmt.Errorf("statssql: insert order: %w", err)
		}
		return s.count(ctx, st.Tenant, next, 1)
	})
}

// count adds sign orders (and their total) to r's status.
func (s *Store) count(ctx context.Context, tenant string, r row, sign int64) error {
	return s.db.Upsert(ctx,
		`UPDATE stats_status_counts SET orders = orders + ?, amount = amount + ? WHERE tenant = ? AND flow = ? AND status = ? AND currency = ?`,
		[]any{sign, sign * r.total, tenant, r.flow, r.status, r.currency},
		`INSERT INTO stats_status_counts (tenant, flow, status, currency, orders, amount) VALUES (?, ?, ?, ?, ?, ?)`,
		[]any{tenant, r.flow, r.status, r.currency, sign, sign * r.total})
}

// sales adds an order's lines to its SKUs' day: sold (sign 1) or refunded (sign -1).
func (s *Store) sales(ctx context.Context, st stats.OrderState, day string, sign int) error {
	for _, l := range st.Lines {
		orders, units, amount, rUnits, rAmount := int64(1), l.Quantity, l.Paid, int64(0), int64(0)
		if sign < 0 {
			orders, units, amount, rUnits, rAmount = 0, 0, 0, l.Quantity, l.Paid
		}
		if err := s.db.Upsert(ctx,
			`UPDATE stats_sku_daily SET orders = orders + ?, units = units + ?, amount = amount + ?, refunded_units = refunded_units + ?,
				refunded_amount = refunded_amount + ? WHERE tenant = ? AND day = ? AND sku_id = ? AND currency = ?`,
			[]any{orders, units, amount, rUnits, rAmount, st.Tenant, day, l.SKUID, st.Currency},
			`INSERT INTO stats_sku_daily (tenant, day, sku_id, currency, orders, units, amount, refunded_units, refunded_amount)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			[]any{st.Tenant, day, l.SKUID, st.Currency, orders, units, amount, rUnits, rAmount}); err != nil {
			return fmt.Errorf("statssql: sku sales: %w", err)
		}
	}
	return nil
}

// Report implements stats.Store.
func (s *Store) Report(ctx context.Context, tenant string, q stats.Query) (stats.Report, error) {
	from, to, err := q.Range(s.now())
	if err != nil {
		return stats.Report{}, err
	}
	rep := stats.Report{From: stats.Day(from), To: stats.Day(to)}
	r := s.db.R(ctx)
	args := []any{tenant}
	where := ""
	if q.Flow != "" {
		where, args = " AND flow = ?", append(args, q.Flow)
	}
	rep.ByStatus, err = dal.All(ctx, r, func(rows *sql.Rows) (stats.StatusCount, error) {
		var c stats.StatusCount
		return c, rows.Scan(&c.Flow, &c.Status, &c.Currency, &c.Orders, &c.Amount)
	}, `SELECT flow, status, currency, orders, amount FROM stats_status_counts WHERE tenant = ?`+where+` AND orders <> 0
		ORDER BY flow, status, currency`, args...)
	if err != nil {
		return stats.Report{}, fmt.Errorf("statssql: report: %w", err)
	}
	args = []any{tenant, rep.From, rep.To}
	where = ""
	if q.SKUID != "" {
		where, args = " AND sku_id = ?", append(args, q.SKUID)
	}
	rep.SKUDaily, err = dal.All(ctx, r, func(rows *sql.Rows) (stats.SKUDay, error) {
		var d stats.SKUDay
		return d, rows.Scan(&d.Day, &d.SKUID, &d.Currency, &d.Orders, &d.Units, &d.Amount, &d.RefundedUnits, &d.RefundedAmount)
	}, `SELECT day, sku_id, currency, orders, units, amount, refunded_units, refunded_amount FROM stats_sku_daily
		WHERE tenant = ? AND day >= ? AND day <= ?`+where+` ORDER BY day, sku_id, currency LIMIT 10000`, args...)
	if err != nil {
		return stats.Report{}, fmt.Errorf("statssql: report: %w", err)
	}
	if rep.ByStatus == nil {
		rep.ByStatus = []stats.StatusCount{}
	}
	if rep.SKUDaily == nil {
		rep.SKUDaily = []stats.SKUDay{}
	}
	return rep, nil
}
