package trade

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Flow is what a kind of trade plugs into the core: what its trades owe, and what a payment
// that succeeded does to them. The core takes every payment (the intent, the provider's
// callback, money that nothing takes any more) and asks the trade's flow, by its scenario.
type Flow interface {
	// Scenario names the trades the flow runs.
	Scenario() identity.Scenario
	// States is the lifecycle of the flow's instances.
	States() *States
	// Owes is what the trade owes now for purpose; zero if nothing, or ErrInvalidPurpose for a
	// purpose the flow's trades never owe.
	Owes(ctx context.Context, t *order.Trade, purpose payment.Purpose, now time.Time) (money.Amount, error)
	// Collect applies p, which just succeeded, to the trade, in the callback's transaction with
	// the trade and the payment locked: it moves the orders p covers and emits their events. It
	// reports whether anything took the money; if nothing did (the trade moved on), the core
	// records the money as owed back.
	Collect(ctx context.Context, t *order.Trade, p *payment.Payment, now time.Time) (bool, error)
	// Collected is what each succeeded payment of the trade collected for order o, in the order
	// refunds should take from them (a pre-sale's balance before its deposit): after-sale gives
	// money back to the payments it came from, never more than each collected for the order.
	Collected(ctx context.Context, t *order.Trade, o *order.Order) ([]Collected, error)
	Canceller
}

// Collected is what one payment collected for one order.
type Collected struct {
	Payment *payment.Payment
	Amount  int64
}

// Collected is what each payment collected for order o of trade t, as the trade's flow says.
func (c *Core) Collected(ctx context.Context, t *order.Trade, o *order.Order) ([]Collected, error) {
	f, err := c.flowOf(t)
	if err != nil {
		return nil, err
	}
	return f.Collected(ctx, t, o)
}

// ErrUnknownFlow is a scenario no flow on this node runs: a request naming a flow that does not
// exist, or a stored trade of a flow this node was built without. Never a default.
var ErrUnknownFlow = errkind.New(errkind.Invalid, "trade.unknown_flow", "no such flow")

// Register plugs a flow into the core: the scenario it names is then one the core runs.
// Registering a scenario twice is a programming error.
func (c *Core) Register(f Flow) {
	c.flowsMu.Lock()
	defer c.flowsMu.Unlock()
	if _, dup := c.flows[f.Scenario()]; dup {
		panic("trade: flow " + string(f.Scenario()) + " registered twice")
	}
	c.flows[f.Scenario()] = f
}

// Scenarios are the scenarios of the registered flows, sorted: the open set of kinds of trade
// this node runs.
func (c *Core) Scenarios() []identity.Scenario {
	c.flowsMu.RLock()
	defer c.flowsMu.RUnlock()
	out := make([]identity.Scenario, 0, len(c.flows))
	for sc := range c.flows {
		out = append(out, sc)
	}
	slices.Sort(out)
	return out
}

// Declare adds a scenario that is not a kind of trade but runs over trades of every kind (after-
// sale's refunds), so that business identities and scripts may name it.
func (c *Core) Declare(sc identity.Scenario) {
	c.flowsMu.Lock()
	defer c.flowsMu.Unlock()
	c.declared[sc] = true
}

// Known reports whether sc is a scenario of this node: a registered flow's or a declared one.
func (c *Core) Known(sc identity.Scenario) bool {
	c.flowsMu.RLock()
	defer c.flowsMu.RUnlock()
	_, ok := c.flows[sc]
	return ok || c.declared[sc]
}

// FlowOf is the registered flow of sc, or ErrUnknownFlow.
func (c *Core) FlowOf(sc identity.Scenario) (Flow, error) {
	c.flowsMu.RLock()
	f, ok := c.flows[sc]
	c.flowsMu.RUnlock()
	if !ok {
		return nil, errkind.WithDetail(ErrUnknownFlow, "flow %q is not offered", sc)
	}
	return f, nil
}

func (c *Core) flowOf(t *order.Trade) (Flow, error) {
	f, err := c.FlowOf(t.Identity().Scenario())
	if err != nil {
		return nil, fmt.Errorf("trade %s: %w", t.ID(), err)
	}
	return f, nil
}

// RequestHash is the digest an idempotency key is claimed for: the same key with another request
// is refused.
func RequestHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ValidateKey refuses an idempotency key too long to store.
func ValidateKey(key string) error {
	if len(key) > 128 {
		return errkind.Invalidf("Idempotency-Key must be at most 128 characters")
	}
	return nil
}

