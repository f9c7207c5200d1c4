// Package guard is overload protection on alibaba/sentinel-golang: flow rules on HTTP routes and
// RPC methods, hot-parameter rules on SKU and auction ids, circuit breakers on payment providers
// and extension points, and system adaptive protection, with every rule set a runtime toggle
// (sentinel.flowRules, sentinel.hotParamRules, sentinel.circuitBreakerRules, sentinel.systemRules:
// JSON arrays in sentinel-golang's own rule shapes), loaded without a restart.
//
// Sentinel keeps its rules and statistics per process, so there is one Guard per process
// (Setup); a blocked call is an errkind.ErrTooManyRequests (system.too_many_requests) at once,
// never a wait, and is counted by resource and rule type (atrium_sentinel_blocked_total).
//
// Resource names: an HTTP route is "METHOD /path/pattern" ("POST /app/v1/orders"), an RPC method
// "Service/Method" ("TradeIntake/PlaceOrder"), hot parameters "sku" (argument 0 the SKU id, 1 the
// tenant) and "auction" (0 the auction id, 1 the tenant), a payment provider "payment:<name>", an
// extension point "ext:<point>". The Hertz and Kitex adapters are the middlewares in the access
// layer and the platform (sentinel-golang's own adapters are not published as tagged modules).
package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	sentinel "github.com/alibaba/sentinel-golang/api"
	"github.com/alibaba/sentinel-golang/core/base"
	"github.com/alibaba/sentinel-golang/core/circuitbreaker"
	"github.com/alibaba/sentinel-golang/core/config"
	"github.com/alibaba/sentinel-golang/core/flow"
	"github.com/alibaba/sentinel-golang/core/hotspot"
	"github.com/alibaba/sentinel-golang/core/system"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/atriumtrade/atrium/components/toggles"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Guard is the process's Sentinel.
type Guard struct {
	log     *slog.Logger
	blocked *prometheus.CounterVec
	// mu serialises rule loads: each role of a process loads the rule sets of its toggles.
	mu sync.Mutex
	// Which kinds of rule are loaded: with none, a call does not enter Sentinel at all, so the
	// guard costs nothing until an operator sets a rule (its statistics start then).
	flowOn, systemOn, hot, breakers atomic.Bool
}

var (
	once   sync.Once
	shared *Guard
	setErr error
)

// Setup starts Sentinel once per process with its logs under dir (later calls return the same
// Guard; the first dir stays).
func Setup(dir string, log *slog.Logger) (*Guard, error) {
	once.Do(func() {
		if log == nil {
			log = slog.Default()
		}
		dir = filepath.Join(dir, "sentinel")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			setErr = fmt.Errorf("guard: %w", err)
			return
		}
		conf := config.NewDefaultConfig()
		conf.Sentinel.App.Name = "atrium"
		conf.Sentinel.Log.Dir = dir
		if err := sentinel.InitWithConfig(conf); err != nil {
			setErr = fmt.Errorf("guard: sentinel: %w", err)
			return
		}
		shared = &Guard{log: log, blocked: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_sentinel_blocked_total",
			Help: "Calls Sentinel refused at once, by resource and rule type (flow, hotspot, circuit_breaker, system)."},
			[]string{"resource", "type"})}
	})
	return shared, setErr
}

// Collector is the blocked counter, for a role's metrics registry.
func (g *Guard) Collector() prometheus.Collector { return g.blocked }

// ruleType names a block's rule type in metrics and logs.
func ruleType(t base.BlockType) string {
	switch t {
	case base.BlockTypeFlow:
		return "flow"
	case base.BlockTypeHotSpotParamFlow:
		return "hotspot"
	case base.BlockTypeCircuitBreaking:
		return "circuit_breaker"
	case base.BlockTypeSystemFlow:
		return "system"
	case base.BlockTypeIsolation:
		return "isolation"
	}
	return "unknown"
}

// ErrBlocked is what a blocked call gets: system.too_many_requests.
var ErrBlocked = errkind.ErrTooManyRequests

