package extensions

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Executable is a compiled script.
type Executable interface {
	Hash() string
	Call(ctx context.Context, budget Budget, in, prev []byte) ([]byte, error)
}

// Host compiles scripts; extensions/luahost is one.
type Host interface {
	Compile(name, source string) (Executable, error)
}

// Version is one stored version of a script.
type Version struct {
	ScriptID string
	Version  int
	Hash     string
	Source   string
}

// BindingSet is what is published for one point at one scope: a stable version and, optionally,
// a gray version that a share of users (in basis points) gets instead.
type BindingSet struct {
	Point  string
	Scope  string
	Stable *Version
	Gray   *Version
	GrayBP int
}

// Scopes returns the scopes of a call, most specific first: "bizCode/scenario", "bizCode/*",
// "tenant/*".
func Scopes(call Call) [3]string {
	id := call.Identity
	return [3]string{id.BizCode() + "/" + string(id.Scenario()), id.BizCode() + "/*", id.Tenant() + "/*"}
}

// Bucket is a user's place in 0..9999 for gray shares: deterministic per tenant and user, and
// independent of the point, so a user sees one side of a gray release consistently.
func Bucket(tenant, userID string) int {
	h := fnv.New32a()
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write([]byte(userID))
	return int(h.Sum32() % 10000)
}

type boundVersion struct {
	v   Version
	exe Executable
}

type boundSet struct {
	stable, gray *boundVersion
	grayBP       int
}

type snapshot struct {
	sets map[string]map[string]*boundSet // point → scope → set
}

// Engine is the Runtime: it holds the published bindings (swapped atomically when they change)
// and runs scripts on a Host.
type Engine struct {
	host    Host
	log     *slog.Logger
	snap    atomic.Pointer[snapshot]
	mu      sync.Mutex
	compile map[string]Executable // by hash
	stats   sync.Map              // "point|outcome" → *atomic.Int64
	errs    sync.Map              // "point|code" → *atomic.Int64
	guard   CallGuard
	// sampleBP is the share of default-served calls logged, in basis points (nil: none).
	sampleBP func() int64
}

// SetDefaultSampling logs that share (basis points, read on each call) of the calls of every
// point that run no script; set it before the engine is used.
func (e *Engine) SetDefaultSampling(basisPoints func() int64) { e.sampleBP = basisPoints }

// SampleDefault implements Runtime.
func (e *Engine) SampleDefault(string) bool {
	if e.sampleBP == nil {
		return false
	}
	bp := e.sampleBP()
	return bp > 0 && (bp >= 10000 || rand.Int64N(10000) < bp)
}

// CallGuard runs one script call of a point (a circuit breaker per point: components/guard). It
// returns ErrBreakerOpen, without calling, while the point's scripts are not to be run; the
// point's policy then applies as to any failed call.
type CallGuard func(point string, call func() error) error

// SetGuard runs every script call through g; set it before the engine is used.
func (e *Engine) SetGuard(g CallGuard) { e.guard = g }

// NewEngine returns an Engine with nothing published.
func NewEngine(host Host, log *slog.Logger) *Engine {
	e := &Engine{host: host, log: log, compile: map[string]Executable{}}
	e.snap.Store(&snapshot{sets: map[string]map[string]*boundSet{}})
	return e
}

// Compile compiles (or reuses) a version.
func (e *Engine) Compile(v Version) (Executable, error) {
	e.mu.Lock()
	exe, ok := e.compile[v.Hash]
	e.mu.Unlock()
	if ok {
		return exe, nil
	}
	exe, err := e.host.Compile(fmt.Sprintf("%s@v%d", v.ScriptID, v.Version), v.Source)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.compile[v.Hash] = exe
	e.mu.Unlock()
	return exe, nil
}

