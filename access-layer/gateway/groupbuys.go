package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// Group buying (拼团): buyers read a campaign, its joinable groups and one group, and order with
// flow "groupbuy" on the usual quote and order routes; operators put, read and cancel campaigns.

type groupBuySKUView struct {
	SkuID string `json:"skuId"`
	// Price is the group price, in minor units of the campaign's currency.
	Price int64 `json:"price"`
}

// groupBuyAdminView is a campaign as operators read and write it (minor units, unix ms).
type groupBuyAdminView struct {
	ID               string            `json:"id"`
	Name             string            `json:"name" maxLen:"320"`
	Currency         string            `json:"currency"`
	Skus             []groupBuySKUView `json:"skus"`
	GroupSize        int32             `json:"groupSize"`
	FormationSeconds int64             `json:"formationSeconds"`
	StartsAt         int64             `json:"startsAt"`
	EndsAt           int64             `json:"endsAt"`
	PerUser          int64             `json:"perUser"`
	VirtualFill      int32             `json:"virtualFill"`
	Status           string            `json:"status"`
	CreatedAt        int64             `json:"createdAt"`
	UpdatedAt        int64             `json:"updatedAt"`
	// Groups are every group of the campaign, newest first, with their members (a read only).
	Groups []groupView `json:"groups,omitempty"`
}

type groupBuyPriceView struct {
	SkuID string `json:"skuId"`
	Price Money  `json:"price"`
}

// groupBuyView is a campaign as buyers see it: prices in the channel's money format.
type groupBuyView struct {
	ID               string              `json:"id"`
	Name             string              `json:"name"`
	Currency         string              `json:"currency"`
	Skus             []groupBuyPriceView `json:"skus"`
	GroupSize        int32               `json:"groupSize"`
	FormationSeconds int64               `json:"formationSeconds"`
	StartsAt         string              `json:"startsAt"`
	EndsAt           string              `json:"endsAt"`
	PerUser          int64               `json:"perUser"`
	Status           string              `json:"status"`
}

type groupMemberView struct {
	UserID   string `json:"userId"`
	Status   string `json:"status"`
	Leader   bool   `json:"leader"`
	JoinedAt string `json:"joinedAt"`
	TradeID  string `json:"tradeId,omitempty"`
}

// groupView is one group: members hold a place (joined or paid), paid of them paid, needed more
// must pay to form it; joined says whether the caller is in it.
type groupView struct {
	GroupID    string            `json:"groupId"`
	GroupBuyID string            `json:"groupBuyId"`
	Leader     string            `json:"leader"`
	Status     string            `json:"status"`
	Size       int32             `json:"size"`
	Members    int32             `json:"members"`
	Paid       int32             `json:"paid"`
	Needed     int32             `json:"needed"`
	ExpiresAt  string            `json:"expiresAt"`
	CreatedAt  string            `json:"createdAt"`
	EndedAt    string            `json:"endedAt,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Joined     bool              `json:"joined"`
	MemberList []groupMemberView `json:"memberList"`
}

type groupPageView struct {
	Items      []groupView `json:"items"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

type cancelGroupBuyView struct {
	Campaign     groupBuyAdminView `json:"campaign"`
	GroupsFailed int32             `json:"groupsFailed"`
}

// groupBuyPlaceView is a group-buy trade's (or quote's) place in its group.
type groupBuyPlaceView struct {
	GroupBuyID   string `json:"groupBuyId"`
	GroupID      string `json:"groupId,omitempty"`
	GroupStatus  string `json:"groupStatus,omitempty"`
	MemberStatus string `json:"memberStatus,omitempty"`
	Leader       bool   `json:"leader"`
	Size         int32  `json:"size"`
	Members      int32  `json:"members"`
	Needed       int32  `json:"needed"`
	ExpiresAt    string `json:"expiresAt,omitempty"`
}

func groupBuyPlaceOf(p *trade.GroupBuyPlace) *groupBuyPlaceView {
	if p == nil {
		return nil
	}
	v := &groupBuyPlaceView{GroupBuyID: p.GroupBuyId, GroupID: p.GroupId, GroupStatus: p.GroupStatus, MemberStatus: p.MemberStatus,
		Leader: p.Leader, Size: p.Size, Members: p.Members, Needed: p.Needed}
	if p.ExpiresAt > 0 {
		v.ExpiresAt = timeOf(p.ExpiresAt)
	}
	return v
}

func (g *Gateway) groupBuyBuyerRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "GET", Path: p + "/groupbuys/:groupBuyId", Channel: ch, Auth: true, Summary: "A group-buy campaign: its SKUs at the group price, group size and time to fill",
		Response: groupBuyView{}}, g.serve(ch, g.getGroupBuy))
	g.add(route{Method: "GET", Path: p + "/groupbuys/:groupBuyId/groups", Channel: ch, Auth: true,
		Summary: "The groups of a campaign a buyer may join, newest first", Query: pageParams, Response: groupPageView{}}, g.serve(ch, g.listGroups))
	g.add(route{Method: "GET", Path: p + "/groups/:groupId", Channel: ch, Auth: true, Summary: "A group, its members (masked) and whether the caller is in it",
		Response: groupView{}}, g.serve(ch, g.getGroup))
}

