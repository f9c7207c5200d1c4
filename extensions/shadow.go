package extensions

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Shadow replay: before a version is published, it runs on the logged inputs of the last calls
// of its point at a scope, beside what those calls returned, and the report says what would have
// changed: how many results differ, by how much money (for points whose output is money), the
// candidate's errors and budget hits, and its slowest calls. Nothing it computes is written or
// returned to a buyer; the calls run one after another, so a replay takes one core at a time.

// Shadow limits.
const (
	DefaultShadowCalls = 1000
	MaxShadowCalls     = 10000
	// DefaultShadowWindow bounds by time the calls a replay reads back by default.
	DefaultShadowWindow = 7 * 24 * time.Hour
	shadowListed        = 50 // changed calls, errors and slowest calls a report lists
)

// ShadowRequest asks for a replay of a stored version.
type ShadowRequest struct {
	ScriptID string
	Version  int
	// Scope and Point are where the logged calls ran; Point may be empty (the version's own).
	Scope, Point string
	// Limit is how many of the latest calls to replay (default DefaultShadowCalls); Since bounds
	// them by time (default DefaultShadowWindow ago).
	Limit int
	Since time.Time
	// Progress, if set, is told of each call replayed.
	Progress func(done, total int)
}

// ShadowCall is one replayed call.
type ShadowCall struct {
	TradeID string
	Seq     int
	At      time.Time
	// Ran is the version that served the call (empty ScriptID: the Go default, after a script
	// failed); Baseline is what the call returned, Candidate what the version returns.
	Ran       Binding
	Baseline  json.RawMessage
	Candidate json.RawMessage
	// MoneyDelta is what the buyer would pay more (less, negative) with the candidate, in minor
	// units of Currency, for a point whose output is money.
	MoneyDelta int64
	Currency   string
	Error      string
	BudgetHit  bool
	Took       time.Duration
	// Skipped: the call was logged cut short (too large to keep whole) and is not replayed.
	Skipped bool
}

// ShadowReport is what a replay found.
type ShadowReport struct {
	ScriptID string
	Version  int
	Point    string
	Scope    string
	Since    time.Time
	// Calls were replayed; Changed of them returned another result; Errors failed (BudgetHits
	// of them over the point's budget). Skipped calls were logged cut short and not replayed.
	Calls, Changed, Errors, BudgetHits, Skipped int
	// Money says whether the point's output is money; MoneyDelta is then the candidate's total
	// difference per currency, and ChangedMoney the calls whose money differs.
	Money        bool
	MoneyDelta   map[string]int64
	ChangedMoney int
	// Took is the candidate's time over all calls.
	Took time.Duration
	// ChangedCalls and FailedCalls list the first calls (newest first) that differ or fail;
	// Slowest the candidate's slowest calls.
	ChangedCalls, FailedCalls, Slowest []ShadowCall
}

