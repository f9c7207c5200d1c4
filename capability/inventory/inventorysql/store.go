// Package inventorysql is the SQL adapter of inventory.Store, for SQLite and MySQL through
// components/dal. Stock moves with conditional updates (available >= qty) so that no read-then-
// write race can oversell, and lines are updated in (sku, warehouse) order so that two orders for
// the same SKUs cannot deadlock each other.
package inventorysql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("inventory", migrationFiles) }

const (
	statusReserved  = "reserved"
	statusConfirmed = "confirmed"
	statusCancelled = "cancelled"
	// statusRestocked is a confirmed reservation whose sold units went back on the shelf: its
	// order was refunded before it shipped.
	statusRestocked = "restocked"
)

// Store implements inventory.Store.
type Store struct {
	db  *dal.DB
	now func() time.Time
}

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db, now: time.Now} }

var _ inventory.Store = (*Store)(nil)

// SetOnHand implements inventory.Store.
func (s *Store) SetOnHand(ctx context.Context, tenant, skuID, warehouseID string, onHand int64) (inventory.Level, error) {
	var lvl inventory.Level
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		now := s.now().UnixMilli()
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE inventory_levels
			SET on_hand = ?, available = ? - reserved - sold - damaged, updated_at = ?
			WHERE tenant = ? AND sku_id = ? AND warehouse_id = ? AND reserved + sold + damaged <= ?`,
			onHand, onHand, now, tenant, skuID, warehouseID, onHand)
		if err != nil {
			return fmt.Errorf("inventorysql: set on hand: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cur, found, err := s.level(ctx, tenant, skuID, warehouseID)
			if err != nil {
				return err
			}
			if found {
				return fmt.Errorf("inventorysql: sku %s warehouse %s has %d reserved, %d sold and %d damaged: %w",
					skuID, warehouseID, cur.Reserved, cur.Sold, cur.Damaged, inventory.ErrOnHandBelowCommitted)
			}
			if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO inventory_levels
				(tenant, sku_id, warehouse_id, on_hand, available, reserved, sold, updated_at)
				VALUES (?, ?, ?, ?, ?, 0, 0, ?)`, tenant, skuID, warehouseID, onHand, onHand, now); err != nil {
				return fmt.Errorf("inventorysql: insert level: %w", err)
			}
		}
		var found bool
		lvl, found, err = s.level(ctx, tenant, skuID, warehouseID)
		if err == nil && !found {
			err = errors.New("inventorysql: level vanished after write")
		}
		return err
	})
	return lvl, err
}

func (s *Store) level(ctx context.Context, tenant, skuID, warehouseID string) (inventory.Level, bool, error) {
	l := inventory.Level{SKUID: skuID, WarehouseID: warehouseID}
	err := s.db.R(ctx).QueryRowContext(ctx, `SELECT on_hand, available, reserved, sold, damaged, hot FROM inventory_levels
		WHERE tenant = ? AND sku_id = ? AND warehouse_id = ?`, tenant, skuID, warehouseID).
		Scan(&l.OnHand, &l.Available, &l.Reserved, &l.Sold, &l.Damaged, &l.Hot)
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("inventorysql: read level: %w", err)
	}
	return l, true, nil
}

