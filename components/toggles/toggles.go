// Package toggles is the one place every runtime value is read from: a value is declared once
// (its key, type, default and bounds) and read through its handle on each use, never copied into
// a global at start-up, so an operator's change reaches the running server without a restart.
//
// Values come from providers (a YAML file under configs/, watched; Apollo) as flat key → string
// snapshots. Apply checks a snapshot whole: a key nobody declared, a value of the wrong type or
// out of range is rejected (logged, counted) and the last good value stays. A per-tenant override
// (tenants.<tenant>.<key>) is accepted for keys declared with one.
//
// Written by hand: the values are few and typed, and what matters (rejecting a bad release while
// keeping the last good value, reporting where each value came from) is this package's own.
package toggles

import (
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Source says where a value came from.
type Source string

// The sources.
const (
	Default Source = "default"
	File    Source = "file"
	Apollo  Source = "apollo"
)

type spec struct {
	key, doc  string
	def       string
	perTenant bool
	parse     func(string) (any, error)
}

type value struct {
	v         any
	raw       string
	source    Source
	release   string
	changedAt time.Time
}

// Toggles holds the declared values and their current settings.
type Toggles struct {
	log      *slog.Logger
	now      func() time.Time
	mu       sync.RWMutex
	specs    map[string]*spec
	vals     map[string]value // by key, or tenants.<tenant>.<key>
	watchers map[string][]func(any)
	rejected atomic.Int64
	// applying serialises Apply with the watchers it calls, so that they see changes in order.
	applying sync.Mutex
}

// New returns an empty set.
func New(log *slog.Logger) *Toggles {
	if log == nil {
		log = slog.Default()
	}
	return &Toggles{log: log, now: time.Now, specs: map[string]*spec{}, vals: map[string]value{}, watchers: map[string][]func(any){}}
}

func (t *Toggles) declare(s *spec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.specs[s.key]; dup {
		panic("toggles: " + s.key + " declared twice")
	}
	v, err := s.parse(s.def)
	if err != nil {
		panic(fmt.Sprintf("toggles: default of %s: %v", s.key, err))
	}
	t.specs[s.key] = s
	t.vals[s.key] = value{v: v, raw: s.def, source: Default}
}

func (t *Toggles) get(key string) any {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.vals[key].v
}

// Duration is a declared duration.
type Duration struct {
	t   *Toggles
	key string
}

// Duration declares a duration between min and max.
func (t *Toggles) Duration(key, doc string, def, min, max time.Duration) Duration {
	t.declare(&spec{key: key, doc: doc, def: def.String(), parse: func(s string) (any, error) {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("not a duration (like 30m): %q", s)
		}
		if d < min || d > max {
			return nil, fmt.Errorf("%s is outside %s..%s", d, min, max)
		}
		return d, nil
	}})
	return Duration{t, key}
}

// Value is the duration now.
func (d Duration) Value() time.Duration { return d.t.get(d.key).(time.Duration) }

// Int is a declared integer.
type Int struct {
	t   *Toggles
	key string
}

// Int declares an integer between min and max.
func (t *Toggles) Int(key, doc string, def, min, max int64) Int {
	t.declare(&spec{key: key, doc: doc, def: strconv.FormatInt(def, 10), parse: func(s string) (any, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("not an integer: %q", s)
		}
		if n < min || n > max {
			return nil, fmt.Errorf("%d is outside %d..%d", n, min, max)
		}
		return n, nil
	}})
	return Int{t, key}
}

// Value is the integer now.
func (i Int) Value() int64 { return i.t.get(i.key).(int64) }

// Bool is a declared switch.
type Bool struct {
	t   *Toggles
	key string
}

// Bool declares a switch; with perTenant, tenants.<tenant>.<key> overrides it for one tenant.
func (t *Toggles) Bool(key, doc string, def, perTenant bool) Bool {
	t.declare(&spec{key: key, doc: doc, def: strconv.FormatBool(def), perTenant: perTenant, parse: func(s string) (any, error) {
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("not true or false: %q", s)
		}
		return b, nil
	}})
	return Bool{t, key}
}

// Value is the switch for everyone.
func (b Bool) Value() bool { return b.t.get(b.key).(bool) }

// For is the switch for one tenant: its override if it has one, else everyone's.
func (b Bool) For(tenant string) bool {
	b.t.mu.RLock()
	defer b.t.mu.RUnlock()
	if v, ok := b.t.vals[tenantKey(tenant, b.key)]; ok {
		return v.v.(bool)
	}
	return b.t.vals[b.key].v.(bool)
}

// Custom is a declared value of a type this package does not know (Sentinel's rule sets): parse
// checks its text and returns the value, so that a value that does not parse is rejected like any
// other.
type Custom struct {
	t   *Toggles
	key string
}

// Custom declares a value parse checks; def must parse.
func (t *Toggles) Custom(key, doc, def string, parse func(string) (any, error)) Custom {
	t.declare(&spec{key: key, doc: doc, def: def, parse: parse})
	return Custom{t, key}
}

// Value is the parsed value now.
func (c Custom) Value() any { return c.t.get(c.key) }

