// Package payment is the money coming in for a trade: a payment intent created with a provider,
// settled by the provider's signed callback. Callbacks are at-least-once and may be replayed; a
// payment settles once, and a callback for a settled payment changes nothing.
package payment

import (
	"context"
	"net/http"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Status is where a payment stands.
type Status string

// The statuses. A pending payment succeeds, fails, or is closed when its trade no longer needs
// it (cancelled before the money arrived).
const (
	Pending   Status = "pending"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Closed    Status = "closed"
)

// Outcome is what a provider reports.
type Outcome string

// The outcomes.
const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
)

// Errors.
var (
	ErrNotFound         = errkind.New(errkind.NotFound, "payment.not_found", "payment not found")
	ErrUnknownProvider  = errkind.New(errkind.Invalid, "payment.unknown_method", "unknown payment method")
	ErrInvalidSignature = errkind.New(errkind.Unauthenticated, "payment.invalid_signature", "callback signature is not valid")
	ErrInvalidCallback  = errkind.New(errkind.Invalid, "payment.invalid_callback", "callback is malformed")
	ErrAmountMismatch   = errkind.New(errkind.Conflict, "payment.amount_mismatch", "callback amount does not match the payment")
	ErrNothingToPay     = errkind.New(errkind.Conflict, "payment.nothing_to_pay", "the trade has nothing left to pay")
	ErrProviderFailed   = errkind.New(errkind.Unavailable, "payment.provider_unavailable", "payment provider is unavailable")
	ErrAlreadySettled   = errkind.New(errkind.Conflict, "payment.already_settled", "payment is already settled")
	ErrRefundNotFound   = errkind.New(errkind.NotFound, "payment.refund_not_found", "refund not found")
)

// Payment is one attempt to collect a trade's payable amount.
type Payment struct {
	id          string
	tenant      string
	tradeID     string
	userID      string
	provider    string
	purpose     Purpose
	amount      money.Amount
	status      Status
	providerRef string
	createdAt   time.Time
	settledAt   time.Time
}

// Purpose is what a payment is for. A trade may hold several payments, each with its own
// purpose and amount: a callback settles exactly what its payment covers, and a refund names
// the payment it returns money from.
type Purpose string

// The purposes.
const (
	// Full pays everything the trade's orders owe at once (a fixed-price trade).
	Full Purpose = "full"
	// Deposit pays a pre-sale's deposit.
	Deposit Purpose = "deposit"
	// Balance pays what a pre-sale trade owes after its deposit's credit.
	Balance Purpose = "balance"
	// CODCollection records cash the carrier collected on delivery.
	CODCollection Purpose = "cod_collection"
)

// Valid reports whether p is a known purpose.
func (p Purpose) Valid() bool {
	switch p {
	case Full, Deposit, Balance, CODCollection:
		return true
	}
	return false
}

// ErrInvalidPurpose is a payment purpose that does not exist, or that the trade does not owe.
var ErrInvalidPurpose = errkind.New(errkind.Invalid, "payment.invalid_purpose", "the trade owes no payment for this purpose")

// New returns a pending payment for purpose.
func New(id, tenant, tradeID, userID, provider string, purpose Purpose, amount money.Amount, now time.Time) *Payment {
	return &Payment{id: id, tenant: tenant, tradeID: tradeID, userID: userID, provider: provider, purpose: purpose, amount: amount,
		status: Pending, createdAt: now}
}

// FromStorage rehydrates a payment; only storage adapters call it.
func FromStorage(id, tenant, tradeID, userID, provider string, purpose Purpose, amount money.Amount, status Status, providerRef string,
	createdAt, settledAt time.Time) *Payment {
	return &Payment{id: id, tenant: tenant, tradeID: tradeID, userID: userID, provider: provider, purpose: purpose, amount: amount,
		status: status, providerRef: providerRef, createdAt: createdAt, settledAt: settledAt}
}

// Purpose is what the payment is for.
func (p *Payment) Purpose() Purpose { return p.purpose }

// ID is the payment id, unique across tenants (callbacks name it alone).
func (p *Payment) ID() string { return p.id }

// Tenant owns the payment.
func (p *Payment) Tenant() string { return p.tenant }

// TradeID is the trade being paid.
func (p *Payment) TradeID() string { return p.tradeID }

// UserID is the payer.
func (p *Payment) UserID() string { return p.userID }

