package identity

import (
	"slices"
	"sync"
)

// Registry holds one value per scenario that a flow declares once, at start-up, for readers
// that have no flow at hand: its orders' lifecycle, its trade states.
type Registry[T any] struct {
	what string
	mu   sync.RWMutex
	m    map[Scenario]T
}

// NewRegistry returns an empty registry of what (named in the panic of a double registration).
func NewRegistry[T any](what string) *Registry[T] {
	return &Registry[T]{what: what, m: map[Scenario]T{}}
}

// Register declares sc's value. Registering a scenario twice is a programming error and panics.
func (r *Registry[T]) Register(sc Scenario, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[sc]; dup {
		panic(r.what + " of " + string(sc) + " registered twice")
	}
	r.m[sc] = v
}

// Get returns sc's value.
func (r *Registry[T]) Get(sc Scenario) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[sc]
	return v, ok
}

// Scenarios lists the scenarios registered, sorted.
func (r *Registry[T]) Scenarios() []Scenario {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Scenario, 0, len(r.m))
	for sc := range r.m {
		out = append(out, sc)
	}
	slices.Sort(out)
	return out
}
