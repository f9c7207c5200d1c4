// Package cod is cash on delivery (货到付款) on the trade core: an eligible buyer's order is
// confirmed without payment, its stock reserved; it ships as any order; the carrier either
// collects the order's total at the door (recorded as a cod_collection payment: the order is
// paid and delivered at once) or the buyer refuses the parcel (the order is returned, its stock
// released, and the refusal counted against the buyer). A COD order never reads as paid before
// its cash is collected.
//
// This file is the tenant's rules: whether COD is offered, up to what amount, in which regions
// (judged on the shipping address, never the billing one), for which goods, and how many refused
// deliveries a buyer may have before COD is no longer offered to them.
package cod

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Region is where COD is offered: a province, or a city of it, in a country (default CN). In
// China it is resolved by the address library when the rules are stored (浙江省 33, written as
// 浙江省, 浙江, Zhejiang or 33), and a shipping address is inside it by GB/T 2260 code however
// the buyer wrote it; rules stored before carry no codes and compare by name.
type Region struct {
	Country      string `json:"country"`
	Province     string `json:"province"`
	City         string `json:"city,omitempty"`
	ProvinceCode string `json:"provinceCode,omitempty"`
	CityCode     string `json:"cityCode,omitempty"`
}

func (g Region) place() address.Place {
	return address.Place{Country: g.Country, Province: g.Province, City: g.City, ProvinceCode: g.ProvinceCode, CityCode: g.CityCode}
}

// Rules are a tenant's COD rules.
type Rules struct {
	Enabled bool `json:"enabled"`
	// MaxAmount caps what one trade may collect at the door (minor units of Currency); 0 is no cap.
	MaxAmount int64 `json:"maxAmount"`
	// Currency is the currency the carrier collects; a trade in another is not offered COD.
	Currency string `json:"currency"`
	// Regions are where COD is offered; none is everywhere.
	Regions []Region `json:"regions"`
	// ExcludedTags are SKU tags that COD is never offered for (a trade holding one is refused).
	ExcludedTags []string `json:"excludedTags"`
	// MaxRefusals is how many refused deliveries inside the window a buyer may have and still be
	// offered COD: a buyer with more is refused. nil is no limit.
	MaxRefusals *int64 `json:"maxRefusals"`
	// RefusalWindowDays is how far back refusals count.
	RefusalWindowDays int64 `json:"refusalWindowDays"`
	UpdatedAt         int64 `json:"updatedAt"`
}

// Bounds of the rules.
const (
	MaxRegions       = 500
	MaxExcludedTags  = 64
	MaxRefusalsLimit = 1000
	MaxWindowDays    = 3650
	// DefaultWindowDays is the refusal window when the rules name none.
	DefaultWindowDays = 90
	// MaxCollect bounds MaxAmount: what a carrier could ever collect for one trade.
	MaxCollect = 1_000_000_000_000
)

// Errors of the rules, and the reasons COD is not offered: each is the stable code a quote shows
// and an ineligible order is refused with.
var (
	ErrInvalidRules        = errkind.New(errkind.Invalid, "cod.invalid_rules", "invalid cash-on-delivery rules")
	ErrDisabled            = errkind.New(errkind.Conflict, "cod.disabled", "cash on delivery is not offered")
	ErrCurrencyNotAccepted = errkind.New(errkind.Conflict, "cod.currency_not_accepted", "cash on delivery is not offered in this currency")
	ErrRegionNotServed     = errkind.New(errkind.Conflict, "cod.region_not_served", "cash on delivery is not offered at this address")
	ErrExcludedItem        = errkind.New(errkind.Conflict, "cod.excluded_item", "an item cannot be paid for on delivery")
	ErrAmountOverLimit     = errkind.New(errkind.Conflict, "cod.amount_over_limit", "the amount is above what is collected on delivery")
	ErrTooManyRefusals     = errkind.New(errkind.Conflict, "cod.too_many_refusals", "cash on delivery is not offered after refused deliveries")
	ErrRejected            = errkind.New(errkind.Conflict, "cod.rejected", "cash on delivery was refused by a business rule")
	ErrCheckFailed         = errkind.New(errkind.Conflict, "cod.check_failed", "cash on delivery cannot be confirmed now")
	ErrAddressRequired     = errkind.New(errkind.Invalid, "cod.address_required", "cash on delivery is judged on the shipping address; give one")
)

// Reasons are every reason COD is not offered, in the order they are judged.
var Reasons = []*errkind.Error{ErrDisabled, ErrCurrencyNotAccepted, ErrAddressRequired, ErrRegionNotServed, ErrExcludedItem,
	ErrAmountOverLimit, ErrTooManyRefusals, ErrCheckFailed, ErrRejected}

