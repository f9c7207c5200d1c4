// Package groupbuy is the group-buying flow (拼团): a buyer opens a group of a campaign at the
// group price, or joins one; each member pays in full, as for a fixed-price order; the group is
// formed once groupSize members have paid, and only then do its orders ship. A group that is short
// at its deadline fails (or, within the campaign's virtualFill, is completed anyway: 模拟成团) and
// every paid member is refunded in full through the payment's provider, automatically; unpaid
// members' orders are cancelled. Stock, purchase limits, coupons and the campaign's per-user units
// come back with each order that ends.
//
// A group never has more than groupSize members, however many race for its last slot: joining
// locks the group's row in the order's own transaction (order, stock, member and event commit
// together or not at all), so a buyer refused as the group filled has reserved nothing. A member
// whose order is not paid within the unpaid window frees the slot; a member refunded before
// formation frees it too; one refunded after formation stays in the formed group but no longer
// counts as active (the peers' bug: a refunded member still shown in a completed group).
//
// The group's deadline is a durable timer written with the group, so a group is settled exactly
// once (formed or failed), whatever crashes: settling locks the group and changes nothing if it
// is no longer forming.
package groupbuy

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Scenario names the group-buying flow.
const Scenario identity.Scenario = "groupbuy"

// Campaign statuses.
const (
	Active    = "active"
	Cancelled = "cancelled"
)

// Group statuses: a group forms until it is formed or failed, exactly once.
const (
	Forming = "forming"
	Formed  = "formed"
	Failed  = "failed"
)

// Member statuses: joined (the order awaits payment), paid (counts toward formation), left (the
// order was never paid, or cancelled before it was: the slot is free again) and refunded.
const (
	Joined   = "joined"
	Paid     = "paid"
	Left     = "left"
	Refunded = "refunded"
)

// Bounds of a campaign.
const (
	MinGroupSize    = 2
	MaxGroupSize    = 100
	MinFormation    = time.Minute
	MaxFormation    = 7 * 24 * time.Hour
	maxCampaignSKUs = 100
	// maxPrice bounds a group price (minor units), far above any real one, so that sums cannot overflow.
	maxPrice int64 = 1_000_000_000_000
)

// SKU is a campaign's price for one SKU, in minor units of the campaign's currency.
type SKU struct {
	SKUID string `json:"skuId"`
	Price int64  `json:"price"`
}

// Campaign is an operator's group-buying offer.
type Campaign struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
	SKUs     []SKU  `json:"skus"`
	// GroupSize is how many paid members form a group (2-100).
	GroupSize int `json:"groupSize"`
	// FormationSeconds is how long a group may take to fill (60 s - 7 d).
	FormationSeconds int64 `json:"formationSeconds"`
	// StartsAt and EndsAt (unix ms) bound when groups may be opened and joined.
	StartsAt int64 `json:"startsAt"`
	EndsAt   int64 `json:"endsAt"`
	// PerUser caps the units one buyer may hold of the campaign; 0 is no cap.
	PerUser int64 `json:"perUser"`
	// VirtualFill completes a group short of at most this many paid members at its deadline
	// (0: never); less than GroupSize.
	VirtualFill int    `json:"virtualFill"`
	Status      string `json:"status"`
	CreatedAt   int64  `json:"createdAt"`
	UpdatedAt   int64  `json:"updatedAt"`
}

