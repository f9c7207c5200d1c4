package tradesvc

import (
	"context"

	tradecore "github.com/atriumtrade/atrium/product-layer/trade"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// UpsertSKU implements its service.
func (h *CatalogAdmin) UpsertSKU(ctx context.Context, req *trade.UpsertSKURequest) (*trade.SKU, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if req.Price == nil {
		return nil, errkind.WithDetail(catalog.ErrInvalidSKU, "price is required")
	}
	cur, err := money.ParseCurrency(req.Price.Currency)
	if err != nil {
		return nil, err
	}
	sku, err := catalog.NewSKU(cl.tenant, req.SkuId, req.Title, req.SellerId, money.New(req.Price.Amount, cur), req.Tags...)
	if err != nil {
		return nil, err
	}
	if ms := req.PresaleShipsAt; ms != nil {
		if sku, err = sku.WithPresaleAt(*ms); err != nil {
			return nil, err
		}
	}
	if err := h.catalog.Upsert(ctx, sku); err != nil {
		return nil, err
	}
	return skuDTO(sku), nil
}

// GetSKU implements its service.
func (h *CatalogAdmin) GetSKU(ctx context.Context, req *trade.SKURef) (*trade.SKU, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	sku, err := h.catalog.Get(ctx, cl.tenant, req.SkuId)
	if err != nil {
		return nil, err
	}
	return skuDTO(sku), nil
}

// ListSKUs implements its service.
func (h *CatalogAdmin) ListSKUs(ctx context.Context, req *trade.ListSKUsRequest) (*trade.ListSKUsResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	f := catalog.Filter{SellerID: req.Seller, Tag: req.Tag, Title: req.Title}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	limit, err := tradecore.PageSize(int(req.Limit))
	if err != nil {
		return nil, err
	}
	page, err := h.catalog.List(ctx, cl.tenant, f, limit, req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListSKUsResponse{Skus: []*trade.SKU{}, NextCursor: page.Next}
	for _, sku := range page.SKUs {
		resp.Skus = append(resp.Skus, skuDTO(sku))
	}
	return resp, nil
}

func skuDTO(sku catalog.SKU) *trade.SKU {
	return &trade.SKU{SkuId: sku.ID(), Title: sku.Title(), SellerId: sku.SellerID(), Price: moneyDTO(sku.Price()), Tags: sku.Tags(),
		PresaleShipsAt: optMillis(sku.ShipsAt())}
}

// PutWarehouse implements its service.
func (h *CatalogAdmin) PutWarehouse(ctx context.Context, req *trade.PutWarehouseRequest) (*trade.Warehouse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if req.Region == nil {
		return nil, errkind.WithDetail(inventory.ErrInvalidWarehouse, "region is required")
	}
	w, err := h.inventory.PutWarehouse(ctx, cl.tenant, inventory.Warehouse{ID: req.WarehouseId, Name: req.Name, Region: placeOf(req.Region)})
	if err != nil {
		return nil, err
	}
	return warehouseDTO(w), nil
}

// ListWarehouses implements its service.
func (h *CatalogAdmin) ListWarehouses(ctx context.Context, req *trade.ListWarehousesRequest) (*trade.ListWarehousesResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	ws, err := h.inventory.Warehouses(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListWarehousesResponse{Warehouses: []*trade.Warehouse{}}
	for _, w := range ws {
		resp.Warehouses = append(resp.Warehouses, warehouseDTO(w))
	}
	return resp, nil
}

func warehouseDTO(w inventory.Warehouse) *trade.Warehouse {
	return &trade.Warehouse{WarehouseId: w.ID, Name: w.Name, Region: regionDTO(w.Region)}
}

// SetStock implements its service.
func (h *CatalogAdmin) SetStock(ctx context.Context, req *trade.SetStockRequest) (*trade.StockResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if !catalog.ValidID(req.WarehouseId) {
		return nil, errkind.Invalidf("warehouseId must be 1-64 letters, digits, '.', '_' or '-'")
	}
	if _, err := h.catalog.Get(ctx, cl.tenant, req.SkuId); err != nil {
		return nil, err
	}
	if req.OnHand == nil && req.Hot == nil {
		return nil, errkind.Invalidf("onHand or hot is required")
	}
	if req.OnHand != nil {
		if _, err := h.inventory.SetOnHand(ctx, cl.tenant, req.SkuId, req.WarehouseId, *req.OnHand); err != nil {
			return nil, err
		}
	}
	if req.Hot != nil {
		if _, err := h.inventory.SetHot(ctx, cl.tenant, req.SkuId, req.WarehouseId, *req.Hot); err != nil {
			return nil, err
		}
	}
	return h.stock(ctx, cl.tenant, req.SkuId)
}

// GetStock implements its service.
func (h *CatalogAdmin) GetStock(ctx context.Context, req *trade.SKURef) (*trade.StockResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if _, err := h.catalog.Get(ctx, cl.tenant, req.SkuId); err != nil {
		return nil, err
	}
	return h.stock(ctx, cl.tenant, req.SkuId)
}

func (h *CatalogAdmin) stock(ctx context.Context, tenant, skuID string) (*trade.StockResponse, error) {
	levels, err := h.inventory.Levels(ctx, tenant, skuID)
	if err != nil {
		return nil, err
	}
	resp := &trade.StockResponse{SkuId: skuID, Levels: []*trade.StockLevel{}}
	for _, l := range levels {
		resp.Levels = append(resp.Levels, &trade.StockLevel{WarehouseId: l.WarehouseID, OnHand: l.OnHand,
			Available: l.Available, Reserved: l.Reserved, Sold: l.Sold, Damaged: l.Damaged, Hot: l.Hot})
	}
	return resp, nil
}

// DeleteWarehouse implements its service.
func (h *CatalogAdmin) DeleteWarehouse(ctx context.Context, req *trade.WarehouseRef) (*trade.DeleteWarehouseResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if err := h.inventory.DeleteWarehouse(ctx, cl.tenant, req.WarehouseId); err != nil {
		return nil, err
	}
	return &trade.DeleteWarehouseResponse{WarehouseId: req.WarehouseId}, nil
}