// Watch calls fn with the value now and again after each change, in order, on the goroutine that
// applied the change: for values that must be pushed somewhere (rules loaded into a limiter)
// rather than read on each use.
func (c Custom) Watch(fn func(any)) {
	c.t.applying.Lock()
	defer c.t.applying.Unlock()
	c.t.mu.Lock()
	c.t.watchers[c.key] = append(c.t.watchers[c.key], fn)
	v := c.t.vals[c.key].v
	c.t.mu.Unlock()
	fn(v)
}

func tenantKey(tenant, key string) string { return "tenants." + tenant + "." + key }

// specOf resolves a snapshot key to its declaration: the key itself, or a tenant's override.
func (t *Toggles) specOf(key string) (*spec, bool) {
	if s, ok := t.specs[key]; ok {
		return s, true
	}
	rest, ok := strings.CutPrefix(key, "tenants.")
	if !ok {
		return nil, false
	}
	tenant, k, ok := strings.Cut(rest, ".")
	if !ok || tenant == "" {
		return nil, false
	}
	s, ok := t.specs[k]
	return s, ok && s.perTenant
}

// Rejected counts values refused since start (atrium_toggle_rejected_total).
func (t *Toggles) Rejected() int64 { return t.rejected.Load() }

// Collector exports Rejected as atrium_toggle_rejected_total.
func (t *Toggles) Collector() prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "atrium_toggle_rejected_total",
		Help: "Runtime toggle values rejected (wrong type, out of range, unknown key, a file that does not parse); the last good value stayed."},
		func() float64 { return float64(t.Rejected()) })
}

// Apply makes a provider's snapshot the current settings of that source: every value it holds
// that parses replaces the current one; a key it no longer holds goes back to its default (if
// that source set it); a key nobody declared, or a value that does not parse, is rejected with a
// log line and counted, and the last good value stays. release is the provider's version of the
// snapshot (Apollo's release key; a digest of the file). It returns what it rejected.
func (t *Toggles) Apply(source Source, release string, snapshot map[string]string) []error {
	return t.ApplyReleases(source, snapshot, func(string) string { return release })
}

// ApplyReleases is Apply for a source whose values come from several releases (Apollo's
// namespaces): releaseOf names the release each key's value came from.
func (t *Toggles) ApplyReleases(source Source, snapshot map[string]string, releaseOf func(key string) string) []error {
	t.applying.Lock()
	defer t.applying.Unlock()
	errs, changed := t.apply(source, snapshot, releaseOf)
	for _, err := range errs {
		t.rejected.Add(1)
		t.log.Warn("toggle value rejected; the last good value stays", "source", source, "err", err)
	}
	for _, key := range changed {
		t.mu.RLock()
		fns, v := t.watchers[key], t.vals[key].v
		t.mu.RUnlock()
		for _, fn := range fns {
			fn(v)
		}
	}
	return errs
}

func (t *Toggles) apply(source Source, snapshot map[string]string, releaseOf func(string) string) (errs []error, changed []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for key, raw := range snapshot {
		s, ok := t.specOf(key)
		if !ok {
			errs = append(errs, fmt.Errorf("toggles: %s: no such key", key))
			continue
		}
		v, err := s.parse(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("toggles: %s: %w", key, err))
			continue
		}
		release := releaseOf(key)
		if cur, ok := t.vals[key]; ok && cur.raw == raw && cur.source == source {
			cur.release = release // the same value in a later release: it did not change
			t.vals[key] = cur
			continue
		}
		t.vals[key] = value{v: v, raw: raw, source: source, release: release, changedAt: now}
		changed = append(changed, key)
	}
	for key, cur := range t.vals {
		if _, held := snapshot[key]; held || cur.source != source {
			continue
		}
		if s, ok := t.specs[key]; ok {
			v, _ := s.parse(s.def)
			t.vals[key] = value{v: v, raw: s.def, source: Default, changedAt: now}
		} else {
			delete(t.vals, key) // a tenant's override no longer set
		}
		changed = append(changed, key)
	}
	sort.Strings(changed)
	return errs, changed
}

// Entry is one value as GET /admin/v1/toggles shows it.
type Entry struct {
	Key       string
	Doc       string
	Value     string
	Default   string
	Source    Source
	Release   string
	ChangedAt time.Time
}

// Snapshot lists every value, declared keys and tenants' overrides, sorted by key.
func (t *Toggles) Snapshot() []Entry { return t.snapshot(func(string) bool { return true }) }

// SnapshotFor lists what one tenant's operator may see: the platform's keys and that tenant's
// own overrides, never another tenant's (which would tell one merchant how another runs).
func (t *Toggles) SnapshotFor(tenant string) []Entry {
	prefix := tenantKey(tenant, "")
	return t.snapshot(func(key string) bool { return !strings.HasPrefix(key, "tenants.") || strings.HasPrefix(key, prefix) })
}

func (t *Toggles) snapshot(shown func(key string) bool) []Entry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Entry, 0, len(t.vals))
	for key, v := range t.vals {
		if !shown(key) {
			continue
		}
		s, _ := t.specOf(key)
		out = append(out, Entry{Key: key, Doc: s.doc, Value: v.raw, Default: s.def, Source: v.source, Release: v.release, ChangedAt: v.changedAt})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
