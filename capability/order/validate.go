package order

import (
	"context"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// ErrRejected is an order a business rule refused; its public message is the rule's.
var ErrRejected = errkind.New(errkind.Conflict, "order.rejected", "the order was rejected by a business rule")

// ValidateLine is a line of the order.validate input.
type ValidateLine struct {
	SKUID       string   `json:"skuId"`
	Title       string   `json:"title"`
	SellerID    string   `json:"sellerId"`
	WarehouseID string   `json:"warehouseId"`
	Tags        []string `json:"tags"`
	Quantity    int64    `json:"quantity"`
	UnitPrice   int64    `json:"unitPrice"`
	Total       int64    `json:"total"`
	Discount    int64    `json:"discount"`
}

// ValidateAddress is the destination as the order.validate input shows it.
type ValidateAddress struct {
	Country    string `json:"country"`
	Province   string `json:"province"`
	City       string `json:"city"`
	District   string `json:"district"`
	PostalCode string `json:"postalCode"`
}

// ValidateInput is the input of order.validate.
type ValidateInput struct {
	UserID      string          `json:"userId"`
	MemberLevel string          `json:"memberLevel,omitempty"`
	Channel     string          `json:"channel,omitempty"`
	Currency    string          `json:"currency"`
	Total       int64           `json:"total"` // what the buyer pays: the lines less their discounts
	Address     ValidateAddress `json:"address"`
	At          int64           `json:"at"`
	Lines       []ValidateLine  `json:"lines"`
}

// ValidateOutput is its output. A rejection's message is shown to the buyer.
type ValidateOutput = extensions.Verdict

// ValidatePoint lets a business refuse orders its own rules forbid. It fails closed: if the
// rule cannot run, the order is not placed.
var ValidatePoint = extensions.Declare(extensions.Spec[ValidateInput, ValidateOutput]{
	Name:    "order.validate",
	Doc:     "Accept or reject an order before anything is reserved; a rejection's message is shown to the buyer. Default: accept.",
	Policy:  extensions.FailClosed,
	Mode:    extensions.Reduce,
	Default: func(context.Context, ValidateInput) (ValidateOutput, error) { return ValidateOutput{}, nil },
	Check:   extensions.CheckVerdict[ValidateInput],
})

// Validate runs the point; in reduce mode every applicable rule runs, from the tenant's to the
// scenario's, and a rule sees whether an earlier one rejected.
func Validate(ctx context.Context, rt extensions.Runtime, call extensions.Call, in ValidateInput) error {
	out, err := ValidatePoint.Run(ctx, rt, call, in)
	if err != nil {
		return err
	}
	if out.Reject {
		return errkind.WithDetail(ErrRejected, "%s", out.Public())
	}
	return nil
}
