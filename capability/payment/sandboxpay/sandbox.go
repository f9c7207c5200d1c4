// Package sandboxpay is the "sandbox" payment provider: it behaves like a real one without
// moving money. It hands out intent references, and when told the outcome of a payment
// (Simulate) it sends a signed callback over HTTP to the platform's callback URL, retrying on
// failure as real providers do. Signatures are HMAC-SHA256 over "<timestamp>.<body>" with a shared
// secret; callbacks older than the tolerance are refused so a captured callback cannot be
// replayed forever, and replays within it are absorbed by the payment state machine.
//
// Refunds are accepted at once, with a reference derived from the refund id (so asking twice
// answers the same, as a real provider deduplicates on the merchant's refund number).
// FailRefunds simulates a provider outage for the next refund requests; Down, one that does not
// answer at all until Up; Troubles, a slow or silent provider by the running server's toggles.
package sandboxpay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Header names of a sandbox callback.
const (
	HeaderTimestamp = "X-Sandbox-Timestamp"
	HeaderSignature = "X-Sandbox-Signature"
)

// Config of the provider.
type Config struct {
	// Secret signs callbacks; at least 16 bytes.
	Secret string `yaml:"secret"`
	// CallbackURL is where callbacks are sent, e.g. http://127.0.0.1:8080/callbacks/v1/payments/sandbox.
	CallbackURL string `yaml:"callbackUrl"`
	// Tolerance is how old a callback may be (default 5m).
	Tolerance time.Duration `yaml:"tolerance"`
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if len(c.Secret) < 16 {
		return errors.New("sandboxpay: secret must be at least 16 bytes")
	}
	if c.CallbackURL == "" {
		return errors.New("sandboxpay: callbackUrl is required")
	}
	return nil
}

// Provider is the sandbox provider.
type Provider struct {
	cfg    Config
	client *http.Client
	// outage is how many refund requests still fail (FailRefunds).
	outage atomic.Int64
	// misreport is added to the amount the next refund acceptance reports (MisreportRefunds).
	misreport atomic.Int64
	// down, while set, is how long each intent and refund request hangs before it fails (Down).
	down atomic.Pointer[time.Duration]
	// troubles, when set, are read on every intent and refund request (Troubles).
	troubles atomic.Pointer[func() (slow, down time.Duration)]
	now      func() time.Time
}

// Troubles makes the provider read its troubles on every intent and refund request: it answers
// slow late, and while down is not zero it hangs that long and fails as Down does. The platform
// wires it to the sandbox.slow and sandbox.down toggles, so that a campaign can make the provider
// slow or silent in a running server.
func (p *Provider) Troubles(f func() (slow, down time.Duration)) { p.troubles.Store(&f) }

// Down simulates a provider that stops answering: every intent and refund request waits for
// hang (or its context) and fails with payment.provider_unavailable, until Up.
func (p *Provider) Down(hang time.Duration) { p.down.Store(&hang) }

// Up ends Down.
func (p *Provider) Up() { p.down.Store(nil) }

func (p *Provider) unanswered(ctx context.Context, what string) error {
	var slow, down time.Duration
	if f := p.troubles.Load(); f != nil {
		slow, down = (*f)()
	}
	if hang := p.down.Load(); hang != nil {
		down = *hang
	}
	if down > 0 {
		wait(ctx, down)
		return fmt.Errorf("sandboxpay: %s: simulated outage, no answer: %w", what, payment.ErrProviderFailed)
	}
	if slow > 0 && !wait(ctx, slow) {
		return fmt.Errorf("sandboxpay: %s: %w: %w", what, ctx.Err(), payment.ErrProviderFailed)
	}
	return nil
}

// wait waits d, or until ctx ends (false).
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// New returns a sandbox provider.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = 5 * time.Minute
	}
	// A provider opens a connection per callback and holds none to the merchant; a kept-alive
	// idle connection would also hold the gateway's graceful shutdown open.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	return &Provider{cfg: cfg, client: client, now: time.Now}, nil
}

// Name implements payment.Provider.
func (p *Provider) Name() string { return "sandbox" }

// CreateIntent implements payment.Provider: one intent per payment id, as real providers
// deduplicate on the merchant's order number.
func (p *Provider) CreateIntent(ctx context.Context, pay *payment.Payment) (string, error) {
	if err := p.unanswered(ctx, "intent "+pay.ID()); err != nil {
		return "", err
	}
	return p.intentRef(pay.ID()), nil
}

func (p *Provider) intentRef(paymentID string) string {
	return "sbx_" + p.Sign("intent", []byte(paymentID))[:24]
}

// Refund implements payment.Provider.
func (p *Provider) Refund(ctx context.Context, pay *payment.Payment, r *payment.Refund) (payment.RefundAck, error) {
	ref, err := p.refund(ctx, pay, r)
	if err != nil {
		return payment.RefundAck{}, err
	}
	return payment.RefundAck{ProviderRef: ref, Amount: r.Amount().Minor() + p.misreport.Swap(0), Currency: r.Amount().Currency().Code()}, nil
}

// MisreportRefunds makes the next refund acceptance report delta more than the refund asked
// for, as a provider whose books disagree with the platform's would.
func (p *Provider) MisreportRefunds(delta int64) { p.misreport.Store(delta) }

