// Package frontendsql is the SQL adapter of frontend.Store for SQLite and MySQL. Its migrations
// keep the component name they were first applied under (identity).
package frontendsql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/frontend"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("identity", migrationFiles) }

// Store implements frontend.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db's directory pod: a front end is resolved to its tenant before the
// tenant (and so its pod) is known, so the registrations are the platform's own.
func New(db *dal.DB) *Store { return &Store{db: db.Platform()} }

var _ frontend.Store = (*Store)(nil)

// Register implements frontend.Store.
func (s *Store) Register(ctx context.Context, f frontend.Frontend) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		var owner string
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT tenant FROM frontends WHERE frontend_id = ?`+s.db.ForUpdate(), f.ID).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO frontends (frontend_id, tenant, biz_code, channel, updated_at)
				VALUES (?, ?, ?, ?, ?)`, f.ID, f.Tenant, f.BizCode, f.Channel, f.UpdatedAt.UnixMilli())
		case err != nil:
		case owner != f.Tenant:
			return errkind.WithDetail(frontend.ErrTaken, "front end %s belongs to another tenant", f.ID)
		default:
			_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE frontends SET biz_code = ?, channel = ?, updated_at = ? WHERE frontend_id = ?`,
				f.BizCode, f.Channel, f.UpdatedAt.UnixMilli(), f.ID)
		}
		if err != nil {
			return fmt.Errorf("identitysql: register: %w", err)
		}
		return nil
	})
}

// List implements frontend.Store.
func (s *Store) List(ctx context.Context, tenant string) ([]frontend.Frontend, error) {
	q := `SELECT frontend_id, tenant, biz_code, channel, updated_at FROM frontends`
	var args []any
	if tenant != "" {
		q += ` WHERE tenant = ?`
		args = append(args, tenant)
	}
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (f frontend.Frontend, err error) {
		var at int64
		err = r.Scan(&f.ID, &f.Tenant, &f.BizCode, &f.Channel, &at)
		f.UpdatedAt = time.UnixMilli(at)
		return f, err
	}, q+` ORDER BY frontend_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("identitysql: list: %w", err)
	}
	return out, nil
}