func (g *Guard) refuse(resource string, b *base.BlockError) error {
	typ := ruleType(b.BlockType())
	g.blocked.WithLabelValues(resource, typ).Inc()
	if b.BlockType() == base.BlockTypeCircuitBreaking {
		return errkind.WithDetail(ErrBlocked, "%s is failing and is not being called for a while", resource)
	}
	return errkind.WithDetail(ErrBlocked, "too many requests for %s, retry later", resource)
}

// Inbound admits a request from outside (an HTTP route, an RPC method) under the flow and system
// rules. It returns a function that ends the request, or the refusal.
func (g *Guard) Inbound(resource string) (done func(), err error) {
	if !g.flowOn.Load() && !g.systemOn.Load() {
		return func() {}, nil
	}
	e, b := sentinel.Entry(resource, sentinel.WithTrafficType(base.Inbound), sentinel.WithResourceType(base.ResTypeWeb))
	if b != nil {
		return nil, g.refuse(resource, b)
	}
	return func() { e.Exit() }, nil
}

// Hot admits one call per argument under the hot-parameter rules of resource ("sku" with each
// SKU id of an order): a hot SKU is throttled while others flow. The tenant is argument 1.
func (g *Guard) Hot(resource, tenant string, ids ...string) error {
	if !g.hot.Load() {
		return nil
	}
	var entered []*base.SentinelEntry
	defer func() {
		for _, e := range entered {
			e.Exit()
		}
	}()
	for _, id := range ids {
		e, b := sentinel.Entry(resource, sentinel.WithArgs(id, tenant))
		if b != nil {
			return g.refuse(resource, b)
		}
		entered = append(entered, e)
	}
	return nil
}

// Call runs fn under resource's circuit breaker: while the breaker is open, Call refuses at once
// (system.too_many_requests) instead of calling; an error fn returns counts against it unless
// ignore says it is the caller's fault, not the resource's.
func (g *Guard) Call(resource string, fn func() error, ignore func(error) bool) error {
	if !g.breakers.Load() {
		return fn()
	}
	e, b := sentinel.Entry(resource, sentinel.WithTrafficType(base.Outbound), sentinel.WithResourceType(base.ResTypeRPC))
	if b != nil {
		return g.refuse(resource, b)
	}
	defer e.Exit()
	err := fn()
	if err != nil && (ignore == nil || !ignore(err)) {
		sentinel.TraceError(e, err)
	}
	return err
}

// Rules are the four rule sets, declared as toggles.
type Rules struct {
	Flow, HotParam, CircuitBreaker, System toggles.Custom
}

// Declare declares the rule sets on t (default: no rules).
func Declare(t *toggles.Toggles) Rules {
	return Rules{
		Flow: t.Custom("sentinel.flowRules", "Sentinel flow rules (a JSON array of flow.Rule): per HTTP route (\"POST /app/v1/orders\") or RPC method (\"TradeIntake/PlaceOrder\")",
			"[]", parseRules(func(r *flow.Rule) (*flow.Rule, error) { return r, flow.IsValidRule(r) })),
		HotParam: t.Custom("sentinel.hotParamRules", "Sentinel hot-parameter rules (a JSON array of hotspot rules, specificItems as sentinel's datasource writes them) on \"sku\" and \"auction\": argument 0 the id, 1 the tenant",
			"[]", parseRules((*hotRule).rule)),
		CircuitBreaker: t.Custom("sentinel.circuitBreakerRules", "Sentinel circuit breaker rules (a JSON array of circuitbreaker.Rule) on \"payment:<provider>\" and \"ext:<point>\"",
			"[]", parseRules(func(r *circuitbreaker.Rule) (*circuitbreaker.Rule, error) { return r, circuitbreaker.IsValidRule(r) })),
		System: t.Custom("sentinel.systemRules", "Sentinel system adaptive rules (a JSON array of system.Rule: load, CPU usage, concurrency, inbound QPS, average RT)",
			"[]", parseRules(func(r *system.Rule) (*system.Rule, error) { return r, system.IsValidSystemRule(r) })),
	}
}

