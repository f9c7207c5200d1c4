package extensions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// More errors of script management.
var (
	ErrScriptNotFound    = errkind.New(errkind.NotFound, "extensions.script_not_found", "script version not found")
	ErrNothingToRollBack = errkind.New(errkind.Conflict, "extensions.nothing_to_roll_back", "nothing is published there to roll back")
	ErrInvalidScope      = errkind.New(errkind.Invalid, "extensions.invalid_scope", "invalid publication scope")
	ErrFixtureFailed     = errkind.New(errkind.Invalid, "extensions.fixture_failed", "the script fails its own test fixture")
)

// StoredVersion is a script version as stored.
type StoredVersion struct {
	Tenant    string
	ScriptID  string
	Version   int
	Point     string
	Source    string
	Hash      string
	Author    string
	Notes     string
	CreatedAt time.Time
}

// Publication is what is published for a point at a scope.
type Publication struct {
	Tenant        string
	Scope         string
	Point         string
	StableScript  string
	StableVersion int
	GrayScript    string
	GrayVersion   int
	GrayBP        int
	By            string
	At            time.Time
}

// RunRecord is a stored Record of a trade.
type RunRecord struct {
	Record
	TradeID string
	Seq     int
	At      time.Time
}

// Store persists scripts, publications and run records (extensions/extsql).
type Store interface {
	// SaveVersion stores a new version of a script (numbered one past the latest), or returns the
	// latest if its content is the same.
	SaveVersion(ctx context.Context, v StoredVersion) (StoredVersion, error)
	Version(ctx context.Context, tenant, scriptID string, version int) (StoredVersion, error)
	Versions(ctx context.Context, tenant, scriptID string) ([]StoredVersion, error)
	Publish(ctx context.Context, p Publication) error
	Rollback(ctx context.Context, tenant, scope, point string) (*Publication, error)
	Current(ctx context.Context, tenant, scope, point string) (*Publication, error)
	Publications(ctx context.Context, tenant string) ([]Publication, error)
	// Active returns every current publication of every tenant, with sources.
	Active(ctx context.Context) ([]BindingSet, error)
	Revision(ctx context.Context) (int64, error)
	SaveRuns(ctx context.Context, tenant, tradeID string, recs []Record) error
	Runs(ctx context.Context, tenant, tradeID string) ([]RunRecord, error)
	// RecentRuns lists up to limit calls of a point at a scope since a time, newest first.
	RecentRuns(ctx context.Context, tenant, scope, point string, since time.Time, limit int) ([]RunRecord, error)
}

// Admin manages scripts: upload (validated), test-run, publish, roll back, list.
type Admin struct {
	store  Store
	engine *Engine
	now    func() time.Time
	// known reports whether a scenario exists (nil: every well-formed name does).
	known func(identity.Scenario) bool
}

// AdminOption configures an Admin.
type AdminOption func(*Admin)

// KnownScenarios makes publishes to a scope naming a scenario that known does not report
// refused: the set of scenarios is the trade core's (each flow registers its own), and a script
// published to a scenario no flow runs would never run.
func KnownScenarios(known func(identity.Scenario) bool) AdminOption {
	return func(a *Admin) { a.known = known }
}

