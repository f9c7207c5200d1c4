package catalogsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/components/dal"
)

var _ catalog.Lister = (*Store)(nil)

// likeEscaper escapes a value for LIKE ... ESCAPE '!' (the same on SQLite and MySQL, where a
// backslash is not).
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// List implements catalog.Lister, newest first along skus_by_seller (a seller given) or
// skus_by_created; a tag or a piece of title is checked on the rows walked (a catalog is read a
// page at a time, and neither has an index).
func (s *Store) List(ctx context.Context, tenant string, f catalog.Filter, limit int, cursor string) (catalog.Page, error) {
	where, args := []string{`tenant = ?`}, []any{tenant}
	if f.SellerID != "" {
		where, args = append(where, `seller_id = ?`), append(args, f.SellerID)
	}
	if f.Tag != "" {
		t := likeEscaper.Replace(f.Tag)
		where = append(where, `(tags = ? OR tags LIKE ? ESCAPE '!' OR tags LIKE ? ESCAPE '!' OR tags LIKE ? ESCAPE '!')`)
		args = append(args, f.Tag, t+",%", "%,"+t, "%,"+t+",%")
	}
	if f.Title != "" {
		where, args = append(where, `LOWER(title) LIKE LOWER(?) ESCAPE '!'`), append(args, "%"+likeEscaper.Replace(f.Title)+"%")
	}
	type listed struct {
		sku catalog.SKU
		at  int64
	}
	l := dal.Newest{Table: "skus", Cols: skuCols + ", created_at", At: "created_at", ID: "sku_id", Where: strings.Join(where, " AND "), Args: args}
	rows, next, err := dal.ListNewest(ctx, s.db.R(ctx), l, limit, cursor, func(r *sql.Rows) (l listed, err error) {
		l.sku, err = scanSKU(tenant, r, &l.at)
		return l, err
	}, func(l listed) (int64, string) { return l.at, l.sku.ID() })
	if errors.Is(err, dal.ErrBadCursor) {
		return catalog.Page{}, fmt.Errorf("catalogsql: cursor %q: %w", cursor, catalog.ErrInvalidCursor)
	}
	if err != nil {
		return catalog.Page{}, fmt.Errorf("catalogsql: list: %w", err)
	}
	p := catalog.Page{Next: next}
	for _, l := range rows {
		p.SKUs = append(p.SKUs, l.sku)
	}
	return p, nil
}
