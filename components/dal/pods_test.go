package dal_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/identity"
)

func podSets() []dal.Migrations { return append([]dal.Migrations{dal.PlatformMigrations()}, sets()...) }

// keys are the kv keys on one pod, sorted.
func keys(t *testing.T, db *dal.DB, pod string) []string {
	t.Helper()
	p, ok := db.Pod(pod)
	if !ok {
		t.Fatalf("no pod %s", pod)
	}
	out, err := dal.All(context.Background(), p.Q(context.Background()), func(r *sql.Rows) (string, error) {
		var k string
		return k, r.Scan(&k)
	}, `SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPodsRouteEachTenantToItsPod(t *testing.T) {
	db := daltest.MySQLPods(t, podSets(), "p1", "p2")
	ctx := context.Background()
	dir := db.Directory()
	if err := dir.Place(ctx, "acme", "p1"); err != nil {
		t.Fatal(err)
	}
	if err := dir.Place(ctx, "bolt", "p2"); err != nil {
		t.Fatal(err)
	}
	put := func(ctx context.Context, k string) error {
		_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, 1)`, k)
		return err
	}
	acme, bolt := identity.WithTenant(ctx, "acme"), identity.WithTenant(ctx, "bolt")
	// Plain statements, a transaction and a savepoint in it, each on the tenant's pod.
	for _, c := range []struct {
		ctx context.Context
		key string
	}{{acme, "acme-1"}, {bolt, "bolt-1"}} {
		if err := put(c.ctx, c.key); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(c.ctx, func(ctx context.Context) error {
			if err := put(ctx, c.key+"-tx"); err != nil {
				return err
			}
			return db.InSavepoint(ctx, func(ctx context.Context) error { return put(ctx, c.key+"-sp") })
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, want := keys(t, db, "p1"), []string{"acme-1", "acme-1-sp", "acme-1-tx"}; !slices.Equal(got, want) {
		t.Errorf("p1 holds %v; want %v", got, want)
	}
	if got, want := keys(t, db, "p2"), []string{"bolt-1", "bolt-1-sp", "bolt-1-tx"}; !slices.Equal(got, want) {
		t.Errorf("p2 holds %v; want %v", got, want)
	}
	// Reads go where the writes went.
	var n int
	if err := db.R(bolt).QueryRowContext(bolt, `SELECT COUNT(*) FROM kv WHERE k LIKE 'bolt%'`).Scan(&n); err != nil || n != 3 {
		t.Errorf("bolt reads %d of its rows (%v); want 3", n, err)
	}
	if err := db.R(acme).QueryRowContext(acme, `SELECT COUNT(*) FROM kv WHERE k LIKE 'bolt%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("acme reads %d of bolt's rows (%v); want 0", n, err)
	}

	// A pod bound in the context wins over the tenant (a worker of that pod); a pinned view and
	// Platform go to their own pod.
	p2, _ := db.Pod("p2")
	if err := put(identity.WithTenant(p2.Bind(ctx), "acme"), "bound"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Platform().Q(ctx).ExecContext(ctx, `INSERT INTO kv (k, v) VALUES ('platform', 1)`); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(keys(t, db, "p2"), "bound") || !slices.Contains(keys(t, db, "p1"), "platform") {
		t.Errorf("p1 %v, p2 %v; want bound on p2, platform on p1 (the directory pod)", keys(t, db, "p1"), keys(t, db, "p2"))
	}

	// EachPod visits every pod once, bound to it.
	var visited []string
	if err := db.EachPod(ctx, func(ctx context.Context) error {
		name, err := db.PodOf(ctx)
		visited = append(visited, name)
		return err
	}); err != nil || !slices.Equal(visited, []string{"p1", "p2"}) {
		t.Errorf("EachPod visited %v (%v); want [p1 p2]", visited, err)
	}
}

func TestPodsRefuseACallWithoutATenant(t *testing.T) {
	db := daltest.MySQLPods(t, podSets(), "p1", "p2")
	ctx := context.Background()
	var n int
	if err := db.R(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n); !errors.Is(err, dal.ErrNoTenant) {
		t.Errorf("a row read without a tenant: %v; want ErrNoTenant", err)
	}
	if _, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO kv (k, v) VALUES ('x', 1)`); !errors.Is(err, dal.ErrNoTenant) {
		t.Errorf("a write without a tenant: %v; want ErrNoTenant", err)
	}
	if _, err := db.R(ctx).QueryContext(ctx, `SELECT k FROM kv`); !errors.Is(err, dal.ErrNoTenant) {
		t.Errorf("a query without a tenant: %v; want ErrNoTenant", err)
	}
	ran := false
	if err := db.InTx(ctx, func(context.Context) error { ran = true; return nil }); !errors.Is(err, dal.ErrNoTenant) || ran {
		t.Errorf("a transaction without a tenant: %v (ran %v); want ErrNoTenant, not run", err, ran)
	}
	bad := identity.WithTenant(ctx, "Not A Tenant")
	if _, err := db.Q(bad).ExecContext(bad, `INSERT INTO kv (k, v) VALUES ('x', 1)`); !errors.Is(err, identity.ErrInvalidIdentity) {
		t.Errorf("a malformed tenant: %v; want identity.invalid", err)
	}
	if got := append(keys(t, db, "p1"), keys(t, db, "p2")...); len(got) != 0 {
		t.Errorf("the refused calls wrote %v", got)
	}
	if list, err := db.Directory().List(ctx); err != nil || len(list) != 0 {
		t.Errorf("the directory holds %v (%v) after refused calls; want nothing placed", list, err)
	}
}

func TestDirectoryPlacesNewTenantsAndTellsEveryNode(t *testing.T) {
	cfg := daltest.MySQLPodsConfig(t, "p1", "p2", "p3")
	ctx := context.Background()
	open := func() *dal.DB {
		db, err := dal.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a := open()
	if _, err := a.Migrate(ctx, podSets(), nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"p1", "p2", "p3"} {
		p, _ := a.Pod(name)
		var n int
		if err := p.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n); err != nil {
			t.Errorf("pod %s is not migrated: %v", name, err)
		}
	}
	b := open()
	dir := a.Directory()
	if err := dir.Place(ctx, "big", "p1"); err != nil {
		t.Fatal(err)
	}
	if err := dir.Place(ctx, "big", "p2"); !errors.Is(err, dal.ErrTenantPlaced) {
		t.Errorf("placing a placed tenant elsewhere: %v; want ErrTenantPlaced", err)
	}
	if err := dir.Place(ctx, "big", "p1"); err != nil {
		t.Errorf("placing a tenant where it is: %v; want nil", err)
	}
	if err := dir.Place(ctx, "new", "p9"); !errors.Is(err, dal.ErrUnknownPod) {
		t.Errorf("placing on an unknown pod: %v; want ErrUnknownPod", err)
	}
	// New tenants go to the pods with the fewest, the first of them on a tie.
	var placed []string
	for _, tenant := range []string{"t1", "t2", "t3", "t4", "t5"} {
		pod, err := a.PodOf(identity.WithTenant(ctx, tenant))
		if err != nil {
			t.Fatal(err)
		}
		placed = append(placed, pod)
	}
	if want := []string{"p2", "p3", "p1", "p2", "p3"}; !slices.Equal(placed, want) {
		t.Errorf("placed t1..t5 on %v; want %v (fewest first, p1 holding big)", placed, want)
	}
	// The other node reads what the first placed, and sees a switch made after it cached the
	// placement within its refresh (a second).
	if pod, err := b.PodOf(identity.WithTenant(ctx, "t3")); err != nil || pod != "p1" {
		t.Errorf("node b puts t3 on %s (%v); want p1", pod, err)
	}
	if err := dir.Place(ctx, "late", "p3"); err != nil {
		t.Fatal(err)
	}
	late := identity.WithTenant(ctx, "late")
	if pod, err := b.PodOf(late); err != nil || pod != "p3" {
		t.Fatalf("node b puts late on %s (%v); want p3", pod, err)
	}
	if err := dir.Switch(ctx, "late", "p1"); err != nil {
		t.Fatal(err)
	}
	if pod, _ := a.PodOf(late); pod != "p1" {
		t.Errorf("node a puts late on %s right after its own switch; want p1", pod)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pod, err := b.PodOf(late)
		if err != nil {
			t.Fatal(err)
		}
		if pod == "p1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node b still puts late on %s 10s after the switch", pod)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := b.Directory().Health(); err != nil {
		t.Errorf("node b's directory refresh: %v", err)
	}
	counts, err := a.Directory().Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(counts); got != "map[p1:3 p2:2 p3:2]" {
		t.Errorf("counts %s; want map[p1:3 p2:2 p3:2]", got)
	}
}

func TestDirectoryDefaultPod(t *testing.T) {
	cfg := daltest.MySQLPodsConfig(t, "p1", "p2")
	cfg.DefaultPod = "p2"
	ctx := context.Background()
	db, err := dal.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, podSets(), nil); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"a", "b", "c"} {
		if pod, err := db.PodOf(identity.WithTenant(ctx, tenant)); err != nil || pod != "p2" {
			t.Errorf("%s placed on %s (%v); want the default pod p2", tenant, pod, err)
		}
	}
}

