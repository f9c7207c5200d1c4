// Package delay is a durable timer: "run handler kind for ref at time T". Jobs are rows
// written in the caller's transaction, so a timer exists exactly when the business change that
// set it committed, and it survives restarts. A worker polls for due jobs, leases each one (so two
// nodes never run it at once), runs the handler and marks it done; a failing handler is retried
// with backoff. Handlers must be idempotent: a crash after the handler but before the mark runs
// it again. A node that knows its own name (WithOwner) leases under it, and when it starts again
// after a crash it takes back the leases it held (Reclaim): the jobs it was running when it died
// run again at once, instead of after their lease. Moving a timer (Schedule again, Move) makes a
// new revision of it: a run of an older one that is still under way keeps its lease but records
// nothing, so the moved timer is never marked done, or retried at the old time, by a run that
// began before the move. Done timers are kept for Retention, then purged.
//
// Brokers offer delayed messages too (RocketMQ levels, RabbitMQ plugins), but not all the brokers
// Atrium supports do, and none of them in the embedded mode; a table works on every database.
package delay

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/identity"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the delay queue.
func Migrations() dal.Migrations { return dal.Embedded("delay", migrationFiles) }

// Handler runs a due job.
type Handler func(ctx context.Context, ref string) error

// Queue schedules and runs jobs.
type Queue struct {
	db       *dal.DB
	ids      func() string
	now      func() time.Time
	handlers map[string]Handler
	log      *slog.Logger
	lease    time.Duration
	owner    string
}

// Option configures a Queue.
type Option func(*Queue)

// WithClock sets the clock jobs are compared against (tests move it forward).
func WithClock(now func() time.Time) Option { return func(q *Queue) { q.now = now } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(q *Queue) { q.log = l } }

// WithOwner names the node that runs this queue, so that it can reclaim its leases when it
// starts again (see Reclaim). Names must be distinct per node, and stable across its restarts;
// an empty name (the default) reclaims nothing.
func WithOwner(name string) Option { return func(q *Queue) { q.owner = name } }

// New returns a Queue.
func New(db *dal.DB, ids func() string, opts ...Option) *Queue {
	q := &Queue{db: db, ids: ids, now: time.Now, handlers: map[string]Handler{}, log: slog.Default(), lease: time.Minute}
	for _, o := range opts {
		o(q)
	}
	return q
}

// Handle registers the handler of kind. Call before Run.
func (q *Queue) Handle(kind string, h func(ctx context.Context, ref string) error) {
	q.handlers[kind] = h
}

// Schedule sets a timer in the transaction ctx carries. One (kind, ref) has at most one timer;
// scheduling it again moves it. It inserts first (a new timer is the common case, and on MySQL an
// UPDATE of a missing row would lock the index gap that concurrent inserts need) and moves an
// existing timer only when the insert finds one.
func (q *Queue) Schedule(ctx context.Context, kind, ref string, due time.Time) error {
	// A failed single-statement insert changes nothing on either engine: no savepoint needed.
	return q.db.InTx(ctx, func(ctx context.Context) error {
		_, err := q.db.Q(ctx).ExecContext(ctx, `INSERT INTO delayed_jobs (job_id, kind, ref, due_at, lease_until, attempts, last_error, done_at)
			VALUES (?, ?, ?, ?, 0, 0, '', 0)`, q.ids(), kind, ref, due.UnixMilli())
		if err == nil {
			return nil
		}
		if !dal.IsDuplicate(err) {
			return fmt.Errorf("delay: schedule: %w", err)
		}
		_, err = q.reset(ctx, kind, ref, due)
		return err
	})
}

