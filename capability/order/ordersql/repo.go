// Package ordersql is the SQL adapter of order.Repository for SQLite and MySQL.
//
// A trade row holds the address as JSON (it is read whole, never queried); orders and lines are
// rows. Times are unix milliseconds. Save is an optimistic update on the version column, and
// LockOrder/LockTrade take row locks on MySQL so transitions of one trade serialize.
package ordersql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("order", migrationFiles) }

// Repo implements order.Repository.
type Repo struct{ db *dal.DB }

// New returns a Repo on db.
func New(db *dal.DB) *Repo { return &Repo{db: db} }

var _ order.Repository = (*Repo)(nil)

// addressJSON is the stored address; trades placed before the address library have no street
// or codes.
type addressJSON struct {
	Country      string `json:"country"`
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	Province     string `json:"province"`
	City         string `json:"city"`
	District     string `json:"district"`
	Street       string `json:"street,omitempty"`
	ProvinceCode string `json:"provinceCode,omitempty"`
	CityCode     string `json:"cityCode,omitempty"`
	DistrictCode string `json:"districtCode,omitempty"`
	StreetCode   string `json:"streetCode,omitempty"`
	Detail       string `json:"detail"`
	PostalCode   string `json:"postalCode"`
}

// CreateTrade implements order.Repository.
func (r *Repo) CreateTrade(ctx context.Context, t *order.Trade) error {
	a := t.Address()
	addr, err := json.Marshal(addressJSON(a))
	if err != nil {
		return fmt.Errorf("ordersql: address: %w", err)
	}
	return r.db.InTx(ctx, func(ctx context.Context) error {
		q := r.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `INSERT INTO trades (tenant, trade_id, biz_code, scenario, user_id, currency, total,
			address, created_at, pay_deadline, flow_state, flow_version, flow_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
			t.Tenant(), t.ID(), t.Identity().BizCode(), string(t.Identity().Scenario()), t.UserID(),
			t.Total().Currency().Code(), t.Total().Minor(), string(addr), t.CreatedAt().UnixMilli(), dal.Millis(t.PayDeadline()),
			t.FlowState(), t.CreatedAt().UnixMilli()); err != nil {
			return fmt.Errorf("ordersql: insert trade: %w", err)
		}
		for _, o := range t.Orders() {
			a := o.Amounts()
			if _, err := q.ExecContext(ctx, `INSERT INTO orders (tenant, order_id, trade_id, scenario, user_id, seller_id, status,
				currency, subtotal, discount, shipping_fee, total, carrier, tracking_no, cancel_reason, ships_at, created_at, updated_at, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', ?, ?, ?, 1)`,
				o.Tenant(), o.ID(), o.TradeID(), string(o.Scenario()), o.UserID(), o.SellerID(), string(o.Status()), a.Total.Currency().Code(),
				a.Subtotal.Minor(), a.Discount.Minor(), a.ShippingFee.Minor(), a.Total.Minor(), dal.NullMillis(o.ShipsAt()),
				o.CreatedAt().UnixMilli(), o.UpdatedAt().UnixMilli()); err != nil {
				return fmt.Errorf("ordersql: insert order: %w", err)
			}
			for _, l := range o.Lines() {
				if _, err := q.ExecContext(ctx, `INSERT INTO order_lines (tenant, order_id, line_no, sku_id, title,
					warehouse_id, quantity, unit_price, total, discount, list_price, price_list_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					o.Tenant(), o.ID(), l.LineNo, l.SKUID, l.Title, l.WarehouseID, l.Quantity, l.UnitPrice.Minor(), l.Total.Minor(),
					l.Discount.Minor(), l.ListPrice.Minor(), l.PriceListID); err != nil {
					return fmt.Errorf("ordersql: insert line: %w", err)
				}
			}
			for i, d := range o.Discounts() {
				if _, err := q.ExecContext(ctx, `INSERT INTO order_discounts (tenant, order_id, seq, promotion_id, name,
					kind, coupon_code, campaign_id, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					o.Tenant(), o.ID(), i+1, d.PromotionID, d.Name, d.Kind, d.CouponCode, d.CampaignID, d.Amount.Minor()); err != nil {
					return fmt.Errorf("ordersql: insert discount: %w", err)
				}
			}
		}
		return nil
	})
}

const orderCols = `order_id, trade_id, scenario, user_id, seller_id, status, currency, subtotal, discount, shipping_fee, total,
	carrier, tracking_no, cancel_reason, ships_at, created_at, updated_at, version, delivered_at`

