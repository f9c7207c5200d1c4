package auditsql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/product-layer/audit"
)

// batch is how many trades one round of the money check reads.
const batch = 200

// touchedTrades are the tenant's trades changed since s.Since: the keys of the events committed
// since (every change of an order commits an event keyed by its trade, in its transaction), the
// trades of the payments and refunds made since, the trades created since, and the rechecked
// subjects' trades. Everything when s.Since is zero.
func (c *Checks) touchedTrades(ctx context.Context, s audit.Scope, recheck []string) ([]string, error) {
	q := c.db.R(ctx)
	scan := func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}
	if s.Since.IsZero() {
		ids, err := dal.All(ctx, q, scan, `SELECT trade_id FROM trades WHERE tenant = ? ORDER BY trade_id`, s.Tenant)
		return append(ids, recheck...), err
	}
	// Each a range of a primary key of time-ordered ids, over every tenant (kept to the scope's
	// here: a filter on the tenant would lead the planner to the tenant's index instead).
	ofTenant := func(r *sql.Rows) (string, error) {
		var tenant, id string
		if err := r.Scan(&tenant, &id); err != nil || tenant != s.Tenant {
			return "", err
		}
		return id, nil
	}
	ids, err := dal.All(ctx, q, scan, `SELECT trade_id FROM trades WHERE tenant = ? AND trade_id >= ?`, s.Tenant, idgen.Floor("T", s.Since))
	if err != nil {
		return nil, err
	}
	for _, from := range []struct{ query, floor string }{
		{`SELECT tenant, msg_key FROM outbox_events WHERE event_id >= ?`, idgen.Floor("E", s.Since)},
		{`SELECT tenant, trade_id FROM payments WHERE payment_id >= ?`, idgen.Floor("P", s.Since)},
		{`SELECT tenant, trade_id FROM payment_refunds WHERE refund_id >= ?`, idgen.Floor("R", s.Since)},
	} {
		more, err := dal.All(ctx, q, ofTenant, from.query, from.floor)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	return append(ids, recheck...), nil
}

type orderRow struct {
	id, trade, status                   string
	subtotal, discount, shipping, total int64
}

// trades is the money check over the touched trades: lines add up to their orders, each
// order's discounts to its discount, orders to their trade; no trade keeps more than it owes; no
// payment gives back more than it took, and only what it took; no order gives back more than it
// paid; no stock stays held for a cancelled order.
func (c *Checks) trades(ctx context.Context, s audit.Scope) (audit.Result, error) {
	// A rechecked subject is an order, a trade or a payment: each names its trade.
	recheck, err := c.tradesOf(ctx, s.Tenant, s.Recheck)
	if err != nil {
		return audit.Result{}, err
	}
	ids, err := c.touchedTrades(ctx, s, recheck)
	if err != nil {
		return audit.Result{}, err
	}
	var res audit.Result
	err = inBatches(dedupe(ids), func(_ []string, in string, args []any) error {
		return c.tradeBatch(ctx, s.Tenant, in, args, &res)
	})
	return res, err
}

// tradesOf maps subjects (trade, order or payment ids) to their trades.
func (c *Checks) tradesOf(ctx context.Context, tenant string, subjects []string) ([]string, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	var out []string
	err := inBatches(subjects, func(_ []string, in string, args []any) error {
		rows, err := dal.All(ctx, c.db.R(ctx), func(r *sql.Rows) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, `SELECT trade_id FROM orders WHERE tenant = ? AND order_id IN `+in+`
			UNION SELECT trade_id FROM payments WHERE tenant = ? AND payment_id IN `+in+`
			UNION SELECT trade_id FROM trades WHERE tenant = ? AND trade_id IN `+in,
			append(append(append(append(append([]any{tenant}, args...), tenant), args...), tenant), args...)...)
		out = append(out, rows...)
		return err
	})
	return out, err
}