// Ensure sets a timer that keeps itself going (its handler schedules its next run): it is
// created if it does not exist and set again if it ran out, and left alone while it is pending,
// so that nodes starting one after another do not keep pushing it back.
func (q *Queue) Ensure(ctx context.Context, kind, ref string, due time.Time) error {
	return q.db.InTx(ctx, func(ctx context.Context) error {
		_, err := q.db.Q(ctx).ExecContext(ctx, `INSERT INTO delayed_jobs (job_id, kind, ref, due_at, lease_until, attempts, last_error, done_at)
			VALUES (?, ?, ?, ?, 0, 0, '', 0)`, q.ids(), kind, ref, due.UnixMilli())
		if err == nil {
			return nil
		}
		if !dal.IsDuplicate(err) {
			return fmt.Errorf("delay: ensure: %w", err)
		}
		_, err = q.db.Q(ctx).ExecContext(ctx, `UPDATE delayed_jobs SET due_at = ?, done_at = 0, attempts = 0, last_error = '', rev = rev + 1
			WHERE kind = ? AND ref = ? AND done_at <> 0`, due.UnixMilli(), kind, ref)
		if err != nil {
			return fmt.Errorf("delay: ensure: %w", err)
		}
		return nil
	})
}

// Move sets a timer that is expected to exist already to a new due time, in the transaction ctx
// carries: one UPDATE where Schedule would first try an INSERT (an auction's close, moved by
// every late bid while the bid holds the auction's row lock). A timer that does not exist is
// scheduled.
func (q *Queue) Move(ctx context.Context, kind, ref string, due time.Time) error {
	if n, err := q.reset(ctx, kind, ref, due); err != nil || n > 0 {
		return err
	}
	return q.Schedule(ctx, kind, ref, due)
}

