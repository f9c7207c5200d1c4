package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// codRegionView is a province, or a city of it: named (in full, short, in pinyin) or by GB/T 2260
// code; the stored rules carry both.
type codRegionView struct {
	Country      string `json:"country,omitempty"`
	Province     string `json:"province"`
	City         string `json:"city,omitempty"`
	ProvinceCode string `json:"provinceCode,omitempty"`
	CityCode     string `json:"cityCode,omitempty"`
}

// codRulesView is a tenant's cash-on-delivery rules as operators read and write them (minor units).
type codRulesView struct {
	Enabled bool `json:"enabled"`
	// MaxAmount caps what one trade collects at the door; 0 is no cap.
	MaxAmount int64  `json:"maxAmount"`
	Currency  string `json:"currency"`
	// Regions are where COD is offered (a province, or a city of it); none is everywhere.
	Regions      []codRegionView `json:"regions"`
	ExcludedTags []string        `json:"excludedTags"`
	// MaxRefusals: a buyer with more refused deliveries inside the window is not offered COD;
	// leave it out for no limit.
	MaxRefusals       *int64 `json:"maxRefusals,omitempty"`
	RefusalWindowDays int64  `json:"refusalWindowDays"`
	UpdatedAt         int64  `json:"updatedAt"`
}

func (g *Gateway) codRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "PUT", Path: p + "/cod-rules", Channel: ch, Auth: true,
		Summary: "Set the tenant's cash-on-delivery rules: on or off, the most collected per trade, regions, excluded SKU tags, refusals allowed",
		Request: codRulesView{}, Response: codRulesView{}}, g.serve(ch, g.putCodRules(ch)))
	g.add(route{Method: "GET", Path: p + "/cod-rules", Channel: ch, Auth: true, Summary: "Get the tenant's cash-on-delivery rules",
		Response: codRulesView{}}, g.serve(ch, g.getCodRules))
}

func (g *Gateway) putCodRules(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var v codRulesView
		if err := ch.decode(c.Request.Body(), &v); err != nil {
			return 0, nil, err
		}
		r := &trade.CodRules{Enabled: v.Enabled, MaxAmount: v.MaxAmount, Currency: v.Currency, ExcludedTags: v.ExcludedTags,
			MaxRefusals: v.MaxRefusals, RefusalWindowDays: v.RefusalWindowDays}
		for _, rg := range v.Regions {
			r.Regions = append(r.Regions, &trade.CodRegion{Country: rg.Country, Province: rg.Province, City: rg.City,
				ProvinceCode: rg.ProvinceCode, CityCode: rg.CityCode})
		}
		resp, err := g.rpc.CodRules.PutCodRules(ctx, &trade.PutCodRulesRequest{Caller: callerOf(c), Rules: r})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, codRulesOf(resp), nil
	}
}

func (g *Gateway) getCodRules(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.CodRules.GetCodRules(ctx, &trade.GetCodRulesRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, codRulesOf(resp), nil
}

func codRulesOf(r *trade.CodRules) codRulesView {
	v := codRulesView{Enabled: r.Enabled, MaxAmount: r.MaxAmount, Currency: r.Currency, ExcludedTags: r.ExcludedTags,
		MaxRefusals: r.MaxRefusals, RefusalWindowDays: r.RefusalWindowDays, UpdatedAt: r.UpdatedAt, Regions: []codRegionView{}}
	if v.ExcludedTags == nil {
		v.ExcludedTags = []string{}
	}
	for _, rg := range r.Regions {
		v.Regions = append(v.Regions, codRegionView{Country: rg.Country, Province: rg.Province, City: rg.City,
			ProvinceCode: rg.ProvinceCode, CityCode: rg.CityCode})
	}
	return v
}
