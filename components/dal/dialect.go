package dal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

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
	if db.c.dialect == MySQL {
		return " FOR UPDATE"
	}
	return ""
}

// ForShare is the shared-lock suffix for a SELECT inside a transaction: it reads the latest
// committed row (not the snapshot) and lets other readers share the lock.
//
// TiDB refuses a shared lock by default: there it is FOR UPDATE, which excludes more and is as
// safe.
func (db *DB) ForShare() string {
	if db.c.tidb {
		return " FOR UPDATE"
	}
	if db.c.dialect == MySQL {
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

// ErrUnavailable is a pod that cannot take the call now: its primary is down or being replaced
// (or, for a read, no node of it answers). It is retryable: the client sends the same request
// again, with its idempotency key, after Retry-After.
var ErrUnavailable = errkind.New(errkind.Unavailable, "system.db_unavailable", "the database is unavailable for a moment; try again")

// IsUnavailable reports whether err is a database that did not take a statement because it is
// down, unreachable, or read-only (a primary demoted, a replica written to): a failover under
// way, not a fault of the request.
func IsUnavailable(err error) bool {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1290, 1836: // read_only; MariaDB's read-only mode
			return true
		}
	}
	return false
}
