package tradesvc

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// PutPriceList implements its service.
func (h *PricingAdmin) PutPriceList(ctx context.Context, req *trade.PutPriceListRequest) (*trade.PriceList, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if h.prices == nil {
		return nil, pricing.ErrDisabled
	}
	in := req.PriceList
	if in == nil {
		return nil, errkind.WithDetail(pricing.ErrInvalidPriceList, "priceList is required")
	}
	l := pricing.PriceList{ID: in.PriceListId, Name: in.Name, Currency: in.Currency, Channels: in.Channels, MemberLevels: in.MemberLevels,
		Priority: int(in.Priority), Prices: make(map[string]int64, len(in.Prices))}
	if in.StartsAt != nil {
		l.StartsAt = time.UnixMilli(*in.StartsAt)
	}
	if in.EndsAt != nil {
		l.EndsAt = time.UnixMilli(*in.EndsAt)
	}
	for i, p := range in.Prices {
		if p == nil {
			return nil, errkind.WithDetail(pricing.ErrInvalidPriceList, "prices[%d] is empty", i)
		}
		if _, dup := l.Prices[p.SkuId]; dup {
			return nil, errkind.WithDetail(pricing.ErrInvalidPriceList, "prices[%d]: sku %s is priced twice", i, p.SkuId)
		}
		l.Prices[p.SkuId] = p.Price
	}
	saved, err := h.prices.Put(ctx, cl.tenant, l)
	if err != nil {
		return nil, err
	}
	return priceListDTO(saved, len(saved.Prices)), nil
}

// GetPriceList implements its service.
func (h *PricingAdmin) GetPriceList(ctx context.Context, req *trade.PriceListRef) (*trade.PriceList, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if h.prices == nil {
		return nil, pricing.ErrDisabled
	}
	l, err := h.prices.Store().PriceList(ctx, cl.tenant, req.PriceListId)
	if err != nil {
		return nil, err
	}
	return priceListDTO(l, len(l.Prices)), nil
}

// ListPriceLists implements its service.
func (h *PricingAdmin) ListPriceLists(ctx context.Context, req *trade.ListPriceListsRequest) (*trade.ListPriceListsResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if h.prices == nil {
		return nil, pricing.ErrDisabled
	}
	ls, counts, err := h.prices.Store().PriceLists(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListPriceListsResponse{PriceLists: []*trade.PriceList{}}
	for i, l := range ls {
		resp.PriceLists = append(resp.PriceLists, priceListDTO(l, counts[i]))
	}
	return resp, nil
}

// DeletePriceList implements its service.
func (h *PricingAdmin) DeletePriceList(ctx context.Context, req *trade.PriceListRef) (*trade.DeletePriceListResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if h.prices == nil {
		return nil, pricing.ErrDisabled
	}
	if err := h.prices.Store().DeletePriceList(ctx, cl.tenant, req.PriceListId); err != nil {
		return nil, err
	}
	return &trade.DeletePriceListResponse{PriceListId: req.PriceListId}, nil
}

// priceListDTO renders l; its prices sorted by SKU (a listing has none, and count says how many).
func priceListDTO(l pricing.PriceList, count int) *trade.PriceList {
	dto := &trade.PriceList{PriceListId: l.ID, Name: l.Name, Currency: l.Currency, Channels: nonNil(l.Channels),
		MemberLevels: nonNil(l.MemberLevels), StartsAt: optMillis(l.StartsAt), EndsAt: optMillis(l.EndsAt), Priority: int32(l.Priority),
		PriceCount: int32(count), Prices: []*trade.ListedPrice{}}
	for _, sku := range slices.Sorted(maps.Keys(l.Prices)) {
		dto.Prices = append(dto.Prices, &trade.ListedPrice{SkuId: sku, Price: l.Prices[sku]})
	}
	return dto
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// EndPriceList implements its service.
func (h *PricingAdmin) EndPriceList(ctx context.Context, req *trade.PriceListRef) (*trade.PriceList, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if h.prices == nil {
		return nil, pricing.ErrDisabled
	}
	l, err := h.prices.End(ctx, cl.tenant, req.PriceListId, h.now())
	if err != nil {
		return nil, err
	}
	return priceListDTO(l, len(l.Prices)), nil
}