func (c *Checks) tradeBatch(ctx context.Context, tenant string, in string, idArgs []any, res *audit.Result) error {
	q := c.db.R(ctx)
	args := func() []any { return append([]any{tenant}, idArgs...) }
	trades := map[string]int64{}
	err := each(ctx, q, func(r *sql.Rows) error {
		var id string
		var total int64
		if err := r.Scan(&id, &total); err != nil {
			return err
		}
		trades[id] = total
		return nil
	}, `SELECT trade_id, total FROM trades WHERE tenant = ? AND trade_id IN `+in, args()...)
	if err != nil {
		return err
	}
	res.Rows += len(trades)
	var orders []orderRow
	byTrade := map[string]int64{}
	orderTotal := map[string]orderRow{}
	err = each(ctx, q, func(r *sql.Rows) error {
		var o orderRow
		if err := r.Scan(&o.id, &o.trade, &o.status, &o.subtotal, &o.discount, &o.shipping, &o.total); err != nil {
			return err
		}
		orders = append(orders, o)
		byTrade[o.trade] += o.total
		orderTotal[o.id] = o
		return nil
	}, `SELECT order_id, trade_id, status, subtotal, discount, shipping_fee, total FROM orders WHERE tenant = ? AND trade_id IN `+in, args()...)
	if err != nil {
		return err
	}
	res.Rows += len(orders)
	found := func(kind, subject, format string, a ...any) {
		res.Findings = append(res.Findings, audit.Finding{Kind: kind, Subject: subject, Detail: fmt.Sprintf(format, a...)})
	}
	for id, total := range trades {
		if byTrade[id] != total {
			found(KindTradeUnbalanced, id, "trade %s totals %d; its orders total %d", id, total, byTrade[id])
		}
	}
	if len(orders) > 0 {
		oin, oargs := inList(keys(orderTotal))
		// Lines: total = unit price × quantity, a discount within the line's total, and together
		// the order's subtotal and discount.
		type sums struct{ total, discount, bad int64 }
		lines := map[string]sums{}
		err = each(ctx, q, func(r *sql.Rows) error {
			var id string
			var s sums
			if err := r.Scan(&id, &s.total, &s.discount, &s.bad); err != nil {
				return err
			}
			lines[id] = s
			return nil
		}, `SELECT order_id, SUM(total), SUM(discount),
			SUM(CASE WHEN total <> unit_price * quantity OR discount < 0 OR discount > total OR quantity <= 0 THEN 1 ELSE 0 END)
			FROM order_lines WHERE tenant = ? AND order_id IN `+oin+` GROUP BY order_id`, append([]any{tenant}, oargs...)...)
		if err != nil {
			return err
		}
		discounts := map[string]int64{}
		err = each(ctx, q, func(r *sql.Rows) error {
			var id string
			var amount int64
			if err := r.Scan(&id, &amount); err != nil {
				return err
			}
			discounts[id] = amount
			return nil
		}, `SELECT order_id, SUM(amount) FROM order_discounts WHERE tenant = ? AND order_id IN `+oin+` GROUP BY order_id`,
			append([]any{tenant}, oargs...)...)
		if err != nil {
			return err
		}
		for _, o := range orders {
			l := lines[o.id]
			switch {
			case l.bad > 0:
				found(KindOrderUnbalanced, o.id, "order %s has %d lines whose total is not price × quantity or whose discount is outside it", o.id, l.bad)
			case l.total != o.subtotal || l.discount != o.discount:
				found(KindOrderUnbalanced, o.id, "order %s: subtotal %d and discount %d; its lines carry %d and %d", o.id, o.subtotal, o.discount, l.total, l.discount)
			case o.total != o.subtotal-o.discount+o.shipping:
				found(KindOrderUnbalanced, o.id, "order %s: total %d is not subtotal %d - discount %d + shipping %d", o.id, o.total, o.subtotal, o.discount, o.shipping)
			}
			if discounts[o.id] != o.discount {
				found(KindDiscountUnallocated, o.id, "order %s: discount %d; its promotions give %d", o.id, o.discount, discounts[o.id])
			}
		}
		// After-sales: the units of a line that the requests still standing hold give back no
		// more than the line paid (its total less its discount).
		err = each(ctx, q, func(r *sql.Rows) error {
			var id string
			var lineNo int
			var paid, asked int64
			if err := r.Scan(&id, &lineNo, &paid, &asked); err != nil {
				return err
			}
			if asked > paid {
				found(KindRefundOverLine, fmt.Sprintf("%s/%d", id, lineNo), "line %d of order %s paid %d; its after-sales give back %d", lineNo, id, paid, asked)
			}
			return nil
		}, `SELECT a.order_id, al.line_no, MAX(ol.total - ol.discount), SUM(al.amount) FROM aftersales a
			JOIN aftersale_lines al ON al.tenant = a.tenant AND al.aftersale_id = a.aftersale_id
			JOIN order_lines ol ON ol.tenant = a.tenant AND ol.order_id = a.order_id AND ol.line_no = al.line_no
			WHERE a.tenant = ? AND a.order_id IN `+oin+` AND a.status NOT IN ('rejected', 'cancelled', 'closed')
			GROUP BY a.order_id, al.line_no`, append([]any{tenant}, oargs...)...)
		if err != nil {
			return err
		}
		// Stock held for an order that was cancelled: its reservation should have gone back.
		err = each(ctx, q, func(r *sql.Rows) error {
			var id, status string
			if err := r.Scan(&id, &status); err != nil {
				return err
			}
			if o := orderTotal[id]; o.status == "cancelled" {
				found(KindHeldByCancelled, id, "order %s is cancelled; its reservation is still %s", id, status)
			}
			return nil
		}, `SELECT reservation_id, status FROM inventory_reservations WHERE tenant = ? AND reservation_id IN `+oin+`
			AND status IN ('reserved', 'confirmed')`, append([]any{tenant}, oargs...)...)
		if err != nil {
			return err
		}
	}
	// Money: per payment what it took and gave back, per trade what it keeps, per order what it
	// gave back.
	type pay struct {
		trade, status    string
		amount, refunded int64
	}
	pays := map[string]*pay{}
	err = each(ctx, q, func(r *sql.Rows) error {
		var id string
		p := &pay{}
		if err := r.Scan(&id, &p.trade, &p.status, &p.amount); err != nil {
			return err
		}
		pays[id] = p
		return nil
	}, `SELECT payment_id, trade_id, status, amount FROM payments WHERE tenant = ? AND trade_id IN `+in, args()...)
	if err != nil {
		return err
	}
	res.Rows += len(pays)
	refundedOrder := map[string]int64{}
	pin, pargs := inList(append(keys(pays), "")) // never an empty list
	err = each(ctx, q, func(r *sql.Rows) error {
		var payment, orderID string
		var amount int64
		if err := r.Scan(&payment, &orderID, &amount); err != nil {
			return err
		}
		if p := pays[payment]; p != nil {
			p.refunded += amount
		}
		if orderID != "" {
			refundedOrder[orderID] += amount
		}
		return nil
	}, `SELECT payment_id, order_id, amount FROM payment_refunds WHERE payment_id IN `+pin, pargs...)
	if err != nil {
		return err
	}
	kept := map[string]int64{}
	for id, p := range pays {
		if p.refunded > 0 && p.status != "succeeded" {
			found(KindRefundOfUnpaid, id, "payment %s is %s and gives back %d", id, p.status, p.refunded)
		}
		if p.refunded > p.amount {
			found(KindRefundOverPayment, id, "payment %s took %d and gives back %d", id, p.amount, p.refunded)
		}
		if p.status == "succeeded" {
			kept[p.trade] += p.amount - p.refunded
		}
	}
	for id, k := range kept {
		if total, ok := trades[id]; ok && k > total {
			found(KindOverpaid, id, "trade %s owes %d and keeps %d", id, total, k)
		}
	}
	for id, r := range refundedOrder {
		if o, ok := orderTotal[id]; ok && r > o.total {
			found(KindRefundOverOrder, id, "order %s totals %d and gives back %d", id, o.total, r)
		}
	}
	return nil
}

