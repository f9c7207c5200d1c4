package dal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations is one component's versioned schema: files named "NNN_description.sql" in FS, each
// a list of statements separated by ";" at the end of a line. The SQL is written to run on both
// dialects (BIGINT, VARCHAR, TEXT, composite keys; times as unix milliseconds), so one file serves
// SQLite and MySQL. A file may hold dialect-only statements after a "-- sqlite:" or "-- mysql:"
// line, up to the next such marker or "-- all:".
//
// On MySQL every table is utf8mb4 with the binary collation, whatever the server's or the
// database's defaults: a CREATE TABLE without its own table options gets TableOptions, and
// Migrate converts a table it finds with another default collation (made before this rule, on a
// database created with the server's default: utf8mb4_general_ci compares "BOB" equal to "bob";
// latin1 cannot hold a Chinese address). A column meant to match without case declares its
// collation in its own definition, on purpose.
type Migrations struct {
	Component string
	FS        fs.FS
}

// Embedded returns a component's migrations from the "migrations" folder of an embedded FS
// (declare it with //go:embed migrations/*.sql).
func Embedded(component string, files fs.FS) Migrations {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		panic("dal: embedded migrations of " + component + ": " + err.Error()) // a build-time mistake
	}
	return Migrations{Component: component, FS: sub}
}

// Progress receives one line per applied migration.
type Progress func(component string, version int, name string, done, total int)

type migration struct {
	component string
	version   int
	name      string
	stmts     []string
}

// Migrate applies every migration not yet recorded in schema_migrations, in component order as
// given and version order within a component. Each migration runs in its own transaction on
// SQLite; MySQL commits DDL implicitly, so a statement that fails part-way leaves the version
// unrecorded and the error names it.
//
// Nodes that start together on one database migrate one at a time: on MySQL a named lock
// (GET_LOCK, per database) is held for the whole run, since DDL commits at once and two nodes
// would otherwise both apply a version neither had recorded (the second fails on a duplicate
// column); on SQLite each migration's transaction holds the writer lock and checks again, inside
// it, that no other node applied the version meanwhile.
//
// Every pod is migrated, one after the other in configuration order (a pinned view migrates its
// own pod only); the count is what was applied on all of them.
func (db *DB) Migrate(ctx context.Context, sets []Migrations, progress Progress) (int, error) {
	if db.pin == nil {
		total := 0
		for _, p := range db.Pods() {
			n, err := p.Migrate(ctx, sets, progress)
			total += n
			if err != nil {
				if len(db.c.pods) > 1 {
					err = fmt.Errorf("dal: pod %s: %w", p.Name(), err)
				}
				return total, err
			}
		}
		return total, nil
	}
	if db.c.dialect == MySQL {
		unlock, err := db.lockMigrations(ctx)
		if err != nil {
			return 0, err
		}
		defer unlock()
	}
	return db.migrate(ctx, sets, progress)
}

// lockMigrations takes the database's migration lock on a connection of its own, waiting up to
// ten minutes for another node's run to end.
func (db *DB) lockMigrations(ctx context.Context) (unlock func(), err error) {
	conn, err := db.Primary().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("dal: migration lock: %w", err)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(CONCAT('atrium.migrate.', DATABASE()), 600)`).Scan(&got); err != nil || got.Int64 != 1 {
		conn.Close()
		if err == nil {
			err = errors.New("another node held it for ten minutes")
		}
		return nil, fmt.Errorf("dal: migration lock: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), `SELECT RELEASE_LOCK(CONCAT('atrium.migrate.', DATABASE()))`)
		conn.Close()
	}, nil
}

func (db *DB) migrate(ctx context.Context, sets []Migrations, progress Progress) (int, error) {
	if _, err := db.Primary().ExecContext(ctx, db.tableOptions(`CREATE TABLE IF NOT EXISTS schema_migrations (
		component VARCHAR(64) NOT NULL,
		version INT NOT NULL,
		name VARCHAR(255) NOT NULL,
		applied_at BIGINT NOT NULL,
		PRIMARY KEY (component, version))`)); err != nil {
		return 0, fmt.Errorf("dal: create schema_migrations: %w", err)
	}
	if err := db.convertTables(ctx, progress); err != nil {
		return 0, err
	}
	applied := map[string]bool{}
	rows, err := db.Primary().QueryContext(ctx, `SELECT component, version FROM schema_migrations`)
	if err != nil {
		return 0, fmt.Errorf("dal: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var c string
		var v int
		if err := rows.Scan(&c, &v); err != nil {
			rows.Close()
			return 0, err
		}
		applied[c+"/"+strconv.Itoa(v)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	var pending []migration
	for _, set := range sets {
		ms, err := db.load(set)
		if err != nil {
			return 0, err
		}
		for _, m := range ms {
			if !applied[m.component+"/"+strconv.Itoa(m.version)] {
				pending = append(pending, m)
			}
		}
	}
	done := 0
	for i, m := range pending {
		err := db.InTx(ctx, func(ctx context.Context) error {
			// Another node may have applied it since the read above: on SQLite this transaction
			// holds the writer lock, so what it reads now stays true until it commits.
			var n int
			if err := db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE component = ? AND version = ?`,
				m.component, m.version).Scan(&n); err != nil || n > 0 {
				return err
			}
			done++
			for _, stmt := range m.stmts {
				if _, err := db.Q(ctx).ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("dal: migration %s/%03d %s: %w\n%s", m.component, m.version, m.name, err, stmt)
				}
			}
			_, err := db.Q(ctx).ExecContext(ctx,
				`INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)`,
				m.component, m.version, m.name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return done - 1, err
		}
		if progress != nil {
			progress(m.component, m.version, m.name, i+1, len(pending))
		}
	}
	return done, nil
}

