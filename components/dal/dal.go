// Package dal gives storage adapters connections, transactions and dialect facts over
// database/sql, for two engines behind one API: SQLite (modernc.org/sqlite, pure Go, WAL) as the
// embedded default, and MySQL through go-sql-driver/mysql (MariaDB, TiDB and other
// MySQL-protocol databases). It knows nothing of trade.
//
// Reads and writes are split: writes and everything inside a transaction go to the primary pool;
// plain reads go to the replica pool. For SQLite the primary is a single connection (SQLite has
// one writer; one connection avoids busy-waiting between our own goroutines) and the replica is a
// read-only pool that WAL lets run beside it. For MySQL the replica is a separate DSN when one is
// configured, else the primary.
//
// A transaction travels in the context: adapters call Q(ctx) and join whatever transaction the
// caller opened with InTx, so a flow can commit an order, its stock reservation and its outbox
// event together without any capability knowing about SQL.
package dal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/atriumtrade/atrium/kernel/errkind"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Dialect is the SQL engine family.
type Dialect int

// The dialects.
const (
	SQLite Dialect = iota + 1
	MySQL
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case MySQL:
		return "mysql"
	}
	return "unknown"
}

// Config selects and tunes the database.
type Config struct {
	// Driver is "sqlite" (default) or "mysql".
	Driver string `yaml:"driver"`
	// DSN is the MySQL DSN (go-sql-driver format) or, for SQLite, a file path; empty SQLite DSN
	// means DataDir/atrium.db.
	DSN string `yaml:"dsn"`
	// ReplicaDSN is an optional MySQL read replica.
	ReplicaDSN string `yaml:"replicaDsn"`
	// DataDir holds the SQLite file.
	DataDir string `yaml:"dataDir"`
	// MaxOpenConns bounds the MySQL primary pool (default 64).
	MaxOpenConns int `yaml:"maxOpenConns"`
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch c.Driver {
	case "", "sqlite":
		if c.DSN == "" && c.DataDir == "" {
			return errors.New("dal: sqlite needs dsn or dataDir")
		}
	case "mysql":
		if c.DSN == "" {
			return errors.New("dal: mysql needs dsn")
		}
		for name, dsn := range map[string]string{"dsn": c.DSN, "replicaDsn": c.ReplicaDSN} {
			if dsn == "" {
				continue
			}
			if _, err := mysql.ParseDSN(dsn); err != nil {
				return fmt.Errorf("dal: mysql %s: %w", name, err)
			}
			if err := utf8mb4Only(dsn); err != nil {
				return fmt.Errorf("dal: mysql %s: %w", name, err)
			}
		}
	default:
		return fmt.Errorf("dal: unknown driver %q (want sqlite or mysql)", c.Driver)
	}
	if c.MaxOpenConns < 0 {
		return errors.New("dal: maxOpenConns must not be negative")
	}
	return nil
}

// DB is a primary and a replica pool of one dialect.
type DB struct {
	primary *sql.DB
	replica *sql.DB
	dialect Dialect
	record  atomic.Pointer[func(query string, args []any)]
	tracer  atomic.Pointer[trace.Tracer]
}

// Record makes every statement run through Q and R be passed to f (with its arguments) before it
// runs, or stops that when f is nil. Tests use it to check the plan of every query a workload
// runs; f must be safe for concurrent use.
func (db *DB) Record(f func(query string, args []any)) {
	if f == nil {
		db.record.Store(nil)
		return
	}
	db.record.Store(&f)
}

// recording is a Querier that shows each statement to a recorder first.
type recording struct {
	q Querier
	f func(query string, args []any)
}

func (r recording) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r.f(query, args)
	return r.q.ExecContext(ctx, query, args...)
}

func (r recording) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.f(query, args)
	return r.q.QueryContext(ctx, query, args...)
}

func (r recording) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.f(query, args)
	return r.q.QueryRowContext(ctx, query, args...)
}

func (db *DB) recorded(q Querier) Querier {
	if t := db.tracer.Load(); t != nil {
		q = traced{q: q, t: *t, system: db.dialect.String()}
	}
	if f := db.record.Load(); f != nil {
		return recording{q: q, f: *f}
	}
	return q
}