// CreatePayment is a buyer's request to pay (part of) a trade.
type CreatePayment struct {
	Tenant         string
	UserID         string
	TradeID        string
	Method         string
	IdempotencyKey string
	// Purpose is what the payment is for; "" is full.
	Purpose payment.Purpose
}

const scopeCreatePayment = "create_payment"

// CreatePayment creates a payment intent for what the trade owes for the purpose, as its flow
// says. While an intent for the same method, purpose and amount is pending, it is returned
// instead of a new one.
//
// The payment is written first, in the transaction that claims the idempotency key and checks
// what the trade owes; the provider is asked after it commits (a slow provider must not hold row
// locks), and its reference saved. Providers register one intent per payment id, so a node that
// stopped in between, or a provider that did not answer, is finished by asking again: a retry of
// the request (its key, or the same pending payment) does; one nobody comes back for is closed by
// CloseUnregistered.
func (c *Core) CreatePayment(ctx context.Context, cmd CreatePayment) (*payment.Payment, error) {
	if err := ValidateKey(cmd.IdempotencyKey); err != nil {
		return nil, err
	}
	prov, ok := c.providers[cmd.Method]
	if !ok {
		return nil, errkind.WithDetail(payment.ErrUnknownProvider, "unknown payment method %q", cmd.Method)
	}
	purpose := cmd.Purpose
	if purpose == "" {
		purpose = payment.Full
	}
	if !purpose.Valid() || purpose == payment.CODCollection {
		return nil, errkind.WithDetail(payment.ErrInvalidPurpose, "purpose must be full, deposit or balance")
	}
	req := []string{cmd.TradeID, cmd.Method}
	if purpose != payment.Full {
		req = append(req, string(purpose)) // a full payment hashes as before purposes existed
	}
	hash := RequestHash(req)
	if cmd.IdempotencyKey != "" {
		if prev, found, err := c.d.Idempotency.Lookup(ctx, cmd.Tenant, cmd.UserID, scopeCreatePayment, cmd.IdempotencyKey, hash); err != nil {
			return nil, err
		} else if found {
			p, err := c.d.Payments.Get(ctx, prev)
			if err != nil {
				return nil, err
			}
			return c.registerIntent(ctx, prov, p)
		}
	}
	t, err := c.Trade(ctx, cmd.Tenant, ByBuyer(cmd.UserID), cmd.TradeID)
	if err != nil {
		return nil, err
	}
	f, err := c.flowOf(t)
	if err != nil {
		return nil, err
	}
	owed, err := f.Owes(ctx, t, purpose, c.d.Now())
	if err != nil {
		return nil, err
	}
	if owed.Minor() == 0 {
		return nil, errkind.WithDetail(payment.ErrNothingToPay, "trade %s owes nothing for %s", t.ID(), purpose)
	}
	var result *payment.Payment
	err = c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if cmd.IdempotencyKey != "" {
			id := c.d.IDs.NextString("P")
			prev, found, err := c.d.Idempotency.Claim(ctx, cmd.Tenant, cmd.UserID, scopeCreatePayment, cmd.IdempotencyKey, hash, id)
			if err != nil {
				return err
			}
			if found {
				result, err = c.d.Payments.Get(ctx, prev)
				return err
			}
			result = payment.New(id, cmd.Tenant, t.ID(), cmd.UserID, cmd.Method, purpose, owed, c.d.Now())
		} else {
			result = payment.New(c.d.IDs.NextString("P"), cmd.Tenant, t.ID(), cmd.UserID, cmd.Method, purpose, owed, c.d.Now())
		}
		locked, err := c.d.Orders.LockTrade(ctx, cmd.Tenant, t.ID())
		if err != nil {
			return err
		}
		if now, err := f.Owes(ctx, locked, purpose, c.d.Now()); err != nil || now != owed {
			return errkind.WithDetail(payment.ErrNothingToPay, "trade %s changed while paying; retry", t.ID())
		}
		if open, err := c.openPayment(ctx, t, cmd.Method, purpose, owed); err != nil || open != nil {
			result = open
			return err
		}
		return c.d.Payments.Create(ctx, result)
	})
	if err != nil {
		return nil, err
	}
	return c.registerIntent(ctx, prov, result)
}

