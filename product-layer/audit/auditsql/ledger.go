package auditsql

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/atriumtrade/atrium/product-layer/audit"
)

// ledger: each stock level's reserved, sold and damaged units are what its reservation lines and
// returns say: reserved the lines of reservations still reserved, sold the lines of confirmed
// reservations less what came back from them, damaged what came back damaged. A level that
// disagrees moved stock without a reservation behind it (or a reservation moved without its
// level): units sold twice or never, stock that can never be sold again.
//
// The lines have no index by SKU (one would slow every order's insert), so this check reads the
// tenant's reservations whole and runs on full audits (atrium audit --full, the chaos campaign),
// not on the scheduled incremental ones. Its three reads are one snapshot: a read-only
// transaction on the reader.
func (c *Checks) ledger(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	err := c.fullSnapshot(ctx, s, func(tx *sql.Tx) error { return c.ledgerIn(ctx, tx, s, &res) })
	return res, err // res after the snapshot filled it
}

func (c *Checks) ledgerIn(ctx context.Context, tx *sql.Tx, s audit.Scope, res *audit.Result) error {
	type level struct{ reserved, sold, damaged int64 }
	want := map[[2]string]*level{}
	at := func(sku, wh string) *level {
		k := [2]string{sku, wh}
		if want[k] == nil {
			want[k] = &level{}
		}
		return want[k]
	}
	err := each(ctx, tx, func(r *sql.Rows) error {
		var sku, wh, status string
		var n int64
		if err := r.Scan(&sku, &wh, &status, &n); err != nil {
			return err
		}
		res.Rows++
		switch status {
		case "reserved":
			at(sku, wh).reserved += n
		case "confirmed":
			at(sku, wh).sold += n
		}
		return nil
	}, `SELECT l.sku_id, l.warehouse_id, r.status, SUM(l.quantity) FROM inventory_reservation_lines l
		JOIN inventory_reservations r ON r.tenant = l.tenant AND r.reservation_id = l.reservation_id
		WHERE l.tenant = ? GROUP BY l.sku_id, l.warehouse_id, r.status`, s.Tenant)
	if err != nil {
		return err
	}
	err = each(ctx, tx, func(r *sql.Rows) error {
		var sku, wh, status string
		var damaged bool
		var n int64
		if err := r.Scan(&sku, &wh, &damaged, &status, &n); err != nil {
			return err
		}
		if status == "confirmed" { // a restocked reservation put back what had not come back yet
			at(sku, wh).sold -= n
		}
		if damaged {
			at(sku, wh).damaged += n
		}
		return nil
	}, `SELECT rl.sku_id, rl.warehouse_id, x.damaged, r.status, SUM(rl.quantity) FROM inventory_return_lines rl
		JOIN inventory_returns x ON x.tenant = rl.tenant AND x.return_id = rl.return_id
		JOIN inventory_reservations r ON r.tenant = rl.tenant AND r.reservation_id = rl.reservation_id
		WHERE rl.tenant = ? GROUP BY rl.sku_id, rl.warehouse_id, x.damaged, r.status`, s.Tenant)
	if err != nil {
		return err
	}
	err = each(ctx, tx, func(r *sql.Rows) error {
		var sku, wh string
		var got level
		if err := r.Scan(&sku, &wh, &got.reserved, &got.sold, &got.damaged); err != nil {
			return err
		}
		w := at(sku, wh)
		delete(want, [2]string{sku, wh})
		if got != *w {
			res.Findings = append(res.Findings, audit.Finding{Kind: KindStockLedger, Subject: sku + "/" + wh,
				Detail: fmt.Sprintf("sku %s in %s: reserved %d, sold %d, damaged %d; its reservations and returns say %d, %d, %d",
					sku, wh, got.reserved, got.sold, got.damaged, w.reserved, w.sold, w.damaged)})
		}
		return nil
	}, `SELECT sku_id, warehouse_id, reserved, sold, damaged FROM inventory_levels WHERE tenant = ?`, s.Tenant)
	if err != nil {
		return err
	}
	for k, w := range want {
		if *w != (level{}) {
			res.Findings = append(res.Findings, audit.Finding{Kind: KindStockLedger, Subject: k[0] + "/" + k[1],
				Detail: fmt.Sprintf("sku %s in %s has no stock level; its reservations and returns hold %d reserved, %d sold, %d damaged", k[0], k[1], w.reserved, w.sold, w.damaged)})
		}
	}
	return nil
}

// fullSnapshot runs fn in one read-only transaction on the reader (one consistent snapshot of
// its reads) on a full audit, and does nothing on an incremental one: for the checks that read
// a tenant's table whole.
func (c *Checks) fullSnapshot(ctx context.Context, s audit.Scope, fn func(tx *sql.Tx) error) error {
	if !s.Since.IsZero() {
		return nil
	}
	tx, err := c.db.ReadTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return fn(tx)
}
