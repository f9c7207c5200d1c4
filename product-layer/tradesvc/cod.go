package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/cod"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
)

// PutCodRules implements its service.
func (h *CodAdmin) PutCodRules(ctx context.Context, req *trade.PutCodRulesRequest) (*trade.CodRules, error) {
	cl, err := asAdmin(req.Caller)
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
	cl, err := asAdmin(req.Caller)
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

// codFace takes cash-on-delivery carts: a quote says whether COD is offered for the cart at its
// destination, and why not.
type codFace struct{ flow *cod.Flow }

// CODFace is the cash-on-delivery flow's part of the intake.
func CODFace(f *cod.Flow) Face { return codFace{f} }

func (codFace) Scenario() identity.Scenario { return cod.Scenario }

func (x codFace) quote(ctx context.Context, in intake, _ *trade.QuoteRequest) (*trade.QuoteResponse, error) {
	cq, err := x.flow.Quote(ctx, in.ident, in.buyer, in.dest, in.cart)
	if err != nil {
		return nil, err
	}
	q, err := fixedprice.QuoteOf(cq.Draft)
	if err != nil {
		return nil, err
	}
	resp := quoteDTO(q)
	resp.Cod = codAvailabilityDTO(cq.Ineligible)
	return resp, nil
}

func (x codFace) place(ctx context.Context, in intake, _ *trade.PlaceOrderRequest) (*trade.Trade, error) {
	t, err := x.flow.PlaceOrder(ctx, cod.PlaceOrder{Identity: in.ident, Buyer: in.buyer, Items: in.cart.Items, ExpectedTotal: in.expected,
		Address: in.addr, IdempotencyKey: in.key, Coupons: in.cart.Coupons, Currency: in.cart.Currency})
	if err != nil {
		return nil, err
	}
	return in.placed(ctx, t, nil)
}