func (r *Repo) scanOrders(ctx context.Context, q dal.Querier, tenant string, rows *sql.Rows) ([]*order.Order, error) {
	defer rows.Close()
	type raw struct {
		id, tradeID, scenario, userID, sellerID, status, currency, carrier, tracking, reason string
		subtotal, discount, shipping, total, created, updated, version, delivered            int64
		shipsAt                                                                              sql.NullInt64
	}
	var raws []raw
	for rows.Next() {
		var x raw
		if err := rows.Scan(&x.id, &x.tradeID, &x.scenario, &x.userID, &x.sellerID, &x.status, &x.currency, &x.subtotal, &x.discount, &x.shipping, &x.total, &x.carrier,
			&x.tracking, &x.reason, &x.shipsAt, &x.created, &x.updated, &x.version, &x.delivered); err != nil {
			return nil, fmt.Errorf("ordersql: scan order: %w", err)
		}
		raws = append(raws, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ordersql: orders: %w", err)
	}
	rows.Close()
	if len(raws) == 0 {
		return nil, nil
	}
	ids := make([]any, 0, len(raws)+1)
	ids = append(ids, tenant)
	for _, x := range raws {
		ids = append(ids, x.id)
	}
	lrows, err := q.QueryContext(ctx, `SELECT order_id, line_no, sku_id, title, warehouse_id, quantity, unit_price, total, discount,
		list_price, price_list_id FROM order_lines WHERE tenant = ? AND order_id IN (`+dal.Placeholders(len(raws))+`) ORDER BY order_id, line_no`, ids...)
	if err != nil {
		return nil, fmt.Errorf("ordersql: lines: %w", err)
	}
	defer lrows.Close()
	type rawLine struct {
		orderID string
		line    order.Line
		unit    int64
		total   int64
		disc    int64
		list    sql.NullInt64
	}
	lines := map[string][]rawLine{}
	for lrows.Next() {
		var l rawLine
		if err := lrows.Scan(&l.orderID, &l.line.LineNo, &l.line.SKUID, &l.line.Title, &l.line.WarehouseID,
			&l.line.Quantity, &l.unit, &l.total, &l.disc, &l.list, &l.line.PriceListID); err != nil {
			return nil, fmt.Errorf("ordersql: scan line: %w", err)
		}
		lines[l.orderID] = append(lines[l.orderID], l)
	}
	if err := lrows.Err(); err != nil {
		return nil, fmt.Errorf("ordersql: lines: %w", err)
	}
	lrows.Close()
	type rawDiscount struct {
		orderID, promotionID, name, kind, coupon, campaign string
		amount                                             int64
	}
	discounts := map[string][]rawDiscount{}
	drows, err := q.QueryContext(ctx, `SELECT order_id, promotion_id, name, kind, coupon_code, campaign_id, amount
		FROM order_discounts WHERE tenant = ? AND order_id IN (`+dal.Placeholders(len(raws))+`) ORDER BY order_id, seq`, ids...)
	if err != nil {
		return nil, fmt.Errorf("ordersql: discounts: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var d rawDiscount
		if err := drows.Scan(&d.orderID, &d.promotionID, &d.name, &d.kind, &d.coupon, &d.campaign, &d.amount); err != nil {
			return nil, fmt.Errorf("ordersql: scan discount: %w", err)
		}
		discounts[d.orderID] = append(discounts[d.orderID], d)
	}
	if err := drows.Err(); err != nil {
		return nil, fmt.Errorf("ordersql: discounts: %w", err)
	}
	out := make([]*order.Order, 0, len(raws))
	for _, x := range raws {
		cur, err := money.ParseCurrency(x.currency)
		if err != nil {
			return nil, fmt.Errorf("ordersql: order %s: %w", x.id, err)
		}
		var ls []order.Line
		for _, rl := range lines[x.id] {
			l := rl.line
			l.UnitPrice, l.Total, l.Discount = money.New(rl.unit, cur), money.New(rl.total, cur), money.New(rl.disc, cur)
			l.ListPrice = l.UnitPrice // lines written before list prices were kept
			if rl.list.Valid {
				l.ListPrice = money.New(rl.list.Int64, cur)
			}
			ls = append(ls, l)
		}
		var ds []order.Discount
		for _, d := range discounts[x.id] {
			ds = append(ds, order.Discount{PromotionID: d.promotionID, Name: d.name, Kind: d.kind, CouponCode: d.coupon, CampaignID: d.campaign, Amount: money.New(d.amount, cur)})
		}
		amounts := order.Amounts{Subtotal: money.New(x.subtotal, cur), Discount: money.New(x.discount, cur),
			ShippingFee: money.New(x.shipping, cur), Total: money.New(x.total, cur)}
		o, err := order.OrderFromStorage(x.id, x.tradeID, tenant, identity.Scenario(x.scenario), x.userID, x.sellerID, order.Status(x.status), ls,
			amounts, ds, order.Shipment{Carrier: x.carrier, TrackingNo: x.tracking}, dal.TimeOf(x.shipsAt), x.reason,
			time.UnixMilli(x.created), time.UnixMilli(x.updated), dal.FromMillis(x.delivered), x.version)
		if err != nil {
			return nil, fmt.Errorf("ordersql: %w", err)
		}
		out = append(out, o)
	}
	return out, nil
}

func (r *Repo) orderQuery(ctx context.Context, q dal.Querier, lock bool, tenant, orderID string) (*order.Order, error) {
	suffix := ""
	if lock {
		suffix = r.db.ForUpdate()
	}
	rows, err := q.QueryContext(ctx, `SELECT `+orderCols+` FROM orders WHERE tenant = ? AND order_id = ?`+suffix, tenant, orderID)
	if err != nil {
		return nil, fmt.Errorf("ordersql: order: %w", err)
	}
	os, err := r.scanOrders(ctx, q, tenant, rows)
	if err != nil {
		return nil, err
	}
	if len(os) == 0 {
		return nil, order.ErrNotFound
	}
	return os[0], nil
}

// Order implements order.Repository.
func (r *Repo) Order(ctx context.Context, tenant, orderID string) (*order.Order, error) {
	return r.orderQuery(ctx, r.db.R(ctx), false, tenant, orderID)
}

// LockOrder implements order.Repository.
func (r *Repo) LockOrder(ctx context.Context, tenant, orderID string) (*order.Order, error) {
	return r.orderQuery(ctx, r.db.Q(ctx), true, tenant, orderID)
}

func (r *Repo) tradeQuery(ctx context.Context, q dal.Querier, lock bool, tenant, tradeID string) (*order.Trade, error) {
	suffix := ""
	if lock {
		suffix = r.db.ForUpdate()
	}
	var bizCode, scenario, userID, currency, addr string
	var total, created, deadline int64
	err := q.QueryRowContext(ctx, `SELECT biz_code, scenario, user_id, currency, total, address, created_at, pay_deadline
		FROM trades WHERE tenant = ? AND trade_id = ?`+suffix, tenant, tradeID).
		Scan(&bizCode, &scenario, &userID, &currency, &total, &addr, &created, &deadline)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, order.ErrTradeNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("ordersql: trade: %w", err)
	}
	ident, err := identity.New(tenant, bizCode, identity.Scenario(scenario))
	if err != nil {
		return nil, fmt.Errorf("ordersql: trade %s identity: %w", tradeID, err)
	}
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return nil, fmt.Errorf("ordersql: trade %s: %w", tradeID, err)
	}
	var a addressJSON
	if err := json.Unmarshal([]byte(addr), &a); err != nil {
		return nil, fmt.Errorf("ordersql: trade %s address: %w", tradeID, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+orderCols+` FROM orders WHERE tenant = ? AND trade_id = ? ORDER BY order_id`+suffix, tenant, tradeID)
	if err != nil {
		return nil, fmt.Errorf("ordersql: trade orders: %w", err)
	}
	orders, err := r.scanOrders(ctx, q, tenant, rows)
	if err != nil {
		return nil, err
	}
	return order.TradeFromStorage(tradeID, ident, userID, order.Address(a), money.New(total, cur), orders,
		time.UnixMilli(created), dal.FromMillis(deadline)), nil
}

// Trade implements order.Repository.
func (r *Repo) Trade(ctx context.Context, tenant, tradeID string) (*order.Trade, error) {
	return r.tradeQuery(ctx, r.db.R(ctx), false, tenant, tradeID)
}

// LockTrade implements order.Repository.
func (r *Repo) LockTrade(ctx context.Context, tenant, tradeID string) (*order.Trade, error) {
	return r.tradeQuery(ctx, r.db.Q(ctx), true, tenant, tradeID)
}

// Save implements order.Repository.
func (r *Repo) Save(ctx context.Context, o *order.Order) error {
	res, err := r.db.Q(ctx).ExecContext(ctx, `UPDATE orders SET status = ?, carrier = ?, tracking_no = ?, cancel_reason = ?,
		updated_at = ?, delivered_at = ?, version = version + 1 WHERE tenant = ? AND order_id = ? AND version = ?`,
		string(o.Status()), o.Shipment().Carrier, o.Shipment().TrackingNo, o.CancelReason(), o.UpdatedAt().UnixMilli(),
		dal.Millis(o.DeliveredAt()), o.Tenant(), o.ID(), o.Version())
	if err != nil {
		return fmt.Errorf("ordersql: save order: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("ordersql: order %s version %d: %w", o.ID(), o.Version(), order.ErrConcurrentUpdate)
	}
	o.Stored()
	return nil
}

// HasLiveOrders reports whether the buyer has an order that was neither cancelled nor refunded
// (limits.History: a buyer whose only order was refunded before it shipped still buys a first).
func (r *Repo) HasLiveOrders(ctx context.Context, tenant, userID string) (bool, error) {
	var one int
	err := r.db.R(ctx).QueryRowContext(ctx, `SELECT 1 FROM orders WHERE tenant = ? AND user_id = ? AND status NOT IN (?, ?) LIMIT 1`,
		tenant, userID, string(order.Cancelled), string(order.Refunded)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ordersql: live orders: %w", err)
	}
	return true, nil
}
