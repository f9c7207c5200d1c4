// Package audit checks the platform's books all the time, per tenant and read-only: stock that
// does not add up, money that does not add up or was given back twice, deposits in no final
// state, and money or stock that nothing will ever move (a payment pending past its sweep, an
// unpaid order past its window, a timer nobody runs, an event nobody relays, a group or an
// auction past its deadline and not settled).
//
// The checks do not trust the code they check: they read the tables and recompute. They are
// incremental: a run looks at what changed since the tenant's watermark (the trades touched, as
// the transactional outbox and the time-ordered payment and refund ids tell) plus the subjects
// of the findings still open, so that a run every minute stays cheap at millions of orders (a
// tenant's first run looks back a day; a full run, by hand, reads everything); the stranded
// checks read by the status indexes the sweepers use. A finding has a stable kind, its
// subject (the id it is about), what is wrong and when it was first seen; it stays open until a
// run finds its subject sound again.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/atriumtrade/atrium/kernel/identity"
)

// Finding is one thing wrong in the books.
type Finding struct {
	// Kind is stable (e.g. "stock.unbalanced", "money.refund_over_payment"): dashboards and
	// alerts key on it.
	Kind string
	// Check is the check that made it.
	Check  string
	Tenant string
	// Subject is the id the finding is about: an order, a trade, a payment, "sku/warehouse", a
	// deposit, a group, a timer.
	Subject string
	// Detail says what is wrong, with the figures.
	Detail string
	// FirstSeen is when a run first found it (kept across runs and restarts); LastSeen the
	// latest run that found it.
	FirstSeen, LastSeen time.Time
}

// Scope is what one run of a check looks at.
type Scope struct {
	Tenant string
	// Since: rows changed at or after it (the zero time: everything).
	Since time.Time
	// Now is the run's time, for the stranded checks' deadlines.
	Now time.Time
	// Recheck are the subjects of this check's open findings: looked at again whatever Since
	// says, so that a repaired one closes.
	Recheck []string
}

// Result is what a check found, and how many rows it read to find it.
type Result struct {
	Rows     int
	Findings []Finding
}

// Check is one family of invariants.
type Check struct {
	// Name is stable ("stock.levels", "money.trades", ...); a finding belongs to the check that
	// made it.
	Name string
	Run  func(ctx context.Context, s Scope) (Result, error)
}

// Store keeps findings and watermarks between runs.
type Store interface {
	// Tenants are the tenants to audit: those audited before and those with changes since
	// (since zero: every tenant with anything to audit).
	Tenants(ctx context.Context, since time.Time) ([]string, error)
	// Open are a tenant's open findings.
	Open(ctx context.Context, tenant string) ([]Finding, error)
	// Record saves what a check found for tenant: new findings open with FirstSeen = at, found
	// again ones move LastSeen, and the open ones among rechecked that were not found close.
	Record(ctx context.Context, tenant, check string, found []Finding, rechecked []string, at time.Time) error
	// Watermark is where the tenant's next run starts (zero: at the beginning).
	Watermark(ctx context.Context, tenant string) (time.Time, error)
	SetWatermark(ctx context.Context, tenant string, at time.Time) error
}

// CheckReport is one check's part of a run.
type CheckReport struct {
	Name     string
	Tenant   string
	Rows     int
	Findings int
	Took     time.Duration
	Err      error
}

// Report is one run over one or more tenants.
type Report struct {
	At       time.Time
	Checks   []CheckReport
	Findings []Finding // open after the run, the checks' order
}

// Failed reports whether a check could not run.
func (r Report) Failed() bool {
	return slices.ContainsFunc(r.Checks, func(c CheckReport) bool { return c.Err != nil })
}

// Auditor runs the checks.
type Auditor struct {
	checks []Check
	store  Store
	now    func() time.Time
	log    *slog.Logger
	// overlap is how far before the watermark a run starts again: a transaction that began
	// before the last run and committed after it wrote rows older than its watermark.
	overlap time.Duration
	// firstWindow is how far back a tenant's first incremental run looks (a full run looks at
	// everything).
	firstWindow time.Duration
}

