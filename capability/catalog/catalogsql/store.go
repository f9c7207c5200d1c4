// Package catalogsql is the SQL adapter of catalog.Store for SQLite and MySQL.
package catalogsql

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("catalog", migrationFiles) }

// Store implements catalog.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ catalog.Store = (*Store)(nil)

// Upsert implements catalog.Store.
func (s *Store) Upsert(ctx context.Context, sku catalog.SKU) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		now := time.Now().UnixMilli()
		tags := strings.Join(sku.Tags(), ",")
		ships := dal.NullMillis(sku.ShipsAt()) // NULL for an in-stock SKU
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE skus SET title = ?, seller_id = ?, currency = ?, price = ?, tags = ?,
			ships_at = ?, updated_at = ? WHERE tenant = ? AND sku_id = ?`, sku.Title(), sku.SellerID(), sku.Price().Currency().Code(),
			sku.Price().Minor(), tags, ships, now, sku.Tenant(), sku.ID())
		if err != nil {
			return fmt.Errorf("catalogsql: update sku: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO skus (tenant, sku_id, title, seller_id, currency, price, tags, ships_at, updated_at,
			created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sku.Tenant(), sku.ID(), sku.Title(), sku.SellerID(), sku.Price().Currency().Code(),
			sku.Price().Minor(), tags, ships, now, now)
		if err != nil {
			return fmt.Errorf("catalogsql: insert sku: %w", err)
		}
		return nil
	})
}

// Get implements catalog.Store.
func (s *Store) Get(ctx context.Context, tenant, id string) (catalog.SKU, error) {
	m, err := s.GetMany(ctx, tenant, []string{id})
	if err != nil {
		return catalog.SKU{}, err
	}
	sku, ok := m[id]
	if !ok {
		return catalog.SKU{}, errkind.WithDetail(catalog.ErrSKUNotFound, "sku %s not found", id)
	}
	return sku, nil
}

// GetMany implements catalog.Store.
func (s *Store) GetMany(ctx context.Context, tenant string, ids []string) (map[string]catalog.SKU, error) {
	out := make(map[string]catalog.SKU, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, tenant)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.R(ctx).QueryContext(ctx, `SELECT `+skuCols+` FROM skus
		WHERE tenant = ? AND sku_id IN (`+dal.Placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalogsql: skus: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sku, err := scanSKU(tenant, rows)
		if err != nil {
			return nil, err
		}
		out[sku.ID()] = sku
	}
	return out, rows.Err()
}

const skuCols = `sku_id, title, seller_id, currency, price, tags, ships_at`

// scanSKU reads skuCols, and then into more the columns a query adds.
func scanSKU(tenant string, rows *sql.Rows, more ...any) (catalog.SKU, error) {
	var id, title, seller, currency, tags string
	var price int64
	var ships sql.NullInt64
	if err := rows.Scan(append([]any{&id, &title, &seller, &currency, &price, &tags, &ships}, more...)...); err != nil {
		return catalog.SKU{}, fmt.Errorf("catalogsql: scan sku: %w", err)
	}
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return catalog.SKU{}, fmt.Errorf("catalogsql: sku %s: %w", id, err)
	}
	var tagList []string
	if tags != "" {
		tagList = strings.Split(tags, ",")
	}
	sku, err := catalog.NewSKU(tenant, id, title, seller, money.New(price, cur), tagList...)
	if err != nil {
		return catalog.SKU{}, fmt.Errorf("catalogsql: sku %s: %w", id, err)
	}
	return sku.WithPresale(dal.TimeOf(ships)), nil
}
