// Package daltest opens a fresh, migrated database of each dialect for contract tests.
//
// SQLite lives in a temporary directory. MySQL uses the server at ATRIUM_TEST_MYSQL_DSN
// (default root@tcp(127.0.0.1:3306)/) and creates one database per test, dropped afterwards,
// with the charset clause ATRIUM_TEST_MYSQL_CHARSET names (Charsets; default utf8mb4_bin): the
// adapters must not depend on the database's defaults, so CI runs the storage suites on each.
// When the MySQL server is unreachable the MySQL half skips with a message on a developer's
// machine and fails when CI=true, so CI can never pass by skipping it.
package daltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/atriumtrade/atrium/components/dal"
)

// MySQLServerDSN is the server DSN (no database) the MySQL half uses.
func MySQLServerDSN() string {
	if dsn := os.Getenv("ATRIUM_TEST_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// Each runs fn as a subtest against a fresh SQLite database and a fresh MySQL database, both
// migrated with sets.
func Each(t *testing.T, sets []dal.Migrations, fn func(t *testing.T, db *dal.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t, sets)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MySQL(t, sets)) })
}

// SQLite returns a migrated SQLite database in t's temporary directory.
func SQLite(t testing.TB, sets []dal.Migrations) *dal.DB {
	t.Helper()
	db, err := dal.Open(context.Background(), dal.Config{Driver: "sqlite", DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background(), sets, nil); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// MySQL returns a migrated database of its own on the test MySQL server.
func MySQL(t testing.TB, sets []dal.Migrations) *dal.DB {
	t.Helper()
	dsn := CreateMySQLDatabase(t)
	db, err := dal.Open(context.Background(), dal.Config{Driver: "mysql", DSN: dsn})
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background(), sets, nil); err != nil {
		t.Fatalf("migrate mysql: %v", err)
	}
	return db
}

// Charsets are the database defaults the MySQL suites run on, by the name ATRIUM_TEST_MYSQL_CHARSET
// gives: what an operator creates on purpose (utf8mb4_bin), MariaDB's and MySQL 8's defaults
// (utf8mb4_general_ci, utf8mb4_0900_ai_ci: ids compare without case), and a server started
// without a configuration (latin1: no Chinese at all).
var Charsets = map[string]string{
	"utf8mb4_bin":        "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
	"utf8mb4_general_ci": "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
	"latin1":             "CHARACTER SET latin1",
}

// CreateMySQLDatabase creates an empty database for t with the charset ATRIUM_TEST_MYSQL_CHARSET
// names, drops it at cleanup, and returns its DSN.
func CreateMySQLDatabase(t testing.TB) string {
	t.Helper()
	name := os.Getenv("ATRIUM_TEST_MYSQL_CHARSET")
	if name == "" {
		name = "utf8mb4_bin"
	}
	clause, ok := Charsets[name]
	if !ok {
		t.Fatalf("ATRIUM_TEST_MYSQL_CHARSET=%s: want one of utf8mb4_bin, utf8mb4_general_ci, latin1", name)
	}
	return CreateMySQLDatabaseWith(t, clause)
}

// CreateMySQLDatabaseWith creates an empty database for t with the charset clause (see
// Charsets), drops it at cleanup, and returns its DSN.
func CreateMySQLDatabaseWith(t testing.TB, charset string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(MySQLServerDSN())
	if err != nil {
		t.Fatalf("ATRIUM_TEST_MYSQL_DSN: %v", err)
	}
	admin, err := dal.Open(context.Background(), dal.Config{Driver: "mysql", DSN: cfg.FormatDSN(), MaxOpenConns: 2})
	if err != nil {
		Unreachable(t, "MySQL at "+cfg.Addr, err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "atrium_t_" + hex.EncodeToString(b)
	if _, err := admin.Primary().Exec("CREATE DATABASE " + name + " " + charset); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if a, err := dal.Open(context.Background(), dal.Config{Driver: "mysql", DSN: cfg.FormatDSN(), MaxOpenConns: 1}); err == nil {
			_, _ = a.Primary().Exec("DROP DATABASE IF EXISTS " + name)
			a.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// Unreachable skips t on a developer's machine and fails it in CI (CI=true).
func Unreachable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is unreachable and CI=true, so this integration suite must not skip: %v", what, err)
	}
	t.Skipf("skipping: %s is unreachable (%v); start it or set CI=true to make this a failure", what, err)
}

// MySQLPodsConfig creates an empty database per pod name on the test MySQL server (each standing
// in for a pod's primary) and returns the configuration of a database of those pods, the first
// holding the directory. Databases on one server route exactly as servers apart do; what needs
// servers apart (replicas, failover) starts mariadbd processes of its own.
func MySQLPodsConfig(t testing.TB, names ...string) dal.Config {
	t.Helper()
	cfg := dal.Config{Driver: "mysql", Directory: names[0]}
	for _, name := range names {
		cfg.Pods = append(cfg.Pods, dal.PodConfig{Name: name, Nodes: []string{CreateMySQLDatabase(t)}})
	}
	return cfg
}

// MySQLPods opens a migrated database of the named pods (MySQLPodsConfig).
func MySQLPods(t testing.TB, sets []dal.Migrations, names ...string) *dal.DB {
	t.Helper()
	db, err := dal.Open(context.Background(), MySQLPodsConfig(t, names...))
	if err != nil {
		t.Fatalf("open mysql pods: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background(), sets, nil); err != nil {
		t.Fatalf("migrate mysql pods: %v", err)
	}
	return db
}
