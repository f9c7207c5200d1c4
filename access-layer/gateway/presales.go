package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

type presaleSKUView struct {
	SkuID         string `json:"skuId"`
	Price         int64  `json:"price"`
	Deposit       int64  `json:"deposit"`
	DepositCredit int64  `json:"depositCredit"`
}

// presaleView is a pre-sale campaign as operators read and write it (minor units, unix ms).
type presaleView struct {
	ID                string           `json:"id"`
	Name              string           `json:"name" maxLen:"320"`
	Currency          string           `json:"currency"`
	Skus              []presaleSKUView `json:"skus"`
	DepositStartsAt   int64            `json:"depositStartsAt"`
	DepositEndsAt     int64            `json:"depositEndsAt"`
	BalanceStartsAt   int64            `json:"balanceStartsAt"`
	BalanceEndsAt     int64            `json:"balanceEndsAt"`
	PerUser           int64            `json:"perUser"`
	DepositRefundable bool             `json:"depositRefundable"`
	Status            string           `json:"status"`
	UpdatedAt         int64            `json:"updatedAt"`
}

func (g *Gateway) presaleRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "PUT", Path: p + "/presales/:presaleId", Channel: ch, Auth: true,
		Summary: "Create or replace a pre-sale campaign: SKUs with price, deposit and deposit credit; the deposit and balance windows",
		Request: presaleView{}, Response: presaleView{}}, g.serve(ch, g.putPresale(ch)))
	g.add(route{Method: "GET", Path: p + "/presales/:presaleId", Channel: ch, Auth: true, Summary: "Get a pre-sale campaign",
		Response: presaleView{}}, g.serve(ch, g.getPresale))
	g.add(route{Method: "GET", Path: p + "/presales", Channel: ch, Auth: true,
		Summary: "The tenant's pre-sale campaigns, newest first (by when each was created)",
		Query:   campaignListParams, Response: presalePageView{}}, g.serve(ch, g.listPresales))
	g.add(route{Method: "POST", Path: p + "/presales/:presaleId/cancel", Channel: ch, Auth: true,
		Summary:  "Call a pre-sale off: its trades that have not shipped end, and every deposit and balance paid is refunded",
		Response: cancelPresaleView{}}, g.serve(ch, g.cancelPresale))
}

// campaignListParams are the query of a list of campaigns (pre-sale, group buy).
var campaignListParams = append([]queryParam{{Name: "status", Description: "only campaigns in this status: active or cancelled"}}, pageParams...)

// presalePageView is a page of the tenant's pre-sale campaigns.
type presalePageView struct {
	Items      []presaleView `json:"items"`
	NextCursor string        `json:"nextCursor,omitempty"`
}

func (g *Gateway) listPresales(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.Presales.ListPresales(ctx, &trade.ListCampaignsRequest{Caller: callerOf(c), Status: c.Query("status"),
		Limit: int32(limit), Cursor: c.Query("cursor")})
	if err != nil {
		return 0, nil, err
	}
	page := presalePageView{Items: []presaleView{}, NextCursor: resp.NextCursor}
	for _, d := range resp.Campaigns {
		page.Items = append(page.Items, presaleOf(d))
	}
	return http.StatusOK, page, nil
}

type cancelPresaleView struct {
	Campaign    presaleView `json:"campaign"`
	TradesEnded int32       `json:"tradesEnded"`
}

func (g *Gateway) cancelPresale(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Presales.CancelPresale(ctx, &trade.PresaleRef{Caller: callerOf(c), Id: c.Param("presaleId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, cancelPresaleView{Campaign: presaleOf(resp.Campaign), TradesEnded: resp.TradesEnded}, nil
}

func (g *Gateway) putPresale(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var v presaleView
		if err := ch.decode(c.Request.Body(), &v); err != nil {
			return 0, nil, err
		}
		req := &trade.PresaleCampaign{Id: c.Param("presaleId"), Name: v.Name, Currency: v.Currency, DepositStartsAt: v.DepositStartsAt,
			DepositEndsAt: v.DepositEndsAt, BalanceStartsAt: v.BalanceStartsAt, BalanceEndsAt: v.BalanceEndsAt, PerUser: v.PerUser,
			DepositRefundable: v.DepositRefundable}
		for _, s := range v.Skus {
			req.Skus = append(req.Skus, &trade.PresaleSKU{SkuId: s.SkuID, Price: s.Price, Deposit: s.Deposit, DepositCredit: s.DepositCredit})
		}
		resp, err := g.rpc.Presales.PutPresale(ctx, &trade.PutPresaleRequest{Caller: callerOf(c), Campaign: req})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, presaleOf(resp), nil
	}
}

func (g *Gateway) getPresale(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Presales.GetPresale(ctx, &trade.PresaleRef{Caller: callerOf(c), Id: c.Param("presaleId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, presaleOf(resp), nil
}

func presaleOf(p *trade.PresaleCampaign) presaleView {
	v := presaleView{ID: p.Id, Name: p.Name, Currency: p.Currency, DepositStartsAt: p.DepositStartsAt, DepositEndsAt: p.DepositEndsAt,
		BalanceStartsAt: p.BalanceStartsAt, BalanceEndsAt: p.BalanceEndsAt, PerUser: p.PerUser, DepositRefundable: p.DepositRefundable,
		Status: p.Status, UpdatedAt: p.UpdatedAt, Skus: []presaleSKUView{}}
	for _, s := range p.Skus {
		v.Skus = append(v.Skus, presaleSKUView{SkuID: s.SkuId, Price: s.Price, Deposit: s.Deposit, DepositCredit: s.DepositCredit})
	}
	return v
}