// registerIntent asks the provider for the intent of a pending payment that has none yet and
// saves its reference. Asking again for the same payment registers the same intent.
func (c *Core) registerIntent(ctx context.Context, prov payment.Provider, p *payment.Payment) (*payment.Payment, error) {
	if p.Status() != payment.Pending || p.ProviderRef() != "" {
		return p, nil
	}
	ref, err := prov.CreateIntent(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("trade: create intent: %w", err)
	}
	var out *payment.Payment
	err = c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		locked, err := c.d.Payments.Lock(ctx, p.ID())
		if err != nil {
			return err
		}
		out = locked
		if locked.ProviderRef() != "" {
			return nil
		}
		locked.SetProviderRef(ref)
		return c.d.Payments.Save(ctx, locked)
	})
	return out, err
}

// CloseUnregistered closes up to limit payments still pending without a provider reference that
// were written before: their intent was never handed to a buyer (the node stopped between writing
// the payment and asking the provider, or the provider never answered), so nothing can pay them.
// Should the provider still report one paid, its callback is accepted and the money, which no
// trade takes from a closed payment, is owed back. It returns how many it closed.
func (c *Core) CloseUnregistered(ctx context.Context, before time.Time, limit int) (int, error) {
	ps, err := c.d.Payments.Unregistered(ctx, before, limit)
	if err != nil {
		return 0, err
	}
	closed := 0
	for _, peek := range ps {
		err := c.d.Tx.InTx(ctx, func(ctx context.Context) error {
			p, err := c.d.Payments.Lock(ctx, peek.ID())
			if err != nil {
				return err
			}
			if p.ProviderRef() != "" || !p.Close(c.d.Now()) {
				return nil // registered or settled since
			}
			closed++
			return c.d.Payments.Save(ctx, p)
		})
		if err != nil {
			return closed, err
		}
	}
	return closed, nil
}

func (c *Core) openPayment(ctx context.Context, t *order.Trade, method string, purpose payment.Purpose, amount money.Amount) (*payment.Payment, error) {
	ps, err := c.d.Payments.ByTrade(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Status() == payment.Pending && p.Provider() == method && p.Purpose() == purpose && p.Amount() == amount {
			return p, nil
		}
	}
	return nil, nil
}

