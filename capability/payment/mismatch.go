package payment

import (
	"context"
	"time"
)

// Mismatch is a provider's report that disagrees with what the platform asked for: a callback
// that says a payment was paid with another amount or currency, or a refund acceptance for
// another amount. The platform refuses to apply it (the payment or refund stays pending) and
// keeps this record so that an operator can reconcile it with the provider.
type Mismatch struct {
	ID     string
	Tenant string
	// Kind is MismatchPayment or MismatchRefund.
	Kind      MismatchKind
	PaymentID string
	// RefundID names the refund of a refund's mismatch.
	RefundID    string
	Provider    string
	ProviderRef string
	// Report identifies the provider's report (its notification id, or the refund's provider
	// reference): a report replayed is recorded once.
	Report   string
	Expected int64
	// ExpectedCurrency and ReportedCurrency are ISO 4217 codes as each side gave them.
	ExpectedCurrency string
	Reported         int64
	ReportedCurrency string
	At               time.Time
}

// MismatchKind says what a mismatch was reported for.
type MismatchKind string

// The kinds of mismatch.
const (
	MismatchPayment MismatchKind = "payment"
	MismatchRefund  MismatchKind = "refund"
)

// RefundAck is a provider's acceptance of a refund: its reference and what it says it refunds.
type RefundAck struct {
	ProviderRef string
	Amount      int64
	Currency    string
}

// Mismatches keeps the reports that disagreed with the platform.
type Mismatches interface {
	// RecordMismatch keeps m and reports whether it is new (a report replayed is kept once).
	RecordMismatch(ctx context.Context, m Mismatch) (bool, error)
	// MismatchesOf lists a payment's mismatches, oldest first.
	MismatchesOf(ctx context.Context, tenant, paymentID string) ([]Mismatch, error)
}
