// Package luahost runs extension scripts in gopher-lua, as untrusted code.
//
// A script is compiled once per content hash and its proto is shared; live states are pooled per
// script, and every call gets a fresh global table, so nothing a call sets survives it. The
// libraries are cut down and bounded (see safelib.go). Each call has a budget: the CPU time of the
// thread running it where Linux measures it (a call waiting for a core on a loaded node is not
// refused for the wait), wall time as a generous backstop through the context, an exact
// instruction count (meter.go), caps on strings built by library functions,
// on call depth and on input and output size. Native library work that can take long is charged
// to the same budget and stops when it is spent: pattern matching counts its steps (pattern.go),
// sorting pays for its comparisons before it starts, and what rep, format, concat, upper, lower
// and reverse build is bounded before they build it. So a stopped call truly stops; its goroutine
// ends and its CPU is free. A call still runs on its own goroutine under a watchdog, as the last
// line of defence: the caller gets its error on time whatever a native function does, the
// abandoned state is never reused, and a bounded number of calls may run at once.
//
// Strings built with the .. operator are bounded by looking at the running frame's registers
// every few instructions (gopher-lua has no allocation hook; see meter): a script doubling a
// string stops within a small multiple of MaxString, where it used to take gigabytes and stall the
// whole node (a hostile script's order failed other tenants' orders with timeouts).
package luahost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

var errInstructionBudget = errors.New("instruction budget exceeded")

// Host compiles and runs scripts.
type Host struct {
	mu      sync.Mutex
	scripts map[string]*compiled
	slots   chan struct{}
	budget  extensions.Budget
	// budgetNow, if set, is read on each call instead of budget (a runtime toggle).
	budgetNow func() extensions.Budget
}

// Option configures a Host.
type Option func(*Host)

// WithBudgetFrom reads the default budget on each call from f (runtime toggles: an operator
// tightens the wall time or the instruction count while the server runs); what f leaves zero
// comes from the budget New was given.
func WithBudgetFrom(f func() extensions.Budget) Option { return func(h *Host) { h.budgetNow = f } }

// WithConcurrency bounds how many calls run at once (default 4 × GOMAXPROCS).
func WithConcurrency(n int) Option { return func(h *Host) { h.slots = make(chan struct{}, n) } }

// New returns a Host; budget fills what a call's own budget leaves zero.
func New(budget extensions.Budget, opts ...Option) *Host {
	h := &Host{scripts: map[string]*compiled{}, budget: budget.WithDefaults(),
		slots: make(chan struct{}, 4*runtime.GOMAXPROCS(0))}
	for _, o := range opts {
		o(h)
	}
	return h
}

type compiled struct {
	hash  string
	proto *lua.FunctionProto
	pool  chan *state
}

type state struct {
	L      *lua.LState
	sb     *sandbox
	budget extensions.Budget
}

// Hash is the content hash that names a script version.
func Hash(source string) string {
	sum := sha256.Sum256([]byte(source))
	return hex.EncodeToString(sum[:])
}

// Compile parses and compiles source, or returns the already compiled script of the same content.
func (h *Host) Compile(name, source string) (extensions.Executable, error) {
	hash := Hash(source)
	h.mu.Lock()
	c, ok := h.scripts[hash]
	h.mu.Unlock()
	if ok {
		return &Script{h: h, c: c}, nil
	}
	if len(source) > 64<<10 {
		return nil, errkind.WithDetail(extensions.ErrInvalidScript, "a script may be at most 64 KiB")
	}
	chunk, err := parse.Parse(strings.NewReader(source), name)
	if err != nil {
		return nil, errkind.WithMessage(extensions.ErrInvalidScript, "syntax error: "+oneLine(err.Error()))
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, errkind.WithMessage(extensions.ErrInvalidScript, "compile error: "+oneLine(err.Error()))
	}
	c = &compiled{hash: hash, proto: proto, pool: make(chan *state, 8)}
	h.mu.Lock()
	if prev, ok := h.scripts[hash]; ok {
		c = prev
	} else {
		h.scripts[hash] = c
	}
	h.mu.Unlock()
	return &Script{h: h, c: c}, nil
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// Script is a compiled script.
type Script struct {
	h *Host
	c *compiled
}

// Hash is the script's content hash.
func (s *Script) Hash() string { return s.c.hash }

func (s *Script) get(b extensions.Budget) *state {
	select {
	case st := <-s.c.pool:
		if st.budget == b {
			return st
		}
		st.L.Close()
	default:
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: b.CallDepth, RegistrySize: 1024, RegistryMaxSize: 64 * 1024,
		MinimizeStackMemory: true})
	return &state{L: L, sb: newSandbox(L, b), budget: b}
}

func (s *Script) put(st *state) {
	select {
	case s.c.pool <- st:
	default:
		st.L.Close()
	}
}

