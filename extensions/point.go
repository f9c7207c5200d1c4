// Package extensions lets a business identity change how a capability behaves with a script.
//
// A capability declares an extension point in Go (Declare): its name, its input and output
// types (plain structs with JSON names; money in minor units), its default implementation, its
// failure policy and its mode. At run time the point asks a Runtime (the Engine) which published
// script versions apply to the caller's identity, most specific first: bizCode/scenario, then
// bizCode/*, then tenant/*, then the Go default. COLA stops before a global default; here every
// point has one, so an identity without scripts behaves exactly as the platform does.
//
// A script's output is decoded strictly into the point's output type (an unknown field or a
// wrong type is an error, not a guess) and checked by the point's own Check. When a script fails
// (error, budget, bad output) the policy decides: FailClosed returns a stable error and the
// caller stops; FallBack uses the default result and records that it did.
//
// This package holds no script engine: the Lua host (extensions/luahost) implements Host, and
// capabilities import this package without importing gopher-lua.
package extensions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// Policy is what a point does when its script fails.
type Policy int

// The policies.
const (
	// FailClosed stops the caller with a stable error.
	FailClosed Policy = iota
	// FallBack uses the default result and records the failure.
	FallBack
)

func (p Policy) String() string {
	if p == FallBack {
		return "fall_back"
	}
	return "fail_closed"
}

// Mode is how several applicable scripts combine.
type Mode int

// The modes.
const (
	// Override runs the most specific applicable script only.
	Override Mode = iota
	// Reduce runs every applicable script from the most general to the most specific, each
	// receiving the previous output (the default's, for the first) as its second argument.
	Reduce
)

func (m Mode) String() string {
	if m == Reduce {
		return "reduce"
	}
	return "override"
}

// Spec declares a point.
type Spec[In, Out any] struct {
	Name    string
	Doc     string
	Policy  Policy
	Mode    Mode
	Budget  Budget
	Default func(ctx context.Context, in In) (Out, error)
	// Check validates a script's output against its input (ranges, currencies, references).
	Check func(in In, out Out) error
	// Money is what an output means in money for the buyer, in minor units of the input's
	// currency (a cart's goods at the prices it gives, the shipping fees it sets): a shadow
	// replay reports how much a candidate version would have changed it. Nil for points whose
	// output is not money.
	Money func(in In, out Out) int64
}

// Call is who a point runs for.
type Call struct {
	Identity identity.Identity
	UserID   string
}

// Binding is one script version chosen for a call.
type Binding struct {
	Scope    string
	ScriptID string
	Version  int
	Hash     string
	Gray     bool
}

// Runtime resolves and runs scripts; the Engine is one.
type Runtime interface {
	Resolve(point string, mode Mode, call Call) []Binding
	Exec(ctx context.Context, point string, b Binding, budget Budget, in, prev []byte) ([]byte, error)
	Observe(point string, b Binding, outcome Outcome, err error, took time.Duration)
	// SampleDefault reports whether a call of point that runs no script is to be logged (with its
	// input and the default's output) for shadow replay.
	SampleDefault(point string) bool
}

// Outcome says how a script call ended.
type Outcome string

// The outcomes.
const (
	OutcomeOK       Outcome = "ok"
	OutcomeFailed   Outcome = "failed"    // fail closed: the caller got the error
	OutcomeFellBack Outcome = "fell_back" // fall back: the default result was used
)

// Descriptor is what every point offers generically: its metadata and a JSON runner used by the
// admin test-run, `atrium ext run` and replay, so they compute exactly what the server would.
type Descriptor struct {
	Name   string
	Doc    string
	Policy Policy
	Mode   Mode
	Budget Budget
	Input  any // a zero value of the input type, for documentation
	Output any
	// RunJSON runs exe as this point on a JSON input (and previous output, in reduce mode) and
	// returns the decoded, checked output re-encoded as JSON.
	RunJSON func(ctx context.Context, exe Executable, in, prev []byte) ([]byte, error)
	// DefaultJSON runs the point's Go default on a JSON input.
	DefaultJSON func(ctx context.Context, in []byte) ([]byte, error)
	// MoneyJSON is Spec.Money of a JSON input and output; nil for a point without one.
	MoneyJSON func(in, out []byte) (int64, error)
}

