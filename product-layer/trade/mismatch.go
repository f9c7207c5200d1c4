package trade

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// TopicPaymentMismatch: a provider reported a payment or a refund with another amount or
// currency than the platform asked for; nothing was applied, and the report is kept.
const TopicPaymentMismatch = "payment.mismatch"

// MismatchEvent is the payload of payment.mismatch.
type MismatchEvent struct {
	Tenant           string    `json:"tenant"`
	MismatchID       string    `json:"mismatchId"`
	Kind             string    `json:"kind"`
	PaymentID        string    `json:"paymentId"`
	RefundID         string    `json:"refundId,omitempty"`
	TradeID          string    `json:"tradeId"`
	Provider         string    `json:"provider"`
	ProviderRef      string    `json:"providerRef,omitempty"`
	Expected         int64     `json:"expected"`
	ExpectedCurrency string    `json:"expectedCurrency"`
	Reported         int64     `json:"reported"`
	ReportedCurrency string    `json:"reportedCurrency"`
	At               time.Time `json:"at"`
}

// refuseMismatch keeps a provider's report about p that disagrees with what the platform asked
// for, once per report, with payment.mismatch, counts it, and returns payment.amount_mismatch:
// nothing of the report is applied, so the payment (or refund) stays as it was for an operator
// to reconcile with the provider.
func (c *Core) refuseMismatch(ctx context.Context, p *payment.Payment, m payment.Mismatch) error {
	m.ID, m.Tenant, m.PaymentID, m.Provider, m.At = c.d.IDs.NextString("MM"), p.Tenant(), p.ID(), p.Provider(), c.d.Now()
	fresh := false
	err := c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if fresh, err = c.d.Payments.RecordMismatch(ctx, m); err != nil || !fresh {
			return err
		}
		_, err = c.d.Outbox.Append(ctx, TopicPaymentMismatch, m.Tenant, p.TradeID(), MismatchEvent{Tenant: m.Tenant, MismatchID: m.ID,
			Kind: string(m.Kind), PaymentID: m.PaymentID, RefundID: m.RefundID, TradeID: p.TradeID(), Provider: m.Provider,
			ProviderRef: m.ProviderRef, Expected: m.Expected, ExpectedCurrency: m.ExpectedCurrency, Reported: m.Reported,
			ReportedCurrency: m.ReportedCurrency, At: m.At})
		return err
	})
	if err != nil {
		return err
	}
	if fresh {
		if m.Kind == payment.MismatchRefund {
			c.refundMismatches.Add(1)
		} else {
			c.paymentMismatches.Add(1)
		}
		c.d.Log.Warn("a provider's report disagrees with the platform; not applied", "tenant", m.Tenant, "kind", m.Kind,
			"payment", m.PaymentID, "refund", m.RefundID, "expected", m.Expected, "expectedCurrency", m.ExpectedCurrency,
			"reported", m.Reported, "reportedCurrency", m.ReportedCurrency)
	}
	return errkind.WithDetail(payment.ErrAmountMismatch, "%s %s: the provider reports %d %s; the platform asked for %d %s",
		m.Kind, firstOf(m.RefundID, m.PaymentID), m.Reported, m.ReportedCurrency, m.Expected, m.ExpectedCurrency)
}

// Mismatches counts the reports this node refused as disagreeing with the platform: of payments
// (callbacks) and of refunds (acceptances).
func (c *Core) Mismatches() (payments, refunds uint64) {
	return c.paymentMismatches.Load(), c.refundMismatches.Load()
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
