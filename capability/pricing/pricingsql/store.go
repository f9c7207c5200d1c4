// Package pricingsql is the SQL adapter of pricing.PriceStore, for SQLite and MySQL.
package pricingsql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/dal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("pricing", migrationFiles) }

// Store implements pricing.PriceStore.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ pricing.PriceStore = (*Store)(nil)

// insertChunk is how many prices one INSERT writes.
const insertChunk = 500

// PutPriceList implements pricing.PriceStore: the list and all its prices are replaced in one
// transaction, so a cart never sees half a list.
func (s *Store) PutPriceList(ctx context.Context, tenant string, l pricing.PriceList) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		now := time.Now().UnixMilli()
		chans, levels := strings.Join(l.Channels, ","), strings.Join(l.MemberLevels, ",")
		err := s.db.Upsert(ctx,
			`UPDATE price_lists SET name = ?, currency = ?, channels = ?, member_levels = ?, starts_at = ?, ends_at = ?, priority = ?,
				updated_at = ? WHERE tenant = ? AND list_id = ?`,
			[]any{l.Name, l.Currency, chans, levels, dal.Millis(l.StartsAt), dal.Millis(l.EndsAt), l.Priority, now, tenant, l.ID},
			`INSERT INTO price_lists (tenant, list_id, name, currency, channels, member_levels, starts_at, ends_at, priority, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			[]any{tenant, l.ID, l.Name, l.Currency, chans, levels, dal.Millis(l.StartsAt), dal.Millis(l.EndsAt), l.Priority, now})
		if err != nil {
			return fmt.Errorf("pricingsql: put list: %w", err)
		}
		q := s.db.Q(ctx)
		if _, err := q.ExecContext(ctx, `DELETE FROM price_list_prices WHERE tenant = ? AND list_id = ?`, tenant, l.ID); err != nil {
			return fmt.Errorf("pricingsql: clear prices: %w", err)
		}
		skus := make([]string, 0, len(l.Prices))
		for id := range l.Prices {
			skus = append(skus, id)
		}
		sort.Strings(skus)
		for start := 0; start < len(skus); start += insertChunk {
			chunk := skus[start:min(start+insertChunk, len(skus))]
			args := make([]any, 0, 4*len(chunk))
			for _, id := range chunk {
				args = append(args, tenant, l.ID, id, l.Prices[id])
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO price_list_prices (tenant, list_id, sku_id, price) VALUES `+
				dal.Rows(len(chunk), 4), args...); err != nil {
				return fmt.Errorf("pricingsql: insert prices: %w", err)
			}
		}
		return nil
	})
}

const listCols = `list_id, name, currency, channels, member_levels, starts_at, ends_at, priority`

func scanList(r interface{ Scan(...any) error }, extra ...any) (pricing.PriceList, error) {
	var l pricing.PriceList
	var chans, levels string
	var starts, ends int64
	if err := r.Scan(append([]any{&l.ID, &l.Name, &l.Currency, &chans, &levels, &starts, &ends, &l.Priority}, extra...)...); err != nil {
		return l, err
	}
	l.Channels, l.MemberLevels = split(chans), split(levels)
	l.StartsAt, l.EndsAt = dal.FromMillis(starts), dal.FromMillis(ends)
	return l, nil
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// PriceList implements pricing.PriceStore.
func (s *Store) PriceList(ctx context.Context, tenant, id string) (pricing.PriceList, error) {
	q := s.db.R(ctx)
	l, err := scanList(q.QueryRowContext(ctx, `SELECT `+listCols+` FROM price_lists WHERE tenant = ? AND list_id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, pricing.ErrPriceListNotFound
	}
	if err != nil {
		return l, fmt.Errorf("pricingsql: list: %w", err)
	}
	type price struct {
		sku   string
		price int64
	}
	ps, err := dal.All(ctx, q, func(r *sql.Rows) (p price, err error) {
		err = r.Scan(&p.sku, &p.price)
		return p, err
	}, `SELECT sku_id, price FROM price_list_prices WHERE tenant = ? AND list_id = ?`, tenant, id)
	if err != nil {
		return l, fmt.Errorf("pricingsql: prices: %w", err)
	}
	l.Prices = make(map[string]int64, len(ps))
	for _, p := range ps {
		l.Prices[p.sku] = p.price
	}
	return l, nil
}

// PriceLists implements pricing.PriceStore.
func (s *Store) PriceLists(ctx context.Context, tenant string) ([]pricing.PriceList, []int, error) {
	type row struct {
		l pricing.PriceList
		n int
	}
	rows, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (x row, err error) {
		x.l, err = scanList(r, &x.n)
		return x, err
	}, `SELECT l.list_id, l.name, l.currency, l.channels, l.member_levels, l.starts_at, l.ends_at, l.priority,
		(SELECT COUNT(*) FROM price_list_prices p WHERE p.tenant = l.tenant AND p.list_id = l.list_id)
		FROM price_lists l WHERE l.tenant = ? ORDER BY l.list_id`, tenant)
	if err != nil {
		return nil, nil, fmt.Errorf("pricingsql: lists: %w", err)
	}
	lists, counts := make([]pricing.PriceList, len(rows)), make([]int, len(rows))
	for i, x := range rows {
		lists[i], counts[i] = x.l, x.n
	}
	return lists, counts, nil
}

// DeletePriceList implements pricing.PriceStore.
func (s *Store) DeletePriceList(ctx context.Context, tenant, id string) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		res, err := q.ExecContext(ctx, `DELETE FROM price_lists WHERE tenant = ? AND list_id = ?`, tenant, id)
		if err != nil {
			return fmt.Errorf("pricingsql: delete list: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return pricing.ErrPriceListNotFound
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM price_list_prices WHERE tenant = ? AND list_id = ?`, tenant, id); err != nil {
			return fmt.Errorf("pricingsql: delete prices: %w", err)
		}
		return nil
	})
}

// Candidates implements pricing.PriceStore.
func (s *Store) Candidates(ctx context.Context, tenant, currency string, at time.Time, skus []string) ([]pricing.ListPrice, error) {
	if len(skus) == 0 {
		return nil, nil
	}
	ms := at.UnixMilli()
	args := []any{tenant, currency, ms, ms}
	for _, id := range skus {
		args = append(args, id)
	}
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (c pricing.ListPrice, err error) {
		c.List, err = scanList(r, &c.SKUID, &c.Price)
		return c, err
	}, `SELECT l.list_id, l.name, l.currency, l.channels, l.member_levels, l.starts_at, l.ends_at, l.priority, p.sku_id, p.price
		FROM price_list_prices p JOIN price_lists l ON l.tenant = p.tenant AND l.list_id = p.list_id
		WHERE p.tenant = ? AND l.currency = ? AND l.starts_at <= ? AND (l.ends_at = 0 OR l.ends_at > ?)
		AND p.sku_id IN (`+dal.Placeholders(len(skus))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("pricingsql: candidates: %w", err)
	}
	return out, nil
}
