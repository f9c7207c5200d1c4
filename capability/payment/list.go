package payment

import (
	"context"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Filter narrows a list of a tenant's payments; its zero value matches every payment.
type Filter struct {
	Status   Status
	Provider string
	Purpose  Purpose
	// Mismatched keeps payments a provider reported differently from what was owed (see
	// Mismatch).
	Mismatched bool
}

// RefundFilter narrows a list of a tenant's refunds.
type RefundFilter struct {
	Status RefundStatus
}

// Page is a page of payments, newest first.
type Page struct {
	Payments []*Payment
	// Next is the cursor of the following page, empty at the end.
	Next string
}

// RefundPage is a page of refunds, newest first.
type RefundPage struct {
	Refunds []*Refund
	Next    string
}

// Lister lists a tenant's payments and refunds for its operators, newest first by id (ids are
// time-ordered, so a page's cursor stays put while new ones arrive).
type Lister interface {
	ListPayments(ctx context.Context, tenant string, f Filter, limit int, cursor string) (Page, error)
	ListRefunds(ctx context.Context, tenant string, f RefundFilter, limit int, cursor string) (RefundPage, error)
}

// ErrInvalidCursor is a list cursor that this server did not hand out.
var ErrInvalidCursor = errkind.New(errkind.Invalid, "payment.invalid_cursor", "invalid page cursor")

// Validate refuses a filter naming a status or purpose that does not exist.
func (f Filter) Validate() error {
	switch f.Status {
	case "", Pending, Succeeded, Failed, Closed:
	default:
		return errkind.Invalidf("status %q is not a payment status (pending, succeeded, failed, closed)", f.Status)
	}
	if f.Purpose != "" && !f.Purpose.Valid() {
		return errkind.Invalidf("purpose %q is not a payment purpose (full, deposit, balance, cod_collection)", f.Purpose)
	}
	if len(f.Provider) > 32 {
		return errkind.Invalidf("provider must be at most 32 characters")
	}
	return nil
}

// Validate refuses a filter naming a status that does not exist.
func (f RefundFilter) Validate() error {
	switch f.Status {
	case "", RefundPending, RefundSucceeded:
		return nil
	}
	return errkind.Invalidf("status %q is not a refund status (pending, succeeded)", f.Status)
}
