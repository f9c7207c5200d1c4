// Package pricing turns a cart into priced lines: the unit price of each SKU times its quantity,
// in one currency, with every sum overflow-checked. This first cut prices at the list price;
// channel, member and time-boxed prices build on the same Line shape.
package pricing

import (
	"fmt"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/money"
)

// Limits of one cart.
const (
	MaxLines    = 50
	MaxQuantity = 999
)

// Errors.
var (
	ErrEmptyCart     = errkind.New(errkind.Invalid, "pricing.empty_cart", "the cart has no items")
	ErrInvalidItem   = errkind.New(errkind.Invalid, "pricing.invalid_item", "invalid cart item")
	ErrMixedCurrency = errkind.New(errkind.Invalid, "pricing.mixed_currency", "items are priced in different currencies")
	ErrPriceChanged  = errkind.New(errkind.Conflict, "pricing.price_changed", "the price has changed; review the order again")
)

// Item is a requested quantity of a SKU.
type Item struct {
	SKUID    string
	Quantity int64
}

// Line is a priced item.
type Line struct {
	SKU       catalog.SKU
	Quantity  int64
	UnitPrice money.Amount
	Total     money.Amount
}

// Quote is a priced cart.
type Quote struct {
	Lines    []Line
	Currency money.Currency
	Total    money.Amount
}

// NormalizeItems validates a cart and merges repeated SKUs, keeping first-seen order.
func NormalizeItems(items []Item) ([]Item, error) {
	if len(items) == 0 {
		return nil, ErrEmptyCart
	}
	if len(items) > MaxLines {
		return nil, errkind.WithDetail(ErrInvalidItem, "at most %d items per order", MaxLines)
	}
	idx := map[string]int{}
	out := make([]Item, 0, len(items))
	for i, it := range items {
		if !catalog.ValidID(it.SKUID) {
			return nil, errkind.WithDetail(ErrInvalidItem, "items[%d].skuId is not valid", i)
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			return nil, errkind.WithDetail(ErrInvalidItem, "items[%d].quantity must be between 1 and %d", i, MaxQuantity)
		}
		if j, ok := idx[it.SKUID]; ok {
			out[j].Quantity += it.Quantity
			if out[j].Quantity > MaxQuantity {
				return nil, errkind.WithDetail(ErrInvalidItem, "quantity of sku %s must not exceed %d", it.SKUID, MaxQuantity)
			}
			continue
		}
		idx[it.SKUID] = len(out)
		out = append(out, it)
	}
	return out, nil
}

// Price prices normalized items from their SKUs. An item whose SKU is missing from skus is
// catalog.ErrSKUNotFound.
func Price(items []Item, skus map[string]catalog.SKU) (Quote, error) {
	var q Quote
	for _, it := range items {
		sku, ok := skus[it.SKUID]
		if !ok {
			return Quote{}, errkind.WithDetail(catalog.ErrSKUNotFound, "sku %s not found", it.SKUID)
		}
		if q.Currency.IsZero() {
			q.Currency = sku.Price().Currency()
			q.Total = money.Zero(q.Currency)
		} else if sku.Price().Currency() != q.Currency {
			return Quote{}, errkind.WithDetail(ErrMixedCurrency, "sku %s is priced in %s, the cart in %s",
				sku.ID(), sku.Price().Currency().Code(), q.Currency.Code())
		}
		total, err := sku.Price().Times(it.Quantity)
		if err != nil {
			return Quote{}, fmt.Errorf("pricing: line %s: %w", sku.ID(), err)
		}
		if q.Total, err = q.Total.Add(total); err != nil {
			return Quote{}, fmt.Errorf("pricing: total: %w", err)
		}
		q.Lines = append(q.Lines, Line{SKU: sku, Quantity: it.Quantity, UnitPrice: sku.Price(), Total: total})
	}
	return q, nil
}