func (g *Gateway) groupBuyAdminRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "PUT", Path: p + "/groupbuys/:groupBuyId", Channel: ch, Auth: true,
		Summary: "Create or replace a group-buy campaign: SKUs at their group price, group size, time to fill, window, per-buyer units, virtual fill",
		Request: groupBuyAdminView{}, Response: groupBuyAdminView{}}, g.serve(ch, g.putGroupBuy(ch)))
	g.add(route{Method: "GET", Path: p + "/groupbuys/:groupBuyId", Channel: ch, Auth: true, Summary: "A group-buy campaign with every group and member",
		Response: groupBuyAdminView{}}, g.serve(ch, g.getGroupBuyAdmin))
	g.add(route{Method: "GET", Path: p + "/groupbuys", Channel: ch, Auth: true,
		Summary: "The tenant's group-buy campaigns, newest first (by when each was created), without their groups",
		Query:   campaignListParams, Response: groupBuyPageView{}}, g.serve(ch, g.listGroupBuys))
	g.add(route{Method: "POST", Path: p + "/groupbuys/:groupBuyId/cancel", Channel: ch, Auth: true,
		Summary:  "Call a group buy off: no group opens or is joined, and every group still forming fails (paid members refunded)",
		Response: cancelGroupBuyView{}}, g.serve(ch, g.cancelGroupBuy))
}

func (g *Gateway) getGroupBuy(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.GroupBuys.GetGroupBuy(ctx, &trade.GroupBuyRef{Caller: callerOf(c), Id: c.Param("groupBuyId")})
	if err != nil {
		return 0, nil, err
	}
	v := groupBuyView{ID: resp.Id, Name: resp.Name, Currency: resp.Currency, GroupSize: resp.GroupSize, FormationSeconds: resp.FormationSeconds,
		StartsAt: timeOf(resp.StartsAt), EndsAt: timeOf(resp.EndsAt), PerUser: resp.PerUser, Status: resp.Status, Skus: []groupBuyPriceView{}}
	for _, s := range resp.Skus {
		v.Skus = append(v.Skus, groupBuyPriceView{SkuID: s.SkuId, Price: Money{Minor: s.Price, Currency: resp.Currency}})
	}
	return http.StatusOK, v, nil
}

func (g *Gateway) listGroups(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.GroupBuys.ListGroups(ctx, &trade.ListGroupsRequest{Caller: callerOf(c), GroupBuyId: c.Param("groupBuyId"),
		Limit: int32(limit), Cursor: c.Query("cursor")})
	if err != nil {
		return 0, nil, err
	}
	v := groupPageView{Items: []groupView{}, NextCursor: resp.NextCursor}
	for _, grp := range resp.Groups {
		v.Items = append(v.Items, groupOf(grp))
	}
	return http.StatusOK, v, nil
}

