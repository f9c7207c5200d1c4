package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// client speaks to the access layer as the front ends do, and as they do sends a request again,
// with its key, until it gets an answer that is not a 5xx or a dropped connection.
type client struct {
	base   string
	http   *http.Client
	tally  *tally
	ledger *ledger
}

func newClient(base string, t *tally, l *ledger) *client {
	return &client{base: base, tally: t, ledger: l, http: &http.Client{Timeout: 15 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}}
}

// answer is what one request got.
type answer struct {
	status int
	body   map[string]any
	raw    string
	err    error
}

// data is the envelope's data.
func (a answer) data() map[string]any {
	d, _ := a.body["data"].(map[string]any)
	return d
}

func (a answer) code() string { s, _ := a.body["code"].(string); return s }

// ok: the request succeeded (2xx; errcode 0 on the mini-program).
func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

// certain: the server answered and the answer is not one a client sends again.
func (a answer) certain() bool { return a.err == nil && a.status < 500 }

func (c *client) once(ctx context.Context, method, path, token string, body any, headers ...string) answer {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	if strings.HasPrefix(path, "/mp/") {
		fromMP(&a)
	}
	return a
}

// send sends a request until it is answered for certain, for up to two minutes (a node being
// restarted, a paused database). op names it in the tally; headers are name, value pairs (an
// Idempotency-Key makes the resends safe).
func (c *client) send(ctx context.Context, op, method, path, token string, body any, headers ...string) answer {
	deadline := time.Now().Add(2 * time.Minute)
	for attempt := 0; ; attempt++ {
		a := c.once(ctx, method, path, token, body, headers...)
		if attempt > 0 {
			c.tally.fault("client.resent")
		}
		if a.certain() || time.Now().After(deadline) || ctx.Err() != nil {
			c.tally.op(op, a)
			return a
		}
		time.Sleep(time.Duration(100+50*min(attempt, 20)) * time.Millisecond)
	}
}

// minor reads the app channel's money ("12.30") in minor units (two decimals: the campaign
// trades in CNY).
func minor(v any) int64 {
	s := fmt.Sprint(v)
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// tally counts operations by kind and outcome, and faults by kind.
type tally struct {
	mu     sync.Mutex
	ops    map[string]map[string]int // op → outcome (a status, a code) → count
	faults map[string]int
	broken []string // violations seen while trading (a 500 with a stack, a key answering two things)
}

func newTally() *tally {
	return &tally{ops: map[string]map[string]int{}, faults: map[string]int{}}
}

func (t *tally) op(op string, a answer) {
	outcome := "no answer"
	switch {
	case a.err != nil:
	case a.status < 300:
		outcome = "ok"
	default:
		outcome = a.code()
		if outcome == "" {
			outcome = fmt.Sprint(a.status)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ops[op] == nil {
		t.ops[op] = map[string]int{}
	}
	t.ops[op][outcome]++
	// A 500 is a defect whatever the fault: the platform answers a fault it knows with a
	// stable, retryable code (503) and never with an internal error.
	if a.err == nil && a.status == 500 {
		t.broken = append(t.broken, fmt.Sprintf("%s answered 500: %.200s", op, a.raw))
	}
}

// died records a node found dead that no fault had killed.
func (t *tally) died(node string) {
	t.mu.Lock()
	t.broken = append(t.broken, node+" died on its own during the campaign")
	t.mu.Unlock()
}

func (t *tally) fault(kind string) {
	t.mu.Lock()
	t.faults[kind]++
	t.mu.Unlock()
}

func (t *tally) totals() (ops, faults, violations int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.ops {
		for _, n := range m {
			ops += n
		}
	}
	for _, n := range t.faults {
		faults += n
	}
	return ops, faults, len(t.broken)
}

// ledger is what the clients were told: the trades and payments the platform acknowledged, and
// what each idempotency key answered.
type ledger struct {
	mu       sync.Mutex
	keys     map[string]string   // key → the id it answered (a trade, a payment, an after-sale)
	trades   map[string][]string // acknowledged trade → its orders
	payments map[string]paid     // acknowledged successful payment
	problems []string
}

// paid is a payment the platform acknowledged as succeeded (it answered the provider's success
// callback 200).
type paid struct {
	trade  string
	amount int64
}

func newLedger() *ledger {
	return &ledger{keys: map[string]string{}, trades: map[string][]string{}, payments: map[string]paid{}}
}

// answered records that key answered id, and reports a key that answered something else before.
func (l *ledger) answered(key, id string) {
	if key == "" || id == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if was, ok := l.keys[key]; ok && was != id {
		l.problems = append(l.problems, fmt.Sprintf("idempotency key %s answered %s, then %s", key, was, id))
		return
	}
	l.keys[key] = id
}

func (l *ledger) trade(id string, orders []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if was, ok := l.trades[id]; ok && len(was) != len(orders) {
		l.problems = append(l.problems, fmt.Sprintf("trade %s acknowledged with orders %v, then %v", id, was, orders))
	}
	l.trades[id] = orders
}

func (l *ledger) payment(id, trade string, amount int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.payments[id] = paid{trade: trade, amount: amount}
}

func (l *ledger) violationCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.problems)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
