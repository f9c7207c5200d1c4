// Package auditsql is the auditor's adapter: its own tables (findings and watermarks) and the
// checks, which read the other components' tables directly. That is deliberate and the only
// place it happens: an auditor that went through the capabilities' code would trust the code it
// is there to check. It only reads; its queries follow the indexes the sweepers already use, or
// the primary keys of time-ordered ids, so that a run stays cheap.
package auditsql

import (
	"context"
	"database/sql"
	"embed"
	"slices"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/product-layer/audit"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("audit", migrationFiles) }

// Store implements audit.Store.
type Store struct{ db *dal.DB }

// New returns the findings store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ audit.Store = (*Store)(nil)

// Tenants are the tenants to audit: those audited before and those with events committed since
// (a range of the outbox's time-ordered ids); with since zero, every tenant with stock, trades or
// deposits (scans: for a full run by hand).
func (s *Store) Tenants(ctx context.Context, since time.Time) ([]string, error) {
	scan := func(r *sql.Rows) (string, error) {
		var t string
		return t, r.Scan(&t)
	}
	// The tenants of ctx's pod, or of every pod (sorted) when ctx names none.
	var out []string
	err := s.db.EachPod(ctx, func(ctx context.Context) error {
		var ts []string
		var err error
		if since.IsZero() {
			ts, err = dal.All(ctx, s.db.R(ctx), scan, `SELECT DISTINCT tenant FROM inventory_levels UNION SELECT DISTINCT tenant FROM trades
				UNION SELECT DISTINCT tenant FROM auction_deposits ORDER BY 1`)
		} else {
			ts, err = dal.All(ctx, s.db.R(ctx), scan, `SELECT tenant FROM audit_watermarks
				UNION SELECT DISTINCT tenant FROM outbox_events WHERE event_id >= ? AND tenant <> '' ORDER BY 1`, idgen.Floor("E", since))
		}
		out = append(out, ts...)
		return err
	})
	slices.Sort(out)
	return slices.Compact(out), err
}

// Open are tenant's open findings.
func (s *Store) Open(ctx context.Context, tenant string) ([]audit.Finding, error) {
	return dal.All(ctx, s.db.Q(ctx), func(r *sql.Rows) (audit.Finding, error) {
		f := audit.Finding{Tenant: tenant}
		var first, last int64
		err := r.Scan(&f.Kind, &f.Subject, &f.Check, &f.Detail, &first, &last)
		f.FirstSeen, f.LastSeen = dal.FromMillis(first), dal.FromMillis(last)
		return f, err
	}, `SELECT kind, subject, check_name, detail, first_seen, last_seen FROM audit_findings
		WHERE tenant = ? AND closed_at = 0 ORDER BY first_seen, kind, subject`, tenant)
}

// Record saves what check found: found ones open (or stay open), rechecked ones not found close.
func (s *Store) Record(ctx context.Context, tenant, check string, found []audit.Finding, rechecked []string, at time.Time) error {
	now := at.UnixMilli()
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		still := map[string]bool{}
		for _, f := range found {
			still[f.Subject] = true
			detail := f.Detail
			if len(detail) > 1000 {
				detail = detail[:1000]
			}
			// Found again: last seen moves; a closed one reopens, first seen anew.
			res, err := q.ExecContext(ctx, `UPDATE audit_findings SET detail = ?, last_seen = ?,
				first_seen = CASE WHEN closed_at = 0 THEN first_seen ELSE ? END, closed_at = 0
				WHERE tenant = ? AND kind = ? AND subject = ?`, detail, now, now, tenant, f.Kind, f.Subject)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				continue
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO audit_findings (tenant, kind, subject, check_name, detail, first_seen, last_seen, closed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 0)`, tenant, f.Kind, f.Subject, check, detail, now, now); err != nil {
				return err
			}
		}
		for _, subject := range rechecked {
			if still[subject] {
				continue
			}
			if _, err := q.ExecContext(ctx, `UPDATE audit_findings SET closed_at = ?
				WHERE tenant = ? AND check_name = ? AND subject = ? AND closed_at = 0`, now, tenant, check, subject); err != nil {
				return err
			}
		}
		// A subject found again under another kind of the same check closes the kinds it no
		// longer has.
		for _, f := range found {
			if _, err := q.ExecContext(ctx, `UPDATE audit_findings SET closed_at = ?
				WHERE tenant = ? AND check_name = ? AND subject = ? AND closed_at = 0 AND last_seen < ?`, now, tenant, check, f.Subject, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// OpenByKind counts the open findings of every tenant by kind (for the metrics' sampler).
func (s *Store) OpenByKind(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := each(ctx, s.db.R(ctx), func(r *sql.Rows) error {
		var kind string
		var n int64
		if err := r.Scan(&kind, &n); err != nil {
			return err
		}
		out[kind] = n
		return nil
	}, `SELECT kind, COUNT(*) FROM audit_findings WHERE closed_at = 0 GROUP BY kind`)
	return out, err
}

// Watermark is where tenant's next run starts.
func (s *Store) Watermark(ctx context.Context, tenant string) (time.Time, error) {
	var at int64
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT at FROM audit_watermarks WHERE tenant = ?`, tenant).Scan(&at)
	if err == sql.ErrNoRows {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return dal.FromMillis(at), nil
}

// SetWatermark moves tenant's watermark to at.
func (s *Store) SetWatermark(ctx context.Context, tenant string, at time.Time) error {
	return s.db.Upsert(ctx, `UPDATE audit_watermarks SET at = ? WHERE tenant = ?`, []any{at.UnixMilli(), tenant},
		`INSERT INTO audit_watermarks (tenant, at) VALUES (?, ?)`, []any{tenant, at.UnixMilli()})
}
