package pricing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/money"
)

func TestPriceListValidate(t *testing.T) {
	ok := pricing.PriceList{ID: "vip", Name: "VIP", Currency: "CNY", Prices: map[string]int64{"tea": 900}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(1_800_000_000_000)
	many := map[string]int64{}
	for i := 0; i <= pricing.MaxListPrices; i++ {
		many[fmt.Sprintf("sku-%d", i)] = 1
	}
	for name, mutate := range map[string]func(*pricing.PriceList){
		"bad id":             func(l *pricing.PriceList) { l.ID = "a b" },
		"no name":            func(l *pricing.PriceList) { l.Name = " " },
		"long name":          func(l *pricing.PriceList) { l.Name = strings.Repeat("名", 65) },
		"bad currency":       func(l *pricing.PriceList) { l.Currency = "XXX" },
		"bad channel":        func(l *pricing.PriceList) { l.Channels = []string{"app", "a b"} },
		"repeated channel":   func(l *pricing.PriceList) { l.Channels = []string{"app", "app"} },
		"bad member level":   func(l *pricing.PriceList) { l.MemberLevels = []string{""} },
		"window backwards":   func(l *pricing.PriceList) { l.StartsAt, l.EndsAt = at, at },
		"negative start":     func(l *pricing.PriceList) { l.StartsAt = time.UnixMilli(-5) },
		"priority too high":  func(l *pricing.PriceList) { l.Priority = 1001 },
		"negative priority":  func(l *pricing.PriceList) { l.Priority = -1 },
		"no prices":          func(l *pricing.PriceList) { l.Prices = nil },
		"too many prices":    func(l *pricing.PriceList) { l.Prices = many },
		"negative price":     func(l *pricing.PriceList) { l.Prices = map[string]int64{"tea": -1} },
		"price over the max": func(l *pricing.PriceList) { l.Prices = map[string]int64{"tea": catalog.MaxPrice + 1} },
		"bad sku":            func(l *pricing.PriceList) { l.Prices = map[string]int64{"a b": 1} },
	} {
		l := ok
		l.Prices = map[string]int64{"tea": 900}
		mutate(&l)
		if err := l.Validate(); !errors.Is(err, pricing.ErrInvalidPriceList) {
			t.Errorf("%s: %v; want ErrInvalidPriceList", name, err)
		}
	}
}

func sku(t *testing.T, id string, price int64, cur string) catalog.SKU {
	t.Helper()
	s, err := catalog.NewSKU("t1", id, id, "s1", money.New(price, money.MustCurrency(cur)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestResolve: which list prices each SKU for whom and when, in which currency.
func TestResolve(t *testing.T) {
	noon := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
	cny, usd := money.MustCurrency("CNY"), money.MustCurrency("USD")
	skus := map[string]catalog.SKU{"tea": sku(t, "tea", 1000, "CNY"), "cup": sku(t, "cup", 500, "CNY")}
	list := func(id string, prio int, price int64, f func(*pricing.PriceList)) pricing.ListPrice {
		l := pricing.PriceList{ID: id, Name: id, Currency: "CNY", Priority: prio}
		if f != nil {
			f(&l)
		}
		return pricing.ListPrice{List: l, SKUID: "tea", Price: price}
	}
	app := func(l *pricing.PriceList) { l.Channels = []string{"app"} }
	gold := func(l *pricing.PriceList) { l.MemberLevels = []string{"gold", "platinum"} }
	sale := func(l *pricing.PriceList) { l.StartsAt, l.EndsAt = noon.Add(-time.Hour), noon.Add(time.Hour) }
	for _, tc := range []struct {
		name   string
		cands  []pricing.ListPrice
		buyer  pricing.Buyer
		at     time.Time
		want   int64
		listID string
	}{
		{"no list: the SKU's own price", nil, pricing.Buyer{}, noon, 1000, ""},
		{"channel price on its channel", []pricing.ListPrice{list("app", 0, 950, app)}, pricing.Buyer{Channel: "app"}, noon, 950, "app"},
		{"channel price elsewhere", []pricing.ListPrice{list("app", 0, 950, app)}, pricing.Buyer{Channel: "mp"}, noon, 1000, ""},
		{"member price for a listed level", []pricing.ListPrice{list("gold", 0, 880, gold)}, pricing.Buyer{MemberLevel: "platinum"}, noon, 880, "gold"},
		{"member price for another level", []pricing.ListPrice{list("gold", 0, 880, gold)}, pricing.Buyer{MemberLevel: "silver"}, noon, 1000, ""},
		{"sale within its window", []pricing.ListPrice{list("1111", 0, 700, sale)}, pricing.Buyer{}, noon, 700, "1111"},
		{"sale at its end", []pricing.ListPrice{list("1111", 0, 700, sale)}, pricing.Buyer{}, noon.Add(time.Hour), 1000, ""},
		{"sale at its start", []pricing.ListPrice{list("1111", 0, 700, sale)}, pricing.Buyer{}, noon.Add(-time.Hour), 700, "1111"},
		{"sale before it starts", []pricing.ListPrice{list("1111", 0, 700, sale)}, pricing.Buyer{}, noon.Add(-2 * time.Hour), 1000, ""},
		{"equal priority: the lowest price", []pricing.ListPrice{list("gold", 0, 880, gold), list("1111", 0, 700, sale)},
			pricing.Buyer{MemberLevel: "gold"}, noon, 700, "1111"},
		{"higher priority wins over a lower price", []pricing.ListPrice{list("gold", 5, 880, gold), list("1111", 0, 700, sale)},
			pricing.Buyer{MemberLevel: "gold"}, noon, 880, "gold"},
		{"a list may price above the SKU", []pricing.ListPrice{list("mp", 1, 1100, nil)}, pricing.Buyer{}, noon, 1100, "mp"},
		{"equal price and priority: the lower id", []pricing.ListPrice{list("b", 0, 900, nil), list("a", 0, 900, nil)}, pricing.Buyer{}, noon, 900, "a"},
		{"another currency's list is not this cart's", []pricing.ListPrice{{List: pricing.PriceList{ID: "usd", Currency: "USD"}, SKUID: "tea", Price: 150}},
			pricing.Buyer{}, noon, 1000, ""},
	} {
		got := pricing.Resolve(tc.cands, tc.buyer, tc.at, cny, skus)
		r := got["tea"]
		if r.Price != money.New(tc.want, cny) || r.ListID != tc.listID || r.List != money.New(1000, cny) {
			t.Errorf("%s: got %+v; want %d from %q with list price 10.00", tc.name, r, tc.want, tc.listID)
		}
		if got["cup"].Price != money.New(500, cny) {
			t.Errorf("%s: cup %+v", tc.name, got["cup"])
		}
	}

	// In dollars: a SKU priced only in yuan has no price unless a dollar list gives it one; the
	// unconditional dollar list is its list price, and a dollar sale its unit price.
	cands := []pricing.ListPrice{
		{List: pricing.PriceList{ID: "usd", Currency: "USD"}, SKUID: "tea", Price: 150},
		{List: pricing.PriceList{ID: "usd-sale", Currency: "USD", StartsAt: noon.Add(-time.Hour)}, SKUID: "tea", Price: 120},
	}
	got := pricing.Resolve(cands, pricing.Buyer{}, noon, usd, skus)
	if r := got["tea"]; r.Price != money.New(120, usd) || r.ListID != "usd-sale" || r.List != money.New(150, usd) {
		t.Fatalf("tea in dollars: %+v", r)
	}
	if _, ok := got["cup"]; ok {
		t.Fatalf("cup has no dollar price, got %+v", got["cup"])
	}
}

// TestPriceInAnotherCurrency: pricing a cart with resolved prices, and a SKU without a price in the
// cart's currency is refused with pricing.not_priced.
func TestPriceInAnotherCurrency(t *testing.T) {
	usd := money.MustCurrency("USD")
	skus := map[string]catalog.SKU{"tea": sku(t, "tea", 1000, "CNY"), "cup": sku(t, "cup", 500, "CNY")}
	base := map[string]pricing.Resolved{"tea": {Price: money.New(120, usd), ListID: "usd-sale", List: money.New(150, usd)}}
	q, err := pricing.Price(context.Background(), nil, extensions.Call{}, pricing.Buyer{}, time.Now(), []pricing.Item{{SKUID: "tea", Quantity: 3}}, skus, usd, base)
	if err != nil {
		t.Fatal(err)
	}
	if l := q.Lines[0]; q.Currency != usd || l.UnitPrice != money.New(120, usd) || l.Total != money.New(360, usd) ||
		l.ListPrice != money.New(150, usd) || l.PriceListID != "usd-sale" {
		t.Fatalf("quote: %+v", q)
	}
	_, err = pricing.Price(context.Background(), nil, extensions.Call{}, pricing.Buyer{}, time.Now(),
		[]pricing.Item{{SKUID: "tea", Quantity: 1}, {SKUID: "cup", Quantity: 1}}, skus, usd, base)
	if !errors.Is(err, pricing.ErrNotPriced) {
		t.Fatalf("cup in dollars: %v; want ErrNotPriced", err)
	}
}