// unpaid finds orders still awaiting payment well past their trade's pay deadline: the trades
// whose deadline passed since the last run (created within the unpaid window before it), and
// the rechecked ones.
func (c *Checks) unpaid(ctx context.Context, s audit.Scope) (audit.Result, error) {
	due := s.Now.Add(-c.cfg.UnpaidGrace)
	from := time.Time{}
	if !s.Since.IsZero() {
		from = s.Since.Add(-c.cfg.UnpaidGrace - c.cfg.UnpaidWindow)
	}
	var res audit.Result
	found := map[string]audit.Finding{} // by order: the window and the rechecks may both read one
	read := func(r *sql.Rows) error {
		var orderID, tradeID string
		var deadline int64
		if err := r.Scan(&orderID, &tradeID, &deadline); err != nil {
			return err
		}
		res.Rows++
		found[orderID] = audit.Finding{Kind: KindUnpaidStranded, Subject: orderID,
			Detail: fmt.Sprintf("order %s of trade %s still awaits payment; its deadline was %s", orderID, tradeID, dal.FromMillis(deadline).UTC().Format(time.RFC3339))}
		return nil
	}
	const unpaid = `SELECT o.order_id, o.trade_id, t.pay_deadline FROM trades t JOIN orders o ON o.tenant = t.tenant AND o.trade_id = t.trade_id
		WHERE o.status = 'pending_payment' AND t.pay_deadline < ? AND t.tenant = ? AND `
	if err := each(ctx, c.db.R(ctx), read, unpaid+`t.trade_id >= ?`, due.UnixMilli(), s.Tenant, idgen.Floor("T", from)); err != nil {
		return res, err
	}
	trades, err := c.tradesOf(ctx, s.Tenant, s.Recheck)
	if err != nil {
		return res, err
	}
	err = inBatches(dedupe(trades), func(_ []string, in string, args []any) error {
		return each(ctx, c.db.R(ctx), read, unpaid+`t.trade_id IN `+in, append([]any{due.UnixMilli(), s.Tenant}, args...)...)
	})
	if err != nil {
		return res, err
	}
	for _, f := range found {
		res.Findings = append(res.Findings, f)
	}
	return res, nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// inList is "(?, ?, ...)" and its arguments.
func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

// each runs query and hands every row to fn.
func each(ctx context.Context, q dal.Querier, fn func(*sql.Rows) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// inBatches calls fn for ids in batches of at most batch, each with its "(?, ...)" list and the
// list's arguments.
func inBatches(ids []string, fn func(batch []string, in string, args []any) error) error {
	for len(ids) > 0 {
		n := min(batch, len(ids))
		in, args := inList(ids[:n])
		if err := fn(ids[:n], in, args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
