package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

func (h *LimitsAdmin) limitsAdmin(c *trade.Caller) (caller, error) {
	cl, err := asAdmin(c)
	if err == nil && h.limits == nil {
		err = limits.ErrDisabled
	}
	return cl, err
}

// PutLimitRule implements its service.
func (h *LimitsAdmin) PutLimitRule(ctx context.Context, req *trade.PutLimitRuleRequest) (*trade.LimitRule, error) {
	cl, err := h.limitsAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	d := req.Rule
	if d == nil {
		return nil, errkind.WithDetail(limits.ErrInvalidRule, "rule is required")
	}
	r, err := h.limits.PutRule(ctx, cl.tenant, limits.Rule{ID: d.Id, Name: d.Name, Kind: limits.Kind(d.Kind), SKUs: d.Skus,
		Categories: d.Categories, Period: limits.Period(d.Period), Unit: limits.Unit(d.Unit), Max: d.Max, StartsAt: d.StartsAt,
		EndsAt: d.EndsAt, Timezone: d.Timezone, Disabled: d.Disabled})
	if err != nil {
		return nil, err
	}
	return limitRuleDTO(r), nil
}

// GetLimitRule implements its service.
func (h *LimitsAdmin) GetLimitRule(ctx context.Context, req *trade.LimitRuleRef) (*trade.LimitRule, error) {
	cl, err := h.limitsAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	r, err := h.limits.Rule(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	return limitRuleDTO(r), nil
}

// ListLimitRules implements its service.
func (h *LimitsAdmin) ListLimitRules(ctx context.Context, req *trade.ListLimitRulesRequest) (*trade.ListLimitRulesResponse, error) {
	cl, err := h.limitsAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	rs, err := h.limits.Rules(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListLimitRulesResponse{Rules: []*trade.LimitRule{}}
	for _, r := range rs {
		resp.Rules = append(resp.Rules, limitRuleDTO(r))
	}
	return resp, nil
}

func limitRuleDTO(r limits.Rule) *trade.LimitRule {
	return &trade.LimitRule{Id: r.ID, Name: r.Name, Kind: string(r.Kind), Skus: r.SKUs, Categories: r.Categories,
		Period: string(r.Period), Unit: string(r.Unit), Max: r.Max, StartsAt: r.StartsAt, EndsAt: r.EndsAt,
		Timezone: r.Timezone, Disabled: r.Disabled}
}