// NewAdmin returns an Admin.
func NewAdmin(store Store, engine *Engine, opts ...AdminOption) *Admin {
	a := &Admin{store: store, engine: engine, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	return a
}

var (
	scriptIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	pointRe    = regexp.MustCompile(`(?m)^--\s*point:\s*([a-z0-9_.]+)\s*$`)
	fixtureRe  = regexp.MustCompile(`(?m)^--\s*test:\s*(\{.*\})\s*$`)
)

// Fixture is a test a script carries in a "-- test: {...}" comment line.
type Fixture struct {
	Input    json.RawMessage `json:"input"`
	Previous json.RawMessage `json:"previous,omitempty"`
	Output   json.RawMessage `json:"output"`
}

// Header is what a script declares about itself in comments.
type Header struct {
	Point    string
	Fixtures []Fixture
}

// ParseHeader reads "-- point: name" (required) and any "-- test: {json}" lines.
func ParseHeader(source string) (Header, error) {
	var h Header
	m := pointRe.FindAllStringSubmatch(source, -1)
	if len(m) != 1 {
		return h, errkind.WithDetail(ErrInvalidScript, "the script must declare its point once, in a line \"-- point: <name>\"")
	}
	h.Point = m[0][1]
	for i, f := range fixtureRe.FindAllStringSubmatch(source, -1) {
		var fx Fixture
		dec := json.NewDecoder(strings.NewReader(f[1]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fx); err != nil || fx.Input == nil || fx.Output == nil {
			return h, errkind.WithDetail(ErrInvalidScript, "test fixture %d must be {\"input\":..., \"output\":...}", i+1)
		}
		h.Fixtures = append(h.Fixtures, fx)
	}
	return h, nil
}

// Validate compiles source, checks the point it declares exists, and runs its fixtures through
// the point exactly as the server would.
func (a *Admin) Validate(ctx context.Context, source string) (Header, Executable, error) {
	return Validate(ctx, a.engine.host, source)
}

// Validate is Admin.Validate on any host (the CLI has no store).
func Validate(ctx context.Context, host Host, source string) (Header, Executable, error) {
	h, err := ParseHeader(source)
	if err != nil {
		return h, nil, err
	}
	d, err := Lookup(h.Point)
	if err != nil {
		return h, nil, err
	}
	exe, err := host.Compile("upload", source)
	if err != nil {
		return h, nil, err
	}
	for i, fx := range h.Fixtures {
		got, err := d.RunJSON(ctx, exe, fx.Input, []byte(fx.Previous))
		if err != nil {
			_, public := errkind.Describe(err)
			return h, nil, errkind.WithDetail(ErrFixtureFailed, "fixture %d: %s", i+1, public)
		}
		if !SameJSON(got, fx.Output) {
			return h, nil, errkind.WithDetail(ErrFixtureFailed, "fixture %d: got %s, want %s", i+1, got, compact(fx.Output))
		}
	}
	return h, exe, nil
}

// SameJSON reports whether a and b are the same JSON value, whatever their spacing and key order.
func SameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// Upload validates and stores a new version of a script.
func (a *Admin) Upload(ctx context.Context, tenant, scriptID, source, author, notes string) (StoredVersion, error) {
	if !scriptIDRe.MatchString(scriptID) {
		return StoredVersion{}, errkind.WithDetail(ErrInvalidScript, "scriptId must be 1-64 lowercase letters, digits, '-' or '_'")
	}
	if len(notes) > 500 || len(author) > 64 {
		return StoredVersion{}, errkind.Invalidf("notes may be 500 bytes and author 64")
	}
	h, exe, err := a.Validate(ctx, source)
	if err != nil {
		return StoredVersion{}, err
	}
	return a.store.SaveVersion(ctx, StoredVersion{Tenant: tenant, ScriptID: scriptID, Point: h.Point, Source: source,
		Hash: exe.Hash(), Author: author, Notes: notes, CreatedAt: a.now()})
}

// TestRun runs a stored version on an input, as the server would, without publishing it.
func (a *Admin) TestRun(ctx context.Context, tenant, scriptID string, version int, input, previous []byte) ([]byte, error) {
	v, err := a.store.Version(ctx, tenant, scriptID, version)
	if err != nil {
		return nil, err
	}
	d, err := Lookup(v.Point)
	if err != nil {
		return nil, err
	}
	exe, err := a.engine.Compile(Version{ScriptID: v.ScriptID, Version: v.Version, Hash: v.Hash, Source: v.Source})
	if err != nil {
		return nil, err
	}
	return d.RunJSON(ctx, exe, input, previous)
}

// ParseScope checks that scope is one of "tenant/*", "tenant.line/*" or "tenant.line/scenario"
// for this tenant, naming a scenario that exists.
func (a *Admin) ParseScope(tenant, scope string) error {
	who, what, ok := strings.Cut(scope, "/")
	if !ok {
		return errkind.WithDetail(ErrInvalidScope, "scope must be <tenant>/*, <bizCode>/* or <bizCode>/<scenario>")
	}
	if who == tenant {
		if what != "*" {
			return errkind.WithDetail(ErrInvalidScope, "a tenant-wide scope is %s/*", tenant)
		}
		return nil
	}
	if !identity.ValidBizCode(tenant, who) {
		return errkind.WithDetail(ErrInvalidScope, "%q is not a business line of %s", who, tenant)
	}
	if what == "*" {
		return nil
	}
	if sc := identity.Scenario(what); !sc.Valid() || (a.known != nil && !a.known(sc)) {
		return errkind.WithDetail(ErrInvalidScope, "%q is not a scenario of this platform", what)
	}
	return nil
}

// Publish makes a version apply at a scope: to every user (grayBP 10000), or to a share of users
// in basis points while the current stable version serves the rest.
func (a *Admin) Publish(ctx context.Context, tenant, scope, scriptID string, version, grayBP int, by string) (Publication, error) {
	if err := a.ParseScope(tenant, scope); err != nil {
		return Publication{}, err
	}
	if grayBP < 1 || grayBP > 10000 {
		return Publication{}, errkind.Invalidf("grayBasisPoints must be between 1 and 10000 (100%%)")
	}
	v, err := a.store.Version(ctx, tenant, scriptID, version)
	if err != nil {
		return Publication{}, err
	}
	p := Publication{Tenant: tenant, Scope: scope, Point: v.Point, By: by, At: a.now()}
	if grayBP == 10000 {
		p.StableScript, p.StableVersion = v.ScriptID, v.Version
	} else {
		cur, err := a.store.Current(ctx, tenant, scope, v.Point)
		if err != nil {
			return Publication{}, err
		}
		if cur != nil {
			p.StableScript, p.StableVersion = cur.StableScript, cur.StableVersion
		}
		p.GrayScript, p.GrayVersion, p.GrayBP = v.ScriptID, v.Version, grayBP
	}
	if err := a.store.Publish(ctx, p); err != nil {
		return Publication{}, err
	}
	return p, nil
}

// Rollback returns a point at a scope to what was published before the current publication
// (nothing, if it was the first: the Go default then applies).
func (a *Admin) Rollback(ctx context.Context, tenant, scope, point string) (*Publication, error) {
	if err := a.ParseScope(tenant, scope); err != nil {
		return nil, err
	}
	if _, err := Lookup(point); err != nil {
		return nil, err
	}
	return a.store.Rollback(ctx, tenant, scope, point)
}

// Versions lists a tenant's script versions (of one script, or all when scriptID is empty).
func (a *Admin) Versions(ctx context.Context, tenant, scriptID string) ([]StoredVersion, error) {
	return a.store.Versions(ctx, tenant, scriptID)
}

// Publications lists what a tenant has published.
func (a *Admin) Publications(ctx context.Context, tenant string) ([]Publication, error) {
	return a.store.Publications(ctx, tenant)
}

// Runs lists the script calls recorded for a trade.
func (a *Admin) Runs(ctx context.Context, tenant, tradeID string) ([]RunRecord, error) {
	return a.store.Runs(ctx, tenant, tradeID)
}

// Replay re-runs a recorded call with the version that ran, and reports its output now.
func (a *Admin) Replay(ctx context.Context, tenant string, rec RunRecord) ([]byte, error) {
	if rec.Binding.ScriptID == "" {
		return nil, fmt.Errorf("extensions: record %d ran no script", rec.Seq)
	}
	return a.TestRun(ctx, tenant, rec.Binding.ScriptID, rec.Binding.Version, rec.Input, rec.Previous)
}