// reset moves timer (kind, ref), pending or done, to due as a new revision, and reports whether
// it existed. A run of it under way (even one cancelled meanwhile) keeps its lease, so no other
// node starts it meanwhile, but cannot mark the new revision done or retry it: it hands the timer
// back when it ends (see runOne), and the timer runs again when due.
func (q *Queue) reset(ctx context.Context, kind, ref string, due time.Time) (int64, error) {
	res, err := q.db.Q(ctx).ExecContext(ctx, `UPDATE delayed_jobs SET due_at = ?, done_at = 0, attempts = 0, last_error = '', rev = rev + 1
		WHERE kind = ? AND ref = ?`, due.UnixMilli(), kind, ref)
	if err != nil {
		return 0, fmt.Errorf("delay: move: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Cancel removes a pending timer, in the transaction ctx carries.
func (q *Queue) Cancel(ctx context.Context, kind, ref string) error {
	_, err := q.db.Q(ctx).ExecContext(ctx, `UPDATE delayed_jobs SET done_at = ? WHERE kind = ? AND ref = ? AND done_at = 0`,
		q.now().UnixMilli(), kind, ref)
	if err != nil {
		return fmt.Errorf("delay: cancel: %w", err)
	}
	return nil
}

// Reclaim frees the leases held under this queue's owner, that is by the previous run of this
// node: a node calls it when it starts, before it runs jobs, so that the jobs it was running when
// it stopped run again now. It reports how many it freed.
func (q *Queue) Reclaim(ctx context.Context) (int64, error) {
	if q.owner == "" {
		return 0, nil
	}
	res, err := q.db.Q(ctx).ExecContext(ctx, `UPDATE delayed_jobs SET lease_until = 0 WHERE leased_by = ? AND done_at = 0 AND lease_until > 0`,
		q.owner)
	if err != nil {
		return 0, fmt.Errorf("delay: reclaim: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Retention is how long a done timer is kept (when it ran, for whoever looks into a trade)
// before Run purges it.
const Retention = 7 * 24 * time.Hour

// Purge deletes the timers done before before, a batch at a time (one DELETE of a long backlog
// would hold its locks for as long), and reports how many.
func (q *Queue) Purge(ctx context.Context, before time.Time, batch int) (int64, error) {
	var purged int64
	for {
		rows, err := q.db.Q(ctx).QueryContext(ctx, `SELECT job_id FROM delayed_jobs WHERE done_at > 0 AND done_at < ? LIMIT ?`,
			before.UnixMilli(), batch)
		if err != nil {
			return purged, fmt.Errorf("delay: purge: %w", err)
		}
		var ids []any
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return purged, fmt.Errorf("delay: purge: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return purged, err
		}
		// done_at again: a timer scheduled anew since the SELECT is pending, and stays.
		res, err := q.db.Q(ctx).ExecContext(ctx, `DELETE FROM delayed_jobs WHERE job_id IN (`+dal.Placeholders(len(ids))+
			`) AND done_at > 0 AND done_at < ?`, append(ids, before.UnixMilli())...)
		if err != nil {
			return purged, fmt.Errorf("delay: purge: %w", err)
		}
		n, _ := res.RowsAffected()
		purged += n
		if len(ids) < batch {
			return purged, nil
		}
	}
}

// purgeEvery is how often Run purges the timers done more than Retention ago.
const purgeEvery = time.Hour

// Run reclaims this node's leases, then polls every interval until ctx ends. On a database of
// several pods it runs once per pod, with ctx bound to it (dal.DB.Bind). Beside the polls,
// it purges old done timers hourly, so that a long purge never holds up a due timer.
func (q *Queue) Run(ctx context.Context, interval time.Duration) {
	if n, err := q.Reclaim(ctx); err != nil {
		q.log.Error("delay: reclaiming the leases of this node's last run failed", "err", err)
	} else if n > 0 {
		q.log.Info("delay: reclaimed the leases of this node's last run", "jobs", n)
	}
	var purging sync.WaitGroup
	defer purging.Wait()
	purging.Add(1)
	go func() {
		defer purging.Done()
		q.purgeHourly(ctx)
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := q.RunDue(ctx, 100); err != nil && !errors.Is(err, context.Canceled) {
			q.log.Error("delay: poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purgeHourly purges the timers done more than Retention ago, now and every purgeEvery, until
// ctx ends.
func (q *Queue) purgeHourly(ctx context.Context) {
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		before := q.now().Add(-Retention)
		if n, err := q.Purge(ctx, before, 500); err != nil && ctx.Err() == nil {
			q.log.Warn("delay: purging done timers failed", "err", err)
		} else if n > 0 {
			q.log.Info("delay: purged done timers", "jobs", n, "doneBefore", before)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type job struct {
	id, kind, ref string
	attempts      int
	rev           int64 // the timer's revision: a move makes a new one
}

// RunDue runs up to limit due jobs once and reports how many succeeded: the jobs of ctx's pod,
// or (a context that names none) of every pod in turn, up to limit on each.
func (q *Queue) RunDue(ctx context.Context, limit int) (int, error) {
	total := 0
	err := q.db.EachPod(ctx, func(ctx context.Context) error {
		n, err := q.runDue(ctx, limit)
		total += n
		return err
	})
	return total, err
}

func (q *Queue) runDue(ctx context.Context, limit int) (int, error) {
	now := q.now().UnixMilli()
	rows, err := q.db.R(ctx).QueryContext(ctx, `SELECT job_id, kind, ref, attempts, rev FROM delayed_jobs
		WHERE done_at = 0 AND due_at <= ? AND lease_until < ? ORDER BY due_at LIMIT ?`, now, now, limit)
	if err != nil {
		return 0, fmt.Errorf("delay: due jobs: %w", err)
	}
	var jobs []job
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.id, &j.kind, &j.ref, &j.attempts, &j.rev); err != nil {
			rows.Close()
			return 0, fmt.Errorf("delay: scan: %w", err)
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	done := 0
	for _, j := range jobs {
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		ok, err := q.runOne(ctx, j)
		if err != nil {
			return done, err
		}
		if ok {
			done++
		}
	}
	return done, nil
}

// runOne leases job j, runs it and records the outcome. The lease is taken only of the revision
// the poll read, still due (a replica's stale read, or a move since, takes nothing); the outcome
// is recorded only on that revision: a timer moved while it ran is handed back, pending at its
// new time, instead of being marked done or retried at the old one's backoff.
func (q *Queue) runOne(ctx context.Context, j job) (bool, error) {
	now := q.now()
	res, err := q.db.Q(ctx).ExecContext(ctx, `UPDATE delayed_jobs SET lease_until = ?, leased_by = ?, attempts = attempts + 1
		WHERE job_id = ? AND rev = ? AND done_at = 0 AND lease_until < ? AND due_at <= ?`,
		now.Add(q.lease).UnixMilli(), q.owner, j.id, j.rev, now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("delay: lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // another node took it, or it moved
	}
	h, ok := q.handlers[j.kind]
	var herr error
	if !ok {
		herr = fmt.Errorf("no handler for kind %q", j.kind)
	} else {
		herr = h(identity.WithActor(ctx, "timer:"+j.kind), j.ref)
	}
	if herr == nil {
		_, err = q.db.Q(ctx).ExecContext(ctx, `UPDATE delayed_jobs SET done_at = CASE WHEN rev = ? THEN ? ELSE 0 END,
			last_error = '', lease_until = 0 WHERE job_id = ?`, j.rev, q.now().UnixMilli(), j.id)
		return err == nil, err
	}
	backoff := time.Duration(1<<min(j.attempts, 10)) * time.Second
	q.log.Warn("delay: job failed, will retry", "kind", j.kind, "ref", j.ref, "attempt", j.attempts+1, "retryIn", backoff, "err", herr)
	msg := herr.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err = q.db.Q(ctx).ExecContext(ctx, `UPDATE delayed_jobs SET due_at = CASE WHEN rev = ? THEN ? ELSE due_at END,
		last_error = CASE WHEN rev = ? THEN ? ELSE last_error END, lease_until = 0 WHERE job_id = ?`,
		j.rev, q.now().Add(backoff).UnixMilli(), j.rev, msg, j.id)
	return false, err
}

// Job is a scheduled job as Jobs reads it back.
type Job struct {
	Kind, Ref string
	Due       time.Time
	// Done is when it ran to success (zero while pending); Attempts counts its runs, LastError
	// is the latest failure.
	Done      time.Time
	Attempts  int
	LastError string
}

// Jobs returns the jobs of refs (pending, and done ones not purged yet), by due time.
func (q *Queue) Jobs(ctx context.Context, refs ...string) ([]Job, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	args := make([]any, len(refs))
	for i, r := range refs {
		args[i] = r
	}
	out, err := dal.All(ctx, q.db.R(ctx), func(rows *sql.Rows) (Job, error) {
		var j Job
		var due, done int64
		err := rows.Scan(&j.Kind, &j.Ref, &due, &done, &j.Attempts, &j.LastError)
		j.Due, j.Done = time.UnixMilli(due), dal.FromMillis(done)
		return j, err
	}, `SELECT kind, ref, due_at, done_at, attempts, last_error FROM delayed_jobs WHERE ref IN (`+dal.Placeholders(len(refs))+`)
		ORDER BY due_at, job_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("delay: jobs: %w", err)
	}
	return out, nil
}

// Backlog is how many jobs are due at now and not yet done, and how many of them were due before
// now-late (each count stops at limit, so that a node far behind still answers cheaply).
func (q *Queue) Backlog(ctx context.Context, now time.Time, late time.Duration, limit int) (due, overdue int64, err error) {
	const query = `SELECT COUNT(*) FROM (SELECT 1 FROM delayed_jobs WHERE done_at = 0 AND due_at <= ? LIMIT ?) x`
	r := q.db.R(ctx)
	if err := r.QueryRowContext(ctx, query, now.UnixMilli(), limit).Scan(&due); err != nil {
		return 0, 0, fmt.Errorf("delay: backlog: %w", err)
	}
	if err := r.QueryRowContext(ctx, query, now.Add(-late).UnixMilli(), limit).Scan(&overdue); err != nil {
		return 0, 0, fmt.Errorf("delay: backlog: %w", err)
	}
	return due, overdue, nil
}