func TestPodsConfig(t *testing.T) {
	pod := func(name string, nodes ...string) dal.PodConfig { return dal.PodConfig{Name: name, Nodes: nodes} }
	const node = "root@tcp(127.0.0.1:3306)/atrium"
	for _, c := range []struct {
		name string
		cfg  dal.Config
		want string // "" for valid
	}{
		{"one dsn", dal.Config{Driver: "mysql", DSN: node}, ""},
		{"two pods", dal.Config{Driver: "mysql", Pods: []dal.PodConfig{pod("p1", node, node), pod("p2", node)}, Directory: "p1", DefaultPod: "p2"}, ""},
		{"dsn and pods", dal.Config{Driver: "mysql", DSN: node, Pods: []dal.PodConfig{pod("p1", node)}}, "not both"},
		{"no nodes", dal.Config{Driver: "mysql", Pods: []dal.PodConfig{pod("p1")}}, "no nodes"},
		{"bad name", dal.Config{Driver: "mysql", Pods: []dal.PodConfig{pod("P 1", node)}}, "pod name"},
		{"twice", dal.Config{Driver: "mysql", Pods: []dal.PodConfig{pod("p1", node), pod("p1", node)}}, "named twice"},
		{"unknown directory", dal.Config{Driver: "mysql", Pods: []dal.PodConfig{pod("p1", node)}, Directory: "p2"}, "directory"},
		{"unknown default", dal.Config{Driver: "mysql", Pods: []dal.PodConfig{pod("p1", node)}, DefaultPod: "p2"}, "defaultPod"},
		{"bad node", dal.Config{Driver: "mysql", Pods: []dal.PodConfig{pod("p1", "not a dsn")}}, "node 1"},
		{"latin1 node", dal.Config{Driver: "mysql", Pods: []dal.PodConfig{pod("p1", node+"?charset=latin1")}}, "utf8mb4"},
		{"sqlite pods", dal.Config{Driver: "sqlite", DataDir: "x", Pods: []dal.PodConfig{pod("p1", node)}}, "one embedded pod"},
		{"negative lag", dal.Config{Driver: "mysql", DSN: node, MaxReplicaLag: -time.Second}, "maxReplicaLag"},
	} {
		err := c.cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v; want valid", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v; want an error about %q", c.name, err, c.want)
		}
	}
}