func (g *Gateway) getGroup(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.GroupBuys.GetGroup(ctx, &trade.GroupBuyRef{Caller: callerOf(c), Id: c.Param("groupId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, groupOf(resp), nil
}

func (g *Gateway) putGroupBuy(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var v groupBuyAdminView
		if err := ch.decode(c.Request.Body(), &v); err != nil {
			return 0, nil, err
		}
		req := &trade.GroupBuyCampaign{Id: c.Param("groupBuyId"), Name: v.Name, Currency: v.Currency, GroupSize: v.GroupSize,
			FormationSeconds: v.FormationSeconds, StartsAt: v.StartsAt, EndsAt: v.EndsAt, PerUser: v.PerUser, VirtualFill: v.VirtualFill}
		for _, s := range v.Skus {
			req.Skus = append(req.Skus, &trade.GroupBuySKU{SkuId: s.SkuID, Price: s.Price})
		}
		resp, err := g.rpc.GroupBuys.PutGroupBuy(ctx, &trade.PutGroupBuyRequest{Caller: callerOf(c), Campaign: req})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, groupBuyAdminOf(resp), nil
	}
}

func (g *Gateway) getGroupBuyAdmin(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.GroupBuys.GetGroupBuy(ctx, &trade.GroupBuyRef{Caller: callerOf(c), Id: c.Param("groupBuyId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, groupBuyAdminOf(resp), nil
}

// groupBuyPageView is a page of the tenant's group-buy campaigns.
type groupBuyPageView struct {
	Items      []groupBuyAdminView `json:"items"`
	NextCursor string              `json:"nextCursor,omitempty"`
}

func (g *Gateway) listGroupBuys(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.GroupBuys.ListGroupBuys(ctx, &trade.ListCampaignsRequest{Caller: callerOf(c), Status: c.Query("status"),
		Limit: int32(limit), Cursor: c.Query("cursor")})
	if err != nil {
		return 0, nil, err
	}
	page := groupBuyPageView{Items: []groupBuyAdminView{}, NextCursor: resp.NextCursor}
	for _, d := range resp.Campaigns {
		page.Items = append(page.Items, groupBuyAdminOf(d))
	}
	return http.StatusOK, page, nil
}

func (g *Gateway) cancelGroupBuy(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.GroupBuys.CancelGroupBuy(ctx, &trade.GroupBuyRef{Caller: callerOf(c), Id: c.Param("groupBuyId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, cancelGroupBuyView{Campaign: groupBuyAdminOf(resp.Campaign), GroupsFailed: resp.GroupsFailed}, nil
}

func groupBuyAdminOf(p *trade.GroupBuyCampaign) groupBuyAdminView {
	v := groupBuyAdminView{ID: p.Id, Name: p.Name, Currency: p.Currency, GroupSize: p.GroupSize, FormationSeconds: p.FormationSeconds,
		StartsAt: p.StartsAt, EndsAt: p.EndsAt, PerUser: p.PerUser, VirtualFill: p.VirtualFill, Status: p.Status, CreatedAt: p.CreatedAt,
		UpdatedAt: p.UpdatedAt, Skus: []groupBuySKUView{}}
	for _, s := range p.Skus {
		v.Skus = append(v.Skus, groupBuySKUView{SkuID: s.SkuId, Price: s.Price})
	}
	if p.Groups != nil {
		v.Groups = []groupView{}
		for _, grp := range p.Groups {
			v.Groups = append(v.Groups, groupOf(grp))
		}
	}
	return v
}

func groupOf(grp *trade.GroupBuyGroup) groupView {
	v := groupView{GroupID: grp.GroupId, GroupBuyID: grp.GroupBuyId, Leader: grp.Leader, Status: grp.Status, Size: grp.Size, Members: grp.Members,
		Paid: grp.Paid, Needed: grp.Needed, ExpiresAt: timeOf(grp.ExpiresAt), CreatedAt: timeOf(grp.CreatedAt), EndedAt: timeOf(grp.EndedAt),
		Reason: grp.Reason, Joined: grp.Joined, MemberList: []groupMemberView{}}
	for _, m := range grp.MemberList {
		v.MemberList = append(v.MemberList, groupMemberView{UserID: m.UserId, Status: m.Status, Leader: m.Leader, JoinedAt: timeOf(m.JoinedAt),
			TradeID: m.TradeId})
	}
	return v
}

// groupBuyErrors are group buying's codes (580xx).
var groupBuyErrors = []ErrorSpec{
	{"groupbuy.invalid_campaign", http.StatusBadRequest, 58001},
	{"groupbuy.campaign_not_found", http.StatusNotFound, 58002},
	{"groupbuy.campaign_required", http.StatusBadRequest, 58003},
	{"groupbuy.campaign_cancelled", http.StatusConflict, 58004},
	{"groupbuy.not_open", http.StatusConflict, 58005},
	{"groupbuy.sku_not_in_campaign", http.StatusBadRequest, 58006},
	{"groupbuy.group_not_found", http.StatusNotFound, 58007},
	{"groupbuy.group_full", http.StatusConflict, 58008},
	{"groupbuy.group_formed", http.StatusConflict, 58009},
	{"groupbuy.group_failed", http.StatusConflict, 58010},
	{"groupbuy.group_expired", http.StatusConflict, 58011},
	{"groupbuy.already_member", http.StatusConflict, 58012},
	{"groupbuy.per_user_limit", http.StatusConflict, 58013},
	{"groupbuy.not_formed", http.StatusConflict, 58014},
	{"groupbuy.trade_not_found", http.StatusNotFound, 58015},
	{"groupbuy.invalid_cursor", http.StatusBadRequest, 58016},
}
