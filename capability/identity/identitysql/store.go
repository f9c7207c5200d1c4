// Package identitysql is the SQL adapter of identity.FrontendStore for SQLite and MySQL.
package identitysql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/components/dal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("identity", migrationFiles) }

// Store implements identity.FrontendStore.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ identity.FrontendStore = (*Store)(nil)

// Register implements identity.FrontendStore.
func (s *Store) Register(ctx context.Context, f identity.Frontend) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		var owner string
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT tenant FROM frontends WHERE frontend_id = ?`+s.db.ForUpdate(), f.ID).Scan(&owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO frontends (frontend_id, tenant, biz_code, channel, updated_at)
				VALUES (?, ?, ?, ?, ?)`, f.ID, f.Tenant, f.BizCode, f.Channel, f.UpdatedAt.UnixMilli())
		case err != nil:
		case owner != f.Tenant:
			return errkind.WithDetail(identity.ErrFrontendTaken, "front end %s belongs to another tenant", f.ID)
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

// List implements identity.FrontendStore.
func (s *Store) List(ctx context.Context, tenant string) ([]identity.Frontend, error) {
	q := `SELECT frontend_id, tenant, biz_code, channel, updated_at FROM frontends`
	var args []any
	if tenant != "" {
		q += ` WHERE tenant = ?`
		args = append(args, tenant)
	}
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (f identity.Frontend, err error) {
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
