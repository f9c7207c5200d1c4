package paymentsql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/components/dal"
)

// ListPayments implements payment.Lister: newest first by id along payments_by_tenant_status
// (a status given) or payments_by_tenant; the provider and purpose, which have few values, are
// checked on the rows walked. Mismatched payments are found from their mismatches (a provider's
// error: few), a window of mismatchWindow of them at a time.
func (s *Store) ListPayments(ctx context.Context, tenant string, f payment.Filter, limit int, cursor string) (payment.Page, error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return payment.Page{}, err
	}
	from, index := `payments p`, `payments_by_tenant`
	where, args := []string{`p.tenant = ?`}, []any{tenant}
	if f.Status != "" {
		index = `payments_by_tenant_status`
	}
	for _, c := range []struct{ col, val string }{{"p.status", string(f.Status)}, {"p.provider", f.Provider}, {"p.purpose", string(f.Purpose)}} {
		if c.val != "" {
			where, args = append(where, c.col+` = ?`), append(args, c.val)
		}
	}
	if after != "" {
		where, args = append(where, `p.payment_id < ?`), append(args, after)
	}
	windowEnd := ""
	if f.Mismatched {
		ids, end, err := s.mismatched(ctx, tenant, after)
		if err != nil || len(ids) == 0 {
			return payment.Page{}, err
		}
		where = append(where, `p.payment_id IN (`+dal.Placeholders(len(ids))+`)`)
		for _, id := range ids {
			args = append(args, id)
		}
		windowEnd, index = end, "PRIMARY"
	}
	if s.db.Dialect() == dal.MySQL {
		// The primary key is the id alone: on a small table MySQL's planner would walk it across
		// every tenant rather than the tenant's index.
		from += ` FORCE INDEX (` + index + `)`
	}
	ps, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (*payment.Payment, error) { return scan(r) },
		`SELECT `+prefixed("p.", cols)+` FROM `+from+` WHERE `+strings.Join(where, " AND ")+` ORDER BY p.payment_id DESC LIMIT ?`,
		append(args, limit+1)...)
	if err != nil {
		return payment.Page{}, fmt.Errorf("paymentsql: list: %w", err)
	}
	var p payment.Page
	switch {
	case len(ps) > limit:
		ps = ps[:limit]
		p.Next = dal.Cursor(ps[limit-1].ID())
	case windowEnd != "":
		p.Next = dal.Cursor(windowEnd) // more mismatched payments lie past this window
	}
	p.Payments = ps
	return p, nil
}

// mismatchWindow is how many mismatched payments a page of them looks through.
const mismatchWindow = 500

// mismatched returns the ids of the tenant's mismatched payments below after, newest first, up to
// mismatchWindow of them; end is the last of a full window (more may follow), else empty.
func (s *Store) mismatched(ctx context.Context, tenant, after string) (ids []string, end string, err error) {
	q, args := `SELECT DISTINCT payment_id FROM payment_mismatches WHERE tenant = ?`, []any{tenant}
	if after != "" {
		q, args = q+` AND payment_id < ?`, append(args, after)
	}
	ids, err = dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, q+` ORDER BY payment_id DESC LIMIT ?`, append(args, mismatchWindow)...)
	if err != nil {
		return nil, "", fmt.Errorf("paymentsql: mismatched: %w", err)
	}
	if len(ids) == mismatchWindow {
		end = ids[len(ids)-1]
	}
	return ids, end, nil
}

// ListRefunds implements payment.Lister, along payment_refunds_by_tenant(_status).
func (s *Store) ListRefunds(ctx context.Context, tenant string, f payment.RefundFilter, limit int, cursor string) (payment.RefundPage, error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return payment.RefundPage{}, err
	}
	from, index := `payment_refunds`, `payment_refunds_by_tenant`
	where, args := []string{`tenant = ?`}, []any{tenant}
	if f.Status != "" {
		where, args, index = append(where, `status = ?`), append(args, string(f.Status)), `payment_refunds_by_tenant_status`
	}
	if s.db.Dialect() == dal.MySQL {
		from += ` FORCE INDEX (` + index + `)` // as for payments: the primary key is the id alone
	}
	if after != "" {
		where, args = append(where, `refund_id < ?`), append(args, after)
	}
	rs, err := dal.All(ctx, s.db.R(ctx), scanRefundRow, `SELECT `+refundCols+` FROM `+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY refund_id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return payment.RefundPage{}, fmt.Errorf("paymentsql: list refunds: %w", err)
	}
	var p payment.RefundPage
	if len(rs) > limit {
		rs = rs[:limit]
		p.Next = dal.Cursor(rs[limit-1].ID())
	}
	p.Refunds = rs
	return p, nil
}

func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func decodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	id, ok := dal.ParseCursor(cursor)
	if !ok {
		return "", fmt.Errorf("paymentsql: cursor %q: %w", cursor, payment.ErrInvalidCursor)
	}
	return id, nil
}
