package dal_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

// TestNodesMigrateOneAtATime: six nodes (pools of their own) start together on an empty
// database and migrate it at once; every one succeeds and each version is applied once. Without
// the migration lock (MySQL, whose DDL commits at once) or the check inside each migration's
// transaction (SQLite), two nodes both apply a version neither had recorded when they read the
// list, and the second fails on the duplicate table or column.
func TestNodesMigrateOneAtATime(t *testing.T) {
	set := []dal.Migrations{{Component: "columns", FS: os.DirFS("testdata/columns")}}
	configs := map[string]func(t *testing.T) dal.Config{
		"sqlite": func(t *testing.T) dal.Config {
			return dal.Config{Driver: "sqlite", DataDir: filepath.Join(t.TempDir(), "data")}
		},
		"mysql": func(t *testing.T) dal.Config { return dal.Config{Driver: "mysql", DSN: daltest.CreateMySQLDatabase(t)} },
	}
	for _, name := range []string{"sqlite", "mysql"} {
		t.Run(name, func(t *testing.T) {
			for range 5 { // the race is one of timing: a few fresh databases make it likely
				nodesMigrate(t, configs[name](t), set)
			}
		})
	}
}

// nodesMigrate has six nodes migrate one fresh database at once.
func nodesMigrate(t *testing.T, cfg dal.Config, set []dal.Migrations) {
	t.Helper()
	const nodes = 6
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	dbs := make([]*dal.DB, nodes)
	for i := range nodes {
		db, err := dal.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = dbs[i].Migrate(context.Background(), set, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	var versions, distinct int
	if err := dbs[0].Primary().QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations WHERE component = 'columns'`).Scan(&versions, &distinct); err != nil {
		t.Fatal(err)
	}
	if versions != 6 || distinct != 6 {
		t.Fatalf("schema_migrations holds %d rows of %d versions; want 6 of 6", versions, distinct)
	}
}

// TestDataDirsWithURICharacters: data directories whose names hold "#", "?" or "%" are
// databases of their own, at the path named. In the file: URI the driver opens, "#" starts a
// fragment: "shop#1" and "shop#2" were both "shop", one database shared by two tenants' nodes.
func TestDataDirsWithURICharacters(t *testing.T) {
	set := []dal.Migrations{{Component: "columns", FS: os.DirFS("testdata/columns")}}
	base := t.TempDir()
	var dbs []*dal.DB
	for i, name := range []string{"shop#1", "shop#2", "shop?x=1", "shop%23"} {
		db, err := dal.Open(context.Background(), dal.Config{Driver: "sqlite", DataDir: filepath.Join(base, name)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(context.Background(), set, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Primary().Exec(`INSERT INTO items (id) VALUES (?)`, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(base, name, "atrium.db")); err != nil {
			t.Fatalf("database %d is not in its directory: %v", i, err)
		}
		dbs = append(dbs, db)
	}
	for i, db := range dbs {
		var n int
		if err := db.Replica().QueryRow(`SELECT COUNT(*) FROM items`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("database %d holds %d items; want its own 1", i, n)
		}
	}
}
