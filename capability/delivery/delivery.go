// Package delivery prices shipping. A seller charges one shipping fee per trade, from its
// template: a flat fee in the trade's currency, waived when the seller's goods (after discounts)
// reach a free-shipping threshold. The fee does not depend on how the platform splits the
// seller's goods into parcels: the buyer should not pay more because stock sat in two
// warehouses. It is allocated to the seller's child orders in proportion to their goods, the
// remainder by largest share (money.Allocate), so the children add up to the fee exactly and a
// refund of one child returns its own part.
//
// Extension point delivery.shipping_fee lets a business price shipping its own way (by region,
// by weight tag, free for members).
package delivery

import (
	"context"
	"fmt"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Errors.
var (
	ErrInvalidTemplate = errkind.New(errkind.Invalid, "delivery.invalid_template", "invalid shipping template")
	ErrDisabled        = errkind.New(errkind.Unavailable, "delivery.disabled", "shipping fees are not enabled on this server")
)

// AnySeller is the seller id of a tenant's default template, for sellers without their own.
const AnySeller = "*"

// MaxFee bounds a shipping fee, as catalog.MaxPrice bounds a unit price, and MaxFreeOver a
// threshold, above any cart's total.
const (
	MaxFee      = catalog.MaxPrice
	MaxFreeOver = 1_000_000_000_000_000
)

// Template is how a seller charges for shipping in one currency.
type Template struct {
	SellerID string
	Currency string
	// Fee is charged once per trade for the seller's goods.
	Fee int64
	// FreeOver waives the fee when the seller's goods, after discounts, come to at least this
	// much; 0 never waives it.
	FreeOver int64
	// Regions are the template's exceptions by destination (运费模板's 指定地区): the first rule
	// whose regions hold where the goods go sets the fee and threshold instead, or refuses to
	// deliver there. A trade with no destination yet (a quote without one) pays Fee.
	Regions []RegionRule
}

// RegionRule is a template's fee for destinations inside its regions: remote provinces pay
// more, nearby cities less, and some places the seller does not deliver to.
type RegionRule struct {
	// Regions are provinces, cities or districts, resolved by the address library when the
	// template is stored.
	Regions  address.Set `json:"regions"`
	Fee      int64       `json:"fee"`
	FreeOver int64       `json:"freeOver"`
	// NoDelivery refuses the destinations (the fee is then unused).
	NoDelivery bool `json:"noDelivery"`
}

// Bounds of a template's exceptions.
const (
	MaxRegionRules = 50
	MaxRuleRegions = 400
)

// ErrNotDelivered is a destination a seller's template does not deliver to.
var ErrNotDelivered = errkind.New(errkind.Conflict, "delivery.region_not_delivered", "a seller does not deliver to this address")

// Rule is the rule of the template that applies at dest: its fee and threshold, or, with ok
// false, the template's own.
func (t Template) Rule(dest address.Place) (rule RegionRule, ok bool) {
	if dest == (address.Place{}) {
		return RegionRule{}, false
	}
	for _, r := range t.Regions {
		if r.Regions.Contains(dest) {
			return r, true
		}
	}
	return RegionRule{}, false
}

// Normalize checks a template and returns it as it is stored, its rules' regions resolved.
func (t Template) Normalize() (Template, error) {
	if err := t.validate(); err != nil {
		return t, err
	}
	if len(t.Regions) > MaxRegionRules {
		return t, errkind.WithDetail(ErrInvalidTemplate, "at most %d region rules", MaxRegionRules)
	}
	tree, err := address.China()
	if err != nil {
		return t, fmt.Errorf("delivery: %w", err)
	}
	rules := make([]RegionRule, len(t.Regions))
	seen := map[address.Place]int{}
	for i, r := range t.Regions {
		switch {
		case len(r.Regions) == 0 || len(r.Regions) > MaxRuleRegions:
			return t, errkind.WithDetail(ErrInvalidTemplate, "regions[%d] must name 1 to %d regions", i, MaxRuleRegions)
		case r.Fee < 0 || r.Fee > MaxFee:
			return t, errkind.WithDetail(ErrInvalidTemplate, "regions[%d].fee must be between 0 and %d minor units", i, int64(MaxFee))
		case r.FreeOver < 0 || r.FreeOver > MaxFreeOver:
			return t, errkind.WithDetail(ErrInvalidTemplate, "regions[%d].freeOver must be between 0 and %d minor units", i, int64(MaxFreeOver))
		}
		rules[i] = RegionRule{Fee: r.Fee, FreeOver: r.FreeOver, NoDelivery: r.NoDelivery, Regions: make(address.Set, len(r.Regions))}
		for j, p := range r.Regions {
			if p.Province == "" && p.ProvinceCode == "" && p.CityCode == "" && p.DistrictCode == "" {
				return t, errkind.WithDetail(ErrInvalidTemplate, "regions[%d].regions[%d] must name a province, city or district", i, j)
			}
			got, faults := tree.Resolve(p)
			if len(faults) > 0 {
				return t, address.Fault(ErrInvalidTemplate, fmt.Sprintf("regions[%d].regions[%d]", i, j), faults)
			}
			if k, dup := seen[got]; dup {
				return t, errkind.WithDetail(ErrInvalidTemplate, "regions[%d].regions[%d] is already in regions[%d]", i, j, k)
			}
			seen[got] = i
			rules[i].Regions[j] = got
		}
	}
	t.Regions = rules
	return t, nil
}

// validate checks the template's own fields.
func (t Template) validate() error {
	switch {
	case t.SellerID != AnySeller && !catalog.ValidID(t.SellerID):
		return errkind.WithDetail(ErrInvalidTemplate, "sellerId must be a seller id or %q for the default", AnySeller)
	case t.Fee < 0 || t.Fee > MaxFee:
		return errkind.WithDetail(ErrInvalidTemplate, "fee must be between 0 and %d minor units", int64(MaxFee))
	case t.FreeOver < 0 || t.FreeOver > MaxFreeOver:
		return errkind.WithDetail(ErrInvalidTemplate, "freeOver must be between 0 and %d minor units", int64(MaxFreeOver))
	}
	if _, err := money.ParseCurrency(t.Currency); err != nil {
		return errkind.WithDetail(ErrInvalidTemplate, "currency %q is not supported", t.Currency)
	}
	return nil
}

// Store keeps templates.
type Store interface {
	Put(ctx context.Context, tenant string, t Template) error
	// Templates lists the tenant's templates by seller and currency.
	Templates(ctx context.Context, tenant string) ([]Template, error)
	// ForSellers returns the templates in currency of the sellers and the default, if any.
	ForSellers(ctx context.Context, tenant, currency string, sellerIDs []string) ([]Template, error)
}

// Service prices shipping from the templates.
type Service struct{ store Store }

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store} }

