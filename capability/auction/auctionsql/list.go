package auctionsql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/components/dal"
)

// statusSQL is each status of auction.Auction.StatusAt as a condition on a row at now (unix ms,
// bound once per ?).
var statusSQL = map[auction.Status]struct {
	cond  string
	binds int
}{
	auction.Scheduled: {`settled = '' AND starts_at > ?`, 1},
	auction.Running:   {`settled = '' AND starts_at <= ? AND closes_at > ?`, 2},
	auction.Ended:     {`settled = '' AND starts_at <= ? AND closes_at <= ?`, 2},
	auction.Sold:      {`settled = 'sold'`, 0},
	auction.Unsold:    {`settled = 'unsold'`, 0},
	auction.Cancelled: {`settled = 'cancelled'`, 0},
}

// List implements auction.Store, the latest to open first along auctions_by_start or, for one
// SKU's, auctions_by_sku; the status is checked on the rows walked.
func (s *Store) List(ctx context.Context, tenant string, f auction.Filter, now time.Time, limit int, cursor string) ([]*auction.Auction, string, error) {
	where, args := `tenant = ?`, []any{tenant}
	if f.SKUID != "" {
		where, args = where+` AND sku_id = ?`, append(args, f.SKUID)
	}
	if f.Status != "" {
		st, ok := statusSQL[f.Status]
		if !ok {
			return nil, "", fmt.Errorf("auctionsql: status %q", f.Status)
		}
		where += ` AND (` + st.cond + `)`
		for range st.binds {
			args = append(args, now.UnixMilli())
		}
	}
	if cursor != "" {
		at, id, ok := dal.ParseAtCursor(cursor)
		if !ok {
			return nil, "", fmt.Errorf("auctionsql: cursor %q: %w", cursor, auction.ErrInvalidCursor)
		}
		where, args = where+` AND (starts_at < ? OR (starts_at = ? AND auction_id < ?))`, append(args, at, at, id)
	}
	rows, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (*auction.Auction, error) { return scan(r) },
		`SELECT `+cols+` FROM auctions WHERE `+where+` ORDER BY starts_at DESC, auction_id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("auctionsql: list: %w", err)
	}
	rows, next := dal.Page(rows, limit, func(a *auction.Auction) string { return dal.AtCursorKey(a.StartsAt.UnixMilli(), a.ID) })
	return rows, next, nil
}
