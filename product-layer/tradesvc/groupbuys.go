package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
	"github.com/atriumtrade/atrium/product-layer/groupbuy"
	tradecore "github.com/atriumtrade/atrium/product-layer/trade"
)

// GroupBuys is the group-buying flow's face: its part of the intake (a cart opens or joins a
// group: groupBuyId, groupId) and its own service (GroupBuys: campaigns and groups).
type GroupBuys struct {
	*views
	flow *groupbuy.Flow
}

var _ trade.GroupBuys = (*GroupBuys)(nil)

// GroupBuyFace is the group-buying flow's face.
func GroupBuyFace(f *groupbuy.Flow) *GroupBuys { return &GroupBuys{flow: f} }

// GroupBuysOf is the handler of the GroupBuys service: the group-buying face the handlers hold.
func GroupBuysOf(s *Services) trade.GroupBuys {
	f, _ := s.Face(groupbuy.Scenario)
	return f.(*GroupBuys)
}

func (x *GroupBuys) bind(v *views) { x.views = v }

// Scenario implements Face.
func (x *GroupBuys) Scenario() identity.Scenario { return groupbuy.Scenario }

func (x *GroupBuys) quote(ctx context.Context, in intake, req *trade.QuoteRequest) (*trade.QuoteResponse, error) {
	gq, err := x.flow.Quote(ctx, in.ident, in.buyer, in.dest, req.GroupBuyId, req.GroupId, in.cart)
	if err != nil {
		return nil, err
	}
	q, err := fixedprice.QuoteOf(gq.Draft)
	if err != nil {
		return nil, err
	}
	resp := quoteDTO(q)
	resp.GroupBuy = &trade.GroupBuyPlace{GroupBuyId: req.GroupBuyId, Leader: gq.Group == nil}
	if g := gq.Group; g != nil {
		resp.GroupBuy.GroupId, resp.GroupBuy.GroupStatus, resp.GroupBuy.Size = g.ID, g.Status, int32(g.Size)
		resp.GroupBuy.Members, resp.GroupBuy.ExpiresAt = int32(gq.Members), g.ExpiresAt.UnixMilli()
	}
	return resp, nil
}

func (x *GroupBuys) place(ctx context.Context, in intake, req *trade.PlaceOrderRequest) (*trade.Trade, error) {
	t, _, err := x.flow.PlaceOrder(ctx, groupbuy.PlaceOrder{Identity: in.ident, Buyer: in.buyer, CampaignID: req.GroupBuyId, GroupID: req.GroupId,
		Items: in.cart.Items, Address: in.addr, IdempotencyKey: in.key, Coupons: in.cart.Coupons, ExpectedTotal: in.expected})
	if err != nil {
		return nil, err
	}
	dto, err := in.placed(ctx, t, nil)
	if err != nil {
		return nil, err
	}
	if dto.GroupBuy == nil {
		if err := x.view(ctx, in.cl, dto, t); err != nil {
			return nil, err
		}
	}
	return dto, nil
}

// view implements viewer: a group-buy trade shows its place in its group.
func (x *GroupBuys) view(ctx context.Context, cl caller, dto *trade.Trade, t *order.Trade) error {
	m, v, err := x.flow.MemberOf(ctx, cl.tenant, cl.actor(), t.ID())
	if err != nil {
		return err
	}
	g := v.Group
	dto.GroupBuy = &trade.GroupBuyPlace{GroupBuyId: g.CampaignID, GroupId: g.ID, GroupStatus: g.Status, MemberStatus: m.Status, Leader: m.Leader,
		Size: int32(g.Size), Members: int32(v.Active), Needed: int32(v.Needed), ExpiresAt: g.ExpiresAt.UnixMilli()}
	return nil
}

// GetGroupBuy implements trade.GroupBuys: a buyer reads the campaign; an operator reads it with
// every group and member.
func (x *GroupBuys) GetGroupBuy(ctx context.Context, req *trade.GroupBuyRef) (*trade.GroupBuyCampaign, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	c, err := x.flow.Campaign(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	dto := groupBuyDTO(c)
	if cl.role != RoleAdmin {
		return dto, nil
	}
	dto.Groups = []*trade.GroupBuyGroup{}
	cursor := ""
	for {
		vs, next, err := x.flow.Groups(ctx, cl.tenant, req.Id, false, 100, cursor)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			dto.Groups = append(dto.Groups, groupDTO(v, cl))
		}
		if next == "" {
			return dto, nil
		}
		cursor = next
	}
}