// Levels implements inventory.Store.
func (s *Store) Levels(ctx context.Context, tenant string, skuIDs []string) ([]inventory.Level, error) {
	if len(skuIDs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(skuIDs)+1)
	args = append(args, tenant)
	for _, id := range skuIDs {
		args = append(args, id)
	}
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (l inventory.Level, err error) {
		var code string
		err = r.Scan(&l.SKUID, &l.WarehouseID, &l.OnHand, &l.Available, &l.Reserved, &l.Sold, &l.Damaged, &l.Hot,
			&l.Region.Country, &l.Region.Province, &l.Region.City, &l.Region.District, &code)
		l.Region = l.Region.WithCode(code)
		return l, err
	}, `SELECT l.sku_id, l.warehouse_id, l.on_hand, l.available, l.reserved, l.sold, l.damaged, l.hot,
		COALESCE(w.country, ''), COALESCE(w.province, ''), COALESCE(w.city, ''), COALESCE(w.district, ''), COALESCE(w.region_code, '')
		FROM inventory_levels l LEFT JOIN inventory_warehouses w ON w.tenant = l.tenant AND w.warehouse_id = l.warehouse_id
		WHERE l.tenant = ? AND l.sku_id IN (`+dal.Placeholders(len(skuIDs))+`)
		ORDER BY l.sku_id, l.warehouse_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("inventorysql: levels: %w", err)
	}
	return out, nil
}

// PutWarehouse implements inventory.Store.
func (s *Store) PutWarehouse(ctx context.Context, tenant string, w inventory.Warehouse) error {
	now := s.now().UnixMilli()
	r := w.Region
	err := s.db.Upsert(ctx,
		`UPDATE inventory_warehouses SET name = ?, country = ?, province = ?, city = ?, district = ?, region_code = ?, updated_at = ?
		WHERE tenant = ? AND warehouse_id = ?`,
		[]any{w.Name, r.Country, r.Province, r.City, r.District, r.Code(), now, tenant, w.ID},
		`INSERT INTO inventory_warehouses (tenant, warehouse_id, name, country, province, city, district, region_code, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{tenant, w.ID, w.Name, r.Country, r.Province, r.City, r.District, r.Code(), now})
	if err != nil {
		return fmt.Errorf("inventorysql: put warehouse: %w", err)
	}
	return nil
}

// Warehouses implements inventory.Store.
func (s *Store) Warehouses(ctx context.Context, tenant string) ([]inventory.Warehouse, error) {
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (w inventory.Warehouse, err error) {
		var code string
		err = r.Scan(&w.ID, &w.Name, &w.Region.Country, &w.Region.Province, &w.Region.City, &w.Region.District, &code)
		w.Region = w.Region.WithCode(code)
		return w, err
	}, `SELECT warehouse_id, name, country, province, city, district, region_code FROM inventory_warehouses
		WHERE tenant = ? ORDER BY warehouse_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("inventorysql: warehouses: %w", err)
	}
	return out, nil
}

// DeleteWarehouse implements inventory.Store. Its levels are checked and removed only where all
// zero, so stock set on it meanwhile is never lost (the warehouse is then in use).
func (s *Store) DeleteWarehouse(ctx context.Context, tenant, id string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		var one int
		err := q.QueryRowContext(ctx, `SELECT 1 FROM inventory_warehouses WHERE tenant = ? AND warehouse_id = ?`+s.db.ForUpdate(), tenant, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.WithDetail(inventory.ErrWarehouseNotFound, "warehouse %s is not registered", id)
		}
		if err != nil {
			return fmt.Errorf("inventorysql: delete warehouse: %w", err)
		}
		const used = `on_hand <> 0 OR available <> 0 OR reserved <> 0 OR sold <> 0 OR damaged <> 0`
		err = q.QueryRowContext(ctx, `SELECT 1 FROM inventory_levels WHERE tenant = ? AND warehouse_id = ? AND (`+used+`) LIMIT 1`,
			tenant, id).Scan(&one)
		if err == nil {
			return errkind.WithDetail(inventory.ErrWarehouseInUse, "warehouse %s holds or has held stock", id)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("inventorysql: delete warehouse: %w", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM inventory_levels WHERE tenant = ? AND warehouse_id = ? AND NOT (`+used+`)`, tenant, id); err != nil {
			return fmt.Errorf("inventorysql: delete warehouse levels: %w", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM inventory_warehouses WHERE tenant = ? AND warehouse_id = ?`, tenant, id); err != nil {
			return fmt.Errorf("inventorysql: delete warehouse: %w", err)
		}
		return nil
	})
}

// status reads the barrier row; "" means no row.
func (s *Store) status(ctx context.Context, tenant, reservationID string) (string, error) {
	var st string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT status FROM inventory_reservations
		WHERE tenant = ? AND reservation_id = ?`+s.db.ForUpdate(), tenant, reservationID).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("inventorysql: read reservation: %w", err)
	}
	return st, nil
}