// Load replaces what is published. A version that does not compile (it compiled at upload, so
// only a host change could cause this) is left out and logged; the rest still load.
func (e *Engine) Load(sets []BindingSet) {
	snap := &snapshot{sets: map[string]map[string]*boundSet{}}
	bind := func(v *Version) *boundVersion {
		if v == nil {
			return nil
		}
		exe, err := e.Compile(*v)
		if err != nil {
			e.log.Error("extensions: published version does not compile", "script", v.ScriptID, "version", v.Version, "err", err)
			return nil
		}
		return &boundVersion{v: *v, exe: exe}
	}
	for _, s := range sets {
		bs := &boundSet{stable: bind(s.Stable), gray: bind(s.Gray), grayBP: s.GrayBP}
		if bs.stable == nil && bs.gray == nil {
			continue
		}
		if snap.sets[s.Point] == nil {
			snap.sets[s.Point] = map[string]*boundSet{}
		}
		snap.sets[s.Point][s.Scope] = bs
	}
	e.snap.Store(snap)
}

// Resolve implements Runtime.
func (e *Engine) Resolve(point string, mode Mode, call Call) []Binding {
	byScope := e.snap.Load().sets[point]
	if len(byScope) == 0 {
		return nil
	}
	scopes := Scopes(call)
	pick := func(scope string) (Binding, bool) {
		bs, ok := byScope[scope]
		if !ok {
			return Binding{}, false
		}
		chosen, gray := bs.stable, false
		if bs.gray != nil && Bucket(call.Identity.Tenant(), call.UserID) < bs.grayBP {
			chosen, gray = bs.gray, true
		}
		if chosen == nil {
			return Binding{}, false // only a gray version, and this user is outside its share
		}
		return Binding{Scope: scope, ScriptID: chosen.v.ScriptID, Version: chosen.v.Version, Hash: chosen.v.Hash, Gray: gray}, true
	}
	if mode == Override {
		for _, s := range scopes {
			if b, ok := pick(s); ok {
				return []Binding{b}
			}
		}
		return nil
	}
	var out []Binding
	for i := len(scopes) - 1; i >= 0; i-- {
		if b, ok := pick(scopes[i]); ok {
			out = append(out, b)
		}
	}
	return out
}

// Exec implements Runtime.
func (e *Engine) Exec(ctx context.Context, point string, b Binding, budget Budget, in, prev []byte) ([]byte, error) {
	e.mu.Lock()
	exe, ok := e.compile[b.Hash]
	e.mu.Unlock()
	if !ok {
		return nil, errkind.WithDetail(ErrScriptFailed, "script %s v%d is not loaded", b.ScriptID, b.Version)
	}
	if e.guard == nil {
		return exe.Call(ctx, budget, in, prev)
	}
	var out []byte
	err := e.guard(point, func() error {
		var err error
		out, err = exe.Call(ctx, budget, in, prev)
		return err
	})
	return out, err
}

// Observe implements Runtime: it counts outcomes and logs failures.
func (e *Engine) Observe(point string, b Binding, outcome Outcome, err error, took time.Duration) {
	key := point + "|" + string(outcome)
	c, _ := e.stats.LoadOrStore(key, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	if err != nil {
		base, _ := errkind.Describe(err)
		e, _ := e.errs.LoadOrStore(point+"|"+base.Code(), new(atomic.Int64))
		e.(*atomic.Int64).Add(1)
	}
	if outcome != OutcomeOK {
		e.log.Warn("extension script failed", "point", point, "scope", b.Scope, "script", b.ScriptID, "version", b.Version,
			"outcome", outcome, "took", took, "err", err)
	}
}

// ErrorStats returns the failed calls as "point|code" → count (extensions.budget_exceeded is a
// budget hit, extensions.breaker_open a call its breaker skipped).
func (e *Engine) ErrorStats() map[string]int64 {
	out := map[string]int64{}
	e.errs.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// Stats returns the outcome counters as "point|outcome" → count.
func (e *Engine) Stats() map[string]int64 {
	out := map[string]int64{}
	e.stats.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}