// Trace makes every statement run through Q and R within a traced request a span of its own
// (db.system, db.statement), a child of the request's span. Statements outside a sampled trace
// (timers, sweeps) make none.
func (db *DB) Trace(t trace.Tracer) { db.tracer.Store(&t) }

// traced is a Querier that wraps each statement in a span.
type traced struct {
	q      Querier
	t      trace.Tracer
	system string
}

func (tr traced) span(ctx context.Context, query string) (context.Context, trace.Span) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	verb, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	return tr.t.Start(ctx, "SQL "+strings.ToUpper(verb), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", tr.system), attribute.String("db.statement", clip(query, 2000))))
}

func end(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "statement failed")
	}
	span.End()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (tr traced) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, span := tr.span(ctx, query)
	res, err := tr.q.ExecContext(ctx, query, args...)
	end(span, err)
	return res, err
}

func (tr traced) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, span := tr.span(ctx, query)
	rows, err := tr.q.QueryContext(ctx, query, args...)
	end(span, err)
	return rows, err
}

func (tr traced) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, span := tr.span(ctx, query)
	row := tr.q.QueryRowContext(ctx, query, args...)
	end(span, row.Err())
	return row
}

// Open connects and pings. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var db *DB
	var err error
	if cfg.Driver == "mysql" {
		db, err = openMySQL(cfg)
	} else {
		db, err = openSQLite(cfg)
	}
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.primary.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("dal: ping %s: %w", db.dialect, err)
	}
	if db.dialect == MySQL {
		pools := []*sql.DB{db.primary}
		if db.replica != db.primary {
			pools = append(pools, db.replica)
		}
		for _, pool := range pools {
			if err := checkConnectionCharset(pctx, pool); err != nil {
				db.Close()
				return nil, err
			}
		}
	}
	return db, nil
}

// utf8mb4Only refuses a DSN that asks for a connection charset other than utf8mb4: every id,
// address and title is written as utf8mb4, and a narrower connection would fail or mangle them.
// (The driver keeps the charset parameter to itself, so it is read from the DSN's query.)
func utf8mb4Only(dsn string) error {
	_, query, _ := strings.Cut(dsn, "?")
	params, err := url.ParseQuery(query)
	if err != nil {
		return err
	}
	for _, cs := range params["charset"] {
		for _, name := range strings.Split(cs, ",") {
			if strings.TrimSpace(name) != "utf8mb4" {
				return fmt.Errorf("charset=%s: Atrium talks to MySQL in utf8mb4 only; remove the charset parameter", cs)
			}
		}
	}
	return nil // the collation is always utf8mb4_bin (mysqlDSN)
}

// checkConnectionCharset refuses a server whose connections do not carry utf8mb4 (a server too
// old for it, or one that overrides what the client asks for, such as skip-character-set-client-
// handshake with a latin1 default): such a connection would refuse or mangle Chinese addresses.
func checkConnectionCharset(ctx context.Context, pool *sql.DB) error {
	var client, conn, results, collation string
	err := pool.QueryRowContext(ctx, `SELECT @@character_set_client, @@character_set_connection, @@character_set_results,
		@@collation_connection`).Scan(&client, &conn, &results, &collation)
	if err != nil {
		return fmt.Errorf("dal: read the connection's charset: %w", err)
	}
	if client != "utf8mb4" || conn != "utf8mb4" || results != "utf8mb4" {
		return fmt.Errorf("dal: the MySQL server gives this connection the charset %s/%s/%s (client/connection/results); "+
			"Atrium needs utf8mb4 (MySQL 5.5.3 or later, MariaDB 5.5 or later, without skip-character-set-client-handshake)",
			client, conn, results)
	}
	return nil
}

