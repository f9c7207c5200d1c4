package extensions

import "time"

// Budget bounds one call of a script.
type Budget struct {
	// Wall is the time one call may spend running (default 5ms): the CPU time of the goroutine
	// that runs it where the host can measure it (Linux), so that a call waiting for a core on a
	// loaded node is not refused for the wait, else wall-clock time. The call's wall-clock time
	// is bounded too, generously (Backstop), so that a caller always gets its answer in time.
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

// Backstop is the wall-clock time a call may take in all, waiting for a core included: ten
// times its Wall and 100ms more.
func (b Budget) Backstop() time.Duration { return 10*b.Wall + 100*time.Millisecond }

// Over fills b's zero fields from def.
func (b Budget) Over(def Budget) Budget {
	if b.Wall == 0 {
		b.Wall = def.Wall
	}
	if b.Instructions == 0 {
		b.Instructions = def.Instructions
	}
	if b.MaxString == 0 {
		b.MaxString = def.MaxString
	}
	if b.MaxInput == 0 {
		b.MaxInput = def.MaxInput
	}
	if b.MaxOutput == 0 {
		b.MaxOutput = def.MaxOutput
	}
	if b.CallDepth == 0 {
		b.CallDepth = def.CallDepth
	}
	return b
}

// WithDefaults fills zero fields from DefaultBudget.
func (b Budget) WithDefaults() Budget { return b.Over(DefaultBudget) }
