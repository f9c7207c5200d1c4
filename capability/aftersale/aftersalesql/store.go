// Package aftersalesql is the SQL adapter of after-sale requests and tenants' after-sale
// policies, for SQLite and MySQL.
package aftersalesql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/money"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("aftersale", migrationFiles) }

// Store implements aftersale.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ aftersale.Store = (*Store)(nil)

const cols = `aftersale_id, trade_id, order_id, user_id, kind, status, reason, note, currency, goods, shipping, amount,
	decision, decided_by, goods_condition, carrier, tracking_no, refund_ids, created_at, updated_at, version`

// Create implements aftersale.Store.
func (s *Store) Create(ctx context.Context, a *aftersale.AfterSale) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `INSERT INTO aftersales (tenant, `+cols+`) VALUES (`+dal.Placeholders(22)+`)`,
			append([]any{a.Tenant(), a.ID(), a.TradeID(), a.OrderID(), a.UserID()}, values(a)...)...); err != nil {
			return fmt.Errorf("aftersalesql: create: %w", err)
		}
		lines := a.Lines()
		args := make([]any, 0, 8*len(lines))
		for _, l := range lines {
			args = append(args, a.Tenant(), a.ID(), l.LineNo, l.SKUID, l.WarehouseID, l.Quantity, l.Amount.Minor(), l.Discount.Minor())
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO aftersale_lines (tenant, aftersale_id, line_no, sku_id, warehouse_id, quantity, amount, discount)
			VALUES `+dal.Rows(len(lines), 8), args...); err != nil {
			return fmt.Errorf("aftersalesql: create lines: %w", err)
		}
		return nil
	})
}

// values are the columns after user_id, in cols order.
func values(a *aftersale.AfterSale) []any {
	sh := a.Shipment()
	return []any{string(a.Kind()), string(a.Status()), a.Reason(), a.Note(), a.Amount().Currency().Code(), a.Goods().Minor(),
		a.Shipping().Minor(), a.Amount().Minor(), a.Decision(), a.DecidedBy(), string(a.Condition()), sh.Carrier, sh.TrackingNo,
		strings.Join(a.RefundIDs(), ","), a.CreatedAt().UnixMilli(), a.UpdatedAt().UnixMilli(), a.Version()}
}

// Save implements aftersale.Store: it writes what a transition changes, over the version read.
func (s *Store) Save(ctx context.Context, a *aftersale.AfterSale) error {
	sh := a.Shipment()
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE aftersales SET status = ?, amount = ?, decision = ?, decided_by = ?,
		goods_condition = ?, carrier = ?, tracking_no = ?, refund_ids = ?, updated_at = ?, version = version + 1
		WHERE tenant = ? AND aftersale_id = ? AND version = ?`,
		string(a.Status()), a.Amount().Minor(), a.Decision(), a.DecidedBy(), string(a.Condition()), sh.Carrier, sh.TrackingNo,
		strings.Join(a.RefundIDs(), ","), a.UpdatedAt().UnixMilli(), a.Tenant(), a.ID(), a.Version())
	if err != nil {
		return fmt.Errorf("aftersalesql: save: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("aftersalesql: %s version %d: %w", a.ID(), a.Version(), aftersale.ErrConcurrentUpdate)
	}
	return nil
}

// Get implements aftersale.Store.
func (s *Store) Get(ctx context.Context, tenant, id string) (*aftersale.AfterSale, error) {
	return s.one(ctx, s.db.Q(ctx), tenant, id, "")
}

// Lock implements aftersale.Store.
func (s *Store) Lock(ctx context.Context, tenant, id string) (*aftersale.AfterSale, error) {
	return s.one(ctx, s.db.Q(ctx), tenant, id, s.db.ForUpdate())
}

func (s *Store) one(ctx context.Context, q dal.Querier, tenant, id, suffix string) (*aftersale.AfterSale, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM aftersales WHERE tenant = ? AND aftersale_id = ?`+suffix, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("aftersalesql: get: %w", err)
	}
	as, err := s.scan(ctx, q, tenant, rows)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, aftersale.ErrNotFound
	}
	return as[0], nil
}

// OfOrder implements aftersale.Store. Inside a transaction it reads the primary, so that a
// request being made sees every request committed before it.
func (s *Store) OfOrder(ctx context.Context, tenant, orderID string) ([]*aftersale.AfterSale, error) {
	q := s.db.Q(ctx)
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM aftersales WHERE tenant = ? AND order_id = ? ORDER BY created_at, aftersale_id`,
		tenant, orderID)
	if err != nil {
		return nil, fmt.Errorf("aftersalesql: of order: %w", err)
	}
	return s.scan(ctx, q, tenant, rows)
}