func openSQLite(cfg Config) (*DB, error) {
	path := cfg.DSN
	if path == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("dal: data dir: %w", err)
		}
		path = filepath.Join(cfg.DataDir, "atrium.db")
	}
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	primary, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("dal: open sqlite: %w", err)
	}
	primary.SetMaxOpenConns(1)
	primary.SetMaxIdleConns(1)
	primary.SetConnMaxIdleTime(0)
	// Make sure the file exists and is in WAL mode before readers open it read-only.
	if _, err := primary.Exec("SELECT 1"); err != nil {
		primary.Close()
		return nil, fmt.Errorf("dal: open sqlite %s: %w", path, err)
	}
	replica, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		primary.Close()
		return nil, fmt.Errorf("dal: open sqlite reader: %w", err)
	}
	replica.SetMaxOpenConns(4)
	replica.SetMaxIdleConns(4)
	return &DB{primary: primary, replica: replica, dialect: SQLite}, nil
}

func openMySQL(cfg Config) (*DB, error) {
	primary, err := sql.Open("mysql", mysqlDSN(cfg.DSN))
	if err != nil {
		return nil, fmt.Errorf("dal: open mysql: %w", err)
	}
	maxConns := cfg.MaxOpenConns
	if maxConns == 0 {
		maxConns = 64
	}
	primary.SetMaxOpenConns(maxConns)
	primary.SetMaxIdleConns(maxConns)
	primary.SetConnMaxLifetime(30 * time.Minute)
	replica := primary
	if cfg.ReplicaDSN != "" {
		if replica, err = sql.Open("mysql", mysqlDSN(cfg.ReplicaDSN)); err != nil {
			primary.Close()
			return nil, fmt.Errorf("dal: open mysql replica: %w", err)
		}
		replica.SetMaxOpenConns(maxConns)
		replica.SetMaxIdleConns(maxConns)
	}
	return &DB{primary: primary, replica: replica, dialect: MySQL}, nil
}

// mysqlDSN forces the settings the adapters rely on.
func mysqlDSN(dsn string) string {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return dsn
	}
	c.ParseTime = false
	c.MultiStatements = false
	c.ClientFoundRows = true // RowsAffected counts matched rows, as SQLite does
	// One round trip per statement instead of prepare, execute, close. Safe with utf8mb4 (the
	// driver refuses it for the multibyte charsets where escaping could be subverted).
	c.InterpolateParams = true
	c.Collation = "utf8mb4_bin"
	return c.FormatDSN()
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.primary.Close()
	if db.replica != db.primary {
		err = errors.Join(err, db.replica.Close())
	}
	return err
}

// Dialect is the engine family.
func (db *DB) Dialect() Dialect { return db.dialect }

// Primary is the write pool, for tools (benchmarks, migrations) that need the raw handle.
func (db *DB) Primary() *sql.DB { return db.primary }

// Replica is the pool plain reads use (the primary's, without a replica configured on MySQL).
func (db *DB) Replica() *sql.DB { return db.replica }

