package luahost

import "context"

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

// charge spends n instructions of the budget on work done outside the VM (pattern matching,
// sorting); it reports whether the call may go on, which it may not once either the instruction
// or the time budget is spent.
func (m *meter) charge(n int64) bool {
	m.left -= n
	if m.left < 0 {
		m.exceeded = true
		return false
	}
	return m.Context.Err() == nil
}
