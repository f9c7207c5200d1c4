// Package presale is the pre-sale flow (定金预售) on the trade core: a buyer pays a deposit inside
// the campaign's deposit window, and the balance inside its balance window; the deposit may
// count for more than it cost against the price (deposit expansion: 膨胀定金). This file is the
// campaign an operator defines.
package presale

import (
	"context"
	"errors"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Errors of campaigns.
var (
	ErrInvalidCampaign   = errkind.New(errkind.Invalid, "presale.invalid_campaign", "invalid pre-sale campaign")
	ErrCampaignNotFound  = errkind.New(errkind.NotFound, "presale.campaign_not_found", "pre-sale campaign not found")
	ErrInvalidCursor     = errkind.New(errkind.Invalid, "presale.invalid_cursor", "invalid page cursor")
	ErrCampaignCancelled = errkind.New(errkind.Conflict, "presale.campaign_cancelled", "the pre-sale campaign was cancelled")
)

// Campaign statuses.
const (
	Active    = "active"
	Cancelled = "cancelled"
)

// SKU is one SKU of a campaign: its pre-sale price, the deposit a buyer pays per unit, and what
// the deposit counts for against the price (at least the deposit, at most the price).
type SKU struct {
	SKUID         string `json:"skuId"`
	Price         int64  `json:"price"`
	Deposit       int64  `json:"deposit"`
	DepositCredit int64  `json:"depositCredit"`
}

// Campaign is a pre-sale: its SKUs and its two windows (unix ms; each start inclusive, each end
// exclusive), the deposit window ending no later than the balance window starts.
type Campaign struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
	SKUs     []SKU  `json:"skus"`
	// DepositStartsAt..DepositEndsAt is when deposits may be paid (and orders placed).
	DepositStartsAt int64 `json:"depositStartsAt"`
	DepositEndsAt   int64 `json:"depositEndsAt"`
	// BalanceStartsAt..BalanceEndsAt is when balances may be paid; an order whose balance is not
	// paid by BalanceEndsAt is cancelled and its deposit forfeited.
	BalanceStartsAt int64 `json:"balanceStartsAt"`
	BalanceEndsAt   int64 `json:"balanceEndsAt"`
	// PerUser caps the units one buyer may order over the campaign; 0 is no cap.
	PerUser int64 `json:"perUser"`
	// DepositRefundable gives a buyer who cancels after paying the deposit their deposit back;
	// otherwise it is forfeited.
	DepositRefundable bool   `json:"depositRefundable"`
	Status            string `json:"status"`
	UpdatedAt         int64  `json:"updatedAt"`
}

// Bounds of a campaign.
const (
	MaxSKUs    = 100
	MaxPerUser = 1_000_000
)

var idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// maxMillis is 9999-12-31, the last date a unix-ms field accepts.
const maxMillis = 253402300799999

// Validate checks a campaign as an operator defined it.
func (c *Campaign) Validate() error {
	bad := func(format string, args ...any) error { return errkind.WithDetail(ErrInvalidCampaign, format, args...) }
	if !idRe.MatchString(c.ID) {
		return bad("id must be 1-64 letters, digits, '.', '_', ':' or '-'")
	}
	if n := utf8.RuneCountInString(c.Name); !utf8.ValidString(c.Name) || n < 1 || n > 80 {
		return bad("name must be 1-80 characters")
	}
	if _, err := money.ParseCurrency(c.Currency); err != nil {
		return bad("currency %q is not supported", c.Currency)
	}
	if len(c.SKUs) == 0 || len(c.SKUs) > MaxSKUs {
		return bad("a campaign has 1-%d skus", MaxSKUs)
	}
	seen := map[string]bool{}
	for i, s := range c.SKUs {
		switch {
		case !catalog.ValidID(s.SKUID):
			return bad("skus[%d]: skuId is not a valid SKU id", i)
		case seen[s.SKUID]:
			return bad("skus[%d]: %s is listed twice", i, s.SKUID)
		case s.Price <= 0 || s.Price > catalog.MaxPrice:
			return bad("skus[%d]: price must be 1-%d minor units", i, int64(catalog.MaxPrice))
		case s.Deposit <= 0 || s.Deposit > s.Price:
			return bad("skus[%d]: deposit must be at least 1 and at most the price", i)
		case s.DepositCredit < s.Deposit || s.DepositCredit > s.Price:
			return bad("skus[%d]: depositCredit must be at least the deposit and at most the price", i)
		}
		seen[s.SKUID] = true
	}
	w := []int64{c.DepositStartsAt, c.DepositEndsAt, c.BalanceStartsAt, c.BalanceEndsAt}
	for _, ms := range w {
		if ms <= 0 || ms > maxMillis {
			return bad("windows are dates in unix milliseconds")
		}
	}
	if !(w[0] < w[1] && w[1] <= w[2] && w[2] < w[3]) {
		return bad("windows must be in order: depositStartsAt < depositEndsAt <= balanceStartsAt < balanceEndsAt")
	}
	if c.PerUser < 0 || c.PerUser > MaxPerUser {
		return bad("perUser must be 0 (no cap) to %d", MaxPerUser)
	}
	if c.Status == "" {
		c.Status = Active
	}
	if c.Status != Active && c.Status != Cancelled {
		return bad("status is active or cancelled")
	}
	return nil
}

