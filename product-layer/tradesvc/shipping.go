package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// PutShippingTemplate implements its service.
func (h *DeliveryAdmin) PutShippingTemplate(ctx context.Context, req *trade.PutShippingTemplateRequest) (*trade.ShippingTemplate, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if h.delivery == nil {
		return nil, delivery.ErrDisabled
	}
	in := req.Template
	if in == nil {
		return nil, errkind.WithDetail(delivery.ErrInvalidTemplate, "template is required")
	}
	tmpl := delivery.Template{SellerID: in.SellerId, Currency: in.Currency, Fee: in.Fee, FreeOver: in.FreeOver}
	for i, r := range in.Regions {
		if r == nil {
			return nil, errkind.WithDetail(delivery.ErrInvalidTemplate, "regions[%d] is empty", i)
		}
		rule := delivery.RegionRule{Fee: r.Fee, FreeOver: r.FreeOver, NoDelivery: r.NoDelivery}
		for _, g := range r.Regions {
			rule.Regions = append(rule.Regions, placeOf(g))
		}
		tmpl.Regions = append(tmpl.Regions, rule)
	}
	t, err := h.delivery.Put(ctx, cl.tenant, tmpl)
	if err != nil {
		return nil, err
	}
	return templateDTO(t), nil
}

// ListShippingTemplates implements its service.
func (h *DeliveryAdmin) ListShippingTemplates(ctx context.Context, req *trade.ListShippingTemplatesRequest) (*trade.ListShippingTemplatesResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if h.delivery == nil {
		return nil, delivery.ErrDisabled
	}
	ts, err := h.delivery.Templates(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListShippingTemplatesResponse{Templates: []*trade.ShippingTemplate{}}
	for _, t := range ts {
		resp.Templates = append(resp.Templates, templateDTO(t))
	}
	return resp, nil
}

func templateDTO(t delivery.Template) *trade.ShippingTemplate {
	dto := &trade.ShippingTemplate{SellerId: t.SellerID, Currency: t.Currency, Fee: t.Fee, FreeOver: t.FreeOver,
		Regions: []*trade.ShippingRegionRule{}}
	for _, r := range t.Regions {
		rule := &trade.ShippingRegionRule{Fee: r.Fee, FreeOver: r.FreeOver, NoDelivery: r.NoDelivery, Regions: []*trade.Region{}}
		for _, p := range r.Regions {
			rule.Regions = append(rule.Regions, regionDTO(p))
		}
		dto.Regions = append(dto.Regions, rule)
	}
	return dto
}

// placeOf is a place as the IDL's Region carries it (nil: none).
func placeOf(r *trade.Region) address.Place {
	if r == nil {
		return address.Place{}
	}
	return address.Place{Country: r.Country, Province: r.Province, City: r.City, District: r.District,
		ProvinceCode: r.ProvinceCode, CityCode: r.CityCode, DistrictCode: r.DistrictCode}
}

func regionDTO(p address.Place) *trade.Region {
	return &trade.Region{Country: p.Country, Province: p.Province, City: p.City, District: p.District,
		ProvinceCode: p.ProvinceCode, CityCode: p.CityCode, DistrictCode: p.DistrictCode}
}
