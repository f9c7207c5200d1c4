package aftersale

import (
	"context"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// PointLine is one asked line as the after-sale points see it.
type PointLine struct {
	LineNo   int      `json:"lineNo"`
	SKUID    string   `json:"skuId"`
	Tags     []string `json:"tags"`
	Bought   int64    `json:"bought"`
	Quantity int64    `json:"quantity"`
	// Amount is what the asked units paid (minor units), as the platform computed it.
	Amount int64 `json:"amount"`
}

// PointInput is the input of both after-sale points.
type PointInput struct {
	OrderID  string `json:"orderId"`
	TradeID  string `json:"tradeId"`
	UserID   string `json:"userId"`
	Scenario string `json:"scenario"`
	Kind     string `json:"kind"`
	Reason   string `json:"reason"`
	// Stage is not_shipped, in_transit or delivered; DeliveredAt is unix ms (0 before).
	Stage       string      `json:"stage"`
	DeliveredAt int64       `json:"deliveredAt"`
	At          int64       `json:"at"`
	Currency    string      `json:"currency"`
	Shipping    int64       `json:"shipping"`
	Computed    int64       `json:"computed"`
	Lines       []PointLine `json:"lines"`
}

// EligibilityPoint lets a business refuse an after-sale its own rules forbid (a final-sale
// item, a buyer who returns too often); the refusal's message is shown to the buyer. A script
// that cannot run does not block the buyer: the platform's rules already passed.
var EligibilityPoint = extensions.Declare(extensions.Spec[PointInput, extensions.Verdict]{
	Name:    "aftersale.eligibility",
	Doc:     "Accept or refuse an after-sale request that the tenant's policy allows; a refusal's message is shown to the buyer. Default: accept.",
	Policy:  extensions.FallBack,
	Mode:    extensions.Reduce,
	Default: func(context.Context, PointInput) (extensions.Verdict, error) { return extensions.Verdict{}, nil },
	Check:   extensions.CheckVerdict[PointInput],
})

// AmountOutput is what aftersale.refund_amount decides: the amount offered, in minor units.
type AmountOutput struct {
	Amount int64 `json:"amount"`
}

// AmountPoint lets a business give back less than the units paid (a restocking fee, a used
// item); never more. A script that cannot run leaves the computed amount.
var AmountPoint = extensions.Declare(extensions.Spec[PointInput, AmountOutput]{
	Name:   "aftersale.refund_amount",
	Doc:    "Lower what an after-sale request gives back (minor units, between 0 and the computed amount). Default: the computed amount.",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(_ context.Context, in PointInput) (AmountOutput, error) {
		return AmountOutput{Amount: in.Computed}, nil
	},
	Check: func(in PointInput, out AmountOutput) error {
		if out.Amount < 0 || out.Amount > in.Computed {
			return errkind.Invalidf("amount %d must be between 0 and the computed %d", out.Amount, in.Computed)
		}
		return nil
	},
})
