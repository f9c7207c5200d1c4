package presalesql

import (
	"context"
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
	cs, next, err := dal.ListNewestJSON(ctx, s.db.R(ctx), l, limit, cursor, func(c presale.Campaign) string { return c.ID })
	if errors.Is(err, dal.ErrBadCursor) {
		return nil, "", fmt.Errorf("presalesql: cursor %q: %w", cursor, presale.ErrInvalidCursor)
	}
	if err != nil {
		return nil, "", fmt.Errorf("presalesql: list campaigns: %w", err)
	}
	return cs, next, nil
}
