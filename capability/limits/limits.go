// Package limits enforces purchase limits: how much of some SKUs one buyer (or one shipping
// address) may buy per day, per week or ever, how much one order may hold, and deals for a
// buyer's first order only.
//
// A limit is never checked by reading usage and then writing it: the order transaction claims
// its quantity from a counter with one conditional update (used + n <= max), so two parallel
// orders by one buyer cannot both pass a limit of 1. Counter rows are created ahead of the order
// transaction (an insert that ignores an existing row), so the transaction itself only ever
// updates, and parallel first claims do not deadlock on inserts. Claims are recorded per child
// order and given back when that order is cancelled.
//
// Periods are calendar days and ISO weeks in the rule's time zone.
package limits

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Errors.
var (
	ErrInvalidRule   = errkind.New(errkind.Invalid, "limits.invalid_rule", "invalid purchase limit")
	ErrRuleNotFound  = errkind.New(errkind.NotFound, "limits.rule_not_found", "purchase limit not found")
	ErrLimitExceeded = errkind.New(errkind.Exhausted, "limits.exceeded", "the purchase limit is reached")
	ErrFirstOrder    = errkind.New(errkind.Conflict, "limits.first_order_only", "this item is for a first order only")
	ErrRejected      = errkind.New(errkind.Conflict, "limits.rejected", "a purchase rule refused the order")
	ErrDisabled      = errkind.New(errkind.Unavailable, "limits.disabled", "purchase limits are not enabled on this server")
)

// Kind is what a rule limits.
type Kind string

// Kinds.
const (
	// PerOrder caps the quantity of scoped SKUs in one order.
	PerOrder Kind = "per_order"
	// PerUser caps what one buyer buys of scoped SKUs per period.
	PerUser Kind = "per_user"
	// PerAddress caps what is shipped to one address of scoped SKUs per period.
	PerAddress Kind = "per_address"
	// FirstOrder lets only buyers without an earlier order buy scoped SKUs, once.
	FirstOrder Kind = "first_order"
)

// Period is the window a PerUser or PerAddress rule counts in.
type Period string

// Periods.
const (
	Day      Period = "day"
	Week     Period = "week"
	Lifetime Period = "lifetime"
)

// Unit is what a rule counts.
type Unit string

// Units.
const (
	Quantity Unit = "quantity"
	Orders   Unit = "orders"
)

// Rule is one purchase limit of a tenant.
type Rule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// SKUs and Categories (SKU tags) select the lines it counts; both empty: every line.
	SKUs       []string `json:"skus,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Period     Period   `json:"period,omitempty"`
	Unit       Unit     `json:"unit,omitempty"`
	Max        int64    `json:"max"`
	// StartsAt and EndsAt (unix ms, end exclusive; 0 is open) bound when the rule applies.
	StartsAt int64  `json:"startsAt,omitempty"`
	EndsAt   int64  `json:"endsAt,omitempty"`
	Timezone string `json:"timezone,omitempty"` // IANA name; empty is UTC
	Disabled bool   `json:"disabled,omitempty"`
}

// Bounds of a rule's scope: how many SKUs and categories it lists, and how long each is (the
// catalog's own bound on a SKU id or tag).
const (
	MaxScopeEntries = 200
	MaxEntryLen     = 64
)

var idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// Validate checks a rule as an admin defined it, filling defaults.
func (r *Rule) Validate() error {
	bad := func(format string, args ...any) error { return errkind.WithDetail(ErrInvalidRule, format, args...) }
	if !idRe.MatchString(r.ID) {
		return bad("id must be 1-64 letters, digits, '.', '_', ':' or '-'")
	}
	if n := utf8.RuneCountInString(r.Name); !utf8.ValidString(r.Name) || n < 1 || n > 80 {
		return bad("name must be 1-80 characters")
	}
	if len(r.SKUs)+len(r.Categories) > MaxScopeEntries {
		return bad("at most %d skus and categories", MaxScopeEntries)
	}
	for _, list := range [][]string{r.SKUs, r.Categories} {
		for _, s := range list {
			if s == "" || len(s) > MaxEntryLen || !utf8.ValidString(s) {
				return bad("skus and categories entries must be 1-%d characters", MaxEntryLen)
			}
		}
	}
	if r.Unit == "" {
		r.Unit = Quantity
	}
	switch r.Kind {
	case PerOrder:
		if r.Period != "" || r.Unit != Quantity {
			return bad("a per_order limit counts quantity in one order: no period or unit")
		}
	case PerUser, PerAddress:
		if r.Period != Day && r.Period != Week && r.Period != Lifetime {
			return bad("period must be day, week or lifetime")
		}
		if r.Unit != Quantity && r.Unit != Orders {
			return bad("unit must be quantity or orders")
		}
	case FirstOrder:
		if r.Period == "" {
			r.Period = Lifetime
		}
		if r.Max == 0 {
			r.Max = 1
		}
		if r.Period != Lifetime || r.Unit != Quantity && r.Unit != Orders {
			return bad("a first_order rule is for a lifetime")
		}
	default:
		return bad("kind must be per_order, per_user, per_address or first_order")
	}
	if r.Max < 1 || r.Max > 1_000_000 {
		return bad("max must be 1-1000000")
	}
	if r.StartsAt < 0 || r.EndsAt < 0 || (r.EndsAt != 0 && r.EndsAt <= r.StartsAt) {
		return bad("endsAt must be after startsAt")
	}
	if _, err := r.location(); err != nil {
		return bad("timezone %q is not a known IANA zone", r.Timezone)
	}
	return nil
}

func (r Rule) location() (*time.Location, error) {
	if r.Timezone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(r.Timezone)
}

// Clone returns a copy that shares no slice with r (caches hand out clones).
func (r Rule) Clone() Rule {
	r.SKUs, r.Categories = slices.Clone(r.SKUs), slices.Clone(r.Categories)
	return r
}

// Active reports whether the rule applies at t.
func (r Rule) Active(at time.Time) bool {
	ms := at.UnixMilli()
	return !r.Disabled && (r.StartsAt == 0 || ms >= r.StartsAt) && (r.EndsAt == 0 || ms < r.EndsAt)
}

// Matches reports whether a line of sku with categories counts toward the rule.
func (r Rule) Matches(sku string, categories []string) bool {
	if len(r.SKUs) == 0 && len(r.Categories) == 0 {
		return true
	}
	for _, s := range r.SKUs {
		if s == sku {
			return true
		}
	}
	for _, c := range r.Categories {
		for _, x := range categories {
			if c == x {
				return true
			}
		}
	}
	return false
}

// PeriodKey names the counter window that at falls in.
func (r Rule) PeriodKey(at time.Time) string {
	loc, err := r.location()
	if err != nil {
		loc = time.UTC // Validate refused unknown zones
	}
	t := at.In(loc)
	switch r.Period {
	case Day:
		return "d:" + t.Format("2006-01-02")
	case Week:
		y, w := t.ISOWeek()
		return fmt.Sprintf("w:%04d-%02d", y, w)
	}
	return "all"
}

// AddressKey is the subject of a per-address rule: a digest of the address normalized so that
// spacing and case do not make a new address.
func AddressKey(country, province, city, district, detail, phone string) string {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }
	sum := sha256.Sum256([]byte(norm(country) + "|" + norm(province) + "|" + norm(city) + "|" + norm(district) + "|" +
		norm(detail) + "|" + norm(phone)))
	return "a:" + hex.EncodeToString(sum[:16])
}
