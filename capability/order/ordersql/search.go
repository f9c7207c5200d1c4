package ordersql

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/components/dal"
)

// Search implements order.Repository. It walks one index newest first and stops after a page:
// orders by id (the primary key) or, for the filter that narrows most, the index that starts
// with it (orders_by_buyer, _by_seller, _by_status, _by_scenario, order_lines_by_sku, each
// ending in order_id so it hands out rows already in page order). The other filters are checked
// on the rows it walks. It reads the page's ids first, then the orders whole.
func (r *Repo) Search(ctx context.Context, tenant string, f order.Filter, limit int, cursor string) (order.Page, error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return order.Page{}, err
	}
	from, key := `orders o`, `o.order_id`
	var where []string
	var args []any
	if f.SKUID != "" {
		// Driven from the lines of the SKU: an order that holds the SKU twice comes twice, next
		// to each other, and is kept once below.
		from, key = `order_lines l JOIN orders o ON o.tenant = l.tenant AND o.order_id = l.order_id`, `l.order_id`
		where, args = append(where, `l.tenant = ?`, `l.sku_id = ?`), append(args, tenant, f.SKUID)
	} else {
		where, args = append(where, `o.tenant = ?`), append(args, tenant)
	}
	for _, c := range []struct {
		col string
		val string
	}{{"o.order_id", f.OrderID}, {"o.trade_id", f.TradeID}, {"o.user_id", f.UserID}, {"o.seller_id", f.SellerID},
		{"o.status", string(f.Status)}, {"o.scenario", string(f.Scenario)}} {
		if c.val != "" {
			where, args = append(where, c.col+` = ?`), append(args, c.val)
		}
	}
	if f.IDFrom != "" {
		where, args = append(where, key+` >= ?`), append(args, f.IDFrom)
	}
	if f.IDBefore != "" {
		where, args = append(where, key+` < ?`), append(args, f.IDBefore)
	}
	if after != "" {
		where, args = append(where, key+` < ?`), append(args, after)
	}
	q := `SELECT ` + key + ` FROM ` + from + ` WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY ` + key + ` DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := r.db.R(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return order.Page{}, fmt.Errorf("ordersql: search: %w", err)
	}
	defer rows.Close()
	var ids []string
	read := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return order.Page{}, fmt.Errorf("ordersql: search: %w", err)
		}
		read++
		if len(ids) < limit && (len(ids) == 0 || ids[len(ids)-1] != id) {
			ids = append(ids, id)
		}
	}
	// The walk stopped at its limit: there may be more (where a repeated order filled the last
	// row, the next page may turn out empty).
	more := read > limit
	if err := rows.Err(); err != nil {
		return order.Page{}, fmt.Errorf("ordersql: search: %w", err)
	}
	rows.Close()
	var p order.Page
	if len(ids) == 0 {
		return p, nil
	}
	args = append(args[:0], tenant)
	for _, id := range ids {
		args = append(args, id)
	}
	orows, err := r.db.R(ctx).QueryContext(ctx, `SELECT `+orderCols+` FROM orders WHERE tenant = ? AND order_id IN (`+dal.Placeholders(len(ids))+`)
		ORDER BY order_id DESC`, args...)
	if err != nil {
		return order.Page{}, fmt.Errorf("ordersql: search: %w", err)
	}
	if p.Orders, err = r.scanOrders(ctx, r.db.R(ctx), tenant, orows); err != nil {
		return order.Page{}, err
	}
	if more {
		p.Next = dal.Cursor(ids[len(ids)-1])
	}
	return p, nil
}

// decodeCursor reads a Page.Next: the last order id of the page before (dal.Cursor). A cursor
// handed out before searches (the buyer's list: "<created ms>:<order id>") still continues its
// list.
func decodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	if ms, id, ok := strings.Cut(cursor, ":"); ok && id != "" && len(id) <= 64 {
		if _, err := strconv.ParseInt(ms, 10, 64); err == nil {
			return id, nil
		}
	}
	id, ok := dal.ParseCursor(cursor)
	if !ok {
		return "", fmt.Errorf("ordersql: cursor %q: %w", cursor, order.ErrInvalidCursor)
	}
	return id, nil
}
