// Package tradesql is the SQL adapter of the trade core's flow instances, for SQLite and MySQL.
package tradesql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/components/dal"
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

// CreateInstance implements trade.Instances.
func (s *Store) CreateInstance(ctx context.Context, in *trade.Instance) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO trade_flows (tenant, trade_id, scenario, state, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, in.Tenant, in.TradeID, string(in.Scenario), in.State, in.Version, in.UpdatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("tradesql: create: %w", err)
	}
	return nil
}

const cols = `tenant, trade_id, scenario, state, version, updated_at`

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
	in, err := scan(q.QueryRowContext(ctx, `SELECT `+cols+` FROM trade_flows WHERE tenant = ? AND trade_id = ?`+suffix, tenant, tradeID))
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
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE trade_flows SET state = ?, version = version + 1, updated_at = ?
		WHERE tenant = ? AND trade_id = ? AND version = ?`, in.State, in.UpdatedAt.UnixMilli(), in.Tenant, in.TradeID, in.Version)
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

// Stale implements trade.Instances.
func (s *Store) Stale(ctx context.Context, scenario identity.Scenario, state string, before time.Time, limit int) ([]*trade.Instance, error) {
	rows, err := s.db.R(ctx).QueryContext(ctx, `SELECT `+cols+` FROM trade_flows WHERE scenario = ? AND state = ? AND updated_at < ?
		ORDER BY updated_at LIMIT ?`, string(scenario), state, before.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("tradesql: stale: %w", err)
	}
	defer rows.Close()
	var out []*trade.Instance
	for rows.Next() {
		in, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("tradesql: stale: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}
