package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/audit"
	"github.com/atriumtrade/atrium/product-layer/audit/auditsql"
)

// Report is a campaign's outcome.
type Report struct {
	Seed       uint64
	Duration   time.Duration
	Topology   string
	Operations map[string]map[string]int // op → outcome → count
	Faults     map[string]int
	Invariants []Invariant
	Settled    time.Duration // from the end of trading until the books were clean (or the wait ran out)
}

// Invariant is one thing checked after the campaign, with what broke it.
type Invariant struct {
	Name       string
	Checked    int
	Violations []string
}

// Violations counts every invariant's.
func (r *Report) Violations() int {
	n := 0
	for _, i := range r.Invariants {
		n += len(i.Violations)
	}
	return n
}

// settleWithin bounds how long the books may take to come clean once the campaign's windows and
// timers have passed: a timer that fell due at the last moment still runs, a retried refund still
// goes through.
const settleWithin = time.Minute

// auditBounds are the auditor's bounds for a campaign: its windows are seconds, not minutes, so
// what is still pending this long after its window is stranded.
func auditBounds() auditsql.Config {
	return auditsql.Config{UnpaidWindow: unpaid, UnpaidGrace: 20 * time.Second, PaymentGrace: 30 * time.Second, TimerGrace: 20 * time.Second,
		RefundGrace: 30 * time.Second, RelayLag: 20 * time.Second, DeadlineGrace: 20 * time.Second}
}

// settleAndCheck waits until the platform has settled what the campaign started, then checks the
// books and the clients' ledger.
func (cp *campaign) settleAndCheck(ctx context.Context, w *workload) *Report {
	rep := &Report{Operations: cp.tally.ops, Faults: cp.tally.faults}
	ended := time.Now()
	db, err := dal.Open(ctx, cp.o.DB)
	if err != nil {
		rep.Invariants = append(rep.Invariants, Invariant{Name: "database reachable", Checked: 1, Violations: []string{err.Error()}})
		return rep
	}
	defer db.Close()
	auditor := audit.New(auditsql.New(db), time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), auditsql.NewChecks(db, auditBounds()).List()...)
	// Quiescence: the last windows the campaign opened have passed (the unpaid window, a group's
	// formation, a winner's pay window, the timers' grace), and no timer is due.
	last := maxTime(cp.deadline.Add(unpaid), w.balanceEnds, cp.deadline.Add(60*time.Second))
	for _, a := range w.auctions {
		last = maxTime(last, a.end.Add(70*time.Second))
	}
	quiet := last.Add(auditBounds().TimerGrace + 5*time.Second)
	fmt.Fprintf(cp.o.Out, "chaos: trading ended; waiting %s for the platform to settle (windows and timers)\n", time.Until(quiet).Round(time.Second))
	tty := interactive(cp.o.Out)
	for i := 0; time.Now().Before(quiet) && ctx.Err() == nil; i++ {
		time.Sleep(time.Second)
		if tty {
			fmt.Fprintf(cp.o.Out, "\rchaos: settling, %s left   ", max(0, time.Until(quiet)).Round(time.Second))
		} else if i%15 == 14 {
			fmt.Fprintf(cp.o.Out, "chaos: settling, %s left\n", max(0, time.Until(quiet)).Round(time.Second))
		}
	}
	if tty {
		fmt.Fprintln(cp.o.Out)
	}
	// The audit runs until the books are clean or the wait runs out: a timer that was due
	// just now may still be running.
	var report audit.Report
	for {
		report, err = auditor.Run(ctx, audit.Options{Tenant: tenant, Full: true})
		if err == nil && !report.Failed() && len(report.Findings) == 0 || time.Now().After(quiet.Add(settleWithin)) || ctx.Err() != nil {
			break
		}
		time.Sleep(3 * time.Second)
	}
	rep.Settled = time.Since(ended).Round(time.Second)
	inv := Invariant{Name: "the auditor (full run)"}
	if err != nil {
		inv.Violations = append(inv.Violations, err.Error())
	}
	for _, c := range report.Checks {
		inv.Checked += c.Rows
		if c.Err != nil {
			inv.Violations = append(inv.Violations, fmt.Sprintf("check %s could not run: %v", c.Name, c.Err))
		}
	}
	for _, f := range report.Findings {
		inv.Violations = append(inv.Violations, fmt.Sprintf("%s %s: %s", f.Kind, f.Subject, f.Detail))
	}
	rep.Invariants = append(rep.Invariants, inv)
	rep.Invariants = append(rep.Invariants, cp.checkLedger(ctx, db)...)
	rep.Invariants = append(rep.Invariants, cp.checkLogs())
	return rep
}

// logTroubles are what a node's log never holds: a panic (recovered or not), the runtime's
// fatal errors, and the race detector's reports (with a binary built with -race).
var logTroubles = []string{"panic:", "fatal error:", "WARNING: DATA RACE"}

// checkLogs reads every node's log (all its runs) for logTroubles.
func (cp *campaign) checkLogs() Invariant {
	inv := Invariant{Name: "no node panicked, died on its own or raced"}
	for _, p := range cp.nodes {
		inv.Checked++
		b, err := os.ReadFile(p.log)
		if err != nil {
			inv.Violations = append(inv.Violations, err.Error())
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			for _, t := range logTroubles {
				if strings.Contains(line, t) {
					inv.Violations = append(inv.Violations, fmt.Sprintf("%s: %.300s (see %s)", p.name, line, p.log))
				}
			}
		}
	}
	return inv
}