// Put stores a template (replacing the seller's template in that currency).
func (s *Service) Put(ctx context.Context, tenant string, t Template) (Template, error) {
	t, err := t.Normalize()
	if err != nil {
		return Template{}, err
	}
	return t, s.store.Put(ctx, tenant, t)
}

// Templates lists the tenant's templates.
func (s *Service) Templates(ctx context.Context, tenant string) ([]Template, error) {
	return s.store.Templates(ctx, tenant)
}

// Order is a child order as shipping sees it.
type Order struct {
	Key   string `json:"key"`
	Goods int64  `json:"goods"` // what its lines cost after discounts
}

// Seller is one seller's part of a trade.
type Seller struct {
	SellerID string  `json:"sellerId"`
	Goods    int64   `json:"goods"`
	Orders   []Order `json:"orders"`
	// Fee is what the seller's template charges, the default answer.
	Fee int64 `json:"fee"`
}

// FeeInput is the input of delivery.shipping_fee.
type FeeInput struct {
	Currency string `json:"currency"`
	// Destination is where the goods go (in China with GB/T 2260 codes once resolved).
	Destination address.Place `json:"destination"`
	At          int64         `json:"at"`
	Sellers     []Seller      `json:"sellers"`
}

// FeeOutput is its output: the fee of each seller, in order.
type FeeOutput struct {
	Fees []int64 `json:"fees"`
}