func (p *Provider) refund(ctx context.Context, pay *payment.Payment, r *payment.Refund) (string, error) {
	if err := p.unanswered(ctx, "refund "+r.ID()); err != nil {
		return "", err
	}
	for {
		n := p.outage.Load()
		if n <= 0 {
			break
		}
		if p.outage.CompareAndSwap(n, n-1) {
			return "", fmt.Errorf("sandboxpay: refund %s: simulated outage: %w", r.ID(), payment.ErrProviderFailed)
		}
	}
	if r.PaymentID() != pay.ID() || r.Amount().Currency() != pay.Amount().Currency() || r.Amount().Minor() > pay.Amount().Minor() {
		return "", errkind.WithDetail(payment.ErrNotRefundable, "refund %s does not fit payment %s", r.ID(), pay.ID())
	}
	return "sbr_" + p.Sign("refund", []byte(r.ID()))[:24], nil
}

// FailRefunds makes the next n refund requests fail as if the provider were down.
func (p *Provider) FailRefunds(n int64) { p.outage.Store(n) }

type callback struct {
	NotifyID    string `json:"notifyId"`
	PaymentID   string `json:"paymentId"`
	ProviderRef string `json:"providerRef"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Outcome     string `json:"outcome"`
	// Attach is what the merchant attached to the intent and the provider passes back untouched
	// (WeChat Pay's attach, Alipay's passback_params): the payment's tenant.
	Attach string `json:"attach,omitempty"`
}

// Sign returns the signature of body at timestamp ts.
func (p *Provider) Sign(ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(p.cfg.Secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyCallback implements payment.Provider.
func (p *Provider) VerifyCallback(h http.Header, body []byte) (payment.Notification, error) {
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return payment.Notification{}, errkind.WithDetail(payment.ErrInvalidSignature, "missing timestamp or signature")
	}
	want, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(want, mustHex(p.Sign(ts, body))) {
		return payment.Notification{}, payment.ErrInvalidSignature
	}
	age := p.now().Sub(time.Unix(sec, 0))
	if age > p.cfg.Tolerance || age < -p.cfg.Tolerance {
		return payment.Notification{}, errkind.WithDetail(payment.ErrInvalidSignature, "callback timestamp outside tolerance")
	}
	var cb callback
	if err := json.Unmarshal(body, &cb); err != nil || cb.PaymentID == "" || cb.NotifyID == "" {
		return payment.Notification{}, payment.ErrInvalidCallback
	}
	o := payment.Outcome(cb.Outcome)
	if o != payment.OutcomeSucceeded && o != payment.OutcomeFailed {
		return payment.Notification{}, errkind.WithDetail(payment.ErrInvalidCallback, "unknown outcome %q", cb.Outcome)
	}
	return payment.Notification{NotifyID: cb.NotifyID, PaymentID: cb.PaymentID, ProviderRef: cb.ProviderRef,
		Amount: cb.Amount, Currency: cb.Currency, Outcome: o, Tenant: cb.Attach}, nil
}

// Callback builds a signed callback for pay with outcome: the body and its headers. It names the
// intent by pay's reference, or (a payment whose reference the platform never saved) by the one
// the provider registered for its id.
func (p *Provider) Callback(pay *payment.Payment, outcome payment.Outcome) ([]byte, http.Header) {
	return p.CallbackReporting(pay, outcome, pay.Amount().Minor(), pay.Amount().Currency().Code())
}

// CallbackReporting builds a signed callback for pay with outcome that says amount in currency
// was paid, whatever pay asked for: a provider's report the platform must not take as it is.
func (p *Provider) CallbackReporting(pay *payment.Payment, outcome payment.Outcome, amount int64, currency string) ([]byte, http.Header) {
	ref := pay.ProviderRef()
	if ref == "" {
		ref = p.intentRef(pay.ID())
	}
	return p.callback(pay.Tenant(), pay.ID(), ref, outcome, amount, currency)
}

// CallbackOf builds the signed callback the provider would send for tenant's payment paymentID,
// which asked for amount in currency, with outcome: what a client that holds the provider's
// secret (a test, atrium chaos) sends itself to duplicate, delay or reorder the provider's
// reports.
func (p *Provider) CallbackOf(tenant, paymentID string, outcome payment.Outcome, amount int64, currency string) ([]byte, http.Header) {
	return p.callback(tenant, paymentID, p.intentRef(paymentID), outcome, amount, currency)
}

func (p *Provider) callback(tenant, paymentID, ref string, outcome payment.Outcome, amount int64, currency string) ([]byte, http.Header) {
	body, _ := json.Marshal(callback{NotifyID: "ntf_" + randomHex(12), PaymentID: paymentID, ProviderRef: ref,
		Amount: amount, Currency: currency, Outcome: string(outcome), Attach: tenant})
	ts := strconv.FormatInt(p.now().Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, p.Sign(ts, body))
	return body, h
}

// Simulate makes the provider report outcome for pay: it posts the signed callback to the
// callback URL, retrying up to three times on a network error or a 5xx, and returns once the
// platform accepted it.
func (p *Provider) Simulate(ctx context.Context, pay *payment.Payment, outcome payment.Outcome) error {
	body, h := p.Callback(pay, outcome)
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.CallbackURL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("sandboxpay: callback request: %w", err)
		}
		req.Header = h.Clone()
		resp, err := p.client.Do(req)
		if err != nil {
			last = err
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode < 300 {
			return nil
		}
		last = fmt.Errorf("callback answered %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
		if resp.StatusCode < 500 {
			break // the platform refused it; retrying the same callback cannot help
		}
	}
	return fmt.Errorf("sandboxpay: deliver callback for %s: %v: %w", pay.ID(), last, payment.ErrProviderFailed)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