// List implements aftersale.Store. The cursor is "<created_at>:<aftersale_id>" of the last
// request of the previous page.
func (s *Store) List(ctx context.Context, tenant string, f aftersale.Filter, limit int, cursor string) (aftersale.Page, error) {
	q := `SELECT ` + cols + ` FROM aftersales WHERE tenant = ?`
	args := []any{tenant}
	if f.UserID != "" {
		q += ` AND user_id = ?`
		args = append(args, f.UserID)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if cursor != "" {
		ts, id, ok := strings.Cut(cursor, ":")
		n, err := strconv.ParseInt(ts, 10, 64)
		if !ok || err != nil || id == "" {
			return aftersale.Page{}, fmt.Errorf("aftersalesql: cursor %q: %w", cursor, aftersale.ErrInvalidCursor)
		}
		q += ` AND (created_at < ? OR (created_at = ? AND aftersale_id < ?))`
		args = append(args, n, n, id)
	}
	q += ` ORDER BY created_at DESC, aftersale_id DESC LIMIT ?`
	args = append(args, limit+1)
	r := s.db.R(ctx)
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return aftersale.Page{}, fmt.Errorf("aftersalesql: list: %w", err)
	}
	as, err := s.scan(ctx, r, tenant, rows)
	if err != nil {
		return aftersale.Page{}, err
	}
	var p aftersale.Page
	if len(as) > limit {
		as = as[:limit]
		last := as[limit-1]
		p.Next = strconv.FormatInt(last.CreatedAt().UnixMilli(), 10) + ":" + last.ID()
	}
	p.AfterSales = as
	return p, nil
}

