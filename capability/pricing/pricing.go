// Package pricing turns a cart into priced lines: the unit price of each SKU times its quantity,
// in one currency, with every sum overflow-checked. A SKU's price for a buyer comes from the
// tenant's price lists (channel, member-level, time-boxed and per-currency prices; see
// PriceList and Resolve), or is the SKU's own list price; the extension point
// pricing.unit_price, published for the buyer's business identity, may then set it otherwise.
package pricing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
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

// Line is a priced item. ListPrice is the SKU's price before any buyer's price list (its own
// price, or in another currency the price on that currency's unconditional list); UnitPrice is
// what the buyer pays per unit before discounts; PriceListID names the list that set it.
type Line struct {
	SKU         catalog.SKU
	Quantity    int64
	ListPrice   money.Amount
	UnitPrice   money.Amount
	Total       money.Amount
	PriceListID string
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

// Buyer is who is buying, as far as prices care.
type Buyer struct {
	UserID      string `json:"userId"`
	MemberLevel string `json:"memberLevel,omitempty"`
	Channel     string `json:"channel,omitempty"`
}

// UnitPriceLine is a line of the pricing.unit_price input.
type UnitPriceLine struct {
	SKUID     string   `json:"skuId"`
	Title     string   `json:"title"`
	SellerID  string   `json:"sellerId"`
	Tags      []string `json:"tags"`
	Quantity  int64    `json:"quantity"`
	ListPrice int64    `json:"listPrice"`
	// Price is the unit price the tenant's price lists give this buyer now (listPrice if none
	// does), and PriceListID the list that gave it.
	Price       int64  `json:"price"`
	PriceListID string `json:"priceListId,omitempty"`
}

// UnmarshalJSON reads a line; one without a price (an input written before price lists, in a
// script's fixture or for atrium ext run) is at its list price.
func (l *UnitPriceLine) UnmarshalJSON(b []byte) error {
	type plain UnitPriceLine
	var in struct {
		plain
		Price *int64 `json:"price"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*l = UnitPriceLine(in.plain)
	l.Price = l.ListPrice
	if in.Price != nil {
		l.Price = *in.Price
	}
	return nil
}

// UnitPriceInput is the input of pricing.unit_price: the cart at list prices, in minor units.
type UnitPriceInput struct {
	Currency string          `json:"currency"`
	Buyer    Buyer           `json:"buyer"`
	At       int64           `json:"at"` // unix milliseconds: the only clock a script has
	Lines    []UnitPriceLine `json:"lines"`
}

// UnitPrice is a line of the pricing.unit_price output.
type UnitPrice struct {
	SKUID     string `json:"skuId"`
	UnitPrice int64  `json:"unitPrice"`
}

// UnitPriceOutput is the output of pricing.unit_price: a unit price per line, in order.
type UnitPriceOutput struct {
	Lines []UnitPrice `json:"lines"`
}

// UnitPricePoint lets a business price its SKUs its own way. If a script fails, the list price
// applies (and the order's expectedTotal guard catches a buyer who was shown another price).
var UnitPricePoint = extensions.Declare(extensions.Spec[UnitPriceInput, UnitPriceOutput]{
	Name:    "pricing.unit_price",
	Doc:     "The unit price of each line of a cart (minor units). Default: the price from the tenant's price lists, else the list price.",
	Policy:  extensions.FallBack,
	Mode:    extensions.Override,
	Default: listPrices,
	Check:   checkUnitPrices,
	Money:   goodsAt,
})

// goodsAt is what the cart's goods cost at the prices out gives (a line a script left out, or
// that does not fit, counts nothing).
func goodsAt(in UnitPriceInput, out UnitPriceOutput) int64 {
	var sum int64
	for i, l := range out.Lines {
		if i < len(in.Lines) {
			sum += l.UnitPrice * in.Lines[i].Quantity
		}
	}
	return sum
}

func listPrices(_ context.Context, in UnitPriceInput) (UnitPriceOutput, error) {
	out := UnitPriceOutput{Lines: make([]UnitPrice, len(in.Lines))}
	for i, l := range in.Lines {
		out.Lines[i] = UnitPrice{SKUID: l.SKUID, UnitPrice: l.Price}
	}
	return out, nil
}

func checkUnitPrices(in UnitPriceInput, out UnitPriceOutput) error {
	if len(out.Lines) != len(in.Lines) {
		return errkind.Invalidf("%d prices for %d lines", len(out.Lines), len(in.Lines))
	}
	for i, l := range out.Lines {
		if l.SKUID != in.Lines[i].SKUID {
			return errkind.Invalidf("line %d is %q; want %q", i+1, l.SKUID, in.Lines[i].SKUID)
		}
		if l.UnitPrice < 0 || l.UnitPrice > catalog.MaxPrice {
			return errkind.Invalidf("unit price of %s must be between 0 and %d", l.SKUID, int64(catalog.MaxPrice))
		}
	}
	return nil
}

// Price prices normalized items from their SKUs, with unit prices from pricing.unit_price
// (rt may be nil: no scripts). base holds each SKU's resolved price in currency cur (Prices.For,
// or Resolve without candidates for the SKUs' own prices). An item whose SKU is missing from skus
// is catalog.ErrSKUNotFound, and one with no price in cur pricing.not_priced.
func Price(ctx context.Context, rt extensions.Runtime, call extensions.Call, buyer Buyer, at time.Time, items []Item,
	skus map[string]catalog.SKU, cur money.Currency, base map[string]Resolved) (Quote, error) {
	if len(items) == 0 {
		return Quote{}, ErrEmptyCart
	}
	in := UnitPriceInput{Buyer: buyer, At: at.UnixMilli(), Lines: make([]UnitPriceLine, 0, len(items))}
	resolved := make([]Resolved, len(items))
	for i, it := range items {
		sku, ok := skus[it.SKUID]
		if !ok {
			return Quote{}, errkind.WithDetail(catalog.ErrSKUNotFound, "sku %s not found", it.SKUID)
		}
		if resolved[i], ok = base[it.SKUID]; !ok {
			return Quote{}, errkind.WithDetail(ErrNotPriced, "sku %s has no price in %s", sku.ID(), cur.Code())
		}
		r := resolved[i]
		in.Lines = append(in.Lines, UnitPriceLine{SKUID: sku.ID(), Title: sku.Title(), SellerID: sku.SellerID(), Tags: sku.Tags(),
			Quantity: it.Quantity, ListPrice: r.List.Minor(), Price: r.Price.Minor(), PriceListID: r.ListID})
	}
	in.Currency = cur.Code()
	prices, err := UnitPricePoint.Run(ctx, rt, call, in)
	if err != nil {
		return Quote{}, err
	}
	q := Quote{Currency: cur, Total: money.Zero(cur)}
	for i, it := range items {
		sku, r := skus[it.SKUID], resolved[i] // every item's SKU was found above
		unit := money.New(prices.Lines[i].UnitPrice, q.Currency)
		total, err := unit.Times(it.Quantity)
		if err != nil {
			return Quote{}, fmt.Errorf("pricing: line %s: %w", sku.ID(), err)
		}
		if q.Total, err = q.Total.Add(total); err != nil {
			return Quote{}, fmt.Errorf("pricing: total: %w", err)
		}
		listID := r.ListID
		if unit != r.Price {
			listID = "" // a script set the price, not the list
		}
		q.Lines = append(q.Lines, Line{SKU: sku, Quantity: it.Quantity, ListPrice: r.List, UnitPrice: unit, Total: total, PriceListID: listID})
	}
	return q, nil
}
