package presalesql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/presale"
)

// ListCampaigns implements presale.Store, newest first along presale_campaigns_by_created, or
// presale_campaigns_by_status for one status.
func (s *Store) ListCampaigns(ctx context.Context, tenant, status string, limit int, cursor string) ([]presale.Campaign, string, error) {
	where, args := `tenant = ?`, []any{tenant}
	if status != "" {
		where, args = where+` AND status = ?`, append(args, status)
	}
	if cursor != "" {
		at, id, ok := dal.ParseAtCursor(cursor)
		if !ok {
			return nil, "", fmt.Errorf("presalesql: cursor %q: %w", cursor, presale.ErrInvalidCursor)
		}
		where, args = where+` AND (created_at < ? OR (created_at = ? AND campaign_id < ?))`, append(args, at, at, id)
	}
	type listed struct {
		c  presale.Campaign
		at int64
	}
	rows, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (l listed, err error) {
		var body string
		if err := r.Scan(&body, &l.at); err != nil {
			return l, err
		}
		return l, json.Unmarshal([]byte(body), &l.c)
	}, `SELECT body, created_at FROM presale_campaigns WHERE `+where+` ORDER BY created_at DESC, campaign_id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("presalesql: list campaigns: %w", err)
	}
	rows, next := dal.Page(rows, limit, func(l listed) string { return dal.AtCursorKey(l.at, l.c.ID) })
	out := make([]presale.Campaign, len(rows))
	for i, l := range rows {
		out[i] = l.c
	}
	return out, next, nil
}