// FeePoint lets a business price shipping its own way. If a script fails, the templates' fees apply.
var FeePoint = extensions.Declare(extensions.Spec[FeeInput, FeeOutput]{
	Name: "delivery.shipping_fee",
	Doc: "The shipping fee of each seller of a trade (minor units), allocated to the seller's child orders by their goods. " +
		"Default: the seller's template (or the tenant's default): a flat fee, waived from a free-shipping threshold, or the " +
		"fee of the template's first region rule holding the destination (a destination it does not deliver to is refused first).",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(_ context.Context, in FeeInput) (FeeOutput, error) {
		out := FeeOutput{Fees: make([]int64, len(in.Sellers))}
		for i, s := range in.Sellers {
			out.Fees[i] = s.Fee
		}
		return out, nil
	},
	Money: func(_ FeeInput, out FeeOutput) int64 {
		var sum int64
		for _, f := range out.Fees {
			sum += f
		}
		return sum
	},
	Check: func(in FeeInput, out FeeOutput) error {
		if len(out.Fees) != len(in.Sellers) {
			return errkind.Invalidf("%d fees for %d sellers", len(out.Fees), len(in.Sellers))
		}
		for i, f := range out.Fees {
			if f < 0 || f > MaxFee {
				return errkind.Invalidf("fee of seller %s must be between 0 and %d", in.Sellers[i].SellerID, int64(MaxFee))
			}
		}
		return nil
	},
})

// Fees works out the shipping fee of each child order: sellers[i].Orders[j] gets fees[i][j].
// Each seller's Fee is filled in from the templates (a seller without one, and no default,
// ships free); the point may change it.
func (s *Service) Fees(ctx context.Context, rt extensions.Runtime, call extensions.Call, in FeeInput) ([][]int64, error) {
	ids := make([]string, len(in.Sellers))
	for i, sl := range in.Sellers {
		ids[i] = sl.SellerID
	}
	ts, err := s.store.ForSellers(ctx, call.Identity.Tenant(), in.Currency, ids)
	if err != nil {
		return nil, fmt.Errorf("delivery: templates: %w", err)
	}
	byseller := map[string]Template{}
	for _, t := range ts {
		byseller[t.SellerID] = t
	}
	for i, sl := range in.Sellers {
		t, ok := byseller[sl.SellerID]
		if !ok {
			t = byseller[AnySeller] // the zero template charges nothing
		}
		fee, freeOver := t.Fee, t.FreeOver
		if r, ok := t.Rule(in.Destination); ok {
			if r.NoDelivery {
				return nil, errkind.WithDetail(ErrNotDelivered, "seller %s does not deliver to %s", sl.SellerID, placeName(in.Destination))
			}
			fee, freeOver = r.Fee, r.FreeOver
		}
		in.Sellers[i].Fee = fee
		if freeOver > 0 && sl.Goods >= freeOver {
			in.Sellers[i].Fee = 0
		}
	}
	out, err := FeePoint.Run(ctx, rt, call, in)
	if err != nil {
		return nil, err
	}
	return Allocate(in.Sellers, out.Fees)
}

// placeName names a destination for a message: its deepest level given.
func placeName(p address.Place) string {
	for _, n := range []string{p.District, p.City, p.Province, p.Country} {
		if n != "" {
			return n
		}
	}
	return "this address"
}

// Allocate divides each seller's fee over its orders in proportion to their goods (equally when
// they are all free), so the parts sum to the fee exactly.
func Allocate(sellers []Seller, fees []int64) ([][]int64, error) {
	out := make([][]int64, len(sellers))
	for i, sl := range sellers {
		weights := make([]int64, len(sl.Orders))
		var sum int64
		for j, o := range sl.Orders {
			weights[j] = o.Goods
			sum += o.Goods
		}
		if sum == 0 {
			for j := range weights {
				weights[j] = 1
			}
		}
		parts, err := money.Allocate(fees[i], weights)
		if err != nil {
			return nil, fmt.Errorf("delivery: allocate the fee of %s: %w", sl.SellerID, err)
		}
		out[i] = parts
	}
	return out, nil
}