// Validate checks rules as an operator wrote them and fills in the defaults.
func (r *Rules) Validate() error {
	bad := func(format string, args ...any) error { return errkind.WithDetail(ErrInvalidRules, format, args...) }
	if r.Currency != "" {
		if _, err := money.ParseCurrency(r.Currency); err != nil {
			return bad("currency %q is not supported", r.Currency)
		}
	}
	if r.Currency == "" && (r.Enabled || r.MaxAmount != 0) {
		return bad("currency is required: it is what the carrier collects")
	}
	if r.MaxAmount < 0 || r.MaxAmount > MaxCollect {
		return bad("maxAmount must be 0 (no cap) to %d minor units", int64(MaxCollect))
	}
	if len(r.Regions) > MaxRegions {
		return bad("at most %d regions", MaxRegions)
	}
	tree, err := address.China()
	if err != nil {
		return fmt.Errorf("cod: %w", err)
	}
	seen := map[Region]bool{}
	for i := range r.Regions {
		g := &r.Regions[i]
		g.Country, g.Province, g.City = strings.TrimSpace(g.Country), strings.TrimSpace(g.Province), strings.TrimSpace(g.City)
		if g.Country == "" {
			g.Country = "CN"
		}
		switch {
		case len(g.Country) != 2 || strings.ToUpper(g.Country) != g.Country || !isLetters(g.Country):
			return bad("regions[%d]: country must be an ISO 3166 alpha-2 code such as CN", i)
		case !name(g.Province) && g.ProvinceCode == "":
			return bad("regions[%d]: province must be 1-64 characters", i)
		case g.City != "" && !name(g.City):
			return bad("regions[%d]: city must be at most 64 characters", i)
		}
		p, faults := tree.Resolve(g.place())
		if len(faults) > 0 {
			return address.Fault(ErrInvalidRules, fmt.Sprintf("regions[%d]", i), faults)
		}
		*g = Region{Country: p.Country, Province: p.Province, City: p.City, ProvinceCode: p.ProvinceCode, CityCode: p.CityCode}
		if seen[*g] {
			return bad("regions[%d]: listed twice", i)
		}
		seen[*g] = true
	}
	if len(r.ExcludedTags) > MaxExcludedTags {
		return bad("at most %d excludedTags", MaxExcludedTags)
	}
	tags := map[string]bool{}
	for i, t := range r.ExcludedTags {
		if !catalog.ValidTag(t) {
			return bad("excludedTags[%d]: %q is not a SKU tag (lower-case letters, digits, '-', '_', at most 32)", i, t)
		}
		if tags[t] {
			return bad("excludedTags[%d]: %q is listed twice", i, t)
		}
		tags[t] = true
	}
	if m := r.MaxRefusals; m != nil && (*m < 0 || *m > MaxRefusalsLimit) {
		return bad("maxRefusals must be 0 to %d (leave it out for no limit)", MaxRefusalsLimit)
	}
	if r.RefusalWindowDays == 0 {
		r.RefusalWindowDays = DefaultWindowDays
	}
	if r.RefusalWindowDays < 1 || r.RefusalWindowDays > MaxWindowDays {
		return bad("refusalWindowDays must be 1 to %d", MaxWindowDays)
	}
	if r.Regions == nil {
		r.Regions = []Region{}
	}
	if r.ExcludedTags == nil {
		r.ExcludedTags = []string{}
	}
	return nil
}

func name(s string) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= 1 && n <= 64
}

func isLetters(s string) bool {
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// Serves reports whether the rules offer COD at a shipping address (see address.Place.Within):
// no regions is everywhere.
func (r *Rules) Serves(at address.Place) bool {
	if len(r.Regions) == 0 {
		return true
	}
	if at.Country == "" {
		at.Country = "CN"
	}
	set := make(address.Set, len(r.Regions))
	for i, g := range r.Regions {
		set[i] = g.place()
	}
	return set.Contains(at)
}

// Window is how far back refusals count, before now.
func (r *Rules) Window(now time.Time) time.Time {
	days := r.RefusalWindowDays
	if days == 0 {
		days = DefaultWindowDays
	}
	return now.Add(-time.Duration(days) * 24 * time.Hour)
}

// Store keeps each tenant's rules and the refused deliveries of its buyers.
type Store interface {
	// Rules returns the tenant's rules; found is false if it never set any (COD is off).
	Rules(ctx context.Context, tenant string) (r Rules, found bool, err error)
	PutRules(ctx context.Context, tenant string, r Rules) error
	// RecordRefusal counts one refused delivery of an order against its buyer, once per order.
	RecordRefusal(ctx context.Context, tenant, userID, orderID string, at time.Time) error
	// Refusals counts the buyer's refused deliveries at or after since.
	Refusals(ctx context.Context, tenant, userID string, since time.Time) (int64, error)
}

// Admin is the operators' side of the rules. Every write is validated here, in the capability's
// own service, before it is stored.
type Admin struct {
	store Store
	now   func() time.Time
}

// NewAdmin returns an Admin on store.
func NewAdmin(store Store, now func() time.Time) *Admin {
	if now == nil {
		now = time.Now
	}
	return &Admin{store: store, now: now}
}

// Put validates and stores a tenant's rules, replacing the old ones.
func (a *Admin) Put(ctx context.Context, tenant string, r Rules) (Rules, error) {
	if err := r.Validate(); err != nil {
		return Rules{}, err
	}
	r.UpdatedAt = a.now().UnixMilli()
	if err := a.store.PutRules(ctx, tenant, r); err != nil {
		return Rules{}, err
	}
	return r, nil
}

// Get returns a tenant's rules; a tenant that never set any has COD off.
func (a *Admin) Get(ctx context.Context, tenant string) (Rules, error) {
	r, found, err := a.store.Rules(ctx, tenant)
	if err != nil {
		return Rules{}, err
	}
	if !found {
		r = Rules{RefusalWindowDays: DefaultWindowDays}
		_ = r.Validate() // fills the empty lists
	}
	return r, nil
}
