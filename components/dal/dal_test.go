package dal_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

func sets() []dal.Migrations {
	return []dal.Migrations{{Component: "kvtest", FS: os.DirFS("testdata/migrations")}}
}

func count(t *testing.T, db *dal.DB) int {
	t.Helper()
	var n int
	if err := db.Primary().QueryRow(`SELECT COUNT(*) FROM kv`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTransactionsJoinAndSavepoints(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		put := func(ctx context.Context, k string) error {
			_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, 1)`, k)
			return err
		}
		boom := errors.New("boom")
		// A failed savepoint undoes only its own writes; the outer transaction commits the rest.
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := put(ctx, "a"); err != nil {
				return err
			}
			if err := db.InSavepoint(ctx, func(ctx context.Context) error {
				if err := put(ctx, "b"); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				t.Fatalf("savepoint error: %v", err)
			}
			return put(ctx, "c")
		})
		if err != nil || count(t, db) != 2 {
			t.Fatalf("after savepoint rollback: %v, %d rows; want a and c", err, count(t, db))
		}
		// A failed nested InTx fails the whole transaction.
		err = db.InTx(ctx, func(ctx context.Context) error {
			if err := put(ctx, "d"); err != nil {
				return err
			}
			return db.InTx(ctx, func(ctx context.Context) error { return boom })
		})
		if !errors.Is(err, boom) || count(t, db) != 2 {
			t.Fatalf("nested failure: %v, %d rows; want the whole rolled back", err, count(t, db))
		}
		// A duplicate key is recognised on both engines.
		if err := put(ctx, "a"); !dal.IsDuplicate(err) {
			t.Fatalf("duplicate: %v", err)
		}
		// A value its column cannot hold is recognised as such on MySQL, which refuses it (SQLite
		// stores text of any length up to its size limit, which no request can reach).
		long := strings.Repeat("k", 33)
		err = put(ctx, long)
		if db.Dialect() == dal.MySQL {
			if !dal.IsTooLarge(err) {
				t.Fatalf("33 characters into VARCHAR(32): %v; want a too-large error", err)
			}
		} else if err != nil || dal.IsTooLarge(err) {
			t.Fatalf("SQLite, 33 characters: %v", err)
		}
		if dal.IsTooLarge(errors.New("Data too long")) || dal.IsTooLarge(nil) {
			t.Fatal("only a database's own error is too large")
		}
		// Migrations are recorded once: running them again applies nothing.
		if n, err := db.Migrate(ctx, sets(), nil); err != nil || n != 0 {
			t.Fatalf("second migrate applied %d, %v", n, err)
		}
	})
}

// TestUpsert: the first call inserts, later ones update, including one that changes nothing;
// parallel first calls all succeed with one row.
func TestUpsert(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		put := func(k string, v int) error {
			return db.Upsert(ctx, `UPDATE kv SET v = ? WHERE k = ?`, []any{v, k}, `INSERT INTO kv (k, v) VALUES (?, ?)`, []any{k, v})
		}
		for _, v := range []int{1, 2, 2} {
			if err := put("a", v); err != nil {
				t.Fatal(err)
			}
		}
		var v int
		if err := db.Primary().QueryRow(`SELECT v FROM kv WHERE k = 'a'`).Scan(&v); err != nil || v != 2 || count(t, db) != 1 {
			t.Fatalf("v %d, %d rows, %v; want 2 and 1 row", v, count(t, db), err)
		}
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			go func() { errs <- put("b", i) }()
		}
		for i := 0; i < 8; i++ {
			if err := <-errs; err != nil {
				t.Errorf("parallel upsert: %v", err)
			}
		}
		if count(t, db) != 2 {
			t.Fatalf("%d rows; want 2", count(t, db))
		}
	})
}

// TestAllAndRows: a multi-row insert built with Rows, read back with All inside the same
// transaction, which can write again at once because All has closed its rows.
func TestAllAndRows(t *testing.T) {
	if got := dal.Rows(2, 3); got != "(?, ?, ?), (?, ?, ?)" {
		t.Fatalf("Rows(2, 3) = %q", got)
	}
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(ctx context.Context) error {
			q := db.Q(ctx)
			if _, err := q.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES `+dal.Rows(3, 2), "a", 1, "b", 2, "c", 3); err != nil {
				return err
			}
			got, err := dal.All(ctx, q, func(r *sql.Rows) (kv struct {
				k string
				v int
			}, err error) {
				err = r.Scan(&kv.k, &kv.v)
				return kv, err
			}, `SELECT k, v FROM kv WHERE v >= ? ORDER BY k`, 2)
			if err != nil {
				return err
			}
			if len(got) != 2 || got[0].k != "b" || got[1].v != 3 {
				t.Fatalf("got %+v; want b=2, c=3", got)
			}
			_, err = q.ExecContext(ctx, `DELETE FROM kv WHERE k = ?`, got[0].k)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, db); n != 2 {
			t.Fatalf("%d rows; want 2", n)
		}
	})
}