// Shadow replays a stored version over the logged calls of its point at a scope (see the top of
// this file). A version of another point than the one named is refused.
func (a *Admin) Shadow(ctx context.Context, tenant string, req ShadowRequest) (ShadowReport, error) {
	if err := a.ParseScope(tenant, req.Scope); err != nil {
		return ShadowReport{}, err
	}
	switch {
	case req.Limit == 0:
		req.Limit = DefaultShadowCalls
	case req.Limit < 1 || req.Limit > MaxShadowCalls:
		return ShadowReport{}, errkind.Invalidf("limit must be between 1 and %d", MaxShadowCalls)
	}
	if req.Since.IsZero() {
		req.Since = a.now().Add(-DefaultShadowWindow)
	}
	v, err := a.store.Version(ctx, tenant, req.ScriptID, req.Version)
	if err != nil {
		return ShadowReport{}, err
	}
	if req.Point == "" {
		req.Point = v.Point
	}
	if req.Point != v.Point {
		return ShadowReport{}, errkind.WithDetail(ErrInvalidScript, "version %d of %s is for %s, not %s", v.Version, v.ScriptID, v.Point, req.Point)
	}
	d, err := Lookup(v.Point)
	if err != nil {
		return ShadowReport{}, err
	}
	exe, err := a.engine.Compile(Version{ScriptID: v.ScriptID, Version: v.Version, Hash: v.Hash, Source: v.Source})
	if err != nil {
		return ShadowReport{}, err
	}
	runs, err := a.store.RecentRuns(ctx, tenant, req.Scope, req.Point, req.Since, req.Limit)
	if err != nil {
		return ShadowReport{}, err
	}
	rep := ShadowReport{ScriptID: v.ScriptID, Version: v.Version, Point: v.Point, Scope: req.Scope, Since: req.Since,
		Money: d.MoneyJSON != nil, MoneyDelta: map[string]int64{}}
	var calls []ShadowCall
	for i, r := range runs {
		if err := ctx.Err(); err != nil {
			return ShadowReport{}, err
		}
		if req.Progress != nil {
			req.Progress(i, len(runs))
		}
		c, err := a.shadowCall(ctx, d, exe, r)
		if err != nil {
			return ShadowReport{}, err
		}
		if c.Skipped {
			rep.Skipped++
			continue
		}
		rep.Calls++
		rep.Took += c.Took
		switch {
		case c.Error != "":
			rep.Errors++
			if c.BudgetHit {
				rep.BudgetHits++
			}
			if len(rep.FailedCalls) < shadowListed {
				rep.FailedCalls = append(rep.FailedCalls, c)
			}
		case !SameJSON(c.Baseline, c.Candidate):
			rep.Changed++
			if c.MoneyDelta != 0 {
				rep.ChangedMoney++
				rep.MoneyDelta[c.Currency] += c.MoneyDelta
			}
			if len(rep.ChangedCalls) < shadowListed {
				rep.ChangedCalls = append(rep.ChangedCalls, c)
			}
		}
		calls = append(calls, c)
	}
	if req.Progress != nil {
		req.Progress(len(runs), len(runs))
	}
	slices.SortStableFunc(calls, func(x, y ShadowCall) int { return cmp.Compare(y.Took, x.Took) })
	rep.Slowest = calls[:min(len(calls), 10)]
	return rep, nil
}

// shadowCall runs one logged call with the candidate. Its baseline is what the call returned: the
// script's output, or the default's where the script failed or fell back.
func (a *Admin) shadowCall(ctx context.Context, d *Descriptor, exe Executable, r RunRecord) (ShadowCall, error) {
	c := ShadowCall{TradeID: r.TradeID, Seq: r.Seq, At: r.At, Ran: r.Binding, Baseline: r.Output}
	var head struct {
		Currency string `json:"currency"`
	}
	_ = json.Unmarshal(r.Input, &head) // points without a currency have no money either
	c.Currency = head.Currency
	if !json.Valid(r.Input) || r.Outcome == OutcomeOK && !json.Valid(r.Output) {
		c.Skipped = true // logged cut short (or by hand): there is nothing whole to compare
		return c, nil
	}
	if r.Outcome != OutcomeOK {
		c.Ran.ScriptID, c.Ran.Version = "", 0
		out, err := d.DefaultJSON(ctx, r.Input)
		if err != nil {
			c.Error = "the logged input no longer fits the point: " + publicOf(err)
			return c, nil
		}
		c.Baseline = out
	}
	start := time.Now()
	out, err := d.RunJSON(ctx, exe, r.Input, r.Previous)
	c.Took = time.Since(start)
	if err != nil {
		c.Error, c.BudgetHit = publicOf(err), errors.Is(err, ErrBudgetExceeded)
		return c, nil
	}
	c.Candidate = out
	if d.MoneyJSON != nil {
		before, err := d.MoneyJSON(r.Input, c.Baseline)
		if err != nil {
			return c, err
		}
		after, err := d.MoneyJSON(r.Input, out)
		if err != nil {
			return c, err
		}
		c.MoneyDelta = after - before
	}
	return c, nil
}

// publicOf is an error as an operator may read it (a script's message and line, not internals).
func publicOf(err error) string {
	_, public := errkind.Describe(err)
	if errors.Is(err, ErrScriptFailed) || errors.Is(err, ErrBudgetExceeded) || errors.Is(err, ErrInvalidOutput) {
		return err.Error()
	}
	return public
}