func maxTime(ts ...time.Time) time.Time {
	m := ts[0]
	for _, t := range ts[1:] {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// checkLedger holds the database to what the clients were told.
func (cp *campaign) checkLedger(ctx context.Context, db *dal.DB) []Invariant {
	l := cp.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	q := db.Primary()
	keys := Invariant{Name: "each idempotency key answered one thing", Checked: len(l.keys), Violations: append([]string(nil), l.problems...)}
	served := Invariant{Name: "no request answered 500, no node died", Checked: 0, Violations: append([]string(nil), cp.tally.broken...)}
	for _, m := range cp.tally.ops {
		for _, n := range m {
			served.Checked += n
		}
	}
	orders := Invariant{Name: "every acknowledged order exists once"}
	for _, id := range sortedKeys(l.trades) {
		want := l.trades[id]
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM trades WHERE tenant = ? AND trade_id = ?`, tenant, id).Scan(&n); err != nil {
			orders.Violations = append(orders.Violations, err.Error())
			break
		}
		got, err := column(ctx, q, `SELECT order_id FROM orders WHERE tenant = ? AND trade_id = ? ORDER BY order_id`, tenant, id)
		if err != nil {
			orders.Violations = append(orders.Violations, err.Error())
			break
		}
		sorted := append([]string(nil), want...)
		sort.Strings(sorted)
		orders.Checked++
		if n != 1 || strings.Join(got, ",") != strings.Join(sorted, ",") {
			orders.Violations = append(orders.Violations, fmt.Sprintf("trade %s: acknowledged with orders %v; the database holds %d trade rows and orders %v", id, sorted, n, got))
		}
	}
	payments := Invariant{Name: "every acknowledged payment is settled once"}
	for _, id := range sortedKeys(l.payments) {
		p := l.payments[id]
		var status string
		var amount int64
		err := q.QueryRowContext(ctx, `SELECT status, amount FROM payments WHERE tenant = ? AND payment_id = ?`, tenant, id).Scan(&status, &amount)
		payments.Checked++
		switch {
		case err == sql.ErrNoRows:
			payments.Violations = append(payments.Violations, fmt.Sprintf("payment %s was acknowledged as paid and does not exist", id))
		case err != nil:
			payments.Violations = append(payments.Violations, err.Error())
		case status != "succeeded" || amount != p.amount:
			payments.Violations = append(payments.Violations, fmt.Sprintf("payment %s was acknowledged as paid %d; it is %s for %d", id, p.amount, status, amount))
		}
	}
	// Money kept (paid less refunded) by a payment of nothing: neither a trade with orders nor an
	// auction deposit.
	charged := Invariant{Name: "no buyer is charged for an order that does not exist"}
	rows, err := q.QueryContext(ctx, `SELECT p.payment_id, p.trade_id, p.amount - COALESCE((SELECT SUM(r.amount) FROM payment_refunds r
		WHERE r.payment_id = p.payment_id), 0) FROM payments p WHERE p.tenant = ? AND p.status = 'succeeded'`, tenant)
	if err != nil {
		charged.Violations = append(charged.Violations, err.Error())
	} else {
		type kept struct {
			payment, trade string
			amount         int64
		}
		var all []kept
		for rows.Next() {
			var k kept
			if err := rows.Scan(&k.payment, &k.trade, &k.amount); err != nil {
				charged.Violations = append(charged.Violations, err.Error())
				break
			}
			all = append(all, k)
		}
		rows.Close()
		for _, k := range all {
			charged.Checked++
			if k.amount <= 0 {
				continue
			}
			var orders, deposits int
			_ = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE tenant = ? AND trade_id = ?`, tenant, k.trade).Scan(&orders)
			_ = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM auction_deposits WHERE tenant = ? AND payment_id = ?`, tenant, k.payment).Scan(&deposits)
			if orders == 0 && deposits == 0 {
				charged.Violations = append(charged.Violations, fmt.Sprintf("payment %s keeps %d for %s, which has no order", k.payment, k.amount, k.trade))
			}
		}
	}
	return []Invariant{orders, payments, charged, keys, served}
}

func column(ctx context.Context, q dal.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Print writes the summary: operations by kind, faults by kind, invariants, violations, seed.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nOPERATION\tANSWERED\tOK\tREFUSED (by code)\n")
	for _, op := range sortedKeys(r.Operations) {
		m := r.Operations[op]
		total, ok := 0, m["ok"]
		var refused []string
		for _, k := range sortedKeys(m) {
			total += m[k]
			if k != "ok" {
				refused = append(refused, fmt.Sprintf("%s %d", k, m[k]))
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", op, total, ok, strings.Join(refused, ", "))
	}
	fmt.Fprintf(tw, "\nFAULT\tINJECTED\n")
	for _, k := range sortedKeys(r.Faults) {
		fmt.Fprintf(tw, "%s\t%d\n", k, r.Faults[k])
	}
	fmt.Fprintf(tw, "\nINVARIANT\tCHECKED\tVIOLATIONS\n")
	for _, i := range r.Invariants {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", i.Name, i.Checked, len(i.Violations))
	}
	tw.Flush()
	for _, i := range r.Invariants {
		for j, v := range i.Violations {
			if j == 10 {
				fmt.Fprintf(w, "  … and %d more\n", len(i.Violations)-10)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", i.Name, v)
		}
	}
	fmt.Fprintf(w, "\nseed %d (--seed %d replays this schedule), %s on %s, settled %s after trading; violations: %d\n",
		r.Seed, r.Seed, r.Duration, r.Topology, r.Settled, r.Violations())
}
