package luahost

import (
	"context"
	"time"
)

// Budget bounds one call of a script.
type Budget struct {
	// Wall is the wall-clock time of one call (default 5ms).
	Wall time.Duration
	// Instructions is the number of Lua VM instructions one call may execute (default 1,000,000).
	Instructions int64
	// MaxString is the longest string a bounded library function may build (default 256 KiB).
	MaxString int
	// MaxInput and MaxOutput cap the JSON size of the input and of the output (defaults 128 KiB and
	// 20 KiB, as Shopify Functions do).
	MaxInput  int
	MaxOutput int
	// CallDepth caps nested Lua calls (default 120).
	CallDepth int
}

// DefaultBudget is the budget of a point that does not set its own.
var DefaultBudget = Budget{Wall: 5 * time.Millisecond, Instructions: 1_000_000, MaxString: 256 << 10,
	MaxInput: 128 << 10, MaxOutput: 20 << 10, CallDepth: 120}

// withDefaults fills zero fields from DefaultBudget.
func (b Budget) withDefaults() Budget {
	d := DefaultBudget
	if b.Wall > 0 {
		d.Wall = b.Wall
	}
	if b.Instructions > 0 {
		d.Instructions = b.Instructions
	}
	if b.MaxString > 0 {
		d.MaxString = b.MaxString
	}
	if b.MaxInput > 0 {
		d.MaxInput = b.MaxInput
	}
	if b.MaxOutput > 0 {
		d.MaxOutput = b.MaxOutput
	}
	if b.CallDepth > 0 {
		d.CallDepth = b.CallDepth
	}
	return d
}

// meter is the context a call runs under. gopher-lua checks ctx.Done() before every VM
// instruction, so counting those calls is an exact instruction budget without forking the VM.
// Only the goroutine running the call touches the counter.
type meter struct {
	context.Context
	left     int64
	exceeded bool
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func newMeter(parent context.Context, instructions int64) *meter {
	return &meter{Context: parent, left: instructions}
}

// Done implements context.Context, counting one instruction per call.
func (m *meter) Done() <-chan struct{} {
	m.left--
	if m.left < 0 {
		m.exceeded = true
		return closedChan
	}
	return m.Context.Done()
}

// Err implements context.Context.
func (m *meter) Err() error {
	if m.exceeded {
		return errInstructionBudget
	}
	return m.Context.Err()
}
