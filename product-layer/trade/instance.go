package trade

import (
	"context"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// States is the lifecycle of one flow's instances: where a trade of the flow stands as a whole
// (a pre-sale trade waits for its deposit, then for its balance window), apart from its child
// orders' statuses.
type States struct {
	initial string
	moves   map[string][]string
	waits   map[string][]string
}

// NewStates declares a flow's states: instances start in initial and move as moves says.
func NewStates(initial string, moves map[string][]string) *States {
	return &States{initial: initial, moves: moves, waits: map[string][]string{}}
}

// Waits declares that a trade in state is moved on by one of the durable timers of kinds (set
// for the trade, by TimerRef): while it is in state, one of them must be pending, or nothing will
// ever move it (the auditor checks). A state with moves and no timer declared waits on people or
// events (a COD parcel's delivery), not on time.
func (s *States) Waits(state string, kinds ...string) *States {
	s.waits[state] = append(s.waits[state], kinds...)
	return s
}

// WaitsOn returns the timer kinds one of which a trade in state must hold (none: it waits on
// no timer).
func (s *States) WaitsOn(state string) []string { return s.waits[state] }

var statesOf = identity.NewRegistry[*States]("trade: states")

// RegisterStates declares a scenario's flow states for readers that have no flow at hand (the
// auditor); a flow calls it once, at start-up. Registering a scenario twice panics.
func RegisterStates(sc identity.Scenario, s *States) { statesOf.Register(sc, s) }

// StatesOf returns a scenario's registered flow states.
func StatesOf(sc identity.Scenario) (*States, bool) { return statesOf.Get(sc) }

// Initial is the state a new instance starts in.
func (s *States) Initial() string { return s.initial }

// StateRefunded is where every flow's instance ends once no order of its trade goes ahead and
// money went back for at least one (CloseRefunded): the core's own state, reachable from any
// other, so that a trade refunded in full never reads as paid, whatever its flow.
const StateRefunded = "refunded"

// CanMove reports whether from → to is allowed.
func (s *States) CanMove(from, to string) bool {
	if to == StateRefunded {
		return from != StateRefunded
	}
	for _, x := range s.moves[from] {
		if x == to {
			return true
		}
	}
	return false
}

// Instance is the persisted state of one trade's flow. Every change to it happens in the
// transaction of the step that made it, with its version checked, so two steps racing on one
// trade cannot both move it.
type Instance struct {
	Tenant    string
	TradeID   string
	Scenario  identity.Scenario
	State     string
	Version   int64
	UpdatedAt time.Time
}

// Instances stores flow instances. An instance is created with its trade, in the state the trade
// carries (order.Trade.SetFlowState), so placing a trade writes no row of its own for its flow.
// Lock reads one for update inside a transaction; Save writes it if its version is still the one
// read (and increments it), else ErrConcurrentMove.
type Instances interface {
	Instance(ctx context.Context, tenant, tradeID string) (*Instance, error)
	LockInstance(ctx context.Context, tenant, tradeID string) (*Instance, error)
	SaveInstance(ctx context.Context, in *Instance) error
}

// Errors of flow instances.
var (
	ErrInstanceNotFound = errkind.New(errkind.NotFound, "trade.flow_not_found", "the trade has no flow")
	ErrInvalidMove      = errkind.New(errkind.Conflict, "trade.invalid_move", "the trade cannot make this change in its current state")
	ErrConcurrentMove   = errkind.New(errkind.Conflict, "trade.concurrent_move", "the trade was changed concurrently, retry")
)

// Advance moves the trade's flow instance to state to, in the caller's transaction; moving to
// the state it is in changes nothing. It returns the instance as it is after.
func (c *Core) Advance(ctx context.Context, tenant, tradeID, to string) (*Instance, error) {
	if c.d.Instances == nil {
		return nil, nil
	}
	in, err := c.d.Instances.LockInstance(ctx, tenant, tradeID)
	if err != nil {
		return nil, err
	}
	if in.State == to {
		return in, nil
	}
	f, err := c.FlowOf(in.Scenario)
	if err != nil {
		return nil, fmt.Errorf("trade %s: %w", tradeID, err)
	}
	if !f.States().CanMove(in.State, to) {
		return nil, errkind.WithDetail(ErrInvalidMove, "trade %s is %s and cannot become %s", tradeID, in.State, to)
	}
	in.State, in.UpdatedAt = to, c.d.Now()
	if err := c.d.Instances.SaveInstance(ctx, in); err != nil {
		return nil, err
	}
	return in, nil
}

// Instance returns a trade's flow instance.
func (c *Core) Instance(ctx context.Context, tenant, tradeID string) (*Instance, error) {
	if c.d.Instances == nil {
		return nil, ErrInstanceNotFound
	}
	return c.d.Instances.Instance(ctx, tenant, tradeID)
}
