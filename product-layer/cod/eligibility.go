package cod

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// EligibilityLine is a cart line as cod.eligibility sees it.
type EligibilityLine struct {
	SKUID    string   `json:"skuId"`
	SellerID string   `json:"sellerId"`
	Tags     []string `json:"tags"`
	Quantity int64    `json:"quantity"`
	Total    int64    `json:"total"`
	Payable  int64    `json:"payable"` // the line's total less its discounts
}

// EligibilityInput is the input of cod.eligibility: a trade that passed the tenant's rules.
type EligibilityInput struct {
	UserID      string        `json:"userId"`
	MemberLevel string        `json:"memberLevel,omitempty"`
	Channel     string        `json:"channel,omitempty"`
	Currency    string        `json:"currency"`
	Payable     int64         `json:"payable"` // what the carrier would collect
	Address     address.Place `json:"address"` // where the goods go, with GB/T 2260 codes in China
	// Refusals counts the buyer's refused deliveries inside the rules' window.
	Refusals int64             `json:"refusals"`
	At       int64             `json:"at"`
	Lines    []EligibilityLine `json:"lines"`
}

// EligibilityOutput is its output; a refusal's message is shown to the buyer.
type EligibilityOutput = extensions.Verdict

// EligibilityPoint lets a business refuse COD its own rules forbid (a new account, a risky
// address). It fails closed: if a rule cannot run, COD is not offered.
var EligibilityPoint = extensions.Declare(extensions.Spec[EligibilityInput, EligibilityOutput]{
	Name:    "cod.eligibility",
	Doc:     "Offer or refuse cash on delivery for a trade the tenant's COD rules allow; a refusal's message is shown to the buyer. Default: offer.",
	Policy:  extensions.FailClosed,
	Mode:    extensions.Reduce,
	Default: func(context.Context, EligibilityInput) (EligibilityOutput, error) { return EligibilityOutput{}, nil },
	Check:   extensions.CheckVerdict[EligibilityInput],
})

// eligible judges a planned draft against the tenant's rules, in a fixed order (offered at all,
// currency, the shipping address's region, the goods, the amount, the buyer's refusals, then the
// business's own rules), and returns the first reason COD is not offered, or nil.
func (f *Flow) eligible(ctx context.Context, d *trade.Draft) error {
	tenant := d.Call.Identity.Tenant()
	r, found, err := f.d.Rules.Rules(ctx, tenant)
	if err != nil {
		return err
	}
	if !found || !r.Enabled {
		return ErrDisabled
	}
	if f.d.Enabled != nil && !f.d.Enabled(tenant) {
		return errkind.WithDetail(ErrDisabled, "cash on delivery is switched off for now")
	}
	cur := d.Quote.Currency.Code()
	if cur != r.Currency {
		return errkind.WithDetail(ErrCurrencyNotAccepted, "cash on delivery is collected in %s", r.Currency)
	}
	// The shipping address decides (an order's address; a quote's destination).
	addr := address.PlaceOf(d.Address)
	if d.Address.Detail == "" {
		addr = d.Dest
	}
	if addr.Province == "" {
		return ErrAddressRequired
	}
	if !r.Serves(addr) {
		return errkind.WithDetail(ErrRegionNotServed, "cash on delivery is not offered in %s %s", addr.Province, addr.City)
	}
	lines := make([]EligibilityLine, 0, len(d.Quote.Lines))
	for i, l := range d.Quote.Lines {
		tags := l.SKU.Tags()
		for _, t := range tags {
			if slices.Contains(r.ExcludedTags, t) {
				return errkind.WithDetail(ErrExcludedItem, "%s (%s) cannot be paid for on delivery", l.SKU.ID(), t)
			}
		}
		if tags == nil {
			tags = []string{}
		}
		lines = append(lines, EligibilityLine{SKUID: l.SKU.ID(), SellerID: l.SKU.SellerID(), Tags: tags, Quantity: l.Quantity,
			Total: l.Total.Minor(), Payable: l.Total.Minor() - d.Discount.Lines[i]})
	}
	payable := d.Total().Minor()
	if r.MaxAmount > 0 && payable > r.MaxAmount {
		cur := d.Total().Currency()
		return errkind.WithFields(ErrAmountOverLimit, fmt.Sprintf("cash on delivery collects at most %s %s; this trade is %s %s",
			money.New(r.MaxAmount, cur), cur.Code(), money.New(payable, cur), cur.Code()),
			[]errkind.FieldError{{Field: "maxAmount", Code: "max", Message: strconv.FormatInt(r.MaxAmount, 10),
				Amount: errkind.Amount{Minor: r.MaxAmount, Currency: cur.Code()}}})
	}
	refusals, err := f.d.Rules.Refusals(ctx, tenant, d.Buyer.UserID, r.Window(d.At))
	if err != nil {
		return err
	}
	if r.MaxRefusals != nil && refusals > *r.MaxRefusals {
		return errkind.WithDetail(ErrTooManyRefusals, "%d refused deliveries in the last %d days", refusals, r.RefusalWindowDays)
	}
	out, err := EligibilityPoint.Run(ctx, f.d.Ext, d.Call, EligibilityInput{UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel,
		Channel: d.Buyer.Channel, Currency: cur, Payable: payable, Address: addr, Refusals: refusals, At: d.At.UnixMilli(), Lines: lines})
	if err != nil {
		if errors.Is(err, extensions.ErrScriptFailed) || errors.Is(err, extensions.ErrBudgetExceeded) || errors.Is(err, extensions.ErrInvalidOutput) {
			_, why := errkind.Describe(err)
			return errkind.WithDetail(ErrCheckFailed, "the business's COD rule could not run (%s)", why)
		}
		return err
	}
	if out.Reject {
		return errkind.WithDetail(ErrRejected, "%s", out.Public())
	}
	return nil
}