// hotRule is a hotspot rule as sentinel-golang's datasource writes it: hotspot.Rule's own
// specificItems is a map with any keys, which JSON cannot hold.
type hotRule struct {
	ID                string                  `json:"id,omitempty"`
	Resource          string                  `json:"resource"`
	MetricType        hotspot.MetricType      `json:"metricType"`
	ControlBehavior   hotspot.ControlBehavior `json:"controlBehavior"`
	ParamIndex        int                     `json:"paramIndex"`
	ParamKey          string                  `json:"paramKey"`
	Threshold         int64                   `json:"threshold"`
	MaxQueueingTimeMs int64                   `json:"maxQueueingTimeMs"`
	BurstCount        int64                   `json:"burstCount"`
	DurationInSec     int64                   `json:"durationInSec"`
	ParamsMaxCapacity int64                   `json:"paramsMaxCapacity"`
	SpecificItems     []struct {
		ValKind   int    `json:"valKind"`
		ValStr    string `json:"valStr"`
		Threshold int64  `json:"threshold"`
	} `json:"specificItems"`
}

// kindString is sentinel datasource's KindString: SKU and auction ids are strings.
const kindString = 1

func (h *hotRule) rule() (*hotspot.Rule, error) {
	r := &hotspot.Rule{ID: h.ID, Resource: h.Resource, MetricType: h.MetricType, ControlBehavior: h.ControlBehavior,
		ParamIndex: h.ParamIndex, ParamKey: h.ParamKey, Threshold: h.Threshold, MaxQueueingTimeMs: h.MaxQueueingTimeMs,
		BurstCount: h.BurstCount, DurationInSec: h.DurationInSec, ParamsMaxCapacity: h.ParamsMaxCapacity,
		SpecificItems: map[interface{}]int64{}}
	for _, it := range h.SpecificItems {
		if it.ValKind != kindString {
			return nil, fmt.Errorf("specificItems: valKind must be %d (a string: SKU and auction ids are strings)", kindString)
		}
		r.SpecificItems[it.ValStr] = it.Threshold
	}
	return r, hotspot.IsValidRule(r)
}

// parseRules decodes a rule set strictly (a misspelt field is an error, not a zero) and checks
// each rule with sentinel-golang's own validation, so that a set Sentinel would refuse is
// rejected as a toggle (the last good set stays) instead of failing when loaded.
func parseRules[J, R any](check func(*J) (*R, error)) func(string) (any, error) {
	return func(s string) (any, error) {
		rules := []*R{}
		if s == "" {
			return rules, nil
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.DisallowUnknownFields()
		var in []*J
		if err := dec.Decode(&in); err != nil {
			return nil, fmt.Errorf("not a JSON array of rules: %v", err)
		}
		if dec.More() {
			return nil, errors.New("not a JSON array of rules: data after the array")
		}
		for i, j := range in {
			if j == nil {
				return nil, fmt.Errorf("rule %d is null", i)
			}
			r, err := check(j)
			if err != nil {
				return nil, fmt.Errorf("rule %d: %v", i, err)
			}
			rules = append(rules, r)
		}
		return rules, nil
	}
}

// Load loads the rule sets now and again whenever one changes.
func (g *Guard) Load(r Rules) {
	r.Flow.Watch(func(v any) {
		rules := v.([]*flow.Rule)
		g.load("flow", func() error { _, err := flow.LoadRules(rules); return err })
		g.flowOn.Store(len(rules) > 0)
	})
	r.HotParam.Watch(func(v any) {
		rules := v.([]*hotspot.Rule)
		g.load("hotspot", func() error { _, err := hotspot.LoadRules(rules); return err })
		g.hot.Store(len(rules) > 0)
	})
	r.CircuitBreaker.Watch(func(v any) {
		rules := v.([]*circuitbreaker.Rule)
		g.load("circuit breaker", func() error { _, err := circuitbreaker.LoadRules(rules); return err })
		g.breakers.Store(len(rules) > 0)
	})
	r.System.Watch(func(v any) {
		rules := v.([]*system.Rule)
		g.load("system", func() error { _, err := system.LoadRules(rules); return err })
		g.systemOn.Store(len(rules) > 0)
	})
}

func (g *Guard) load(what string, fn func() error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := fn(); err != nil {
		g.log.Warn("guard: sentinel refused a rule set it was checked against", "rules", what, "err", err)
	}
}