// SKU returns the campaign's terms for skuID.
func (c *Campaign) SKU(skuID string) (SKU, bool) {
	for _, s := range c.SKUs {
		if s.SKUID == skuID {
			return s, true
		}
	}
	return SKU{}, false
}

// DepositOpen reports whether deposits may be paid at t.
func (c *Campaign) DepositOpen(t time.Time) bool {
	ms := t.UnixMilli()
	return c.Status == Active && ms >= c.DepositStartsAt && ms < c.DepositEndsAt
}

// BalanceOpen reports whether balances may be paid at t.
func (c *Campaign) BalanceOpen(t time.Time) bool {
	ms := t.UnixMilli()
	return c.Status == Active && ms >= c.BalanceStartsAt && ms < c.BalanceEndsAt
}

// Store keeps a tenant's campaigns.
type Store interface {
	// PutCampaign creates or replaces a campaign.
	PutCampaign(ctx context.Context, tenant string, c Campaign) error
	// Campaign returns one, or ErrCampaignNotFound.
	Campaign(ctx context.Context, tenant, id string) (Campaign, error)
	// LockCampaign reads one for update inside a transaction.
	LockCampaign(ctx context.Context, tenant, id string) (Campaign, error)
	// ListCampaigns lists a tenant's campaigns newest first (by when each was created): all, or
	// those in status; next is the cursor of the following page, empty at the end.
	ListCampaigns(ctx context.Context, tenant, status string, limit int, cursor string) (cs []Campaign, next string, err error)
}

// Admin is the operators' side of campaigns.
type Admin struct {
	store Store
	now   func() time.Time
}

// NewAdmin returns an Admin on store.
func NewAdmin(store Store, now func() time.Time) *Admin {
	if now == nil {
		now = time.Now
	}
	return &Admin{store: store, now: now}
}

// Put validates and stores a campaign. A cancelled campaign stays cancelled.
func (a *Admin) Put(ctx context.Context, tenant string, c Campaign) (Campaign, error) {
	c.Status = Active
	if err := c.Validate(); err != nil {
		return Campaign{}, err
	}
	if prev, err := a.store.Campaign(ctx, tenant, c.ID); err == nil && prev.Status == Cancelled {
		return Campaign{}, errkind.WithDetail(ErrCampaignCancelled, "campaign %s was cancelled", c.ID)
	} else if err != nil && !errors.Is(err, ErrCampaignNotFound) {
		return Campaign{}, err
	}
	c.UpdatedAt = a.now().UnixMilli()
	if err := a.store.PutCampaign(ctx, tenant, c); err != nil {
		return Campaign{}, err
	}
	return c, nil
}

// Get returns a campaign.
func (a *Admin) Get(ctx context.Context, tenant, id string) (Campaign, error) {
	return a.store.Campaign(ctx, tenant, id)
}

// List lists a tenant's campaigns newest first, all or those in status (active, cancelled).
func (a *Admin) List(ctx context.Context, tenant, status string, limit int, cursor string) ([]Campaign, string, error) {
	if status != "" && status != Active && status != Cancelled {
		return nil, "", errkind.Invalidf("status must be %s or %s", Active, Cancelled)
	}
	return a.store.ListCampaigns(ctx, tenant, status, limit, cursor)
}
