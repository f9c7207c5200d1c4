package groupbuysql

import (
	"context"
	"errors"
	"fmt"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/groupbuy"
)

// ListCampaigns implements groupbuy.Store, newest first along groupbuy_campaigns_by_created, or
// groupbuy_campaigns_by_status for one status.
func (s *Store) ListCampaigns(ctx context.Context, tenant, status string, limit int, cursor string) ([]groupbuy.Campaign, string, error) {
	l := dal.Newest{Table: "groupbuy_campaigns", Cols: "body, created_at", At: "created_at", ID: "campaign_id", Where: "tenant = ?", Args: []any{tenant}}
	if status != "" {
		l.Where, l.Args = l.Where+" AND status = ?", append(l.Args, status)
	}
	cs, next, err := dal.ListNewestJSON(ctx, s.db.R(ctx), l, limit, cursor, func(c groupbuy.Campaign) string { return c.ID })
	if errors.Is(err, dal.ErrBadCursor) {
		return nil, "", fmt.Errorf("groupbuysql: cursor %q: %w", cursor, groupbuy.ErrInvalidCursor)
	}
	if err != nil {
		return nil, "", fmt.Errorf("groupbuysql: list campaigns: %w", err)
	}
	return cs, next, nil
}
