package pricing

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// MaxListPrices is how many SKU prices one price list holds.
const MaxListPrices = 5000

// Price list errors.
var (
	ErrInvalidPriceList  = errkind.New(errkind.Invalid, "pricing.invalid_price_list", "invalid price list")
	ErrPriceListNotFound = errkind.New(errkind.NotFound, "pricing.price_list_not_found", "price list not found")
	ErrNotPriced         = errkind.New(errkind.Invalid, "pricing.not_priced", "an item has no price in the cart's currency")
	ErrDisabled          = errkind.New(errkind.Unavailable, "pricing.disabled", "price lists are not enabled on this server")
)

// PriceList sets unit prices of SKUs for some buyers, some of the time, in one currency: a
// channel price (Channels), a member or tier price (MemberLevels), a time-boxed sale
// (StartsAt/EndsAt), or simply the SKUs' prices in another currency (no conditions). A list with
// no channel or member level applies to every buyer.
type PriceList struct {
	ID           string
	Name         string
	Currency     string
	Channels     []string
	MemberLevels []string
	// StartsAt and EndsAt bound when the list applies, [StartsAt, EndsAt); zero is open.
	StartsAt time.Time
	EndsAt   time.Time
	// Priority orders lists that price one SKU: the highest applies, and among lists of equal
	// priority the lowest price (a sale beats a member price unless told otherwise).
	Priority int
	// Prices are unit prices by SKU id, in minor units of Currency.
	Prices map[string]int64
}

var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// Validate reports what is wrong with the list, as pricing.invalid_price_list.
func (l PriceList) Validate() error {
	bad := func(format string, args ...any) error {
		return errkind.WithDetail(ErrInvalidPriceList, format, args...)
	}
	if !catalog.ValidID(l.ID) {
		return bad("id must be 1-64 letters, digits, '-', '_' or '.'")
	}
	if strings.TrimSpace(l.Name) == "" || !utf8.ValidString(l.Name) || utf8.RuneCountInString(l.Name) > 64 {
		return bad("name must be 1-64 characters")
	}
	if _, err := money.ParseCurrency(l.Currency); err != nil {
		return bad("currency %q is not an ISO 4217 code", l.Currency)
	}
	for what, vs := range map[string][]string{"channels": l.Channels, "memberLevels": l.MemberLevels} {
		if len(vs) > 20 {
			return bad("at most 20 %s", what)
		}
		seen := map[string]bool{}
		for _, v := range vs {
			if !tokenRe.MatchString(v) || seen[v] {
				return bad("%s must be distinct names of 1-32 letters, digits, '_', '.' or '-'", what)
			}
			seen[v] = true
		}
	}
	epoch := time.UnixMilli(0)
	if !l.StartsAt.IsZero() && !l.StartsAt.After(epoch) || !l.EndsAt.IsZero() && !l.EndsAt.After(epoch) {
		return bad("startsAt and endsAt must be after 1970 (unix ms); leave them out for an open window")
	}
	if !l.StartsAt.IsZero() && !l.EndsAt.IsZero() && !l.StartsAt.Before(l.EndsAt) {
		return bad("startsAt must be before endsAt")
	}
	if l.Priority < 0 || l.Priority > 1000 {
		return bad("priority must be between 0 and 1000")
	}
	if len(l.Prices) == 0 || len(l.Prices) > MaxListPrices {
		return bad("a price list holds 1-%d prices", MaxListPrices)
	}
	for sku, p := range l.Prices {
		if !catalog.ValidID(sku) {
			return bad("sku id %q is not valid", sku)
		}
		if p < 0 || p > catalog.MaxPrice {
			return bad("price of %s must be between 0 and %d", sku, int64(catalog.MaxPrice))
		}
	}
	return nil
}

// Applies reports whether the list prices for buyer b at time at.
func (l PriceList) Applies(b Buyer, at time.Time) bool {
	if !l.StartsAt.IsZero() && at.Before(l.StartsAt) || !l.EndsAt.IsZero() && !at.Before(l.EndsAt) {
		return false
	}
	return oneOf(l.Channels, b.Channel) && oneOf(l.MemberLevels, b.MemberLevel)
}

