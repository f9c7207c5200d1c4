package groupbuysql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/product-layer/groupbuy"
	"github.com/atriumtrade/atrium/product-layer/groupbuy/groupbuysql"
)

// TestListCampaigns: newest first by when each was created, a page at a time, with no repeat or
// gap while campaigns are created between pages; by status; never another tenant's; a forged
// cursor is refused.
func TestListCampaigns(t *testing.T) {
	daltest.Each(t, []dal.Migrations{groupbuysql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := groupbuysql.New(db)
		at := int64(1_800_000_000_000)
		created := map[string]int64{}
		put := func(tenant, id, status string) {
			t.Helper()
			at++
			if created[tenant+id] == 0 {
				created[tenant+id] = at
			}
			c := groupbuy.Campaign{ID: id, Name: id, Currency: "CNY", SKUs: []groupbuy.SKU{{SKUID: "tea", Price: 100}}, GroupSize: 2,
				FormationSeconds: 3600, StartsAt: 1, EndsAt: 2, Status: status, CreatedAt: created[tenant+id], UpdatedAt: at}
			if err := s.PutCampaign(ctx, tenant, c); err != nil {
				t.Fatal(err)
			}
		}
		for i, status := range []string{groupbuy.Active, groupbuy.Cancelled, groupbuy.Active, groupbuy.Cancelled, groupbuy.Active} {
			put("t1", fmt.Sprintf("g%d", i+1), status)
		}
		put("t2", "theirs", groupbuy.Active)
		list := func(status string, limit int, between func()) string {
			t.Helper()
			var out []string
			cursor := ""
			for {
				cs, next, err := s.ListCampaigns(ctx, "t1", status, limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cs {
					out = append(out, c.ID)
				}
				if next == "" {
					return strings.Join(out, " ")
				}
				cursor = next
				if between != nil {
					between()
				}
			}
		}
		n := 0
		if got := list("", 2, func() { n++; put("t1", fmt.Sprintf("new%d", n), groupbuy.Active) }); got != "g5 g4 g3 g2 g1" {
			t.Errorf("all, with campaigns created between pages: %s; want g5 g4 g3 g2 g1", got)
		}
		if got := list(groupbuy.Cancelled, 1, nil); got != "g4 g2" {
			t.Errorf("cancelled: %s; want g4 g2", got)
		}
		put("t1", "g1", groupbuy.Active) // a change does not move it
		if got := list(groupbuy.Active, 10, nil); got != "new2 new1 g5 g3 g1" {
			t.Errorf("active: %s; want new2 new1 g5 g3 g1", got)
		}
		if _, _, err := s.ListCampaigns(ctx, "t1", "", 10, "forged"); !errors.Is(err, groupbuy.ErrInvalidCursor) {
			t.Errorf("forged cursor: %v", err)
		}
	})
}