// New returns an auditor of checks that remembers through store.
func New(store Store, now func() time.Time, log *slog.Logger, checks ...Check) *Auditor {
	return &Auditor{checks: checks, store: store, now: now, log: log, overlap: 2 * time.Minute, firstWindow: 24 * time.Hour}
}

// Options narrow a run.
type Options struct {
	// Tenant: only this tenant (empty: every tenant).
	Tenant string
	// Since, if set, replaces the watermark: the run looks at everything changed since (Full
	// looks at everything).
	Since time.Time
	Full  bool
	// Progress, if set, hears of each tenant as its checks start (done of total so far).
	Progress func(tenant string, done, total int)
}

// Run runs every check for each tenant and records what it found. A check that fails is
// reported and the others run; the watermark moves only when every check of the tenant ran.
func (a *Auditor) Run(ctx context.Context, o Options) (Report, error) {
	rep := Report{At: a.now()}
	tenants := []string{o.Tenant}
	if o.Tenant == "" {
		var changed time.Time // a full run: every tenant
		switch {
		case !o.Since.IsZero():
			changed = o.Since
		case !o.Full:
			changed = rep.At.Add(-a.firstWindow - a.overlap)
		}
		var err error
		if tenants, err = a.store.Tenants(ctx, changed); err != nil {
			return rep, fmt.Errorf("audit: tenants: %w", err)
		}
	}
	for i, tenant := range tenants {
		if o.Progress != nil {
			o.Progress(tenant, i, len(tenants))
		}
		if err := a.runTenant(ctx, tenant, o, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (a *Auditor) runTenant(ctx context.Context, tenant string, o Options, rep *Report) error {
	ctx = identity.WithTenant(ctx, tenant) // the tenant's data is on its pod
	since := o.Since
	if since.IsZero() && !o.Full {
		w, err := a.store.Watermark(ctx, tenant)
		if err != nil {
			return fmt.Errorf("audit: watermark of %s: %w", tenant, err)
		}
		if w.IsZero() {
			w = a.now().Add(-a.firstWindow)
		}
		since = w.Add(-a.overlap)
	}
	open, err := a.store.Open(ctx, tenant)
	if err != nil {
		return fmt.Errorf("audit: open findings of %s: %w", tenant, err)
	}
	start, ok := a.now(), true
	for _, c := range a.checks {
		recheck := subjectsOf(open, c.Name)
		t0 := time.Now()
		res, err := c.Run(ctx, Scope{Tenant: tenant, Since: since, Now: start, Recheck: recheck})
		cr := CheckReport{Name: c.Name, Tenant: tenant, Rows: res.Rows, Findings: len(res.Findings), Took: time.Since(t0), Err: err}
		if err == nil {
			for i := range res.Findings {
				res.Findings[i].Tenant, res.Findings[i].Check = tenant, c.Name
			}
			err = a.store.Record(ctx, tenant, c.Name, res.Findings, recheck, start)
			cr.Err = err
		}
		if cr.Err != nil {
			ok = false
			if ctx.Err() != nil {
				return errors.Join(ctx.Err(), cr.Err)
			}
			a.log.Warn("audit check failed", "check", c.Name, "tenant", tenant, "err", cr.Err)
		}
		rep.Checks = append(rep.Checks, cr)
	}
	if ok && o.Since.IsZero() { // a run from an explicit time leaves the schedule's watermark alone

		if err := a.store.SetWatermark(ctx, tenant, start); err != nil {
			return fmt.Errorf("audit: watermark of %s: %w", tenant, err)
		}
	}
	now, err := a.store.Open(ctx, tenant)
	if err != nil {
		return fmt.Errorf("audit: open findings of %s: %w", tenant, err)
	}
	sort.SliceStable(now, func(i, j int) bool { return now[i].FirstSeen.Before(now[j].FirstSeen) })
	rep.Findings = append(rep.Findings, now...)
	return nil
}

// subjectsOf are the subjects of the open findings that check made.
func subjectsOf(open []Finding, check string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range open {
		if f.Check == check && !seen[f.Subject] {
			seen[f.Subject] = true
			out = append(out, f.Subject)
		}
	}
	return out
}