// Call runs the script's run(input, previous) with JSON in and JSON out. previous may be nil.
func (s *Script) Call(ctx context.Context, budget extensions.Budget, input, previous []byte) ([]byte, error) {
	def := s.h.budget
	if s.h.budgetNow != nil {
		def = s.h.budgetNow().Over(def)
	}
	b := mergeBudget(budget, def)
	if len(input) > b.MaxInput || len(previous) > b.MaxInput {
		return nil, errkind.WithDetail(extensions.ErrInputTooLarge, "input is %d bytes; the limit is %d", max(len(input), len(previous)), b.MaxInput)
	}
	// Waiting for a slot may take at most one budget; the script's own budget starts when it
	// runs, so a busy machine does not spend a well-behaved script's time before it starts.
	wait := time.NewTimer(b.Backstop())
	select {
	case s.h.slots <- struct{}{}:
		wait.Stop()
	case <-wait.C:
		return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "no script slot free within the time budget")
	case <-ctx.Done():
		wait.Stop()
		return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "the caller gave up before a script slot was free")
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-s.h.slots }()
		// The call's CPU time is its thread's while it runs: the goroutine keeps its thread.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		runCtx, cancel := context.WithTimeout(ctx, b.Backstop())
		defer cancel()
		st := s.get(b)
		out, err, reusable := s.run(runCtx, st, b, input, previous)
		if reusable {
			s.put(st)
		} else {
			st.L.Close()
		}
		done <- result{out, err}
	}()
	// The watchdog: the budget, time to be scheduled, and a grace period for the VM to notice.
	grace := time.NewTimer(2*b.Backstop() + 100*time.Millisecond)
	defer grace.Stop()
	select {
	case r := <-done:
		return r.out, r.err
	case <-grace.C:
		return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "the script did not stop within %s", b.Backstop())
	}
}

func mergeBudget(b, def extensions.Budget) extensions.Budget { return b.Over(def) }

// run executes one call on st; it reports whether st may be reused.
func (s *Script) run(ctx context.Context, st *state, b extensions.Budget, input, previous []byte) (out []byte, err error, reusable bool) {
	L := st.L
	m := newMeter(ctx, b.Instructions, b.Wall)
	m.L, m.maxString = L, b.MaxString
	L.SetContext(m)
	if u := extensions.UsageOf(ctx); u != nil {
		start := time.Now()
		defer func() {
			u.Instructions, u.Took, u.Budget = min(b.Instructions-m.left, b.Instructions+1), time.Since(start), b
		}()
	}
	defer func() {
		if p := recover(); p != nil {
			out, err, reusable = nil, errkind.WithDetail(extensions.ErrScriptFailed, "script panicked: %v", p), false
		}
		L.RemoveContext()
		L.SetTop(0)
	}()
	fail := func(e error) ([]byte, error, bool) {
		switch {
		case m.tooLong:
			return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "the script built a string longer than %d bytes", b.MaxString), false
		case m.cpuOut:
			return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "time budget of %s exceeded", b.Wall), false
		case m.exceeded:
			return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "instruction budget of %d exceeded", b.Instructions), false
		case ctx.Err() != nil:
			return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "time budget of %s exceeded (%s in all, waiting included)", b.Wall, b.Backstop()), false
		case strings.Contains(e.Error(), "stack overflow"):
			return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "call depth of %d exceeded", b.CallDepth), false
		case strings.Contains(e.Error(), "registry overflow"):
			return nil, errkind.WithDetail(extensions.ErrBudgetExceeded, "value stack limit exceeded"), false
		}
		return nil, scriptError(e), true
	}

	env := st.sb.env(L)
	chunk := L.NewFunctionFromProto(s.c.proto)
	chunk.Env = env
	if err := L.CallByParam(lua.P{Fn: chunk, NRet: 0, Protect: true}); err != nil {
		return fail(err)
	}
	run, ok := env.RawGetString("run").(*lua.LFunction)
	if !ok {
		return nil, errkind.WithDetail(extensions.ErrInvalidScript, "the script must define function run(input)"), true
	}
	in, err := toLua(L, input)
	if err != nil {
		return nil, errkind.WithDetail(extensions.ErrInvalidInput, "input: %s", err.Error()), true
	}
	args := []lua.LValue{in}
	if previous != nil {
		prev, err := toLua(L, previous)
		if err != nil {
			return nil, errkind.WithDetail(extensions.ErrInvalidInput, "previous output: %s", err.Error()), true
		}
		args = append(args, prev)
	}
	if err := L.CallByParam(lua.P{Fn: run, NRet: 1, Protect: true}, args...); err != nil {
		return fail(err)
	}
	ret := L.Get(-1)
	out, err = fromLua(ret, b.MaxOutput)
	if err != nil {
		return nil, errkind.WithDetail(extensions.ErrInvalidOutput, "%s", err.Error()), true
	}
	if len(out) > b.MaxOutput {
		return nil, errkind.WithDetail(extensions.ErrInvalidOutput, "output is %d bytes; the limit is %d", len(out), b.MaxOutput), true
	}
	return out, nil, true
}

// scriptError turns a Lua error into a stable one. A script may raise any value (error({...}));
// only a string message is shown, trimmed of the Go stack.
func scriptError(err error) error {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if s, ok := ae.Object.(lua.LString); ok {
			return errkind.WithMessage(extensions.ErrScriptFailed, oneLine(string(s)))
		}
		if ae.Object != nil && ae.Object != lua.LNil {
			return errkind.WithDetail(extensions.ErrScriptFailed, "script raised a %s, not a message", ae.Object.Type())
		}
	}
	return errkind.WithMessage(extensions.ErrScriptFailed, oneLine(err.Error()))
}

// String describes the host for logs.
func (h *Host) String() string { return fmt.Sprintf("luahost(%d scripts)", len(h.scripts)) }