// Payment returns a payment of the tenant.
func (c *Core) Payment(ctx context.Context, tenant, paymentID string) (*payment.Payment, error) {
	p, err := c.d.Payments.Get(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	if p.Tenant() != tenant {
		return nil, payment.ErrNotFound
	}
	return p, nil
}

// ReasonUnclaimed is the reason of a refund of money that nothing took.
const ReasonUnclaimed = "unclaimed_payment"

// HandlePaymentCallback verifies a provider callback and applies it: the payment it names
// settles, and if it succeeded, the trade's flow applies it to what it covers. A replayed
// callback changes nothing. Money that nothing takes (a payment closed, or its trade moved on)
// is recorded, owed back (a refund the durable refund job asks the provider for), and a
// payment.refund_required event says so.
func (c *Core) HandlePaymentCallback(ctx context.Context, providerName string, header http.Header, body []byte) error {
	prov, ok := c.providers[providerName]
	if !ok {
		return errkind.WithDetail(payment.ErrUnknownProvider, "unknown payment provider %q", providerName)
	}
	n, err := prov.VerifyCallback(header, body)
	if err != nil {
		return err
	}
	if n.Tenant != "" {
		// The tenant the provider passes back routes the callback to the tenant's data.
		ctx = identity.WithTenant(ctx, n.Tenant)
	}
	peek, err := c.d.Payments.Get(ctx, n.PaymentID)
	if err != nil {
		return err
	}
	if n.Tenant != "" && peek.Tenant() != n.Tenant {
		return errkind.WithDetail(payment.ErrInvalidCallback, "payment %s belongs to another tenant", n.PaymentID)
	}
	if peek.Provider() != providerName {
		return errkind.WithDetail(payment.ErrInvalidCallback, "payment %s belongs to another provider", n.PaymentID)
	}
	// The provider's reference names the intent it settled: a callback for another intent settles
	// nothing, whatever its signature. A payment whose reference was never saved (the node
	// stopped after the provider registered it) takes the one the provider names: it registers
	// one intent per payment, and the callback is signed.
	if n.ProviderRef == "" || (peek.ProviderRef() != "" && n.ProviderRef != peek.ProviderRef()) {
		return errkind.WithDetail(payment.ErrInvalidCallback, "callback's provider reference does not match payment %s", n.PaymentID)
	}
	if n.Amount != peek.Amount().Minor() || n.Currency != peek.Amount().Currency().Code() {
		return c.refuseMismatch(ctx, peek, payment.Mismatch{Kind: payment.MismatchPayment, ProviderRef: n.ProviderRef, Report: n.NotifyID,
			Expected: peek.Amount().Minor(), ExpectedCurrency: peek.Amount().Currency().Code(), Reported: n.Amount, ReportedCurrency: n.Currency})
	}
	if h, ok := c.holderOf(peek.TradeID()); ok {
		return c.collectHeld(ctx, h, n.PaymentID, n.ProviderRef, n.Outcome)
	}
	// A transaction that lost a race on a version (an order or the flow instance saved by another
	// step meanwhile) runs again: the provider took the money, so answering it 409 would leave
	// the money unrecorded. If it keeps losing, the provider is asked to call again later (503).
	for attempt := 1; ; attempt++ {
		err := c.applyCallback(ctx, peek, n)
		if !errors.Is(err, order.ErrConcurrentUpdate) && !errors.Is(err, ErrConcurrentMove) {
			return err
		}
		if attempt == callbackAttempts {
			c.d.Log.Warn("payment callback lost every race on its trade; the provider is asked to call again", "payment", n.PaymentID, "err", err)
			return errkind.WithDetail(errkind.ErrUnavailable, "payment %s: its trade kept changing; call again", n.PaymentID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

// callbackAttempts bounds the transactions one callback runs when it loses a version race.
const callbackAttempts = 5

// applyCallback settles the payment a verified callback names and applies it to its trade, in
// one transaction.
func (c *Core) applyCallback(ctx context.Context, peek *payment.Payment, n payment.Notification) error {
	tenant := peek.Tenant()
	return c.d.Tx.InTx(ctx, func(ctx context.Context) error {
		// Lock order: trade (with its orders), then payment; every change to the trade takes the same.
		t, err := c.d.Orders.LockTrade(ctx, tenant, peek.TradeID())
		if err != nil {
			return err
		}
		p, err := c.d.Payments.Lock(ctx, n.PaymentID)
		if err != nil {
			return err
		}
		if p.ProviderRef() == "" {
			p.SetProviderRef(n.ProviderRef)
		} else if p.ProviderRef() != n.ProviderRef {
			return errkind.WithDetail(payment.ErrInvalidCallback, "callback's provider reference does not match payment %s", n.PaymentID)
		}
		wasClosed := p.Status() == payment.Closed
		now := c.d.Now()
		changed, err := p.Settle(n.Outcome, now)
		if err != nil || !changed {
			return err
		}
		if err := c.d.Payments.Save(ctx, p); err != nil {
			return err
		}
		if n.Outcome != payment.OutcomeSucceeded {
			return nil
		}
		took := false
		if !wasClosed {
			f, err := c.flowOf(t)
			if err != nil {
				return err
			}
			if took, err = f.Collect(ctx, t, p, now); err != nil {
				return err
			}
		}
		if took {
			return nil
		}
		// Nothing takes the money: it is owed back, and the durable refund job gives it back
		// through the provider (named after the trade's first order, as a refund always is).
		if _, err := c.OweRefund(ctx, p, t.Orders()[0].ID(), ReasonUnclaimed, p.Amount()); err != nil {
			return err
		}
		_, err = c.d.Outbox.Append(ctx, TopicPaymentRefundOwed, tenant, p.TradeID(), RefundOwed{Tenant: tenant, PaymentID: p.ID(),
			TradeID: p.TradeID(), Amount: p.Amount().Minor(), Currency: p.Amount().Currency().Code(), At: now})
		return err
	})
}

// Crediter is a flow whose trades count money paid before them toward their price: an auction
// winner's deposit is credited to the sale.
type Crediter interface {
	// Credit is what counts toward the trade's price from elsewhere.
	Credit(ctx context.Context, t *order.Trade) (money.Amount, error)
}

// Credit is what counts toward the trade's price from elsewhere, as its flow says (zero for a
// flow that credits nothing).
func (c *Core) Credit(ctx context.Context, t *order.Trade) (money.Amount, error) {
	f, err := c.flowOf(t)
	if err != nil {
		return money.Amount{}, err
	}
	if cr, ok := f.(Crediter); ok {
		return cr.Credit(ctx, t)
	}
	return money.Zero(t.Total().Currency()), nil
}