// Querier is what *sql.DB and *sql.Tx share.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// All runs query on q and scans every row with scan, closing the rows before it returns, so the
// caller may issue statements on the same transaction right after. Collecting first matters on a
// transaction: its connection cannot run another statement while rows are open.
func All[T any](ctx context.Context, q Querier, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

type txKey struct{ db *DB }

// txState is the open transaction and how deep the savepoints go.
type txState struct {
	tx    *sql.Tx
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

func (db *DB) tx(ctx context.Context) *txState {
	st, _ := ctx.Value(txKey{db}).(*txState)
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

// Adopt carries tx, a transaction of this DB's primary that someone else began and will commit
// (Watermill's SQL subscriber, whose transaction acks the message), in ctx: Q, InTx and
// InSavepoint join it. AfterCommit callbacks registered under it wait for the caller to run them
// with the returned function, once it knows the owner has committed.
func (db *DB) Adopt(ctx context.Context, tx *sql.Tx) (context.Context, func()) {
	st := &txState{tx: tx, after: new([]func())}
	return context.WithValue(ctx, txKey{db}, st), func() {
		for _, f := range *st.after {
			f()
		}
	}
}

// Q returns the transaction the context carries for this DB, or the primary pool.
func (db *DB) Q(ctx context.Context) Querier {
	if st := db.tx(ctx); st != nil {
		return db.recorded(st.tx)
	}
	return db.recorded(db.primary)
}

// R returns the context's transaction if any (a read inside a transaction must see its writes),
// else the replica pool.
func (db *DB) R(ctx context.Context) Querier {
	if st := db.tx(ctx); st != nil {
		return db.recorded(st.tx)
	}
	return db.recorded(db.replica)
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
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		if err = db.runTx(ctx, fn); err == nil || !db.retryable(err) {
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
	if db.dialect == MySQL {
		return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return nil
}

func (db *DB) runTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	tx, err := db.primary.BeginTx(ctx, db.TxOptions())
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
	st := &txState{tx: tx, after: new([]func())}
	if err = fn(context.WithValue(ctx, txKey{db}, st)); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("dal: commit: %w", err)
	}
	for _, f := range *st.after {
		f()
	}
	return nil
}

func (db *DB) savepoint(ctx context.Context, outer *txState, fn func(ctx context.Context) error) error {
	inner := &txState{tx: outer.tx, depth: outer.depth + 1, after: outer.after}
	registered := len(*outer.after)
	name := fmt.Sprintf("sp%d", inner.depth)
	if _, err := outer.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("dal: savepoint: %w", err)
	}
	if err := fn(context.WithValue(ctx, txKey{db}, inner)); err != nil {
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

// IsDuplicate reports whether err is a unique-key violation.
func IsDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// ErrValueTooLarge answers a write whose value did not fit its column. Capabilities bound every
// field they store, so this is a validation that a capability missed: the client still gets a
// 4xx that says its input was refused (and nothing was written), never a 500.
var ErrValueTooLarge = errkind.New(errkind.Invalid, "request.value_too_large", "a value is too large to be stored")

// IsTooLarge reports whether err is a value that does not fit its column: on MySQL, data too long
// (1406), out of range (1264), truncated (1265) or not valid in the column's character set
// (1366); on SQLite, a string or blob over its size limit.
func IsTooLarge(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1406, 1264, 1265, 1366:
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_TOOBIG
	}
	return false
}

// ForUpdate is the row-locking suffix for a SELECT inside a transaction: " FOR UPDATE" on MySQL;
// nothing on SQLite, whose transactions already hold the single write lock.
func (db *DB) ForUpdate() string {
	if db.dialect == MySQL {
		return " FOR UPDATE"
	}
	return ""
}

// ForShare is the shared-lock suffix for a SELECT inside a transaction: it reads the latest
// committed row (not the snapshot) and lets other readers share the lock.
func (db *DB) ForShare() string {
	if db.dialect == MySQL {
		return " LOCK IN SHARE MODE"
	}
	return ""
}

// Placeholders returns "?, ?, ?" for n arguments.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Rows is the VALUES list of a multi-row insert: n rows of width placeholders each.
func Rows(n, width int) string {
	if n <= 0 {
		return ""
	}
	row := "(" + Placeholders(width) + ")"
	return strings.Repeat(row+", ", n-1) + row
}

// Upsert runs update and, if it matched no row, insert, in one transaction; a duplicate from an
// insert that raced it re-runs the update once. It is portable across SQLite and MySQL, unlike
// either's own upsert syntax. MySQL counts matched rows (clientFoundRows), so an update that
// changes nothing still counts as a match.
func (db *DB) Upsert(ctx context.Context, update string, uargs []any, insert string, iargs []any) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		q := db.Q(ctx)
		for attempt := 0; ; attempt++ {
			res, err := q.ExecContext(ctx, update, uargs...)
			if err != nil {
				return fmt.Errorf("dal: upsert: update: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				return nil
			}
			if _, err = q.ExecContext(ctx, insert, iargs...); err == nil {
				return nil
			} else if !IsDuplicate(err) || attempt > 0 {
				return fmt.Errorf("dal: upsert: insert: %w", err)
			}
		}
	})
}

// NullMillis is t as unix milliseconds for a nullable column, NULL for the zero time.
func NullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// Millis is t in unix milliseconds for a NOT NULL column where 0 means unset: 0 for the zero time.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis reads such a column back: the zero time for 0.
func FromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// TimeOf reads a nullable unix-millisecond column back: the zero time for NULL.
func TimeOf(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64)
}