// Validate reports a campaign that cannot run.
func (c Campaign) Validate() error {
	switch {
	case !catalog.ValidID(c.ID):
		return errkind.WithDetail(ErrInvalidCampaign, "id must be 1-64 letters, digits, '.', '_' or '-'")
	case c.Name == "" || len(c.Name) > 200:
		return errkind.WithDetail(ErrInvalidCampaign, "name must be 1-200 bytes")
	case c.GroupSize < MinGroupSize || c.GroupSize > MaxGroupSize:
		return errkind.WithDetail(ErrInvalidCampaign, "groupSize must be between %d and %d", MinGroupSize, MaxGroupSize)
	case c.FormationSeconds < int64(MinFormation/time.Second) || c.FormationSeconds > int64(MaxFormation/time.Second):
		return errkind.WithDetail(ErrInvalidCampaign, "formationSeconds must be between %d and %d", int64(MinFormation/time.Second),
			int64(MaxFormation/time.Second))
	case c.StartsAt <= 0 || c.EndsAt <= c.StartsAt:
		return errkind.WithDetail(ErrInvalidCampaign, "startsAt and endsAt (unix ms) must be set, startsAt first")
	case c.PerUser < 0 || c.PerUser > 1_000_000:
		return errkind.WithDetail(ErrInvalidCampaign, "perUser must be between 0 (no cap) and 1000000")
	case c.VirtualFill < 0 || c.VirtualFill >= c.GroupSize:
		return errkind.WithDetail(ErrInvalidCampaign, "virtualFill must be between 0 and groupSize-1")
	case len(c.SKUs) == 0 || len(c.SKUs) > maxCampaignSKUs:
		return errkind.WithDetail(ErrInvalidCampaign, "skus must list 1-%d SKUs", maxCampaignSKUs)
	}
	if _, err := money.ParseCurrency(c.Currency); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range c.SKUs {
		if !catalog.ValidID(s.SKUID) || seen[s.SKUID] {
			return errkind.WithDetail(ErrInvalidCampaign, "skus must name each SKU once by a valid skuId")
		}
		seen[s.SKUID] = true
		if s.Price <= 0 || s.Price > maxPrice {
			return errkind.WithDetail(ErrInvalidCampaign, "the price of %s must be a positive amount in minor units", s.SKUID)
		}
	}
	return nil
}

// Price is the campaign's group price of a SKU, if it sells it.
func (c Campaign) Price(skuID string) (int64, bool) {
	for _, s := range c.SKUs {
		if s.SKUID == skuID {
			return s.Price, true
		}
	}
	return 0, false
}

// Open reports whether groups may be opened and joined at now.
func (c Campaign) Open(now time.Time) bool {
	ms := now.UnixMilli()
	return c.Status == Active && ms >= c.StartsAt && ms < c.EndsAt
}

// Formation is how long a group may take to fill.
func (c Campaign) Formation() time.Duration { return time.Duration(c.FormationSeconds) * time.Second }

// Group is one group of a campaign.
type Group struct {
	Tenant     string
	ID         string
	CampaignID string
	// Leader is the buyer who opened the group.
	Leader string
	Status string
	// Size is the campaign's group size when the group opened; VirtualFill likewise.
	Size        int
	VirtualFill int
	ExpiresAt   time.Time
	CreatedAt   time.Time
	// EndedAt is when the group was formed or failed; Reason why it failed (expired, cancelled).
	EndedAt time.Time
	Reason  string
	Version int64
}

// Member is one buyer's place in a group: one trade.
type Member struct {
	Tenant  string
	GroupID string
	TradeID string
	UserID  string
	Units   int64
	Status  string
	// Leader marks the member who opened the group.
	Leader    bool
	JoinedAt  time.Time
	UpdatedAt time.Time
}

// Holds reports whether the member holds a slot of a forming group: joined or paid.
func (m Member) Holds() bool { return m.Status == Joined || m.Status == Paid }

