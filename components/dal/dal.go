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
	"sync/atomic"

	"github.com/go-sql-driver/mysql"

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
