package dal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

type txKey struct{ c *cluster }

// txState is the open transaction, its pod and how deep the savepoints go.
type txState struct {
	tx    *sql.Tx
	pod   *pod
	depth int
	// after runs once the outermost transaction has committed (shared by its savepoints).
	after *[]func()
}

// AfterCommit runs fn once the transaction ctx carries has committed, and never if it rolls back
// (or the savepoint fn was registered in does, or a retry runs the transaction again); outside a
// transaction it runs fn at once. For effects outside the database that must follow only what was
// written: counting orders in metrics, in-process notices.
func (db *DB) AfterCommit(ctx context.Context, fn func()) {
	st := db.tx(ctx)
	if st == nil {
		fn()
		return
	}
	*st.after = append(*st.after, fn)
}

// tx is the transaction ctx carries, if this view's calls join it: the routed view joins any
// (it was opened on the pod of the same context); a pinned view only one on its own pod.
func (db *DB) tx(ctx context.Context) *txState {
	st, _ := ctx.Value(txKey{db.c}).(*txState)
	if st != nil && db.pin != nil && st.pod != db.pin {
		return nil
	}
	return st
}

// InTransaction reports whether ctx carries a transaction of this DB.
func (db *DB) InTransaction(ctx context.Context) bool { return db.tx(ctx) != nil }

// StdTx is the *sql.Tx ctx carries for this DB, or nil: for a library that writes through
// database/sql itself (Watermill's SQL publisher) and must join the caller's transaction.
func (db *DB) StdTx(ctx context.Context) *sql.Tx {
	if st := db.tx(ctx); st != nil {
		return st.tx
	}
	return nil
}

// Adopt carries tx, a transaction of the primary of the view's pod (the directory pod for the
// routed view) that someone else began and will commit (Watermill's SQL subscriber, whose
// transaction acks the message), in ctx: Q, InTx and InSavepoint join it. AfterCommit callbacks
// registered under it wait for the caller to run them with the returned function, once it knows
// the owner has committed.
func (db *DB) Adopt(ctx context.Context, tx *sql.Tx) (context.Context, func()) {
	st := &txState{tx: tx, pod: db.home(), after: new([]func())}
	return context.WithValue(ctx, txKey{db.c}, st), func() {
		for _, f := range *st.after {
			f()
		}
	}
}

// Q returns the transaction the context carries for this DB, or the primary pool of the call's
// pod.
func (db *DB) Q(ctx context.Context) Querier {
	if st := db.tx(ctx); st != nil {
		return db.recorded(st.tx)
	}
	p, err := db.route(ctx)
	if err != nil {
		return failing{pool: db.c.failing, err: err}
	}
	pool, err := p.writePool()
	if err != nil {
		return failing{pool: db.c.failing, err: err}
	}
	// A statement through Q commits after this returns: a second's margin covers it.
	if p.embed {
		return db.recorded(pool)
	}
	p.noteWrite(ctx, time.Now().Add(time.Second))
	return db.recorded(watched{p: p, pool: pool})
}

// R returns the context's transaction if any (a read inside a transaction must see its writes),
// else the replica pool of the call's pod.
func (db *DB) R(ctx context.Context) Querier {
	if st := db.tx(ctx); st != nil {
		return db.recorded(st.tx)
	}
	p, err := db.route(ctx)
	if err != nil {
		return failing{pool: db.c.failing, err: err}
	}
	pool, err := p.readPool(ctx)
	if err != nil {
		return failing{pool: db.c.failing, err: err}
	}
	if p.embed {
		return db.recorded(pool)
	}
	return db.recorded(watched{p: p, pool: pool, read: true})
}

// InTx runs fn in a transaction carried by the context; a nested call joins the outer
// transaction, and its failure fails the whole. The outermost call retries fn on a deadlock or
// lock timeout (MySQL) or a busy database (SQLite), so fn must be safe to run again: it must not
// have effects outside the database before it returns.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if db.tx(ctx) != nil {
		return fn(ctx)
	}
	return db.outerTx(ctx, fn)
}

// InSavepoint is InTx for a step that the caller may retry or skip on failure: nested in a
// transaction it runs inside a savepoint, so that if it fails its own writes are undone and the
// outer transaction goes on without half of it. Savepoints cost statements inside the write lock,
// so only steps that need partial rollback use them.
func (db *DB) InSavepoint(ctx context.Context, fn func(ctx context.Context) error) error {
	if st := db.tx(ctx); st != nil {
		return db.savepoint(ctx, st, fn)
	}
	return db.outerTx(ctx, fn)
}

