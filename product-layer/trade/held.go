package trade

import (
	"context"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Holder takes payments that belong to no trade yet: an auction's deposits, paid before anyone
// has won anything. A held payment carries its holder's id where a trade's payment carries the
// trade id; the id's prefix names the holder. Callbacks, refunds owed for money nothing takes,
// and the refund jobs work on held payments as on any other.
type Holder interface {
	// Collect applies p, which just succeeded, in the callback's transaction with p locked. It
	// reports whether anything took the money; if nothing did, the core owes it back.
	Collect(ctx context.Context, p *payment.Payment, now time.Time) (bool, error)
}

// RegisterHolder plugs a holder in for the payments whose holder id starts with prefix. A flow
// calls it once, when it is built; a prefix registered twice is a programming error.
func (c *Core) RegisterHolder(prefix string, h Holder) {
	c.hooksMu.Lock()
	defer c.hooksMu.Unlock()
	if prefix == "" || c.holders[prefix] != nil {
		panic("trade: holder prefix " + prefix + " is empty or registered twice")
	}
	c.holders[prefix] = h
}

func (c *Core) holderOf(id string) (Holder, bool) {
	c.hooksMu.RLock()
	defer c.hooksMu.RUnlock()
	for prefix, h := range c.holders {
		if strings.HasPrefix(id, prefix) {
			return h, true
		}
	}
	return nil, false
}

// HeldPayment is a request to pay amount to a holder.
type HeldPayment struct {
	Tenant, UserID string
	// HolderID is the holder's record the payment is for (an auction deposit's id).
	HolderID string
	Method   string
	Purpose  payment.Purpose
	Amount   money.Amount
	// IdempotencyKey, if set, makes a repeat return the first payment.
	IdempotencyKey string
}

const scopeHeldPayment = "held_payment"

// CreateHeldPayment writes a pending payment for a holder's record and registers its intent with
// the provider, as CreatePayment does for a trade: while an intent for the same record, method,
// purpose and amount is pending it is returned instead of a new one, and the same key returns the
// first payment (another request under it is request.idempotency_conflict).
func (c *Core) CreateHeldPayment(ctx context.Context, cmd HeldPayment) (*payment.Payment, error) {
	if err := ValidateKey(cmd.IdempotencyKey); err != nil {
		return nil, err
	}
	if _, ok := c.holderOf(cmd.HolderID); !ok {
		return nil, errkind.Invalidf("no holder takes payments for %q", cmd.HolderID)
	}
	prov, ok := c.providers[cmd.Method]
	if !ok {
		return nil, errkind.WithDetail(payment.ErrUnknownProvider, "unknown payment method %q", cmd.Method)
	}
	if !cmd.Purpose.Valid() || cmd.Amount.Minor() <= 0 {
		return nil, errkind.WithDetail(payment.ErrInvalidPurpose, "a held payment needs a purpose and a positive amount")
	}
	hash := RequestHash([]any{cmd.HolderID, cmd.Method, cmd.Purpose, cmd.Amount.Minor(), cmd.Amount.Currency().Code()})
	var result *payment.Payment
	err := c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		id := c.d.IDs.NextString("P")
		if cmd.IdempotencyKey != "" {
			prev, found, err := c.d.Idempotency.Claim(ctx, cmd.Tenant, cmd.UserID, scopeHeldPayment, cmd.IdempotencyKey, hash, id)
			if err != nil {
				return err
			}
			if found {
				result, err = c.d.Payments.Get(ctx, prev)
				return err
			}
		}
		ps, err := c.d.Payments.ByTrade(ctx, cmd.Tenant, cmd.HolderID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Status() == payment.Pending && p.Provider() == cmd.Method && p.Purpose() == cmd.Purpose && p.Amount() == cmd.Amount {
				result = p
				return nil
			}
		}
		result = payment.New(id, cmd.Tenant, cmd.HolderID, cmd.UserID, cmd.Method, cmd.Purpose, cmd.Amount, c.d.Now())
		return c.d.Payments.Create(ctx, result)
	})
	if err != nil {
		return nil, err
	}
	return c.registerIntent(ctx, prov, result)
}

// collectHeld applies a verified callback to a held payment: it settles, and if it succeeded
// its holder takes it, or the money is owed back.
func (c *Core) collectHeld(ctx context.Context, h Holder, paymentID, providerRef string, outcome payment.Outcome) error {
	return c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		p, err := c.d.Payments.Lock(ctx, paymentID)
		if err != nil {
			return err
		}
		if p.ProviderRef() == "" {
			p.SetProviderRef(providerRef)
		} else if p.ProviderRef() != providerRef {
			return errkind.WithDetail(payment.ErrInvalidCallback, "callback's provider reference does not match payment %s", paymentID)
		}
		wasClosed := p.Status() == payment.Closed
		now := c.d.Now()
		changed, err := p.Settle(outcome, now)
		if err != nil || !changed {
			return err
		}
		if err := c.d.Payments.Save(ctx, p); err != nil {
			return err
		}
		if outcome != payment.OutcomeSucceeded {
			return nil
		}
		took := false
		if !wasClosed {
			if took, err = h.Collect(ctx, p, now); err != nil {
				return err
			}
		}
		if took {
			return nil
		}
		if _, err := c.OweRefund(ctx, p, p.TradeID(), ReasonUnclaimed, p.Amount()); err != nil {
			return err
		}
		_, err = c.d.Outbox.Append(ctx, TopicPaymentRefundOwed, p.Tenant(), p.TradeID(), RefundOwed{Tenant: p.Tenant(), PaymentID: p.ID(),
			TradeID: p.TradeID(), Amount: p.Amount().Minor(), Currency: p.Amount().Currency().Code(), At: now})
		return err
	})
}
