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
	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
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
}

// Validate reports a template that cannot be stored.
func (t Template) Validate() error {
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
	if err := t.Validate(); err != nil {
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
		"Default: the seller's template (or the tenant's default): a flat fee, waived from a free-shipping threshold.",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(_ context.Context, in FeeInput) (FeeOutput, error) {
		out := FeeOutput{Fees: make([]int64, len(in.Sellers))}
		for i, s := range in.Sellers {
			out.Fees[i] = s.Fee
		}
		return out, nil
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
		in.Sellers[i].Fee = t.Fee
		if t.FreeOver > 0 && sl.Goods >= t.FreeOver {
			in.Sellers[i].Fee = 0
		}
	}
	out, err := FeePoint.Run(ctx, rt, call, in)
	if err != nil {
		return nil, err
	}
	return Allocate(in.Sellers, out.Fees)
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
