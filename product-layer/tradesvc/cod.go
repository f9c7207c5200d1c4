package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/cod"
)

// PutCodRules implements its service.
func (h *CodAdmin) PutCodRules(ctx context.Context, req *trade.PutCodRulesRequest) (*trade.CodRules, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	d := req.Rules
	if d == nil {
		return nil, errkind.WithDetail(cod.ErrInvalidRules, "rules are required")
	}
	r := cod.Rules{Enabled: d.Enabled, MaxAmount: d.MaxAmount, Currency: d.Currency, ExcludedTags: d.ExcludedTags,
		MaxRefusals: d.MaxRefusals, RefusalWindowDays: d.RefusalWindowDays}
	for i, g := range d.Regions {
		if g == nil {
			return nil, errkind.WithDetail(cod.ErrInvalidRules, "regions[%d] is empty", i)
		}
		r.Regions = append(r.Regions, cod.Region{Country: g.Country, Province: g.Province, City: g.City, ProvinceCode: g.ProvinceCode,
			CityCode: g.CityCode})
	}
	stored, err := h.codRules.Put(ctx, cl.tenant, r)
	if err != nil {
		return nil, err
	}
	return codRulesDTO(stored), nil
}

// GetCodRules implements its service.
func (h *CodAdmin) GetCodRules(ctx context.Context, req *trade.GetCodRulesRequest) (*trade.CodRules, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	r, err := h.codRules.Get(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	return codRulesDTO(r), nil
}

func codRulesDTO(r cod.Rules) *trade.CodRules {
	dto := &trade.CodRules{Enabled: r.Enabled, MaxAmount: r.MaxAmount, Currency: r.Currency, ExcludedTags: r.ExcludedTags,
		MaxRefusals: r.MaxRefusals, RefusalWindowDays: r.RefusalWindowDays, UpdatedAt: r.UpdatedAt, Regions: []*trade.CodRegion{}}
	if dto.ExcludedTags == nil {
		dto.ExcludedTags = []string{}
	}
	for _, g := range r.Regions {
		dto.Regions = append(dto.Regions, &trade.CodRegion{Country: g.Country, Province: g.Province, City: g.City,
			ProvinceCode: g.ProvinceCode, CityCode: g.CityCode})
	}
	return dto
}

// codAvailabilityDTO says whether COD is offered; ineligible is the reason it is not (nil: it is).
func codAvailabilityDTO(ineligible error) *trade.CodAvailability {
	if ineligible == nil {
		return &trade.CodAvailability{Available: true}
	}
	e, msg := errkind.Describe(ineligible)
	return &trade.CodAvailability{Reason: e.Code(), Message: msg}
}
