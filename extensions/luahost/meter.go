package luahost

import (
	"context"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// meter is the context a call runs under. gopher-lua checks ctx.Done() before every VM
// instruction, so counting those calls is an exact instruction budget without forking the VM.
// Only the goroutine running the call touches the counter.
//
// The meter also keeps the call's CPU time: every cpuEvery instructions (and on each charge) it
// reads the thread's CPU clock, and once the call has used its CPU budget it stops it as it stops
// a call out of instructions.
type meter struct {
	context.Context
	left     int64
	exceeded bool
	// cpuFrom is the thread's CPU clock when the call started, cpuLimit its CPU budget (ns);
	// cpuLimit 0: not measured.
	cpuFrom, cpuLimit int64
	cpuOut            bool
	// L and maxString bound strings built with the .. operator (gopher-lua has no allocation
	// hook): every strEvery instructions the running frame's registers are looked at, and a call
	// holding a string longer than maxString is stopped. Doubling a string with .. takes a few
	// instructions per doubling, so it is stopped within a small multiple of maxString, not after
	// it has taken the node's memory (and every other tenant's calls with it).
	L         *lua.LState
	maxString int
	tooLong   bool
}

// strEvery is how many instructions run between two looks at the frame's strings.
const strEvery = 16

// cpuEvery is how many instructions run between two reads of the CPU clock (a read costs about
// as much as a few hundred instructions).
const cpuEvery = 512

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// newMeter meters a call of at most instructions and cpu of CPU time (0: wall time only); the
// caller runs the call on a goroutine locked to its thread.
func newMeter(parent context.Context, instructions int64, cpu time.Duration) *meter {
	m := &meter{Context: parent, left: instructions}
	if from, ok := threadCPU(); ok && cpu > 0 {
		m.cpuFrom, m.cpuLimit = from, cpu.Nanoseconds()
	}
	return m
}

// cpuSpent reports whether the call has used its CPU time.
func (m *meter) cpuSpent() bool {
	if m.cpuLimit == 0 {
		return false
	}
	if now, ok := threadCPU(); ok && now-m.cpuFrom > m.cpuLimit {
		m.exceeded, m.cpuOut = true, true
	}
	return m.cpuOut
}

// Done implements context.Context, counting one instruction per call.
func (m *meter) Done() <-chan struct{} {
	m.left--
	if m.left < 0 {
		m.exceeded = true
		return closedChan
	}
	if m.left%cpuEvery == 0 && m.cpuSpent() {
		return closedChan
	}
	if m.L != nil && m.left%strEvery == 0 && m.longString() {
		return closedChan
	}
	return m.Context.Done()
}

// longString reports whether the running frame holds a string longer than maxString.
func (m *meter) longString() bool {
	for i, top := 1, m.L.GetTop(); i <= top; i++ {
		if s, ok := m.L.Get(i).(lua.LString); ok && len(s) > m.maxString {
			m.exceeded, m.tooLong = true, true
			return true
		}
	}
	return false
}

// Err implements context.Context.
func (m *meter) Err() error {
	if m.exceeded {
		return errInstructionBudget
	}
	return m.Context.Err()
}

// charge spends n instructions of the budget on work done outside the VM (pattern matching,
// sorting); it reports whether the call may go on, which it may not once either the instruction
// or the time budget is spent.
func (m *meter) charge(n int64) bool {
	m.left -= n
	if m.left < 0 {
		m.exceeded = true
		return false
	}
	return !m.cpuSpent() && m.Context.Err() == nil
}