func (db *DB) load(set Migrations) ([]migration, error) {
	entries, err := fs.ReadDir(set.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("dal: migrations of %s: %w", set.Component, err)
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("dal: migration %s/%s: name must be NNN_description.sql", set.Component, e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("dal: migration %s: version %d in both %s and %s", set.Component, v, prev, e.Name())
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(set.FS, e.Name())
		if err != nil {
			return nil, err
		}
		stmts := splitStatements(string(body), db.c.dialect)
		for i := range stmts {
			stmts[i] = db.tableOptions(stmts[i])
		}
		out = append(out, migration{component: set.Component, version: v, name: rest, stmts: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

func splitStatements(body string, d Dialect) []string {
	var stmts []string
	var cur strings.Builder
	keep := true
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		switch trimmed {
		case "-- sqlite:":
			keep = d == SQLite
			continue
		case "-- mysql:":
			keep = d == MySQL
			continue
		case "-- all:":
			keep = true
			continue
		}
		if !keep || trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

// TableOptions are the table options every MySQL table is created with.
const TableOptions = "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

var createTable = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s`)

// tableOptions gives a MySQL CREATE TABLE statement TableOptions (see WithTableOptions).
func (db *DB) tableOptions(stmt string) string {
	if db.c.dialect != MySQL {
		return stmt
	}
	return WithTableOptions(stmt)
}

// WithTableOptions gives a MySQL CREATE TABLE statement TableOptions unless it names a charset or
// a collation after its column list; other statements pass unchanged. Tables a library creates
// (Watermill's SQL pub/sub) go through it too.
func WithTableOptions(stmt string) string {
	if !createTable.MatchString(stmt) {
		return stmt
	}
	stmt = strings.TrimRight(stmt, " \t\n;")
	end := strings.LastIndex(stmt, ")")
	if end < 0 {
		return stmt
	}
	tail := strings.ToUpper(stmt[end+1:])
	if strings.Contains(tail, "CHARSET") || strings.Contains(tail, "CHARACTER SET") || strings.Contains(tail, "COLLATE") {
		return stmt
	}
	return stmt + " " + TableOptions
}

// convertTables converts, on MySQL, every table of the database whose default collation is not
// utf8mb4_bin (and so every text column of it) to utf8mb4_bin, reporting each as it goes: on a
// large table this rewrites it, once.
func (db *DB) convertTables(ctx context.Context, progress Progress) error {
	if db.c.dialect != MySQL {
		return nil
	}
	rows, err := db.Primary().QueryContext(ctx, `SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_COLLATION <> 'utf8mb4_bin' ORDER BY TABLE_NAME`)
	if err != nil {
		return fmt.Errorf("dal: read table collations: %w", err)
	}
	var names, was []string
	for rows.Next() {
		var name, collation string
		if err := rows.Scan(&name, &collation); err != nil {
			rows.Close()
			return err
		}
		names, was = append(names, name), append(was, collation)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, name := range names {
		if _, err := db.Primary().ExecContext(ctx, "ALTER TABLE `"+strings.ReplaceAll(name, "`", "``")+"` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
			return fmt.Errorf("dal: convert table %s from %s to utf8mb4_bin: %w", name, was[i], err)
		}
		if progress != nil {
			progress("charset", 0, "convert "+name+" from "+was[i]+" to utf8mb4_bin", i+1, len(names))
		}
	}
	return nil
}
