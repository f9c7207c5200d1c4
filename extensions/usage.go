package extensions

import (
	"context"
	"time"
)

// Usage is what one script call used of its budget: a test-run shows it so that an operator sees
// how close a version runs to its limits before publishing it. A caller that wants it puts one
// in the call's context (WithUsage) and the host fills it in when the call ends, however it ends.
type Usage struct {
	// Instructions the call executed (Lua VM instructions and the native work charged to it).
	Instructions int64
	// Took is the time the call ran, from its start in the VM to its answer.
	Took time.Duration
	// Budget is the budget it ran under, the host's defaults applied.
	Budget Budget
}

type usageKey struct{}

// WithUsage asks the host to record into u what the call made with ctx uses.
func WithUsage(ctx context.Context, u *Usage) context.Context {
	return context.WithValue(ctx, usageKey{}, u)
}

// UsageOf is the Usage a caller put in ctx, or nil.
func UsageOf(ctx context.Context) *Usage {
	u, _ := ctx.Value(usageKey{}).(*Usage)
	return u
}
