// Package tradesql is the SQL adapter of the trade core's flow instances, for SQLite and MySQL.
package tradesql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("trade", migrationFiles) }

// Store implements trade.Instances.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ trade.Instances = (*Store)(nil)

const cols = `tenant, trade_id, scenario, flow_state, flow_version, flow_updated_at`

func scan(row interface{ Scan(...any) error }) (*trade.Instance, error) {
	var in trade.Instance
	var scenario string
	var updated int64
	if err := row.Scan(&in.Tenant, &in.TradeID, &scenario, &in.State, &in.Version, &updated); err != nil {
		return nil, err
	}
	in.Scenario, in.UpdatedAt = identity.Scenario(scenario), time.UnixMilli(updated)
	return &in, nil
}

func (s *Store) get(ctx context.Context, q dal.Querier, suffix, tenant, tradeID string) (*trade.Instance, error) {
	in, err := scan(q.QueryRowContext(ctx, `SELECT `+cols+` FROM trades WHERE tenant = ? AND trade_id = ? AND flow_state <> ''`+suffix,
		tenant, tradeID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, trade.ErrInstanceNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("tradesql: get: %w", err)
	}
	return in, nil
}

// Instance implements trade.Instances.
func (s *Store) Instance(ctx context.Context, tenant, tradeID string) (*trade.Instance, error) {
	return s.get(ctx, s.db.R(ctx), "", tenant, tradeID)
}

// LockInstance implements trade.Instances.
func (s *Store) LockInstance(ctx context.Context, tenant, tradeID string) (*trade.Instance, error) {
	return s.get(ctx, s.db.Q(ctx), s.db.ForUpdate(), tenant, tradeID)
}

// SaveInstance implements trade.Instances.
func (s *Store) SaveInstance(ctx context.Context, in *trade.Instance) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE trades SET flow_state = ?, flow_version = flow_version + 1, flow_updated_at = ?
		WHERE tenant = ? AND trade_id = ? AND flow_version = ?`, in.State, in.UpdatedAt.UnixMilli(), in.Tenant, in.TradeID, in.Version)
	if err != nil {
		return fmt.Errorf("tradesql: save: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("tradesql: save: %w", err)
	} else if n == 0 {
		return trade.ErrConcurrentMove
	}
	in.Version++
	return nil
}