func oneOf(set []string, v string) bool {
	if len(set) == 0 {
		return true
	}
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// ListPrice is one SKU's price on a list, with what decides whether it applies.
type ListPrice struct {
	List  PriceList // without Prices
	SKUID string
	Price int64
}

// PriceStore is the persistence port of price lists.
type PriceStore interface {
	// PutPriceList creates or replaces a list, its prices included.
	PutPriceList(ctx context.Context, tenant string, l PriceList) error
	PriceList(ctx context.Context, tenant, id string) (PriceList, error)
	// PriceLists lists the tenant's lists by id, without their prices, with how many each holds.
	PriceLists(ctx context.Context, tenant string) ([]PriceList, []int, error)
	DeletePriceList(ctx context.Context, tenant, id string) error
	// Candidates are the prices of skus on the tenant's lists in currency that are open at at
	// (their time window holds it); who they apply to is for the caller to decide.
	Candidates(ctx context.Context, tenant, currency string, at time.Time, skus []string) ([]ListPrice, error)
}

// Resolved is a SKU's price for a buyer: from the list that applies, or the SKU's own price.
// List is its price before any buyer's list: the SKU's own price in its currency, or in another
// currency the best unconditional list's (no channel, member level or time window).
type Resolved struct {
	Price  money.Amount
	ListID string // empty: the SKU's own price
	List   money.Amount
}

// unconditional reports whether a list applies to everyone at all times: a currency's prices.
func (l PriceList) unconditional() bool {
	return len(l.Channels) == 0 && len(l.MemberLevels) == 0 && l.StartsAt.IsZero() && l.EndsAt.IsZero()
}

// Resolve picks each SKU's price for buyer b at time at in currency cur: the highest-priority
// list that applies, the lowest price among equals, then the lower list id; a SKU no list prices
// keeps its own price if that is in cur. A SKU with no price in cur is not in the result.
func Resolve(cands []ListPrice, b Buyer, at time.Time, cur money.Currency, skus map[string]catalog.SKU) map[string]Resolved {
	sort.Slice(cands, func(i, j int) bool {
		a, c := cands[i], cands[j]
		switch {
		case a.SKUID != c.SKUID:
			return a.SKUID < c.SKUID
		case a.List.Priority != c.List.Priority:
			return a.List.Priority > c.List.Priority
		case a.Price != c.Price:
			return a.Price < c.Price
		}
		return a.List.ID < c.List.ID
	})
	best := map[string]Resolved{}
	list := map[string]money.Amount{}
	for _, c := range cands {
		if c.List.Currency != cur.Code() {
			continue
		}
		if _, done := list[c.SKUID]; !done && c.List.unconditional() {
			list[c.SKUID] = money.New(c.Price, cur)
		}
		if _, done := best[c.SKUID]; !done && c.List.Applies(b, at) {
			best[c.SKUID] = Resolved{Price: money.New(c.Price, cur), ListID: c.List.ID}
		}
	}
	out := make(map[string]Resolved, len(skus))
	for id, sku := range skus {
		own := sku.Price().Currency() == cur
		r, ok := best[id]
		switch {
		case !ok && own:
			r = Resolved{Price: sku.Price()}
		case !ok:
			continue
		}
		switch l, has := list[id]; {
		case own:
			r.List = sku.Price()
		case has:
			r.List = l
		default:
			r.List = r.Price
		}
		out[id] = r
	}
	return out
}

// Prices looks up price lists for a cart.
type Prices struct{ store PriceStore }

// NewPrices returns the price-list service over store.
func NewPrices(store PriceStore) *Prices { return &Prices{store: store} }

// Store is the service's store, for admin operations.
func (p *Prices) Store() PriceStore { return p.store }

// Put validates and stores a list.
func (p *Prices) Put(ctx context.Context, tenant string, l PriceList) (PriceList, error) {
	if err := l.Validate(); err != nil {
		return PriceList{}, err
	}
	if err := p.store.PutPriceList(ctx, tenant, l); err != nil {
		return PriceList{}, err
	}
	return l, nil
}

// End closes a list at at: it applies to no cart from then, and stays, with its prices, for the
// orders it priced. A list that has ended already is left as it is; one that has not started yet
// is refused (delete it, or change its window).
func (p *Prices) End(ctx context.Context, tenant, id string, at time.Time) (PriceList, error) {
	l, err := p.store.PriceList(ctx, tenant, id)
	if err != nil {
		return PriceList{}, err
	}
	at = time.UnixMilli(at.UnixMilli())
	if !l.EndsAt.IsZero() && !l.EndsAt.After(at) {
		return l, nil
	}
	if !l.StartsAt.IsZero() && !l.StartsAt.Before(at) {
		return PriceList{}, errkind.WithDetail(ErrInvalidPriceList, "price list %s has not started: delete it, or change its window", id)
	}
	l.EndsAt = at
	return p.Put(ctx, tenant, l)
}

// For resolves the prices of skus for buyer b at time at in currency cur (one read).
func (p *Prices) For(ctx context.Context, tenant string, b Buyer, at time.Time, cur money.Currency, skus map[string]catalog.SKU) (map[string]Resolved, error) {
	ids := make([]string, 0, len(skus))
	for id := range skus {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	cands, err := p.store.Candidates(ctx, tenant, cur.Code(), at, ids)
	if err != nil {
		return nil, fmt.Errorf("pricing: price lists: %w", err)
	}
	return Resolve(cands, b, at, cur, skus), nil
}
