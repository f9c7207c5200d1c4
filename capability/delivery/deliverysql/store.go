// Package deliverysql is the SQL adapter of delivery.Store, for SQLite and MySQL.
package deliverysql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/components/dal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("delivery", migrationFiles) }

// Store implements delivery.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ delivery.Store = (*Store)(nil)

// Put implements delivery.Store.
func (s *Store) Put(ctx context.Context, tenant string, t delivery.Template) error {
	now := time.Now().UnixMilli()
	regions := ""
	if len(t.Regions) > 0 {
		b, err := json.Marshal(t.Regions)
		if err != nil {
			return fmt.Errorf("deliverysql: region rules: %w", err)
		}
		regions = string(b)
	}
	err := s.db.Upsert(ctx,
		`UPDATE delivery_templates SET fee = ?, free_over = ?, regions = ?, updated_at = ? WHERE tenant = ? AND seller_id = ? AND currency = ?`,
		[]any{t.Fee, t.FreeOver, regions, now, tenant, t.SellerID, t.Currency},
		`INSERT INTO delivery_templates (tenant, seller_id, currency, fee, free_over, regions, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		[]any{tenant, t.SellerID, t.Currency, t.Fee, t.FreeOver, regions, now})
	if err != nil {
		return fmt.Errorf("deliverysql: put template: %w", err)
	}
	return nil
}

func scan(r *sql.Rows) (t delivery.Template, err error) {
	var regions string
	if err = r.Scan(&t.SellerID, &t.Currency, &t.Fee, &t.FreeOver, &regions); err != nil || regions == "" {
		return t, err
	}
	if err := json.Unmarshal([]byte(regions), &t.Regions); err != nil {
		return t, fmt.Errorf("deliverysql: region rules of %s: %w", t.SellerID, err)
	}
	return t, nil
}

// Templates implements delivery.Store.
func (s *Store) Templates(ctx context.Context, tenant string) ([]delivery.Template, error) {
	out, err := dal.All(ctx, s.db.R(ctx), scan, `SELECT seller_id, currency, fee, free_over, COALESCE(regions, '') FROM delivery_templates
		WHERE tenant = ? ORDER BY seller_id, currency`, tenant)
	if err != nil {
		return nil, fmt.Errorf("deliverysql: templates: %w", err)
	}
	return out, nil
}

// ForSellers implements delivery.Store.
func (s *Store) ForSellers(ctx context.Context, tenant, currency string, sellerIDs []string) ([]delivery.Template, error) {
	args := []any{tenant, currency, delivery.AnySeller}
	for _, id := range sellerIDs {
		args = append(args, id)
	}
	out, err := dal.All(ctx, s.db.R(ctx), scan, `SELECT seller_id, currency, fee, free_over, COALESCE(regions, '') FROM delivery_templates
		WHERE tenant = ? AND currency = ? AND seller_id IN (`+dal.Placeholders(len(sellerIDs)+1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("deliverysql: templates of sellers: %w", err)
	}
	return out, nil
}
