package presalesql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/presale"
)

// ListCampaigns implements presale.Store, newest first along presale_campaigns_by_created, or
// presale_campaigns_by_status for one status.
func (s *Store) ListCampaigns(ctx context.Context, tenant, status string, limit int, cursor string) ([]presale.Campaign, string, error) {
	l := dal.Newest{Table: "presale_campaigns", Cols: "body, created_at", At: "created_at", ID: "campaign_id", Where: "tenant = ?", Args: []any{tenant}}
	if status != "" {
		l.Where, l.Args = l.Where+" AND status = ?", append(l.Args, status)
	}
	type listed struct {
		c  presale.Campaign
		at int64
	}
	rows, next, err := dal.ListNewest(ctx, s.db.R(ctx), l, limit, cursor, func(r *sql.Rows) (l listed, err error) {
		var body string
		if err := r.Scan(&body, &l.at); err != nil {
			return l, err
		}
		return l, json.Unmarshal([]byte(body), &l.c)
	}, func(l listed) (int64, string) { return l.at, l.c.ID })
	if errors.Is(err, dal.ErrBadCursor) {
		return nil, "", fmt.Errorf("presalesql: cursor %q: %w", cursor, presale.ErrInvalidCursor)
	}
	if err != nil {
		return nil, "", fmt.Errorf("presalesql: list campaigns: %w", err)
	}
	out := make([]presale.Campaign, len(rows))
	for i, l := range rows {
		out[i] = l.c
	}
	return out, next, nil
}