var (
	regMu    sync.RWMutex
	registry = map[string]*Descriptor{}
)

// Point is a declared extension point.
type Point[In, Out any] struct {
	spec Spec[In, Out]
}

// Declare registers a point. Declaring a name twice panics: it is a programming error found at
// start-up.
func Declare[In, Out any](s Spec[In, Out]) *Point[In, Out] {
	if s.Name == "" || s.Default == nil {
		panic("extensions: a point needs a name and a default")
	}
	// The spec keeps only what the point sets; the host fills the rest from its configured
	// defaults. The descriptor shows the package defaults for what the point leaves open.
	p := &Point[In, Out]{spec: s}
	var zin In
	var zout Out
	d := &Descriptor{Name: s.Name, Doc: s.Doc, Policy: s.Policy, Mode: s.Mode, Budget: s.Budget.WithDefaults(), Input: zin, Output: zout,
		RunJSON: p.runJSON, DefaultJSON: p.defaultJSON}
	if s.Money != nil {
		d.MoneyJSON = p.moneyJSON
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[s.Name]; dup {
		panic("extensions: point " + s.Name + " declared twice")
	}
	registry[s.Name] = d
	return p
}

// Lookup returns a declared point's descriptor.
func Lookup(name string) (*Descriptor, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	d, ok := registry[name]
	if !ok {
		return nil, errkind.WithDetail(ErrUnknownPoint, "no extension point %q", name)
	}
	return d, nil
}

// Points lists every declared point, by name.
func Points() []*Descriptor {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]*Descriptor, 0, len(registry))
	for _, d := range registry {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Name is the point's name.
func (p *Point[In, Out]) Name() string { return p.spec.Name }

// Run computes the point for a call: the applicable scripts, or the default.
func (p *Point[In, Out]) Run(ctx context.Context, rt Runtime, call Call, in In) (Out, error) {
	if rt == nil {
		return p.spec.Default(ctx, in)
	}
	bindings := rt.Resolve(p.spec.Name, p.spec.Mode, call)
	if len(bindings) == 0 {
		out, err := p.spec.Default(ctx, in)
		if err == nil && rt.SampleDefault(p.spec.Name) {
			p.recordDefault(ctx, call, in, out)
		}
		return out, err
	}
	inJSON, err := json.Marshal(in)
	if err != nil {
		return *new(Out), fmt.Errorf("extensions: %s input: %w", p.spec.Name, err)
	}
	var out Out
	var prev []byte
	if p.spec.Mode == Reduce {
		if out, err = p.spec.Default(ctx, in); err != nil {
			return out, err
		}
		if prev, err = json.Marshal(out); err != nil {
			return out, fmt.Errorf("extensions: %s default output: %w", p.spec.Name, err)
		}
	}
	for _, b := range bindings {
		start := time.Now()
		var raw []byte
		raw, err = rt.Exec(ctx, p.spec.Name, b, p.spec.Budget, inJSON, prev)
		if err == nil {
			out, err = p.decode(in, raw)
		}
		took := time.Since(start)
		if err != nil {
			return p.failed(ctx, rt, call, b, in, inJSON, err, took)
		}
		rt.Observe(p.spec.Name, b, OutcomeOK, nil, took)
		record(ctx, Record{Point: p.spec.Name, Binding: b, Outcome: OutcomeOK, Input: inJSON, Previous: prev, Output: raw,
			BizCode: call.Identity.BizCode(), Scenario: string(call.Identity.Scenario())})
		prev = raw
	}
	return out, nil
}

func (p *Point[In, Out]) failed(ctx context.Context, rt Runtime, call Call, b Binding, in In, inJSON []byte, err error, took time.Duration) (Out, error) {
	_, public := errkind.Describe(err)
	biz, scenario := call.Identity.BizCode(), string(call.Identity.Scenario())
	if p.spec.Policy == FailClosed {
		rt.Observe(p.spec.Name, b, OutcomeFailed, err, took)
		record(ctx, Record{Point: p.spec.Name, Binding: b, Outcome: OutcomeFailed, Input: inJSON, Error: public, BizCode: biz, Scenario: scenario})
		var zero Out
		return zero, fmt.Errorf("extensions: %s script %s v%d: %w", p.spec.Name, b.ScriptID, b.Version, err)
	}
	rt.Observe(p.spec.Name, b, OutcomeFellBack, err, took)
	record(ctx, Record{Point: p.spec.Name, Binding: b, Outcome: OutcomeFellBack, Input: inJSON, Error: public, BizCode: biz, Scenario: scenario})
	return p.spec.Default(ctx, in)
}

// recordDefault logs a call the default served: what a first script would be given (in reduce
// mode the default's output as previous too) and what the call returned.
func (p *Point[In, Out]) recordDefault(ctx context.Context, call Call, in In, out Out) {
	inJSON, err1 := json.Marshal(in)
	outJSON, err2 := json.Marshal(out)
	if err1 != nil || err2 != nil {
		return // nothing whole to log; the call itself is unaffected
	}
	r := Record{Point: p.spec.Name, Outcome: OutcomeOK, Input: inJSON, Output: outJSON, BizCode: call.Identity.BizCode(),
		Scenario: string(call.Identity.Scenario())}
	if p.spec.Mode == Reduce {
		r.Previous = outJSON
	}
	record(ctx, r)
}

// decode reads a script's output strictly and checks it.
func (p *Point[In, Out]) decode(in In, raw []byte) (Out, error) {
	var out Out
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return out, errkind.WithDetail(ErrInvalidOutput, "output does not match %s: %s", p.spec.Name, shapeError(err))
	}
	if p.spec.Check != nil {
		if err := p.spec.Check(in, out); err != nil {
			_, public := errkind.Describe(err)
			if errors.Is(err, errkind.ErrInternal) {
				public = err.Error()
			}
			return out, errkind.WithDetail(ErrInvalidOutput, "output of %s rejected: %s", p.spec.Name, public)
		}
	}
	return out, nil
}

func shapeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q must be %s, got %s", te.Field, kindName(te.Type), te.Value)
	}
	return err.Error()
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

func (p *Point[In, Out]) strictInput(raw []byte) (In, error) {
	var in In
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, errkind.Invalidf("input does not match %s: %s", p.spec.Name, shapeError(err))
	}
	return in, nil
}

func (p *Point[In, Out]) runJSON(ctx context.Context, exe Executable, in, prev []byte) ([]byte, error) {
	typed, err := p.strictInput(in)
	if err != nil {
		return nil, err
	}
	canonical, _ := json.Marshal(typed)
	raw, err := exe.Call(ctx, p.spec.Budget, canonical, prev)
	if err != nil {
		return nil, err
	}
	out, err := p.decode(typed, raw)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func (p *Point[In, Out]) defaultJSON(ctx context.Context, in []byte) ([]byte, error) {
	typed, err := p.strictInput(in)
	if err != nil {
		return nil, err
	}
	out, err := p.spec.Default(ctx, typed)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func (p *Point[In, Out]) moneyJSON(in, out []byte) (int64, error) {
	var typedIn In
	var typedOut Out
	if err := json.Unmarshal(in, &typedIn); err != nil {
		return 0, fmt.Errorf("extensions: %s input: %w", p.spec.Name, err)
	}
	if err := json.Unmarshal(out, &typedOut); err != nil {
		return 0, fmt.Errorf("extensions: %s output: %w", p.spec.Name, err)
	}
	return p.spec.Money(typedIn, typedOut), nil
}
