package presalesql_test

import (
	"context"
	"errors"
	"reflect"
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