// scan reads requests from rows (closing them) and then their lines, in one query.
func (s *Store) scan(ctx context.Context, q dal.Querier, tenant string, rows *sql.Rows) ([]*aftersale.AfterSale, error) {
	type row struct {
		id, tradeID, orderID, userID, kind, status, reason, note, currency string
		goods, shipping, amount                                            int64
		decision, decidedBy, condition, carrier, trackingNo, refundIDs     string
		created, updated, version                                          int64
	}
	var rs []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.tradeID, &x.orderID, &x.userID, &x.kind, &x.status, &x.reason, &x.note, &x.currency,
			&x.goods, &x.shipping, &x.amount, &x.decision, &x.decidedBy, &x.condition, &x.carrier, &x.trackingNo, &x.refundIDs,
			&x.created, &x.updated, &x.version); err != nil {
			rows.Close()
			return nil, fmt.Errorf("aftersalesql: scan: %w", err)
		}
		rs = append(rs, x)
	}
	err := rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("aftersalesql: rows: %w", err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	ids := make([]any, 0, len(rs)+1)
	ids = append(ids, tenant)
	for _, x := range rs {
		ids = append(ids, x.id)
	}
	lines, err := s.lines(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*aftersale.AfterSale, 0, len(rs))
	for _, x := range rs {
		cur, err := money.ParseCurrency(x.currency)
		if err != nil {
			return nil, fmt.Errorf("aftersalesql: %s: %w", x.id, err)
		}
		var ls []aftersale.Line
		for _, l := range lines[x.id] {
			ls = append(ls, aftersale.Line{LineNo: l.lineNo, SKUID: l.skuID, WarehouseID: l.warehouseID, Quantity: l.quantity,
				Amount: money.New(l.amount, cur), Discount: money.New(l.discount, cur)})
		}
		var refunds []string
		if x.refundIDs != "" {
			refunds = strings.Split(x.refundIDs, ",")
		}
		a, err := aftersale.FromStorage(x.id, tenant, x.tradeID, x.orderID, x.userID, aftersale.Kind(x.kind), aftersale.Status(x.status),
			ls, x.reason, x.note, money.New(x.goods, cur), money.New(x.shipping, cur), money.New(x.amount, cur), x.decision,
			x.decidedBy, aftersale.Condition(x.condition), aftersale.Shipment{Carrier: x.carrier, TrackingNo: x.trackingNo}, refunds,
			time.UnixMilli(x.created), time.UnixMilli(x.updated), x.version)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// lineRow is a stored line; its money is in its request's currency.
type lineRow struct {
	lineNo                     int
	skuID, warehouseID         string
	quantity, amount, discount int64
}

func (s *Store) lines(ctx context.Context, q dal.Querier, tenantAndIDs []any) (map[string][]lineRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT aftersale_id, line_no, sku_id, warehouse_id, quantity, amount, discount FROM aftersale_lines
		WHERE tenant = ? AND aftersale_id IN (`+dal.Placeholders(len(tenantAndIDs)-1)+`) ORDER BY aftersale_id, line_no`, tenantAndIDs...)
	if err != nil {
		return nil, fmt.Errorf("aftersalesql: lines: %w", err)
	}
	defer rows.Close()
	out := map[string][]lineRow{}
	for rows.Next() {
		var id string
		var l lineRow
		if err := rows.Scan(&id, &l.lineNo, &l.skuID, &l.warehouseID, &l.quantity, &l.amount, &l.discount); err != nil {
			return nil, fmt.Errorf("aftersalesql: scan line: %w", err)
		}
		out[id] = append(out[id], l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("aftersalesql: lines: %w", err)
	}
	return out, nil
}

// policyBody is how a policy is stored: windows in seconds.
type policyBody struct {
	ReturnWindow         int64            `json:"returnWindowSeconds"`
	TagWindows           map[string]int64 `json:"tagWindowSeconds,omitempty"`
	Shipping             string           `json:"shipping"`
	AutoApproveUnshipped bool             `json:"autoApproveUnshipped"`
	SellerWindow         int64            `json:"sellerWindowSeconds"`
	ShipBackWindow       int64            `json:"shipBackWindowSeconds"`
}

// Policy implements aftersale.Store.
func (s *Store) Policy(ctx context.Context, tenant string) (aftersale.Policy, error) {
	var body string
	err := s.db.R(ctx).QueryRowContext(ctx, `SELECT body FROM aftersale_policies WHERE tenant = ?`, tenant).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return aftersale.DefaultPolicy(), nil
	}
	if err != nil {
		return aftersale.Policy{}, fmt.Errorf("aftersalesql: policy: %w", err)
	}
	var b policyBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return aftersale.Policy{}, fmt.Errorf("aftersalesql: policy of %s: %w", tenant, err)
	}
	p := aftersale.Policy{ReturnWindow: time.Duration(b.ReturnWindow) * time.Second, Shipping: aftersale.ShippingRule(b.Shipping),
		AutoApproveUnshipped: b.AutoApproveUnshipped, SellerWindow: time.Duration(b.SellerWindow) * time.Second,
		ShipBackWindow: time.Duration(b.ShipBackWindow) * time.Second}
	if len(b.TagWindows) > 0 {
		p.TagWindows = map[string]time.Duration{}
		for tag, w := range b.TagWindows {
			p.TagWindows[tag] = time.Duration(w) * time.Second
		}
	}
	return p, nil
}

// PutPolicy implements aftersale.Store; the policy must be valid.
func (s *Store) PutPolicy(ctx context.Context, tenant string, p aftersale.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	b := policyBody{ReturnWindow: int64(p.ReturnWindow / time.Second), Shipping: string(p.Shipping),
		AutoApproveUnshipped: p.AutoApproveUnshipped, SellerWindow: int64(p.SellerWindow / time.Second),
		ShipBackWindow: int64(p.ShipBackWindow / time.Second)}
	if len(p.TagWindows) > 0 {
		b.TagWindows = map[string]int64{}
		for tag, w := range p.TagWindows {
			b.TagWindows[tag] = int64(w / time.Second)
		}
	}
	body, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("aftersalesql: encode policy: %w", err)
	}
	now := time.Now().UnixMilli()
	return s.db.Upsert(ctx, `UPDATE aftersale_policies SET body = ?, updated_at = ? WHERE tenant = ?`, []any{string(body), now, tenant},
		`INSERT INTO aftersale_policies (tenant, body, updated_at) VALUES (?, ?, ?)`, []any{tenant, string(body), now})
}