// Provider names the payment provider ("sandbox").
func (p *Payment) Provider() string { return p.provider }

// Amount is what the provider must collect.
func (p *Payment) Amount() money.Amount { return p.amount }

// Status is the current status.
func (p *Payment) Status() Status { return p.status }

// ProviderRef is the provider's id for the intent.
func (p *Payment) ProviderRef() string { return p.providerRef }

// CreatedAt is when the intent was created.
func (p *Payment) CreatedAt() time.Time { return p.createdAt }

// SettledAt is when it left pending; zero while pending.
func (p *Payment) SettledAt() time.Time { return p.settledAt }

// SetProviderRef records the provider's intent id.
func (p *Payment) SetProviderRef(ref string) { p.providerRef = ref }

// Settle applies a provider outcome. It reports whether the payment changed: a replayed
// callback for a payment already in that state does not. A success for a closed payment is
// recorded (the money did arrive) so that it can be refunded.
func (p *Payment) Settle(o Outcome, now time.Time) (bool, error) {
	switch {
	case o == OutcomeSucceeded && (p.status == Pending || p.status == Closed):
		p.status, p.settledAt = Succeeded, now
		return true, nil
	case o == OutcomeFailed && p.status == Pending:
		p.status, p.settledAt = Failed, now
		return true, nil
	case o == OutcomeSucceeded && p.status == Succeeded, o == OutcomeFailed && p.status == Failed,
		o == OutcomeFailed && p.status == Closed:
		return false, nil
	default:
		return false, errkind.WithDetail(ErrAlreadySettled, "payment %s is %s; outcome %s ignored", p.id, p.status, o)
	}
}

// Close ends a pending payment that is no longer needed.
func (p *Payment) Close(now time.Time) bool {
	if p.status != Pending {
		return false
	}
	p.status, p.settledAt = Closed, now
	return true
}

// Notification is a verified provider callback.
type Notification struct {
	NotifyID    string
	PaymentID   string
	ProviderRef string
	Amount      int64
	Currency    string
	Outcome     Outcome
	// Tenant is the tenant the payment was registered for, as the provider passes back what the
	// merchant attached to the intent (signed with the rest); "" from a provider that passes
	// nothing back.
	Tenant string
}

// Provider is a payment provider.
type Provider interface {
	Name() string
	// CreateIntent registers the payment with the provider and returns the provider's reference.
	// Providers register one intent per p.ID(): asking again (after a lost answer, or a node
	// that stopped before saving the reference) returns the same one.
	CreateIntent(ctx context.Context, p *Payment) (string, error)
	// VerifyCallback checks the signature of a callback and parses it.
	VerifyCallback(header http.Header, body []byte) (Notification, error)
	// Refund asks the provider to give r back from p and returns its acceptance (its reference
	// and what it says it refunds). Providers deduplicate on r.ID(), so asking again after a
	// lost answer refunds once; an error means "not accepted yet", and the platform asks again
	// later.
	Refund(ctx context.Context, p *Payment, r *Refund) (RefundAck, error)
}

// Store is the persistence port. Lock reads a payment for update inside a transaction.
type Store interface {
	Create(ctx context.Context, p *Payment) error
	Get(ctx context.Context, id string) (*Payment, error)
	Lock(ctx context.Context, id string) (*Payment, error)
	ByTrade(ctx context.Context, tenant, tradeID string) ([]*Payment, error)
	Save(ctx context.Context, p *Payment) error
	// Unregistered lists, across tenants, up to limit payments still pending without a provider
	// reference and created before.
	Unregistered(ctx context.Context, before time.Time, limit int) ([]*Payment, error)

	CreateRefund(ctx context.Context, r *Refund) error
	Refund(ctx context.Context, id string) (*Refund, error)
	LockRefund(ctx context.Context, id string) (*Refund, error)
	SaveRefund(ctx context.Context, r *Refund) error
	// RefundsOfPayment lists a payment's refunds, oldest first; in a transaction that locked the
	// payment, the list is complete.
	RefundsOfPayment(ctx context.Context, paymentID string) ([]*Refund, error)
	// RefundsOfOrders lists the refunds of the tenant's orders ids.
	RefundsOfOrders(ctx context.Context, tenant string, orderIDs []string) ([]*Refund, error)
	Mismatches
	Lister
}
