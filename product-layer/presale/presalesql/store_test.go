package presalesql_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/product-layer/presale"
	"github.com/atriumtrade/atrium/product-layer/presale/presalesql"
)

func TestCampaignsRoundTrip(t *testing.T) {
	daltest.Each(t, []dal.Migrations{presalesql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := presalesql.New(db)
		c := presale.Campaign{ID: "double11", Name: "双十一 定金", Currency: "CNY",
			SKUs:            []presale.SKU{{SKUID: "tea", Price: 10000, Deposit: 1000, DepositCredit: 3000}, {SKUID: "cup", Price: 500, Deposit: 100, DepositCredit: 100}},
			DepositStartsAt: 1, DepositEndsAt: 2, BalanceStartsAt: 2, BalanceEndsAt: 3, PerUser: 2, DepositRefundable: true, Status: presale.Active, UpdatedAt: 9}
		if err := s.PutCampaign(ctx, "t1", c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Campaign(ctx, "t1", "double11")
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		c.Name, c.Status = "Renamed", presale.Cancelled
		if err := s.PutCampaign(ctx, "t1", c); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(ctx context.Context) error {
			got, err = s.LockCampaign(ctx, "t1", "double11")
			return err
		})
		if err != nil || got.Name != "Renamed" || got.Status != presale.Cancelled {
			t.Fatalf("after a second put: %+v %v", got, err)
		}
		if _, err := s.Campaign(ctx, "t2", "double11"); !errors.Is(err, presale.ErrCampaignNotFound) {
			t.Fatalf("another tenant: %v", err)
		}
	})
}

// TestListCampaigns: newest first a page at a time, with no repeat or gap while campaigns are
// created between pages; by status; never another tenant's; a forged cursor is refused.
func TestListCampaigns(t *testing.T) {
	daltest.Each(t, []dal.Migrations{presalesql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := presalesql.New(db)
		at := int64(1_800_000_000_000)
		put := func(tenant, id, status string) {
			t.Helper()
			at++
			c := presale.Campaign{ID: id, Name: id, Currency: "CNY", SKUs: []presale.SKU{{SKUID: "tea", Price: 100, Deposit: 10, DepositCredit: 10}},
				DepositStartsAt: 1, DepositEndsAt: 2, BalanceStartsAt: 2, BalanceEndsAt: 3, Status: status, UpdatedAt: at}
			if err := s.PutCampaign(ctx, tenant, c); err != nil {
				t.Fatal(err)
			}
		}
		for i, status := range []string{presale.Active, presale.Cancelled, presale.Active, presale.Cancelled, presale.Active} {
			put("t1", fmt.Sprintf("c%d", i+1), status)
		}
		put("t2", "theirs", presale.Active)
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
		if got := list("", 2, func() { n++; put("t1", fmt.Sprintf("new%d", n), presale.Active) }); got != "c5 c4 c3 c2 c1" {
			t.Errorf("all, with campaigns created between pages: %s; want c5 c4 c3 c2 c1", got)
		}
		if got := list(presale.Cancelled, 1, nil); got != "c4 c2" {
			t.Errorf("cancelled: %s; want c4 c2", got)
		}
		// Changing a campaign does not move it in the list.
		put("t1", "c1", presale.Active)
		if got := list(presale.Active, 10, nil); got != "new2 new1 c5 c3 c1" {
			t.Errorf("active: %s; want new2 new1 c5 c3 c1", got)
		}
		if _, _, err := s.ListCampaigns(ctx, "t1", "", 10, "forged"); !errors.Is(err, presale.ErrInvalidCursor) {
			t.Errorf("forged cursor: %v", err)
		}
	})
}
