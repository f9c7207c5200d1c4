package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/idgen"
)

// floor issues, per order, the SQL statements the platform issues for a one-line order, in the
// same order, with nothing around them: no HTTP, RPC, JSON, validation, domain objects or
// savepoints. It works on
// its own tenant in the server's database, so both phases see the same tables and engine.
type floor struct {
	db  *dal.DB
	ids *idgen.Generator
	sku string
}

const floorTenant = "benchfloor"

func newFloor(ctx context.Context, cmd *cobra.Command, common commonFlags, run int64) (*floor, error) {
	_, db, err := common.openDB(cmd)
	if err != nil {
		return nil, err
	}
	ids, err := idgen.New(-1)
	if err != nil {
		db.Close()
		return nil, err
	}
	f := &floor{db: db, ids: ids, sku: fmt.Sprintf("floor-%d", run)}
	now := time.Now().UnixMilli()
	if _, err := db.Primary().ExecContext(ctx, `INSERT INTO skus (tenant, sku_id, title, seller_id, currency, price, updated_at)
		VALUES (?, ?, 'Floor item', 'floor-seller', 'CNY', 990, ?)`, floorTenant, f.sku, now); err != nil {
		db.Close()
		return nil, fmt.Errorf("seed sku (has the server migrated this database?): %w", err)
	}
	if _, err := db.Primary().ExecContext(ctx, `INSERT INTO inventory_levels (tenant, sku_id, warehouse_id, on_hand, available,
		reserved, sold, updated_at) VALUES (?, ?, 'wh-floor', 900000000, 900000000, 0, 0, ?)`, floorTenant, f.sku, now); err != nil {
		db.Close()
		return nil, fmt.Errorf("seed stock: %w", err)
	}
	return f, nil
}

func (f *floor) close() { f.db.Close() }

func (f *floor) placeOrder(ctx context.Context, w, seq int) error {
	user := fmt.Sprintf("floor-u%d", w)
	key := fmt.Sprintf("f%d-%d", w, seq)
	tradeID, orderID := f.ids.NextString("T"), f.ids.NextString("O")
	now := time.Now().UnixMilli()
	r := f.db.R(ctx)
	var hash, ref string
	_ = r.QueryRowContext(ctx, `SELECT request_hash, result_ref FROM idempotency_keys
		WHERE tenant = ? AND user_id = ? AND scope = ? AND idem_key = ?`, floorTenant, user, "place_order", key).Scan(&hash, &ref)
	var title, seller, currency string
	var price int64
	if err := r.QueryRowContext(ctx, `SELECT title, seller_id, currency, price FROM skus WHERE tenant = ? AND sku_id IN (?)`,
		floorTenant, f.sku).Scan(&title, &seller, &currency, &price); err != nil {
		return err
	}
	var avail int64
	if err := r.QueryRowContext(ctx, `SELECT available FROM inventory_levels WHERE tenant = ? AND sku_id IN (?)
		ORDER BY sku_id, warehouse_id`, floorTenant, f.sku).Scan(&avail); err != nil {
		return err
	}
	tx, err := f.db.Primary().BeginTx(ctx, f.db.TxOptions())
	if err != nil {
		return err
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	steps := []func() error{
		func() error {
			return exec(`INSERT INTO idempotency_keys (tenant, user_id, scope, idem_key, request_hash, result_ref, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, floorTenant, user, "place_order", key, "h", tradeID, now)
		},
		func() error {
			return exec(`INSERT INTO trades (tenant, trade_id, biz_code, scenario, user_id, currency, total, address, created_at,
				pay_deadline) VALUES (?, ?, ?, 'fixed_price', ?, ?, ?, ?, ?, ?)`, floorTenant, tradeID, floorTenant+".default", user,
				currency, price, `{"name":"Bench"}`, now, now+1800000)
		},
		func() error {
			return exec(`INSERT INTO orders (tenant, order_id, trade_id, user_id, seller_id, status, currency, total, carrier,
				tracking_no, cancel_reason, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, 'pending_payment', ?, ?, '', '', '', ?, ?, 1)`,
				floorTenant, orderID, tradeID, user, seller, currency, price, now, now)
		},
		func() error {
			return exec(`INSERT INTO order_lines (tenant, order_id, line_no, sku_id, title, warehouse_id, quantity, unit_price, total)
				VALUES (?, ?, 1, ?, ?, 'wh-floor', 1, ?, ?)`, floorTenant, orderID, f.sku, title, price, price)
		},
		func() error {
			return exec(`INSERT INTO outbox_events (event_id, topic, msg_key, payload, created_at, published_at)
				VALUES (?, 'order.created', ?, '{}', ?, 0)`, f.ids.NextString("E"), tradeID, now)
		},
		func() error {
			return exec(`INSERT INTO delayed_jobs (job_id, kind, ref, due_at, lease_until, attempts, last_error, done_at)
				VALUES (?, ?, ?, ?, 0, 0, '', 0)`, f.ids.NextString("J"), "fixedprice.unpaid_timeout", floorTenant+"/"+tradeID, now+1800000)
		},
		// Stock last, as the platform does.
		func() error {
			return exec(`INSERT INTO inventory_reservations (tenant, reservation_id, status, created_at, updated_at)
				VALUES (?, ?, 'reserved', ?, ?)`, floorTenant, orderID, now, now)
		},
		func() error {
			return exec(`UPDATE inventory_levels SET available = available - 1, reserved = reserved + 1, updated_at = ?
				WHERE tenant = ? AND sku_id = ? AND warehouse_id = 'wh-floor' AND available >= 1`, now, floorTenant, f.sku)
		},
		func() error {
			return exec(`INSERT INTO inventory_reservation_lines (tenant, reservation_id, line_no, sku_id, warehouse_id, quantity)
				VALUES (?, ?, 1, ?, 'wh-floor', 1)`, floorTenant, orderID, f.sku)
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return tx.Commit()
}
