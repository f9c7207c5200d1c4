package presale

import (
	"context"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// CreditLine is a cart line as presale.deposit_credit sees it: its quantity, and for the whole
// line its price, its deposit and the credit the campaign gives.
type CreditLine struct {
	SKUID    string `json:"skuId"`
	Quantity int64  `json:"quantity"`
	Price    int64  `json:"price"`
	Deposit  int64  `json:"deposit"`
	Credit   int64  `json:"credit"`
}

// CreditInput is the input of presale.deposit_credit.
type CreditInput struct {
	CampaignID  string       `json:"campaignId"`
	UserID      string       `json:"userId"`
	MemberLevel string       `json:"memberLevel,omitempty"`
	Channel     string       `json:"channel,omitempty"`
	At          int64        `json:"at"`
	Lines       []CreditLine `json:"lines"`
}

// CreditOut is one line's credit as the point decides it.
type CreditOut struct {
	SKUID  string `json:"skuId"`
	Credit int64  `json:"credit"`
}

// CreditOutput is its output: one line per input line, in order.
type CreditOutput struct {
	Lines []CreditOut `json:"lines"`
}

// CreditPoint lets a business compute what a deposit counts for (a tiered expansion, a member's
// bonus). Each line's credit must be at least its deposit and at most its price. If the script
// cannot run, the campaign's own credit applies: the operator defined it, so it is a safe default.
var CreditPoint = extensions.Declare(extensions.Spec[CreditInput, CreditOutput]{
	Name:   "presale.deposit_credit",
	Doc:    "Decide what each line's deposit counts for against its price (deposit expansion). Default: the campaign's depositCredit per unit.",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(_ context.Context, in CreditInput) (CreditOutput, error) {
		out := CreditOutput{Lines: make([]CreditOut, len(in.Lines))}
		for i, l := range in.Lines {
			out.Lines[i] = CreditOut{SKUID: l.SKUID, Credit: l.Credit}
		}
		return out, nil
	},
	Check: func(in CreditInput, out CreditOutput) error {
		if len(out.Lines) != len(in.Lines) {
			return errkind.Invalidf("%d credits for %d lines", len(out.Lines), len(in.Lines))
		}
		for i, l := range out.Lines {
			want := in.Lines[i]
			if l.SKUID != want.SKUID {
				return errkind.Invalidf("line %d is %q; want %q", i+1, l.SKUID, want.SKUID)
			}
			if l.Credit < want.Deposit || l.Credit > want.Price {
				return errkind.Invalidf("the credit of %s must be between its deposit %d and its price %d", l.SKUID, want.Deposit, want.Price)
			}
		}
		return nil
	},
})