// Reserve implements inventory.Store.
func (s *Store) Reserve(ctx context.Context, tenant, reservationID string, lines []inventory.Line) error {
	sorted := append([]inventory.Line(nil), lines...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].SKUID != sorted[j].SKUID {
			return sorted[i].SKUID < sorted[j].SKUID
		}
		return sorted[i].WarehouseID < sorted[j].WarehouseID
	})
	// A savepoint: inventory.Service retries a reservation that lost a race for a warehouse, and
	// the failed attempt's partial updates must not stay in the caller's transaction.
	return s.db.InSavepoint(ctx, func(ctx context.Context) error {
		now := s.now().UnixMilli()
		// Claim the barrier first: a concurrent Try or Cancel of the same id waits on this row.
		if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO inventory_reservations
			(tenant, reservation_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			tenant, reservationID, statusReserved, now, now); err != nil {
			if !dal.IsDuplicate(err) {
				return fmt.Errorf("inventorysql: claim reservation: %w", err)
			}
			st, err := s.status(ctx, tenant, reservationID)
			if err != nil {
				return err
			}
			if st == statusCancelled {
				return fmt.Errorf("inventorysql: try %s after cancel: %w", reservationID, inventory.ErrReservationCancelled)
			}
			return nil // a repeated Try: already reserved (or confirmed)
		}
		for _, l := range sorted {
			res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE inventory_levels
				SET available = available - ?, reserved = reserved + ?, updated_at = ?
				WHERE tenant = ? AND sku_id = ? AND warehouse_id = ? AND available >= ?`,
				l.Quantity, l.Quantity, now, tenant, l.SKUID, l.WarehouseID, l.Quantity)
			if err != nil {
				return fmt.Errorf("inventorysql: reserve: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("inventorysql: sku %s warehouse %s: %w", l.SKUID, l.WarehouseID, inventory.ErrInsufficientStock)
			}
		}
		for i, l := range lines {
			if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO inventory_reservation_lines
				(tenant, reservation_id, line_no, sku_id, warehouse_id, quantity) VALUES (?, ?, ?, ?, ?, ?)`,
				tenant, reservationID, i+1, l.SKUID, l.WarehouseID, l.Quantity); err != nil {
				return fmt.Errorf("inventorysql: reservation line: %w", err)
			}
		}
		return nil
	})
}

const (
	moveConfirm = `UPDATE inventory_levels SET reserved = reserved - ?, sold = sold + ?, updated_at = ?
		 WHERE tenant = ? AND sku_id = ? AND warehouse_id = ? AND reserved >= ?`
	moveCancel = `UPDATE inventory_levels SET reserved = reserved - ?, available = available + ?, updated_at = ?
		 WHERE tenant = ? AND sku_id = ? AND warehouse_id = ? AND reserved >= ?`
	moveRestock = `UPDATE inventory_levels SET sold = sold - ?, available = available + ?, updated_at = ?
		 WHERE tenant = ? AND sku_id = ? AND warehouse_id = ? AND sold >= ?`
)

// Confirm implements inventory.Store.
func (s *Store) Confirm(ctx context.Context, tenant, reservationID string) error {
	return s.settle(ctx, tenant, reservationID, statusReserved, statusConfirmed, moveConfirm, "")
}

// Restock implements inventory.Store.
func (s *Store) Restock(ctx context.Context, tenant, reservationID string) error {
	return s.settle(ctx, tenant, reservationID, statusConfirmed, statusRestocked, moveRestock, "")
}

// Cancel implements inventory.Store.
func (s *Store) Cancel(ctx context.Context, tenant, reservationID string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		now := s.now().UnixMilli()
		// A cancel before any try leaves a cancelled barrier, so the late try is refused.
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO inventory_reservations
			(tenant, reservation_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			tenant, reservationID, statusCancelled, now, now)
		if err == nil {
			return nil
		}
		if !dal.IsDuplicate(err) {
			return fmt.Errorf("inventorysql: cancel barrier: %w", err)
		}
		return s.settle(ctx, tenant, reservationID, statusReserved, statusCancelled, moveCancel, "")
	})
}