// Errors.
var (
	ErrInvalidCampaign   = errkind.New(errkind.Invalid, "groupbuy.invalid_campaign", "invalid group-buy campaign")
	ErrCampaignNotFound  = errkind.New(errkind.NotFound, "groupbuy.campaign_not_found", "group-buy campaign not found")
	ErrInvalidCursor     = errkind.New(errkind.Invalid, "groupbuy.invalid_cursor", "invalid page cursor")
	ErrCampaignRequired  = errkind.New(errkind.Invalid, "groupbuy.campaign_required", "groupBuyId is required for a group-buy order")
	ErrCampaignCancelled = errkind.New(errkind.Conflict, "groupbuy.campaign_cancelled", "the group-buy campaign was cancelled")
	ErrNotOpen           = errkind.New(errkind.Conflict, "groupbuy.not_open", "the group-buy campaign is not open now")
	ErrSKUNotInCampaign  = errkind.New(errkind.Invalid, "groupbuy.sku_not_in_campaign", "the SKU is not sold in this group buy")
	ErrGroupNotFound     = errkind.New(errkind.NotFound, "groupbuy.group_not_found", "group not found")
	ErrGroupFull         = errkind.New(errkind.Conflict, "groupbuy.group_full", "the group is full")
	ErrGroupFormed       = errkind.New(errkind.Conflict, "groupbuy.group_formed", "the group is already formed")
	ErrGroupFailed       = errkind.New(errkind.Conflict, "groupbuy.group_failed", "the group failed")
	ErrGroupExpired      = errkind.New(errkind.Conflict, "groupbuy.group_expired", "the group's time to fill is over")
	ErrAlreadyMember     = errkind.New(errkind.Conflict, "groupbuy.already_member", "you are already in this group")
	ErrPerUserLimit      = errkind.New(errkind.Conflict, "groupbuy.per_user_limit", "the group buy's per-buyer limit is reached")
	ErrNotFormed         = errkind.New(errkind.Conflict, "groupbuy.not_formed", "the order's group is not formed yet")
	ErrNotAGroupBuyTrade = errkind.New(errkind.NotFound, "groupbuy.trade_not_found", "no group-buy trade")
)

// Store is the persistence port of campaigns, groups and members. Lock* read in the caller's
// transaction with the row locked.
type Store interface {
	PutCampaign(ctx context.Context, tenant string, c Campaign) error
	Campaign(ctx context.Context, tenant, id string) (Campaign, error)
	LockCampaign(ctx context.Context, tenant, id string) (Campaign, error)
	// ListCampaigns lists a tenant's campaigns newest first (by when each was created): all, or
	// those in status; next is the cursor of the following page, empty at the end.
	ListCampaigns(ctx context.Context, tenant, status string, limit int, cursor string) (cs []Campaign, next string, err error)

	CreateGroup(ctx context.Context, g Group) error
	Group(ctx context.Context, tenant, id string) (Group, error)
	LockGroup(ctx context.Context, tenant, id string) (Group, error)
	// SaveGroup writes g if its version is still g.Version, and advances it.
	SaveGroup(ctx context.Context, g *Group) error
	// Groups lists a campaign's groups, newest first: all of them, or only those forming
	// (joinable), after cursor (an opaque position from a previous page).
	Groups(ctx context.Context, tenant, campaignID string, forming bool, limit int, cursor string) ([]Group, string, error)

	AddMember(ctx context.Context, m Member) error
	SaveMember(ctx context.Context, m Member) error
	Members(ctx context.Context, tenant, groupID string) ([]Member, error)
	// MemberOf is the member of a trade.
	MemberOf(ctx context.Context, tenant, tradeID string) (Member, error)

	// ClaimUnits adds units to the buyer's count of the campaign, refusing (ErrPerUserLimit) past
	// max (0: no cap); ReleaseUnits gives them back.
	ClaimUnits(ctx context.Context, tenant, campaignID, userID string, units, max int64) error
	ReleaseUnits(ctx context.Context, tenant, campaignID, userID string, units int64) error
}

// Topics of the events the flow emits.
const (
	TopicGroupOpened    = "groupbuy.group_opened"
	TopicMemberJoined   = "groupbuy.member_joined"
	TopicGroupFormed    = "groupbuy.group_formed"
	TopicGroupFailed    = "groupbuy.group_failed"
	TopicMemberRefunded = "groupbuy.member_refunded"
)

// Event is the payload of every groupbuy.* event.
type Event struct {
	Tenant     string `json:"tenant"`
	CampaignID string `json:"groupBuyId"`
	GroupID    string `json:"groupId"`
	Status     string `json:"status"`
	// Members is how many hold a slot (joined or paid), Paid how many of them paid.
	Members int `json:"members"`
	Paid    int `json:"paid"`
	Size    int `json:"size"`
	// UserID and TradeID name the member an event is about (joined, refunded).
	UserID  string `json:"userId,omitempty"`
	TradeID string `json:"tradeId,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Virtual is set on a group completed by virtualFill.
	Virtual bool  `json:"virtual,omitempty"`
	At      int64 `json:"at"`
}
