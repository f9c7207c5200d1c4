package dal

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// PlatformMigrations is the data access component's own schema: the tenant directory. It is
// migrated on every pod like the rest; only the directory pod's copy is used.
func PlatformMigrations() Migrations { return Embedded("dal", migrationFiles) }

// Directory maps each tenant to its pod. It is a table on the directory pod, cached whole on
// every node and reloaded when its revision changes (checked every second), so a placement made
// on one node reaches the others within a second. A tenant seen for the first time is placed by
// the rule: the configured default pod, else the pod with the fewest tenants (the first of them
// in configuration order on a tie).
type Directory struct {
	c          *cluster
	defaultPod string
	now        func() time.Time

	mu     sync.RWMutex
	pods   map[string]string // tenant → pod
	rev    int64
	loaded bool
	err    error // the last refresh's, for Health
	stop   chan struct{}
	done   chan struct{}
}

// Placement is one tenant's pod.
type Placement struct {
	Tenant    string
	Pod       string
	UpdatedAt time.Time
}

// ErrTenantPlaced is a placement of a tenant the directory already puts on another pod.
var ErrTenantPlaced = errkind.New(errkind.Conflict, "system.tenant_placed", "the tenant is already on another pod")

func newDirectory(c *cluster, defaultPod string) *Directory {
	return &Directory{c: c, defaultPod: defaultPod, now: time.Now, pods: map[string]string{}}
}

// Directory is the tenant directory.
func (db *DB) Directory() *Directory { return db.c.dir }

// run reloads the cache whenever the revision changes, every interval, until Close.
func (d *Directory) run(interval time.Duration) {
	d.stop, d.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(d.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), interval)
				err := d.Refresh(ctx)
				cancel()
				d.mu.Lock()
				d.err = err
				d.mu.Unlock()
			}
		}
	}()
}

func (d *Directory) close() {
	if d.stop != nil {
		close(d.stop)
		<-d.done
	}
}

// q is the directory pod's primary (its first node while it has none: the call then fails as the
// node does).
func (d *Directory) q() *sql.DB {
	if pool, err := d.c.dirPod.writePool(); err == nil {
		return pool
	}
	return d.c.dirPod.nodes[0].pool
}

// Refresh reloads the cache if the directory changed since it was last read.
func (d *Directory) Refresh(ctx context.Context) error {
	var rev int64
	err := d.q().QueryRowContext(ctx, `SELECT rev FROM pod_directory_rev WHERE id = 1`).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		rev, err = 0, nil
	}
	if err != nil {
		return fmt.Errorf("dal: directory revision: %w", err)
	}
	d.mu.RLock()
	same := d.loaded && rev == d.rev
	d.mu.RUnlock()
	if same {
		return nil
	}
	all, err := d.List(ctx)
	if err != nil {
		return err
	}
	pods := make(map[string]string, len(all))
	for _, p := range all {
		pods[p.Tenant] = p.Pod
	}
	d.mu.Lock()
	d.pods, d.rev, d.loaded = pods, rev, true
	d.mu.Unlock()
	return nil
}

// PodOf is the tenant's pod, placing a tenant seen for the first time.
func (d *Directory) PodOf(ctx context.Context, tenant string) (string, error) {
	d.mu.RLock()
	pod, ok := d.pods[tenant]
	d.mu.RUnlock()
	if ok {
		return pod, nil
	}
	if !identity.ValidTenant(tenant) {
		return "", errkind.WithDetail(identity.ErrInvalidIdentity, "tenant %q is not valid", tenant)
	}
	pod, err := d.read(ctx, tenant)
	if err != nil {
		return "", err
	}
	if pod == "" {
		if pod, err = d.place(ctx, tenant); err != nil {
			return "", err
		}
	}
	d.mu.Lock()
	d.pods[tenant] = pod
	d.mu.Unlock()
	return pod, nil
}

func (d *Directory) read(ctx context.Context, tenant string) (string, error) {
	var pod string
	err := d.q().QueryRowContext(ctx, `SELECT pod FROM pod_directory WHERE tenant = ?`, tenant).Scan(&pod)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("dal: directory: %w", err)
	}
	return pod, nil
}

// place puts a new tenant on the rule's pod; a node that placed it first wins.
func (d *Directory) place(ctx context.Context, tenant string) (string, error) {
	pod := d.defaultPod
	if pod == "" {
		counts, err := d.Counts(ctx)
		if err != nil {
			return "", err
		}
		pod = d.c.pods[0].name
		for _, p := range d.c.pods[1:] {
			if counts[p.name] < counts[pod] {
				pod = p.name
			}
		}
	}
	if err := d.write(ctx, tenant, pod, false); err != nil {
		return "", err
	}
	placed, err := d.read(ctx, tenant)
	if err != nil {
		return "", err
	}
	if placed == "" {
		return "", fmt.Errorf("dal: directory: %s was placed and is not there", tenant)
	}
	return placed, nil
}

