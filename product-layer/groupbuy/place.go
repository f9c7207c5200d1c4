package groupbuy

import (
	"context"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// PriceInput is the input of groupbuy.price: one line of a member's cart.
type PriceInput struct {
	GroupBuyID  string `json:"groupBuyId"`
	SKUID       string `json:"skuId"`
	Quantity    int64  `json:"quantity"`
	Currency    string `json:"currency"`
	ListPrice   int64  `json:"listPrice"`  // the SKU's catalog price
	GroupPrice  int64  `json:"groupPrice"` // the campaign's
	GroupSize   int    `json:"groupSize"`
	Members     int    `json:"members"` // who hold a place in the group before this buyer
	Leader      bool   `json:"leader"`  // the buyer opens the group
	UserID      string `json:"userId"`
	MemberLevel string `json:"memberLevel,omitempty"`
}

// PriceOutput is the unit price the member pays, in minor units.
type PriceOutput struct {
	Price int64 `json:"price"`
}

// PricePoint lets a business price each member its own way (tiers by how full the group is, a
// leader's discount): never above the SKU's list price; a script that fails or answers out of
// range leaves the campaign's price.
var PricePoint = extensions.Declare(extensions.Spec[PriceInput, PriceOutput]{
	Name:   "groupbuy.price",
	Doc:    "Set a member's unit price for a line of a group buy (a leader's discount, tiers by group size). Must be positive and at most the list price. Default: the campaign's group price.",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(_ context.Context, in PriceInput) (PriceOutput, error) {
		return PriceOutput{Price: in.GroupPrice}, nil
	},
	Check: func(in PriceInput, out PriceOutput) error {
		if out.Price <= 0 || out.Price > in.ListPrice {
			return fmt.Errorf("price %d must be positive and at most the list price %d", out.Price, in.ListPrice)
		}
		return nil
	},
})

// Quote is a priced group-buy cart: the core's draft, and the group it would open or join.
type Quote struct {
	Draft *trade.Draft
	// Group is the group joined (nil: the buyer would open one).
	Group *Group
	// Members is how many hold a place in it now.
	Members int
}

// Quote prices a cart in a campaign, opening a group or joining groupID, without reserving
// anything; a group that cannot be joined is refused as an order would be.
func (f *Flow) Quote(ctx context.Context, ident identity.Identity, b trade.Buyer, dest address.Place, campaignID, groupID string, cart trade.Cart) (Quote, error) {
	c, g, members, err := f.entry(ctx, ident.Tenant(), b.UserID, campaignID, groupID)
	if err != nil {
		return Quote{}, err
	}
	items, err := pricing.NormalizeItems(cart.Items)
	if err != nil {
		return Quote{}, err
	}
	if dest, err = trade.Destination(dest); err != nil {
		return Quote{}, err
	}
	cart.Items = items
	d := &trade.Draft{Call: extensions.Call{Identity: ident, UserID: b.UserID}, Buyer: b, Cart: cart, Dest: dest, At: f.d.Now()}
	if err := f.d.Core.Plan(ctx, d, trade.QuotePlan.Replace(f.priceStep(&c, g, members))); err != nil {
		return Quote{}, err
	}
	return Quote{Draft: d, Group: g, Members: members}, nil
}

// PlaceOrder is a buyer's group-buy order: it opens a group (GroupID empty; the buyer leads it)
// or joins GroupID.
type PlaceOrder struct {
	Identity       identity.Identity
	Buyer          trade.Buyer
	CampaignID     string
	GroupID        string
	Items          []pricing.Item
	Address        order.Address
	IdempotencyKey string
	Coupons        []string
	// ExpectedTotal, if set, is the total the buyer was shown.
	ExpectedTotal *money.Amount
}

const scopePlaceOrder = "groupbuy_place_order"

// PlaceOrder places a member's trade through the core's template: in one transaction the trade
// and its orders, the stock, the buyer's units of the campaign, the member's place (a new group,
// with its deadline, or a place in GroupID, whose row is locked so that it never takes more
// members than its size) and the event. It returns the trade and the member's place.
func (f *Flow) PlaceOrder(ctx context.Context, cmd PlaceOrder) (*order.Trade, Member, error) {
	if cmd.Identity.Scenario() != Scenario {
		return nil, Member{}, fmt.Errorf("groupbuy: a %s identity", cmd.Identity.Scenario())
	}
	var m Member
	t, err := f.d.Core.PlaceOrder(ctx, trade.Order{Identity: cmd.Identity, Buyer: cmd.Buyer, Items: cmd.Items, Coupons: cmd.Coupons,
		Address: cmd.Address, Key: cmd.IdempotencyKey, Expected: cmd.ExpectedTotal,
		Terms: struct{ GroupBuy, Group string }{cmd.CampaignID, cmd.GroupID}}, scopePlaceOrder,
		func(ctx context.Context) (trade.Taking, error) { return f.take(ctx, cmd, &m) })
	if err != nil {
		return nil, Member{}, err
	}
	if m.TradeID != t.ID() { // a replay, or a concurrent request with the same key placed it
		m, err = f.d.Store.MemberOf(ctx, cmd.Identity.Tenant(), t.ID())
	}
	return t, m, err
}

// entry reads what a buyer's cart enters: the campaign, open now, and the group to join (nil
// when opening one) with the places it holds, refusing a group the buyer cannot join. The
// order's transaction checks the group again with its row locked.
func (f *Flow) entry(ctx context.Context, tenant, userID, campaignID, groupID string) (Campaign, *Group, int, error) {
	if campaignID == "" {
		return Campaign{}, nil, 0, ErrCampaignRequired
	}
	c, err := f.d.Store.Campaign(ctx, tenant, campaignID)
	if err != nil {
		return Campaign{}, nil, 0, err
	}
	now := f.d.Now()
	if c.Status == Cancelled {
		return Campaign{}, nil, 0, errkind.WithDetail(ErrCampaignCancelled, "group buy %s was cancelled", c.ID)
	}
	if !c.Open(now) {
		return Campaign{}, nil, 0, errkind.WithDetail(ErrNotOpen, "group buy %s runs from %s to %s", c.ID,
			time.UnixMilli(c.StartsAt).UTC().Format(time.RFC3339), time.UnixMilli(c.EndsAt).UTC().Format(time.RFC3339))
	}
	if groupID == "" {
		return c, nil, 0, nil
	}
	g, err := f.d.Store.Group(ctx, tenant, groupID)
	if err != nil {
		return Campaign{}, nil, 0, err
	}
	members, err := f.d.Store.Members(ctx, tenant, groupID)
	if err != nil {
		return Campaign{}, nil, 0, err
	}
	if err := joinable(&g, members, campaignID, userID, now); err != nil {
		return Campaign{}, nil, 0, err
	}
	return c, &g, holding(members), nil
}

// joinable refuses a place in g to userID, each case with its own code: another campaign's
// group, one formed, failed or past its deadline, one the buyer is in, or one full.
func joinable(g *Group, members []Member, campaignID, userID string, now time.Time) error {
	switch {
	case g.CampaignID != campaignID:
		return errkind.WithDetail(ErrGroupNotFound, "group %s is not a group of %s", g.ID, campaignID)
	case g.Status == Formed:
		return errkind.WithDetail(ErrGroupFormed, "group %s is formed", g.ID)
	case g.Status == Failed:
		return errkind.WithDetail(ErrGroupFailed, "group %s failed", g.ID)
	case !now.Before(g.ExpiresAt):
		return errkind.WithDetail(ErrGroupExpired, "group %s had until %s to fill", g.ID, g.ExpiresAt.UTC().Format(time.RFC3339))
	}
	for _, m := range members {
		if m.Holds() && m.UserID == userID {
			return errkind.WithDetail(ErrAlreadyMember, "you are in group %s", g.ID)
		}
	}
	if holding(members) >= g.Size {
		return errkind.WithDetail(ErrGroupFull, "group %s has its %d members", g.ID, g.Size)
	}
	return nil
}

// take is how the flow takes an order: the campaign prices the lines (groupbuy.price on top), the
// member pays within the unpaid window or by the group's deadline, whichever comes first, and the
// member's place is written with the trade (*m is set to it).
func (f *Flow) take(ctx context.Context, cmd PlaceOrder, m *Member) (trade.Taking, error) {
	tenant, userID := cmd.Identity.Tenant(), cmd.Buyer.UserID
	c, g, members, err := f.entry(ctx, tenant, userID, cmd.CampaignID, cmd.GroupID)
	if err != nil {
		return trade.Taking{}, err
	}
	return trade.Taking{Plan: trade.PlacePlan.Replace(f.priceStep(&c, g, members)), Place: func(ctx context.Context, d *trade.Draft) (trade.Placement, error) {
		now := d.At
		expires := now.Add(c.Formation())
		if end := time.UnixMilli(c.EndsAt); end.Before(expires) {
			expires = end
		}
		groupID := ""
		if g != nil {
			expires, groupID = g.ExpiresAt, g.ID
		} else {
			groupID = f.d.IDs.NextString("G")
		}
		var units int64
		for _, it := range d.Cart.Items {
			units += it.Quantity
		}
		due := f.d.Core.UnpaidDeadline(now, expires)
		return trade.Placement{PayDeadline: due, Timers: []trade.Timer{{Kind: TimerUnpaid, Due: due}},
			Also: func(ctx context.Context, t *order.Trade) error {
				*m = Member{Tenant: tenant, GroupID: groupID, TradeID: t.ID(), UserID: userID, Units: units, Status: Joined, Leader: g == nil,
					JoinedAt: now, UpdatedAt: now}
				return f.join(ctx, &c, g == nil, *m, expires, now)
			}}, nil
	}}, nil
}

// join writes a member's place in the order's transaction: the buyer's units of the campaign,
// and a new group (with its deadline) or a place in a group whose row is locked and checked
// again.
func (f *Flow) join(ctx context.Context, c *Campaign, open bool, m Member, expires, now time.Time) error {
	if err := f.d.Store.ClaimUnits(ctx, m.Tenant, c.ID, m.UserID, m.Units, c.PerUser); err != nil {
		return err
	}
	var g Group
	topic := TopicMemberJoined
	if open {
		g = Group{Tenant: m.Tenant, ID: m.GroupID, CampaignID: c.ID, Leader: m.UserID, Status: Forming, Size: c.GroupSize,
			VirtualFill: c.VirtualFill, ExpiresAt: expires, CreatedAt: now}
		if err := f.d.Store.CreateGroup(ctx, g); err != nil {
			return err
		}
		if err := f.d.Timers.Schedule(ctx, TimerExpire, trade.TimerRef(m.Tenant, g.ID), expires); err != nil {
			return err
		}
		topic = TopicGroupOpened
	} else {
		var err error
		if g, err = f.d.Store.LockGroup(ctx, m.Tenant, m.GroupID); err != nil {
			return err
		}
		members, err := f.d.Store.Members(ctx, m.Tenant, g.ID)
		if err != nil {
			return err
		}
		if err := joinable(&g, members, c.ID, m.UserID, now); err != nil {
			return err
		}
	}
	if err := f.d.Store.AddMember(ctx, m); err != nil {
		return err
	}
	members, err := f.d.Store.Members(ctx, m.Tenant, g.ID)
	if err != nil {
		return err
	}
	return f.emit(ctx, topic, &g, members, Event{UserID: m.UserID, TradeID: m.TradeID}, now)
}

// priceStep prices a member's cart at the campaign's prices, through groupbuy.price.
func (f *Flow) priceStep(c *Campaign, g *Group, members int) trade.Step {
	return trade.Step{Name: trade.StepPrice.Name, Run: func(core *trade.Core, ctx context.Context, d *trade.Draft) error {
		if d.Cart.Currency != "" && d.Cart.Currency != c.Currency {
			return errkind.WithDetail(pricing.ErrMixedCurrency, "group buy %s is sold in %s", c.ID, c.Currency)
		}
		ids := make([]string, len(d.Cart.Items))
		for i, it := range d.Cart.Items {
			if _, ok := c.Price(it.SKUID); !ok {
				return errkind.WithDetail(ErrSKUNotInCampaign, "sku %s is not in group buy %s", it.SKUID, c.ID)
			}
			ids[i] = it.SKUID
		}
		skus, err := f.d.Catalog.GetMany(ctx, d.Call.Identity.Tenant(), ids)
		if err != nil {
			return err
		}
		prices := make(map[string]int64, len(ids))
		for _, it := range d.Cart.Items {
			sku, ok := skus[it.SKUID]
			if !ok {
				continue // PriceAt says it does not exist
			}
			group, _ := c.Price(it.SKUID)
			in := PriceInput{GroupBuyID: c.ID, SKUID: it.SKUID, Quantity: it.Quantity, Currency: c.Currency, ListPrice: sku.Price().Minor(),
				GroupPrice: min(group, sku.Price().Minor()), GroupSize: c.GroupSize, Members: members, Leader: g == nil,
				UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel}
			out, err := PricePoint.Run(ctx, f.d.Ext, d.Call, in)
			if err != nil {
				return err
			}
			prices[it.SKUID] = out.Price
		}
		d.Cart.Currency = c.Currency
		return core.PriceAt(ctx, d, money.MustCurrency(c.Currency), func(skuID string) (int64, bool) {
			p, ok := prices[skuID]
			return p, ok
		}, "groupbuy:"+c.ID)
	}}
}
