package payment

import (
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// RefundStatus is where a refund stands. A refund is pending from the moment the platform owes
// the money (it commits with the business change that made it owed) until the provider accepts
// it; a provider that is down only delays it, the platform keeps asking.
type RefundStatus string

// The refund statuses.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
)

// Refund errors.
var (
	ErrNotRefundable  = errkind.New(errkind.Conflict, "payment.not_refundable", "the payment cannot be refunded")
	ErrRefundTooLarge = errkind.New(errkind.Conflict, "payment.refund_exceeds_payment", "the refund is more than is left of the payment")
)

// Refund is money going back from a succeeded payment, for one child order.
type Refund struct {
	id          string
	tenant      string
	paymentID   string
	tradeID     string
	orderID     string
	afterSaleID string
	reason      string
	amount      money.Amount
	status      RefundStatus
	providerRef string
	createdAt   time.Time
	settledAt   time.Time
}

// NewRefund returns a pending refund of amount from p for orderID. refunded is what earlier
// refunds of p already give back: a payment never refunds more than it collected.
func NewRefund(id string, p *Payment, orderID, reason string, amount money.Amount, refunded int64, now time.Time) (*Refund, error) {
	switch {
	case p.status != Succeeded:
		return nil, errkind.WithDetail(ErrNotRefundable, "payment %s is %s", p.id, p.status)
	case amount.Currency() != p.amount.Currency() || amount.Minor() <= 0:
		return nil, errkind.WithDetail(ErrNotRefundable, "refund of %s from a payment in %s", amount, p.amount.Currency().Code())
	case refunded < 0 || refunded+amount.Minor() > p.amount.Minor():
		return nil, errkind.WithDetail(ErrRefundTooLarge, "payment %s collected %s; %d already refunded, %s more asked",
			p.id, p.amount, refunded, amount)
	}
	return &Refund{id: id, tenant: p.tenant, paymentID: p.id, tradeID: p.tradeID, orderID: orderID, reason: reason,
		amount: amount, status: RefundPending, createdAt: now}, nil
}

// RefundFromStorage rehydrates a refund; only storage adapters call it.
func RefundFromStorage(id, tenant, paymentID, tradeID, orderID, afterSaleID, reason string, amount money.Amount, status RefundStatus,
	providerRef string, createdAt, settledAt time.Time) *Refund {
	return &Refund{id: id, tenant: tenant, paymentID: paymentID, tradeID: tradeID, orderID: orderID, afterSaleID: afterSaleID,
		reason: reason, amount: amount, status: status, providerRef: providerRef, createdAt: createdAt, settledAt: settledAt}
}

// ForAfterSale marks a new refund as paying after-sale request id back: an order is refunded
// from one payment once per request (once in all, outside after-sale).
func (r *Refund) ForAfterSale(id string) { r.afterSaleID = id }

// AfterSaleID is the after-sale request the refund pays back; empty for a refund of a whole
// order made outside after-sale (a cancelled pre-sale, money nothing takes any more).
func (r *Refund) AfterSaleID() string { return r.afterSaleID }

// ID is the refund id; providers deduplicate on it, so asking twice refunds once.
func (r *Refund) ID() string { return r.id }

// Tenant owns the refund.
func (r *Refund) Tenant() string { return r.tenant }

// PaymentID is the payment the money goes back from.
func (r *Refund) PaymentID() string { return r.paymentID }

// TradeID is the trade of the payment.
func (r *Refund) TradeID() string { return r.tradeID }

// OrderID is the child order refunded.
func (r *Refund) OrderID() string { return r.orderID }

// Reason says why.
func (r *Refund) Reason() string { return r.reason }

// Amount is what goes back.
func (r *Refund) Amount() money.Amount { return r.amount }

// Status is the current status.
func (r *Refund) Status() RefundStatus { return r.status }

// ProviderRef is the provider's id for the refund, once accepted.
func (r *Refund) ProviderRef() string { return r.providerRef }

// CreatedAt is when the refund became owed.
func (r *Refund) CreatedAt() time.Time { return r.createdAt }

// SettledAt is when the provider accepted it; zero while pending.
func (r *Refund) SettledAt() time.Time { return r.settledAt }

// Succeed records the provider's acceptance. It reports whether the refund changed: a second
// acceptance (two nodes asked) does not.
func (r *Refund) Succeed(providerRef string, now time.Time) bool {
	if r.status != RefundPending {
		return false
	}
	r.status, r.providerRef, r.settledAt = RefundSucceeded, providerRef, now
	return true
}

// Refunded sums what refunds give back (pending ones included: that money is owed).
func Refunded(rs []*Refund) int64 {
	var sum int64
	for _, r := range rs {
		sum += r.amount.Minor()
	}
	return sum
}