// write records tenant on pod: a new row only, or (move) whatever the row said; and moves the
// revision so every node reloads.
func (d *Directory) write(ctx context.Context, tenant, pod string, move bool) error {
	now := d.now().UnixMilli()
	tx, err := d.q().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("dal: directory: %w", err)
	}
	defer tx.Rollback()
	var res sql.Result
	if move {
		res, err = tx.ExecContext(ctx, `UPDATE pod_directory SET pod = ?, updated_at = ? WHERE tenant = ?`, pod, now, tenant)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				_, err = tx.ExecContext(ctx, `INSERT INTO pod_directory (tenant, pod, updated_at) VALUES (?, ?, ?)`, tenant, pod, now)
			}
		}
	} else {
		res, err = tx.ExecContext(ctx, insertIgnore(d.c.dialect)+` INTO pod_directory (tenant, pod, updated_at) VALUES (?, ?, ?)`, tenant, pod, now)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another node placed it
			}
		}
	}
	if err != nil {
		return fmt.Errorf("dal: directory: %w", err)
	}
	if res, err = tx.ExecContext(ctx, `UPDATE pod_directory_rev SET rev = rev + 1 WHERE id = 1`); err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO pod_directory_rev (id, rev) VALUES (1, 1)`)
		}
	}
	if err != nil {
		return fmt.Errorf("dal: directory revision: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("dal: directory: %w", err)
	}
	d.mu.Lock()
	d.pods[tenant] = pod
	d.mu.Unlock()
	return nil
}

func insertIgnore(d Dialect) string {
	if d == MySQL {
		return "INSERT IGNORE"
	}
	return "INSERT OR IGNORE"
}

// Place puts a tenant on a pod before it trades (or records where an existing tenant's rows
// already are, on a database that had no directory). A tenant the directory already puts on
// another pod is refused: only the mover changes a tenant's pod.
func (d *Directory) Place(ctx context.Context, tenant, pod string) error {
	if !identity.ValidTenant(tenant) {
		return errkind.WithDetail(identity.ErrInvalidIdentity, "tenant %q is not valid", tenant)
	}
	if _, ok := d.c.byName[pod]; !ok {
		return errkind.WithDetail(ErrUnknownPod, "no pod %q (the pods are %s)", pod, d.c.podNames())
	}
	if err := d.write(ctx, tenant, pod, false); err != nil {
		return err
	}
	placed, err := d.read(ctx, tenant)
	if err != nil {
		return err
	}
	if placed != pod {
		return errkind.WithDetail(ErrTenantPlaced, "tenant %s is on pod %s", tenant, placed)
	}
	return nil
}

// Switch puts a placed (or new) tenant on pod, whatever pod it was on: the last step of moving a
// tenant, once its rows are on pod. It moves no rows itself. Every node routes the tenant to pod
// within a second.
func (d *Directory) Switch(ctx context.Context, tenant, pod string) error {
	if !identity.ValidTenant(tenant) {
		return errkind.WithDetail(identity.ErrInvalidIdentity, "tenant %q is not valid", tenant)
	}
	if _, ok := d.c.byName[pod]; !ok {
		return errkind.WithDetail(ErrUnknownPod, "no pod %q (the pods are %s)", pod, d.c.podNames())
	}
	return d.write(ctx, tenant, pod, true)
}

// List is every placement, by tenant.
func (d *Directory) List(ctx context.Context) ([]Placement, error) {
	return All(ctx, d.q(), func(r *sql.Rows) (Placement, error) {
		var p Placement
		var at int64
		err := r.Scan(&p.Tenant, &p.Pod, &at)
		p.UpdatedAt = FromMillis(at)
		return p, err
	}, `SELECT tenant, pod, updated_at FROM pod_directory ORDER BY tenant`)
}

// Counts is how many tenants each configured pod holds (zero for an empty one).
func (d *Directory) Counts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, p := range d.c.pods {
		out[p.name] = 0
	}
	type count struct {
		pod string
		n   int
	}
	cs, err := All(ctx, d.q(), func(r *sql.Rows) (count, error) {
		var c count
		return c, r.Scan(&c.pod, &c.n)
	}, `SELECT pod, COUNT(*) FROM pod_directory GROUP BY pod`)
	if err != nil {
		return nil, fmt.Errorf("dal: directory: %w", err)
	}
	for _, c := range cs {
		out[c.pod] = c.n
	}
	return out, nil
}

// Health is the error of the directory's last refresh, nil when it is current.
func (d *Directory) Health() error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.err
}

func (c *cluster) podNames() []string {
	names := make([]string, len(c.pods))
	for i, p := range c.pods {
		names[i] = p.name
	}
	return names
}
