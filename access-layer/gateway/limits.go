package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

type limitRuleView struct {
	ID         string   `json:"id"`
	Name       string   `json:"name" maxLen:"320"`
	Kind       string   `json:"kind"`
	Skus       []string `json:"skus"`
	Categories []string `json:"categories"`
	Period     string   `json:"period"`
	Unit       string   `json:"unit"`
	Max        int64    `json:"max"`
	StartsAt   int64    `json:"startsAt"`
	EndsAt     int64    `json:"endsAt"`
	Timezone   string   `json:"timezone"`
	Disabled   bool     `json:"disabled"`
}

func (g *Gateway) limitRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "PUT", Path: p + "/limits/:ruleId", Channel: ch, Auth: true,
		Summary: "Create or replace a purchase limit (per_order, per_user, per_address, first_order)",
		Request: limitRuleView{}, Response: trade.LimitRule{}}, g.serve(ch, g.putLimitRule(ch)))
	g.add(route{Method: "GET", Path: p + "/limits/:ruleId", Channel: ch, Auth: true, Summary: "Get a purchase limit",
		Response: trade.LimitRule{}}, g.serve(ch, g.getLimitRule))
	g.add(route{Method: "GET", Path: p + "/limits", Channel: ch, Auth: true, Summary: "List the tenant's purchase limits",
		Response: []trade.LimitRule{}}, g.serve(ch, g.listLimitRules))
}

func (g *Gateway) putLimitRule(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var v limitRuleView
		if err := ch.decode(c.Request.Body(), &v); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Limits.PutLimitRule(ctx, &trade.PutLimitRuleRequest{Caller: callerOf(c), Rule: &trade.LimitRule{
			Id: c.Param("ruleId"), Name: v.Name, Kind: v.Kind, Skus: v.Skus, Categories: v.Categories, Period: v.Period,
			Unit: v.Unit, Max: v.Max, StartsAt: v.StartsAt, EndsAt: v.EndsAt, Timezone: v.Timezone, Disabled: v.Disabled}})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, limitRuleOf(resp), nil
	}
}

func (g *Gateway) getLimitRule(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Limits.GetLimitRule(ctx, &trade.LimitRuleRef{Caller: callerOf(c), Id: c.Param("ruleId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, limitRuleOf(resp), nil
}

func (g *Gateway) listLimitRules(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Limits.ListLimitRules(ctx, &trade.ListLimitRulesRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	out := []*trade.LimitRule{}
	for _, r := range resp.Rules {
		out = append(out, limitRuleOf(r))
	}
	return http.StatusOK, out, nil
}

// limitRuleOf is a rule as every channel shows it: the wire's struct, rendered as it is (lists
// never null).
func limitRuleOf(r *trade.LimitRule) *trade.LimitRule {
	r.Skus, r.Categories = nonNil(r.Skus), nonNil(r.Categories)
	return r
}
