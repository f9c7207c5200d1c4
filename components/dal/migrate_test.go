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

// TestNodesMigrateOneAtATime: four nodes (pools of their own) start together on an empty
// database and migrate it at once; every one succeeds and each version is applied once. On MySQL,
// whose DDL commits at once, this needs the migration lock: without it two nodes both add a
// column neither has recorded yet, and the second fails on the duplicate.
func TestNodesMigrateOneAtATime(t *testing.T) {
	set := []dal.Migrations{{Component: "columns", FS: os.DirFS("testdata/columns")}}
	configs := map[string]func(t *testing.T) dal.Config{
		"sqlite": func(t *testing.T) dal.Config { return dal.Config{Driver: "sqlite", DataDir: filepath.Join(t.TempDir(), "data")} },
		"mysql":  func(t *testing.T) dal.Config { return dal.Config{Driver: "mysql", DSN: daltest.CreateMySQLDatabase(t)} },
	}
	for _, name := range []string{"sqlite", "mysql"} {
		t.Run(name, func(t *testing.T) {
			cfg := configs[name](t)
			const nodes = 4
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
		})
	}
}
