package groupbuy

import (
	"context"
	"errors"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// PutCampaign creates or replaces a campaign. A campaign's terms (prices, group size, time to
// fill, virtualFill) apply to groups opened from then on; a group keeps the size and virtualFill
// it opened with. A cancelled campaign stays cancelled.
func (f *Flow) PutCampaign(ctx context.Context, tenant string, c Campaign) (Campaign, error) {
	now := f.d.Now().UnixMilli()
	c.Status, c.UpdatedAt = Active, now
	if err := c.Validate(); err != nil {
		return Campaign{}, err
	}
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		old, err := f.d.Store.LockCampaign(ctx, tenant, c.ID)
		switch {
		case errors.Is(err, ErrCampaignNotFound):
			c.CreatedAt = now
		case err != nil:
			return err
		case old.Status == Cancelled:
			return errkind.WithDetail(ErrCampaignCancelled, "group buy %s was cancelled; use a new id", c.ID)
		default:
			c.CreatedAt = old.CreatedAt
		}
		return f.d.Store.PutCampaign(ctx, tenant, c)
	})
	if err != nil {
		return Campaign{}, err
	}
	return c, nil
}

// Campaign returns a campaign.
func (f *Flow) Campaign(ctx context.Context, tenant, id string) (Campaign, error) {
	return f.d.Store.Campaign(ctx, tenant, id)
}

// Campaigns lists a tenant's campaigns newest first, all or those in status (active, cancelled).
func (f *Flow) Campaigns(ctx context.Context, tenant, status string, limit int, cursor string) ([]Campaign, string, error) {
	if status != "" && status != Active && status != Cancelled {
		return nil, "", errkind.Invalidf("status must be %s or %s", Active, Cancelled)
	}
	return f.d.Store.ListCampaigns(ctx, tenant, status, limit, cursor)
}

// CancelCampaign calls a campaign off: no group opens or is joined any more, and every group
// still forming fails (campaign_cancelled): paid members are refunded in full, unpaid members'
// orders cancelled. Formed groups go ahead. Cancelling again changes nothing more. It returns
// the campaign and how many groups failed.
func (f *Flow) CancelCampaign(ctx context.Context, tenant, id string) (Campaign, int, error) {
	var c Campaign
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if c, err = f.d.Store.LockCampaign(ctx, tenant, id); err != nil {
			return err
		}
		if c.Status == Cancelled {
			return nil
		}
		c.Status, c.UpdatedAt = Cancelled, f.d.Now().UnixMilli()
		return f.d.Store.PutCampaign(ctx, tenant, c)
	})
	if err != nil {
		return Campaign{}, 0, err
	}
	// Each group fails in its own transaction (its members' trades locked before it); a crash
	// part way leaves the rest forming, and they fail here when the cancel is repeated, or at
	// their deadline, which fails a group of a cancelled campaign.
	failed := 0
	cursor := ""
	for {
		gs, next, err := f.d.Store.Groups(ctx, tenant, id, true, 100, cursor)
		if err != nil {
			return c, failed, err
		}
		for _, g := range gs {
			got, err := f.settle(ctx, tenant, g.ID, ReasonCampaignCancelled)
			if err != nil {
				return c, failed, err
			}
			if got.Status == Failed && got.Reason == ReasonCampaignCancelled {
				failed++
			}
		}
		if next == "" {
			return c, failed, nil
		}
		cursor = next
	}
}

// GroupView is a group with its members, as its campaign's operator or a buyer sees it.
type GroupView struct {
	Group   Group
	Members []Member
	// Active is how many members hold their place and have not been refunded; Needed how many
	// more must pay to form a forming group.
	Active, Paid, Needed int
}

// ViewOf is a group's view.
func ViewOf(g Group, members []Member) GroupView {
	v := GroupView{Group: g, Members: members, Active: holding(members), Paid: count(members, Paid)}
	if g.Status == Forming {
		v.Needed = max(0, g.Size-v.Paid)
	}
	return v
}

// Group returns a group with its members.
func (f *Flow) Group(ctx context.Context, tenant, id string) (GroupView, error) {
	g, err := f.d.Store.Group(ctx, tenant, id)
	if err != nil {
		return GroupView{}, err
	}
	members, err := f.d.Store.Members(ctx, tenant, id)
	if err != nil {
		return GroupView{}, err
	}
	return ViewOf(g, members), nil
}

// Groups lists a campaign's groups, newest first, with their members: every group, or only
// those a buyer may still join (forming, before their deadline, with a free place).
func (f *Flow) Groups(ctx context.Context, tenant, campaignID string, joinableOnly bool, limit int, cursor string) ([]GroupView, string, error) {
	if _, err := f.d.Store.Campaign(ctx, tenant, campaignID); err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	gs, next, err := f.d.Store.Groups(ctx, tenant, campaignID, joinableOnly, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	now := f.d.Now()
	out := make([]GroupView, 0, len(gs))
	for _, g := range gs {
		members, err := f.d.Store.Members(ctx, tenant, g.ID)
		if err != nil {
			return nil, "", err
		}
		if joinableOnly && (!now.Before(g.ExpiresAt) || holding(members) >= g.Size) {
			continue
		}
		out = append(out, ViewOf(g, members))
	}
	return out, next, nil
}

// MemberOf is the place a trade holds in its group, with the group, as the actor may see it.
func (f *Flow) MemberOf(ctx context.Context, tenant string, a trade.Actor, tradeID string) (Member, GroupView, error) {
	t, err := f.d.Core.Trade(ctx, tenant, a, tradeID)
	if err != nil {
		return Member{}, GroupView{}, err
	}
	m, err := f.d.Store.MemberOf(ctx, tenant, t.ID())
	if err != nil {
		return Member{}, GroupView{}, err
	}
	v, err := f.Group(ctx, tenant, m.GroupID)
	return m, v, err
}