// TestAfterCommit: what a transaction registers runs once it has committed, in order; nothing of
// a transaction that rolls back, or of a savepoint that does; outside a transaction, at once.
func TestAfterCommit(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		var ran []string
		note := func(s string) func() { return func() { ran = append(ran, s) } }
		boom := errors.New("boom")
		err := db.InTx(ctx, func(ctx context.Context) error {
			db.AfterCommit(ctx, note("a"))
			_ = db.InSavepoint(ctx, func(ctx context.Context) error {
				db.AfterCommit(ctx, note("undone"))
				return boom
			})
			if err := db.InSavepoint(ctx, func(ctx context.Context) error {
				db.AfterCommit(ctx, note("b"))
				return nil
			}); err != nil {
				return err
			}
			if len(ran) != 0 {
				t.Fatalf("ran before the commit: %v", ran)
			}
			return nil
		})
		if err != nil || strings.Join(ran, ",") != "a,b" {
			t.Fatalf("after commit: %v %v", ran, err)
		}
		ran = nil
		_ = db.InTx(ctx, func(ctx context.Context) error {
			db.AfterCommit(ctx, note("rolled back"))
			return boom
		})
		db.AfterCommit(ctx, note("no transaction"))
		if strings.Join(ran, ",") != "no transaction" {
			t.Fatalf("rollback and no transaction: %v", ran)
		}
	})
}

// TestWithTableOptions: a CREATE TABLE gets utf8mb4_bin unless it names its own charset or
// collation, whatever its spacing or a trailing semicolon; other statements pass unchanged.
func TestWithTableOptions(t *testing.T) {
	for in, want := range map[string]string{
		"CREATE TABLE t (id VARCHAR(40) NOT NULL)":            "CREATE TABLE t (id VARCHAR(40) NOT NULL) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
		"\n\t create table if not exists `t` (\n a INT\n);\n": "\n\t create table if not exists `t` (\n a INT\n) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
		"CREATE TABLE t (a INT) CHARACTER SET latin1":         "CREATE TABLE t (a INT) CHARACTER SET latin1",
		"CREATE TABLE t (a INT) COLLATE=utf8mb4_general_ci":   "CREATE TABLE t (a INT) COLLATE=utf8mb4_general_ci",
		"CREATE INDEX i ON t (a)":                             "CREATE INDEX i ON t (a)",
		"ALTER TABLE t ADD COLUMN b INT":                      "ALTER TABLE t ADD COLUMN b INT",
	} {
		if got := dal.WithTableOptions(in); got != want {
			t.Errorf("WithTableOptions(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestCursorsRoundTripAndRefuseForgeries(t *testing.T) {
	for _, key := range []string{"O388401714027327489", "1700000000000:tea-longjing"} {
		if got, ok := dal.ParseCursor(dal.Cursor(key)); !ok || got != key {
			t.Errorf("%q: got %q, %v", key, got, ok)
		}
	}
	for _, bad := range []string{"", "%%", "garbage", dal.Cursor("a b"), dal.Cursor(strings.Repeat("x", 200))} {
		if key, ok := dal.ParseCursor(bad); ok {
			t.Errorf("cursor %q read as %q", bad, key)
		}
	}
}