// settle moves a reservation from status from to status to, applying move to each line. A
// non-empty guard is an extra condition on the reservation row; when it does not hold, settle
// does nothing.
func (s *Store) settle(ctx context.Context, tenant, reservationID, from, to, move, guard string, guardArgs ...any) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		now := s.now().UnixMilli()
		args := append([]any{to, now, tenant, reservationID, from}, guardArgs...)
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE inventory_reservations SET status = ?, expires_at = NULL, updated_at = ?
			WHERE tenant = ? AND reservation_id = ? AND status = ?`+guard, args...)
		if err != nil {
			return fmt.Errorf("inventorysql: %s reservation: %w", to, err)
		}
		if n, _ := res.RowsAffected(); n == 0 && guard != "" {
			return errGuard
		}
		if n, _ := res.RowsAffected(); n == 0 {
			st, err := s.status(ctx, tenant, reservationID)
			switch {
			case err != nil:
				return err
			case st == to:
				return nil // repeated
			case st == statusCancelled:
				return fmt.Errorf("inventorysql: %s: %w", reservationID, inventory.ErrReservationCancelled)
			case st == statusConfirmed || st == statusRestocked:
				return fmt.Errorf("inventorysql: %s: %w", reservationID, inventory.ErrReservationConfirmed)
			case st == statusReserved:
				return fmt.Errorf("inventorysql: %s is not confirmed: %w", reservationID, inventory.ErrReservationNotFound)
			default:
				return fmt.Errorf("inventorysql: %s: %w", reservationID, inventory.ErrReservationNotFound)
			}
		}
		lines, err := s.Lines(ctx, tenant, reservationID)
		if err != nil {
			return err
		}
		if to == statusRestocked {
			// Units already returned one by one (after-sales) are back already.
			if lines, err = s.notReturned(ctx, tenant, reservationID, lines); err != nil {
				return err
			}
		}
		sort.Slice(lines, func(i, j int) bool {
			if lines[i].SKUID != lines[j].SKUID {
				return lines[i].SKUID < lines[j].SKUID
			}
			return lines[i].WarehouseID < lines[j].WarehouseID
		})
		for _, l := range lines {
			if l.Quantity == 0 {
				continue
			}
			res, err := s.db.Q(ctx).ExecContext(ctx, move, l.Quantity, l.Quantity, now, tenant, l.SKUID, l.WarehouseID, l.Quantity)
			if err != nil {
				return fmt.Errorf("inventorysql: %s line: %w", to, err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("inventorysql: %s: sku %s warehouse %s holds less than the reservation's %d", to, l.SKUID, l.WarehouseID, l.Quantity)
			}
		}
		return nil
	})
}

const (
	moveReturnSellable = `UPDATE inventory_levels SET sold = sold - ?, available = available + ?, updated_at = ?
		 WHERE tenant = ? AND sku_id = ? AND warehouse_id = ? AND sold >= ?`
	moveReturnDamaged = `UPDATE inventory_levels SET sold = sold - ?, damaged = damaged + ?, updated_at = ?
		 WHERE tenant = ? AND sku_id = ? AND warehouse_id = ? AND sold >= ?`
)

// Return implements inventory.Store.
func (s *Store) Return(ctx context.Context, tenant, returnID, reservationID string, lines []inventory.Line, damaged bool) error {
	want := map[[2]string]int64{}
	for _, l := range lines {
		if l.Quantity <= 0 {
			return fmt.Errorf("inventorysql: return %s: %w", returnID, inventory.ErrInvalidStockQuantity)
		}
		want[[2]string{l.SKUID, l.WarehouseID}] += l.Quantity
	}
	if len(want) == 0 {
		return fmt.Errorf("inventorysql: return %s has no lines: %w", returnID, inventory.ErrInvalidStockQuantity)
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q, now := s.db.Q(ctx), s.now().UnixMilli()
		// The reservation's row lock serializes the returns of one order: each sees what the
		// ones before it took back.
		st, err := s.status(ctx, tenant, reservationID)
		if err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO inventory_returns (tenant, return_id, reservation_id, damaged, created_at)
			VALUES (?, ?, ?, ?, ?)`, tenant, returnID, reservationID, damaged, now); err != nil {
			if dal.IsDuplicate(err) {
				return nil // returned already
			}
			return fmt.Errorf("inventorysql: return barrier: %w", err)
		}
		switch st {
		case statusConfirmed:
		case statusCancelled:
			return fmt.Errorf("inventorysql: return %s: %w", reservationID, inventory.ErrReservationCancelled)
		default:
			return fmt.Errorf("inventorysql: return %s of a reservation that is %q: %w", reservationID, st, inventory.ErrReservationNotFound)
		}
		sold, err := s.Lines(ctx, tenant, reservationID)
		if err != nil {
			return err
		}
		left, err := s.notReturned(ctx, tenant, reservationID, sold)
		if err != nil {
			return err
		}
		room := map[[2]string]int64{}
		for _, l := range left {
			room[[2]string{l.SKUID, l.WarehouseID}] += l.Quantity
		}
		keys := make([][2]string, 0, len(want))
		for k := range want {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
		})
		move := moveReturnSellable
		if damaged {
			move = moveReturnDamaged
		}
		for _, k := range keys {
			n := want[k]
			if n > room[k] {
				return fmt.Errorf("inventorysql: return %s: sku %s warehouse %s has %d units left to return, %d asked: %w",
					returnID, k[0], k[1], room[k], n, inventory.ErrInvalidStockQuantity)
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO inventory_return_lines (tenant, return_id, reservation_id, sku_id, warehouse_id, quantity)
				VALUES (?, ?, ?, ?, ?, ?)`, tenant, returnID, reservationID, k[0], k[1], n); err != nil {
				return fmt.Errorf("inventorysql: return line: %w", err)
			}
			res, err := q.ExecContext(ctx, move, n, n, now, tenant, k[0], k[1], n)
			if err != nil {
				return fmt.Errorf("inventorysql: return move: %w", err)
			}
			if c, _ := res.RowsAffected(); c != 1 {
				return fmt.Errorf("inventorysql: return %s: sku %s warehouse %s has fewer than %d sold", returnID, k[0], k[1], n)
			}
		}
		return nil
	})
}

// notReturned is lines less what returns of the reservation took back already, per SKU and
// warehouse (a line's units are taken first from its earliest line numbers).
func (s *Store) notReturned(ctx context.Context, tenant, reservationID string, lines []inventory.Line) ([]inventory.Line, error) {
	type key = [2]string
	back := map[key]int64{}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT sku_id, warehouse_id, SUM(quantity) FROM inventory_return_lines
		WHERE tenant = ? AND reservation_id = ? GROUP BY sku_id, warehouse_id`+s.db.ForUpdate(), tenant, reservationID)
	if err != nil {
		return nil, fmt.Errorf("inventorysql: returned units: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var n int64
		if err := rows.Scan(&k[0], &k[1], &n); err != nil {
			return nil, fmt.Errorf("inventorysql: returned units: %w", err)
		}
		back[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inventorysql: returned units: %w", err)
	}
	out := make([]inventory.Line, len(lines))
	for i, l := range lines {
		k := key{l.SKUID, l.WarehouseID}
		took := min(back[k], l.Quantity)
		back[k] -= took
		l.Quantity -= took
		out[i] = l
	}
	return out, nil
}

// Lines implements inventory.Store.
func (s *Store) Lines(ctx context.Context, tenant, reservationID string) ([]inventory.Line, error) {
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (l inventory.Line, err error) {
		err = r.Scan(&l.SKUID, &l.WarehouseID, &l.Quantity)
		return l, err
	}, `SELECT sku_id, warehouse_id, quantity FROM inventory_reservation_lines
		WHERE tenant = ? AND reservation_id = ? ORDER BY line_no`, tenant, reservationID)
	if err != nil {
		return nil, fmt.Errorf("inventorysql: reservation lines: %w", err)
	}
	return out, nil
}

// errGuard is a settle whose guard did not hold: nothing was changed.
var errGuard = errors.New("inventorysql: reservation no longer matches")

// SetHot implements inventory.Store.
func (s *Store) SetHot(ctx context.Context, tenant, skuID, warehouseID string, hot bool) (inventory.Level, error) {
	flag := 0
	if hot {
		flag = 1
	}
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE inventory_levels SET hot = ?, updated_at = ?
		WHERE tenant = ? AND sku_id = ? AND warehouse_id = ?`, flag, s.now().UnixMilli(), tenant, skuID, warehouseID)
	if err != nil {
		return inventory.Level{}, fmt.Errorf("inventorysql: set hot: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return inventory.Level{}, errkind.WithDetail(inventory.ErrLevelNotFound, "sku %s has no stock level in warehouse %s", skuID, warehouseID)
	}
	l, _, err := s.level(ctx, tenant, skuID, warehouseID)
	return l, err
}

type levelKey struct{ sku, wh string }

// ReserveBatch implements inventory.Store. In one transaction it reads which ids already have a
// barrier, locks the levels the rest need (in key order, as every writer does), admits items in
// order while the locked stock covers all their lines, then writes one update per level and the
// admitted barriers and lines as multi-row inserts.
func (s *Store) ReserveBatch(ctx context.Context, tenant string, items []inventory.BatchItem, expiresAt int64) ([]error, error) {
	var errs []error
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		errs = make([]error, len(items))
		now := s.now().UnixMilli()
		q := s.db.Q(ctx)
		seen, err := s.statuses(ctx, tenant, items)
		if err != nil {
			return err
		}
		need := map[levelKey]int64{}
		todo := make([]bool, len(items))
		first := map[string]int{} // the same id twice in one batch is one reservation: the first's
		again := map[int]int{}
		for i, it := range items {
			if j, ok := first[it.ReservationID]; ok {
				again[i] = j
				continue
			}
			first[it.ReservationID] = i
			st, dup := seen[it.ReservationID]
			switch {
			case st == statusCancelled:
				errs[i] = fmt.Errorf("inventorysql: try %s after cancel: %w", it.ReservationID, inventory.ErrReservationCancelled)
			case dup:
				// a repeated Try: already reserved (or confirmed)
			default:
				todo[i] = true
				for _, l := range it.Lines {
					need[levelKey{l.SKUID, l.WarehouseID}] = 0
				}
			}
		}
		defer func() {
			for i, j := range again {
				errs[i] = errs[j]
			}
		}()
		if len(need) == 0 {
			return nil
		}
		keys := make([]levelKey, 0, len(need))
		for k := range need {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].sku != keys[j].sku {
				return keys[i].sku < keys[j].sku
			}
			return keys[i].wh < keys[j].wh
		})
		avail := make(map[levelKey]int64, len(keys))
		for _, k := range keys {
			var a int64
			err := q.QueryRowContext(ctx, `SELECT available FROM inventory_levels
				WHERE tenant = ? AND sku_id = ? AND warehouse_id = ?`+s.db.ForUpdate(), tenant, k.sku, k.wh).Scan(&a)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("inventorysql: lock level: %w", err)
			}
			avail[k] = a
		}
		var barriers, lines []any
		nBarriers, nLines := 0, 0
		for i, it := range items {
			if !todo[i] {
				continue
			}
			want := map[levelKey]int64{}
			for _, l := range it.Lines {
				want[levelKey{l.SKUID, l.WarehouseID}] += l.Quantity
			}
			var short *levelKey
			for k, n := range want {
				if avail[k]-need[k] < n {
					short = &k
					break
				}
			}
			if short != nil {
				errs[i] = fmt.Errorf("inventorysql: sku %s warehouse %s: %w", short.sku, short.wh, inventory.ErrInsufficientStock)
				continue
			}
			for k, n := range want {
				need[k] += n
			}
			barriers = append(barriers, tenant, it.ReservationID, statusReserved, expiresAt, now, now)
			nBarriers++
			for j, l := range it.Lines {
				lines = append(lines, tenant, it.ReservationID, j+1, l.SKUID, l.WarehouseID, l.Quantity)
				nLines++
			}
		}
		if nBarriers == 0 {
			return nil
		}
		for _, k := range keys {
			n := need[k]
			if n == 0 {
				continue
			}
			res, err := q.ExecContext(ctx, `UPDATE inventory_levels
				SET available = available - ?, reserved = reserved + ?, updated_at = ?
				WHERE tenant = ? AND sku_id = ? AND warehouse_id = ? AND available >= ?`,
				n, n, now, tenant, k.sku, k.wh, n)
			if err != nil {
				return fmt.Errorf("inventorysql: reserve batch: %w", err)
			}
			if c, _ := res.RowsAffected(); c != 1 {
				return fmt.Errorf("inventorysql: sku %s warehouse %s changed under its lock", k.sku, k.wh)
			}
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO inventory_reservations
			(tenant, reservation_id, status, expires_at, created_at, updated_at) VALUES `+dal.Rows(nBarriers, 6), barriers...); err != nil {
			return fmt.Errorf("inventorysql: claim reservations: %w", err)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO inventory_reservation_lines
			(tenant, reservation_id, line_no, sku_id, warehouse_id, quantity) VALUES `+dal.Rows(nLines, 6), lines...); err != nil {
			return fmt.Errorf("inventorysql: reservation lines: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// statuses reads the barriers that exist among the items' ids.
func (s *Store) statuses(ctx context.Context, tenant string, items []inventory.BatchItem) (map[string]string, error) {
	args := make([]any, 0, len(items)+1)
	args = append(args, tenant)
	for _, it := range items {
		args = append(args, it.ReservationID)
	}
	found, err := dal.All(ctx, s.db.Q(ctx), func(r *sql.Rows) (b [2]string, err error) {
		err = r.Scan(&b[0], &b[1])
		return b, err
	}, `SELECT reservation_id, status FROM inventory_reservations
		WHERE tenant = ? AND reservation_id IN (`+dal.Placeholders(len(items))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("inventorysql: read reservations: %w", err)
	}
	out := make(map[string]string, len(found))
	for _, b := range found {
		out[b[0]] = b[1]
	}
	return out, nil
}

// Attach implements inventory.Store.
func (s *Store) Attach(ctx context.Context, tenant, reservationID string) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE inventory_reservations SET expires_at = NULL, updated_at = ?
		WHERE tenant = ? AND reservation_id = ? AND status = ?`, s.now().UnixMilli(), tenant, reservationID, statusReserved)
	if err != nil {
		return fmt.Errorf("inventorysql: attach reservation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	st, err := s.status(ctx, tenant, reservationID)
	switch {
	case err != nil:
		return err
	case st == statusCancelled:
		return fmt.Errorf("inventorysql: %s expired or was cancelled: %w", reservationID, inventory.ErrReservationCancelled)
	case st == statusConfirmed:
		return nil
	default:
		return fmt.Errorf("inventorysql: %s: %w", reservationID, inventory.ErrReservationNotFound)
	}
}

// ExpireDue implements inventory.Store. Each expiry is its own transaction, guarded on the
// expiry still being set and due, so one that an order attached meanwhile is left alone.
func (s *Store) ExpireDue(ctx context.Context, now int64, limit int) ([]inventory.Expired, error) {
	due, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (e inventory.Expired, err error) {
		err = r.Scan(&e.Tenant, &e.ReservationID)
		return e, err
	}, `SELECT tenant, reservation_id FROM inventory_reservations
		WHERE expires_at IS NOT NULL AND expires_at <= ? AND status = ? ORDER BY expires_at LIMIT ?`, now, statusReserved, limit)
	if err != nil {
		return nil, fmt.Errorf("inventorysql: due reservations: %w", err)
	}
	var out []inventory.Expired
	for _, e := range due {
		err := s.settle(ctx, e.Tenant, e.ReservationID, statusReserved, statusCancelled, moveCancel,
			" AND expires_at IS NOT NULL AND expires_at <= ?", now)
		if errors.Is(err, errGuard) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Holds is how many reservations are held with an expiry, waiting for their order to confirm or
// cancel them (counting at most limit).
func (s *Store) Holds(ctx context.Context, limit int) (int64, error) {
	var n int64
	// expires_at > 0 (every hold's expiry is a time) is a range on inventory_reservations_expiry;
	// with IS NOT NULL, SQLite's planner scanned the table once it had statistics.
	err := s.db.R(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM inventory_reservations
		WHERE expires_at > 0 AND status = ? LIMIT ?) x`, statusReserved, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("inventorysql: holds: %w", err)
	}
	return n, nil
}