func (db *DB) outerTx(ctx context.Context, fn func(ctx context.Context) error) error {
	p, err := db.route(ctx)
	if err != nil {
		return err
	}
	const attempts = 5
	for i := 0; i < attempts; i++ {
		if err = db.runTx(ctx, p, fn); err == nil || !db.retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(ErrContention, err)
		case <-time.After(time.Duration(i+1) * 5 * time.Millisecond):
		}
	}
	return errors.Join(ErrContention, err)
}

// ErrContention is a transaction that kept losing to concurrent ones (deadlocks, lock wait
// timeouts, a busy database) through every retry: the caller may try again later.
var ErrContention = errors.New("dal: transaction kept conflicting with concurrent ones")

// TxOptions are the options of every transaction: READ COMMITTED on MySQL, where REPEATABLE
// READ's gap locks make concurrent inserts next to each other deadlock; SQLite's default (it
// serializes writers anyway).
func (db *DB) TxOptions() *sql.TxOptions {
	if db.c.dialect == MySQL {
		return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return nil
}

func (db *DB) runTx(ctx context.Context, p *pod, fn func(ctx context.Context) error) (err error) {
	pool, err := p.writePool()
	if err != nil {
		return err
	}
	started := time.Now()
	defer func() {
		// A primary that went away: check the pod now, and say so (retryable) rather than fail
		// the request as if it were at fault.
		if err != nil && IsUnavailable(err) {
			p.recheck(started)
			if !errors.Is(err, ErrUnavailable) {
				err = errors.Join(ErrUnavailable, err)
			}
		}
	}()
	tx, err := pool.BeginTx(ctx, db.TxOptions())
	if err != nil {
		return fmt.Errorf("dal: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	st := &txState{tx: tx, pod: p, after: new([]func())}
	if err = fn(context.WithValue(ctx, txKey{db.c}, st)); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("dal: commit: %w", err)
	}
	p.noteWrite(ctx, time.Now())
	for _, f := range *st.after {
		f()
	}
	return nil
}

func (db *DB) savepoint(ctx context.Context, outer *txState, fn func(ctx context.Context) error) error {
	inner := &txState{tx: outer.tx, pod: outer.pod, depth: outer.depth + 1, after: outer.after}
	registered := len(*outer.after)
	name := fmt.Sprintf("sp%d", inner.depth)
	if _, err := outer.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("dal: savepoint: %w", err)
	}
	if err := fn(context.WithValue(ctx, txKey{db.c}, inner)); err != nil {
		*outer.after = (*outer.after)[:registered] // what the savepoint undid does not happen
		if _, rbErr := outer.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rbErr != nil {
			return errors.Join(err, fmt.Errorf("dal: rollback to savepoint: %w", rbErr))
		}
		return err
	}
	if _, err := outer.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("dal: release savepoint: %w", err)
	}
	return nil
}

func (db *DB) retryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205 // deadlock, lock wait timeout
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return false
}

// watched is a pod's pool that notices a node gone: a statement that fails for want of its node
// has the pod checked at once (so the next one goes where the pod now says) and fails as
// ErrUnavailable; a read is tried once more where the pod now sends reads (a replica, when the
// primary has just died).
type watched struct {
	p    *pod
	pool *sql.DB
	read bool
}

func (w watched) failed(err error, start time.Time) bool {
	if err == nil || !IsUnavailable(err) {
		return false
	}
	w.p.recheck(start)
	return true
}

// again is where a failed read goes now, if somewhere else.
func (w watched) again(ctx context.Context) (*sql.DB, bool) {
	if !w.read {
		return nil, false
	}
	pool, err := w.p.readPool(ctx)
	return pool, err == nil && pool != w.pool
}

func unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return errors.Join(ErrUnavailable, err)
}

func (w watched) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	start := time.Now()
	res, err := w.pool.ExecContext(ctx, query, args...)
	if w.failed(err, start) {
		err = unavailable(err)
	}
	return res, err
}

func (w watched) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	start := time.Now()
	rows, err := w.pool.QueryContext(ctx, query, args...)
	if w.failed(err, start) {
		if pool, ok := w.again(ctx); ok {
			if rows, err = pool.QueryContext(ctx, query, args...); err == nil {
				return rows, nil
			}
		}
		err = unavailable(err)
	}
	return rows, err
}

func (w watched) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	start := time.Now()
	row := w.pool.QueryRowContext(ctx, query, args...)
	if w.failed(row.Err(), start) {
		if pool, ok := w.again(ctx); ok {
			return pool.QueryRowContext(ctx, query, args...)
		}
	}
	return row
}
