package auctionsql

import (
	"context"
	"database/sql"
	"errors"
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
	l := dal.Newest{Table: "auctions", Cols: cols, At: "starts_at", ID: "auction_id", Where: "tenant = ?", Args: []any{tenant}}
	if f.SKUID != "" {
		l.Where, l.Args = l.Where+" AND sku_id = ?", append(l.Args, f.SKUID)
	}
	if f.Status != "" {
		st, ok := statusSQL[f.Status]
		if !ok {
			return nil, "", fmt.Errorf("auctionsql: status %q", f.Status)
		}
		l.Where += " AND (" + st.cond + ")"
		for range st.binds {
			l.Args = append(l.Args, now.UnixMilli())
		}
	}
	as, next, err := dal.ListNewest(ctx, s.db.R(ctx), l, limit, cursor, func(r *sql.Rows) (*auction.Auction, error) { return scan(r) },
		func(a *auction.Auction) (int64, string) { return a.StartsAt.UnixMilli(), a.ID })
	if errors.Is(err, dal.ErrBadCursor) {
		return nil, "", fmt.Errorf("auctionsql: cursor %q: %w", cursor, auction.ErrInvalidCursor)
	}
	if err != nil {
		return nil, "", fmt.Errorf("auctionsql: list: %w", err)
	}
	return as, next, nil
}
