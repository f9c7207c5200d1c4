// Package catalog holds the sellable SKUs of each tenant: title, seller and list price.
package catalog

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Errors.
var (
	ErrSKUNotFound = errkind.New(errkind.NotFound, "catalog.sku_not_found", "sku not found")
	ErrInvalidSKU  = errkind.New(errkind.Invalid, "catalog.invalid_sku", "invalid sku")
)

// MaxPrice bounds a unit price (100 million major units of a 2-digit currency), so that
// quantity × price can never overflow.
const MaxPrice = 10_000_000_000

var idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidID reports whether s is a well-formed SKU, seller or warehouse id.
func ValidID(s string) bool { return idRe.MatchString(s) }

// ValidTag reports whether s is a well-formed SKU tag.
func ValidTag(s string) bool { return tagRe.MatchString(s) }

// SKU is a sellable item.
type SKU struct {
	tenant   string
	id       string
	title    string
	sellerID string
	price    money.Amount
	tags     []string
	shipsAt  time.Time
}

var tagRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// MaxTags bounds the tags of a SKU.
const MaxTags = 16

// NewSKU validates and returns a SKU. Tags are free-form labels business rules and extension
// scripts match on ("cross_border", "fragile"); they are stored sorted and without duplicates.
func NewSKU(tenant, id, title, sellerID string, price money.Amount, tags ...string) (SKU, error) {
	if len(tags) > MaxTags {
		return SKU{}, errkind.WithDetail(ErrInvalidSKU, "at most %d tags", MaxTags)
	}
	clean := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		if !tagRe.MatchString(t) {
			return SKU{}, errkind.WithDetail(ErrInvalidSKU, "tag %q must be 1-32 lowercase letters, digits, '_' or '-'", t)
		}
		if !seen[t] {
			seen[t] = true
			clean = append(clean, t)
		}
	}
	sort.Strings(clean)
	switch {
	case !identity.ValidTenant(tenant):
		return SKU{}, errkind.WithDetail(ErrInvalidSKU, "tenant %q is not valid", tenant)
	case !ValidID(id):
		return SKU{}, errkind.WithDetail(ErrInvalidSKU, "skuId must be 1-64 letters, digits, '.', '_' or '-'")
	case strings.TrimSpace(title) == "" || utf8.RuneCountInString(title) > 200 || !utf8.ValidString(title):
		return SKU{}, errkind.WithDetail(ErrInvalidSKU, "title must be 1-200 characters, not only spaces")
	case !ValidID(sellerID):
		return SKU{}, errkind.WithDetail(ErrInvalidSKU, "sellerId must be 1-64 letters, digits, '.', '_' or '-'")
	case price.Currency().IsZero():
		return SKU{}, errkind.WithDetail(ErrInvalidSKU, "currency is required")
	case price.Minor() < 0 || price.Minor() > MaxPrice:
		return SKU{}, errkind.WithDetail(ErrInvalidSKU, "price must be between 0 and %d minor units", int64(MaxPrice))
	}
	return SKU{tenant: tenant, id: id, title: title, sellerID: sellerID, price: price, tags: clean}, nil
}

// Delivery types: how soon a SKU ships.
const (
	InStock = "in_stock"
	Presale = "presale"
)

// WithPresale returns the SKU sold ahead of stock: it ships from shipsAt (the zero time makes it
// an in-stock SKU again). Until then its lines are pre-sale, and the default split puts them in
// child orders of their own so that in-stock lines ship without waiting.
func (s SKU) WithPresale(shipsAt time.Time) SKU {
	s.shipsAt = shipsAt
	return s
}

// maxMillis is 9999-12-31, the last date a unix-ms field accepts.
const maxMillis = 253402300799999

// WithPresaleAt is WithPresale for a date an operator gave in unix milliseconds, which must be one.
func (s SKU) WithPresaleAt(ms int64) (SKU, error) {
	if ms <= 0 || ms > maxMillis {
		return SKU{}, errkind.WithDetail(ErrInvalidSKU, "presaleShipsAt must be a date in unix milliseconds")
	}
	return s.WithPresale(time.UnixMilli(ms)), nil
}

// ShipsAt is when a pre-sale SKU ships; zero for an in-stock SKU.
func (s SKU) ShipsAt() time.Time { return s.shipsAt }

// DeliveryType is Presale while the SKU's ship date is after at, else InStock.
func (s SKU) DeliveryType(at time.Time) string {
	if s.shipsAt.After(at) {
		return Presale
	}
	return InStock
}

// Tags are the SKU's labels, sorted.
func (s SKU) Tags() []string { return append([]string(nil), s.tags...) }

// Tenant owns the SKU.
func (s SKU) Tenant() string { return s.tenant }

// ID is the SKU id, unique within the tenant.
func (s SKU) ID() string { return s.id }

// Title is the display name.
func (s SKU) Title() string { return s.title }

// SellerID is the seller that ships it.
func (s SKU) SellerID() string { return s.sellerID }

// Price is the list price of one unit.
func (s SKU) Price() money.Amount { return s.price }

// Store is the persistence port.
type Store interface {
	Upsert(ctx context.Context, sku SKU) error
	// Get returns ErrSKUNotFound for an unknown id.
	Get(ctx context.Context, tenant, id string) (SKU, error)
	// GetMany returns the SKUs found; unknown ids are absent from the map.
	GetMany(ctx context.Context, tenant string, ids []string) (map[string]SKU, error)
}
