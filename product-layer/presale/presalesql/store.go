// Package presalesql is the SQL adapter of the pre-sale flow's campaigns, for SQLite and MySQL.
package presalesql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/presale"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("presale", migrationFiles) }

// Store implements presale.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ presale.Store = (*Store)(nil)

// PutCampaign implements presale.Store.
func (s *Store) PutCampaign(ctx context.Context, tenant string, c presale.Campaign) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("presalesql: encode: %w", err)
	}
	return s.db.Upsert(ctx, `UPDATE presale_campaigns SET status = ?, body = ?, updated_at = ? WHERE tenant = ? AND campaign_id = ?`,
		[]any{c.Status, string(body), c.UpdatedAt, tenant, c.ID},
		`INSERT INTO presale_campaigns (tenant, campaign_id, status, body, updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		[]any{tenant, c.ID, c.Status, string(body), c.UpdatedAt, c.UpdatedAt})
}

func (s *Store) get(ctx context.Context, q dal.Querier, suffix, tenant, id string) (presale.Campaign, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM presale_campaigns WHERE tenant = ? AND campaign_id = ?`+suffix, tenant, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return presale.Campaign{}, presale.ErrCampaignNotFound
	}
	if err != nil {
		return presale.Campaign{}, fmt.Errorf("presalesql: get: %w", err)
	}
	var c presale.Campaign
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return presale.Campaign{}, fmt.Errorf("presalesql: campaign %s: %w", id, err)
	}
	return c, nil
}

// Campaign implements presale.Store.
func (s *Store) Campaign(ctx context.Context, tenant, id string) (presale.Campaign, error) {
	return s.get(ctx, s.db.R(ctx), "", tenant, id)
}

// LockCampaign implements presale.Store.
func (s *Store) LockCampaign(ctx context.Context, tenant, id string) (presale.Campaign, error) {
	return s.get(ctx, s.db.Q(ctx), s.db.ForUpdate(), tenant, id)
}
