package presale_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/presale"
)

func campaign() presale.Campaign {
	return presale.Campaign{ID: "double11", Name: "Double 11", Currency: "CNY",
		SKUs:            []presale.SKU{{SKUID: "tea", Price: 10000, Deposit: 1000, DepositCredit: 3000}},
		DepositStartsAt: 1_000, DepositEndsAt: 2_000, BalanceStartsAt: 2_000, BalanceEndsAt: 3_000, PerUser: 2}
}

// TestCampaignValidation: windows out of order, a credit below the deposit or above the price,
// negative or zero money, duplicate SKUs and bad ids are refused with presale.invalid_campaign.
func TestCampaignValidation(t *testing.T) {
	ok := campaign()
	if err := ok.Validate(); err != nil || ok.Status != presale.Active {
		t.Fatalf("a good campaign: %v (%s)", err, ok.Status)
	}
	for name, edit := range map[string]func(c *presale.Campaign){
		"bad id":                  func(c *presale.Campaign) { c.ID = "a b" },
		"no name":                 func(c *presale.Campaign) { c.Name = "" },
		"long name":               func(c *presale.Campaign) { c.Name = strings.Repeat("n", 81) },
		"currency":                func(c *presale.Campaign) { c.Currency = "XXX" },
		"no skus":                 func(c *presale.Campaign) { c.SKUs = nil },
		"duplicate sku":           func(c *presale.Campaign) { c.SKUs = append(c.SKUs, c.SKUs[0]) },
		"bad sku id":              func(c *presale.Campaign) { c.SKUs[0].SKUID = "" },
		"zero price":              func(c *presale.Campaign) { c.SKUs[0].Price = 0 },
		"negative deposit":        func(c *presale.Campaign) { c.SKUs[0].Deposit = -1 },
		"deposit over price":      func(c *presale.Campaign) { c.SKUs[0].Deposit = 10001 },
		"credit below deposit":    func(c *presale.Campaign) { c.SKUs[0].DepositCredit = 999 },
		"credit over price":       func(c *presale.Campaign) { c.SKUs[0].DepositCredit = 10001 },
		"deposit window reversed": func(c *presale.Campaign) { c.DepositEndsAt = c.DepositStartsAt },
		"windows overlap":         func(c *presale.Campaign) { c.BalanceStartsAt = 1_500 },
		"balance window reversed": func(c *presale.Campaign) { c.BalanceEndsAt = c.BalanceStartsAt },
		"a window in no time":     func(c *presale.Campaign) { c.DepositStartsAt = 0 },
		"negative per user":       func(c *presale.Campaign) { c.PerUser = -1 },
		"odd status":              func(c *presale.Campaign) { c.Status = "paused" },
	} {
		c := campaign()
		c.SKUs = append([]presale.SKU(nil), c.SKUs...)
		edit(&c)
		if err := c.Validate(); !errors.Is(err, presale.ErrInvalidCampaign) {
			t.Errorf("%s: %v; want presale.invalid_campaign", name, err)
		}
	}
	c := campaign()
	if c.DepositOpen(time.UnixMilli(1_000)) {
		t.Fatal("a campaign not yet validated (no status) is open")
	}
	_ = c.Validate()
	if !c.DepositOpen(time.UnixMilli(1_000)) || c.DepositOpen(time.UnixMilli(2_000)) || !c.BalanceOpen(time.UnixMilli(2_999)) || c.BalanceOpen(time.UnixMilli(3_000)) {
		t.Fatal("window edges: starts are in, ends are out")
	}
	if s, ok := c.SKU("tea"); !ok || s.DepositCredit != 3000 {
		t.Fatalf("sku terms: %+v %v", s, ok)
	}
}

type memStore map[string]presale.Campaign

func (m memStore) PutCampaign(_ context.Context, tenant string, c presale.Campaign) error {
	m[tenant+"/"+c.ID] = c
	return nil
}

func (m memStore) Campaign(_ context.Context, tenant, id string) (presale.Campaign, error) {
	if c, ok := m[tenant+"/"+id]; ok {
		return c, nil
	}
	return presale.Campaign{}, presale.ErrCampaignNotFound
}

func (m memStore) LockCampaign(ctx context.Context, tenant, id string) (presale.Campaign, error) {
	return m.Campaign(ctx, tenant, id)
}

// ListCampaigns lists the tenant's campaigns in status in one page (the order is the SQL
// store's to keep and test).
func (m memStore) ListCampaigns(_ context.Context, tenant, status string, _ int, _ string) ([]presale.Campaign, string, error) {
	var out []presale.Campaign
	for k, c := range m {
		if strings.HasPrefix(k, tenant+"/") && (status == "" || c.Status == status) {
			out = append(out, c)
		}
	}
	return out, "", nil
}

// TestAdminList: a list by status passes the status on; one naming no status is refused.
func TestAdminList(t *testing.T) {
	ctx := context.Background()
	store := memStore{"t1/a": {ID: "a", Status: presale.Active}, "t1/b": {ID: "b", Status: presale.Cancelled}, "t2/c": {ID: "c", Status: presale.Cancelled}}
	a := presale.NewAdmin(store, nil)
	if cs, _, err := a.List(ctx, "t1", presale.Cancelled, 10, ""); err != nil || len(cs) != 1 || cs[0].ID != "b" {
		t.Errorf("cancelled: %+v %v; want b", cs, err)
	}
	if _, _, err := a.List(ctx, "t1", "paused", 10, ""); !errors.Is(err, errkind.ErrInvalid) {
		t.Errorf("status paused: %v; want request.invalid", err)
	}
}

// TestAdminPut: a put stores a valid campaign as active and stamps it; a bad one changes nothing;
// a cancelled campaign cannot be put back.
func TestAdminPut(t *testing.T) {
	ctx := context.Background()
	store := memStore{}
	a := presale.NewAdmin(store, func() time.Time { return time.UnixMilli(42) })
	c := campaign()
	c.Status = presale.Cancelled // a put never cancels: cancelling is its own command
	got, err := a.Put(ctx, "t1", c)
	if err != nil || got.Status != presale.Active || got.UpdatedAt != 42 {
		t.Fatalf("put: %+v %v", got, err)
	}
	bad := campaign()
	bad.SKUs = []presale.SKU{{SKUID: "tea", Price: 100, Deposit: 50, DepositCredit: 10}}
	if _, err := a.Put(ctx, "t1", bad); !errors.Is(err, presale.ErrInvalidCampaign) {
		t.Fatalf("a credit below the deposit: %v", err)
	}
	if stored, _ := a.Get(ctx, "t1", "double11"); stored.SKUs[0].DepositCredit != 3000 {
		t.Fatalf("a refused put changed the campaign: %+v", stored)
	}
	if _, err := a.Get(ctx, "t2", "double11"); !errors.Is(err, presale.ErrCampaignNotFound) {
		t.Fatalf("another tenant's campaign: %v", err)
	}
	cancelled := got
	cancelled.Status = presale.Cancelled
	store["t1/double11"] = cancelled
	if _, err := a.Put(ctx, "t1", campaign()); !errors.Is(err, presale.ErrCampaignCancelled) {
		t.Fatalf("putting back a cancelled campaign: %v", err)
	}
}
