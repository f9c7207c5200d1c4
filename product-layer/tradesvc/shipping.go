package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// PutShippingTemplate implements its service.
func (h *DeliveryAdmin) PutShippingTemplate(ctx context.Context, req *trade.PutShippingTemplateRequest) (*trade.ShippingTemplate, error) {
	cl, err := h.admin(req.Caller)
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
	t, err := h.delivery.Put(ctx, cl.tenant, delivery.Template{SellerID: in.SellerId, Currency: in.Currency, Fee: in.Fee, FreeOver: in.FreeOver})
	if err != nil {
		return nil, err
	}
	return templateDTO(t), nil
}

// ListShippingTemplates implements its service.
func (h *DeliveryAdmin) ListShippingTemplates(ctx context.Context, req *trade.ListShippingTemplatesRequest) (*trade.ListShippingTemplatesResponse, error) {
	cl, err := h.admin(req.Caller)
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
	return &trade.ShippingTemplate{SellerId: t.SellerID, Currency: t.Currency, Fee: t.Fee, FreeOver: t.FreeOver}
}