// ListGroupBuys implements trade.GroupBuys: the tenant's campaigns, for its operators.
func (x *GroupBuys) ListGroupBuys(ctx context.Context, req *trade.ListCampaignsRequest) (*trade.ListGroupBuysResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	limit, err := tradecore.PageSize(int(req.Limit))
	if err != nil {
		return nil, err
	}
	cs, next, err := x.flow.Campaigns(ctx, cl.tenant, req.Status, limit, req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListGroupBuysResponse{Campaigns: []*trade.GroupBuyCampaign{}, NextCursor: next}
	for _, c := range cs {
		resp.Campaigns = append(resp.Campaigns, groupBuyDTO(c))
	}
	return resp, nil
}

// ListGroups implements trade.GroupBuys: the groups a buyer may still join, newest first.
func (x *GroupBuys) ListGroups(ctx context.Context, req *trade.ListGroupsRequest) (*trade.ListGroupsResponse, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	vs, next, err := x.flow.Groups(ctx, cl.tenant, req.GroupBuyId, cl.role != RoleAdmin, int(req.Limit), req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListGroupsResponse{Groups: []*trade.GroupBuyGroup{}, NextCursor: next}
	for _, v := range vs {
		resp.Groups = append(resp.Groups, groupDTO(v, cl))
	}
	return resp, nil
}

// GetGroup implements trade.GroupBuys: one group, and whether the caller is in it.
func (x *GroupBuys) GetGroup(ctx context.Context, req *trade.GroupBuyRef) (*trade.GroupBuyGroup, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	v, err := x.flow.Group(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	return groupDTO(v, cl), nil
}

// PutGroupBuy implements trade.GroupBuys.
func (x *GroupBuys) PutGroupBuy(ctx context.Context, req *trade.PutGroupBuyRequest) (*trade.GroupBuyCampaign, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	in := req.GetCampaign()
	if in == nil {
		in = &trade.GroupBuyCampaign{}
	}
	c := groupbuy.Campaign{ID: in.Id, Name: in.Name, Currency: in.Currency, GroupSize: int(in.GroupSize), FormationSeconds: in.FormationSeconds,
		StartsAt: in.StartsAt, EndsAt: in.EndsAt, PerUser: in.PerUser, VirtualFill: int(in.VirtualFill)}
	for _, s := range in.Skus {
		if s != nil {
			c.SKUs = append(c.SKUs, groupbuy.SKU{SKUID: s.SkuId, Price: s.Price})
		}
	}
	if c, err = x.flow.PutCampaign(ctx, cl.tenant, c); err != nil {
		return nil, err
	}
	return groupBuyDTO(c), nil
}

// CancelGroupBuy implements trade.GroupBuys.
func (x *GroupBuys) CancelGroupBuy(ctx context.Context, req *trade.GroupBuyRef) (*trade.CancelGroupBuyResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	c, n, err := x.flow.CancelCampaign(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	return &trade.CancelGroupBuyResponse{Campaign: groupBuyDTO(c), GroupsFailed: int32(n)}, nil
}

func groupBuyDTO(c groupbuy.Campaign) *trade.GroupBuyCampaign {
	dto := &trade.GroupBuyCampaign{Id: c.ID, Name: c.Name, Currency: c.Currency, GroupSize: int32(c.GroupSize), FormationSeconds: c.FormationSeconds,
		StartsAt: c.StartsAt, EndsAt: c.EndsAt, PerUser: c.PerUser, VirtualFill: int32(c.VirtualFill), Status: c.Status, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, Skus: []*trade.GroupBuySKU{}}
	for _, s := range c.SKUs {
		dto.Skus = append(dto.Skus, &trade.GroupBuySKU{SkuId: s.SKUID, Price: s.Price})
	}
	return dto
}

// groupDTO is a group as cl sees it: an operator sees its members and their trades; a buyer
// sees them masked, and whether they are in it.
func groupDTO(v groupbuy.GroupView, cl caller) *trade.GroupBuyGroup {
	g := v.Group
	operator := cl.role == RoleAdmin
	show := func(user string) string {
		if operator || user == cl.userID {
			return user
		}
		return mask(user)
	}
	dto := &trade.GroupBuyGroup{GroupId: g.ID, GroupBuyId: g.CampaignID, Leader: show(g.Leader), Status: g.Status, Size: int32(g.Size),
		Members: int32(v.Active), Paid: int32(v.Paid), Needed: int32(v.Needed), ExpiresAt: g.ExpiresAt.UnixMilli(), CreatedAt: millis(g.CreatedAt),
		EndedAt: millis(g.EndedAt), Reason: g.Reason, MemberList: []*trade.GroupBuyMember{}}
	for _, m := range v.Members {
		if m.Holds() && m.UserID == cl.userID && !operator {
			dto.Joined = true
		}
		if !operator && !m.Holds() && m.Status != groupbuy.Refunded {
			continue // a buyer sees who is in the group, not who left it
		}
		mv := &trade.GroupBuyMember{UserId: show(m.UserID), Status: m.Status, Leader: m.Leader, JoinedAt: millis(m.JoinedAt)}
		if operator {
			mv.TradeId = m.TradeID
		}
		dto.MemberList = append(dto.MemberList, mv)
	}
	return dto
}
