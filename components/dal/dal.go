// Package dal gives storage adapters connections, transactions and dialect facts over
// database/sql, for two engines behind one API: SQLite (modernc.org/sqlite, pure Go, WAL) as the
// embedded default, and MySQL through go-sql-driver/mysql (MariaDB, TiDB and other
// MySQL-protocol databases). It knows nothing of trade.
//
// Tenants live on pods (see Routing in pods.go): a pod is a primary and its replicas, a tenant
// lives wholly on one pod, and a directory on one pod maps tenants to pods. Adapters do not see
// pods: they call Q, R and InTx with the request's context, and the context's tenant (or the pod a
// background worker is bound to) picks the pod. SQLite, and MySQL with a single dsn, is one pod.
//
// Reads and writes are split: writes and everything inside a transaction go to the primary pool
// of the pod; plain reads go to its replica pool. For SQLite the primary is a single connection
// (SQLite has one writer; one connection avoids busy-waiting between our own goroutines) and the
// replica is a read-only pool that WAL lets run beside it. For MySQL the replica is the pod's
// second node when it has one, else the primary.
//
// A transaction travels in the context: adapters call Q(ctx) and join whatever transaction the
// caller opened with InTx, so a flow can commit an order, its stock reservation and its outbox
// event together without any capability knowing about SQL.
//
// The SQL keeps to what TiDB also runs, so that a tenant larger than one server can have a pod of
// its own on a MySQL-protocol distributed database: no stored procedures, triggers, events,
// foreign keys, spatial or full-text indexes; transactions at READ COMMITTED, SELECT ... FOR
// UPDATE, savepoints, GET_LOCK, INSERT IGNORE and multi-row inserts. The one statement TiDB
// refuses by default, a shared row lock (LOCK IN SHARE MODE), becomes FOR UPDATE on a database
// with a TiDB pod (found from VERSION() when it opens): stronger, and only on the idempotency
// claim. No TiDB runs on the machines this is tested on.
package dal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"
	"time"

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
	// means DataDir/atrium.db. On MySQL it is the one pod "main" when Pods is empty.
	DSN string `yaml:"dsn"`
	// ReplicaDSN is an optional MySQL read replica of DSN.
	ReplicaDSN string `yaml:"replicaDsn"`
	// DataDir holds the SQLite file.
	DataDir string `yaml:"dataDir"`
	// MaxOpenConns bounds each MySQL node's pool (default 64).
	MaxOpenConns int `yaml:"maxOpenConns"`
	// Pods are the MySQL pods tenants live on (instead of DSN): each a primary and its replicas.
	Pods []PodConfig `yaml:"pods"`
	// Directory names the pod that holds the tenant directory and the platform's own tables (the
	// first pod when empty).
	Directory string `yaml:"directory"`
	// DefaultPod is where new tenants are placed; empty places each on the pod with the fewest.
	DefaultPod string `yaml:"defaultPod"`
	// MaxReplicaLag is how far behind its primary a replica may be and still serve plain reads
	// (default 2s).
	MaxReplicaLag time.Duration `yaml:"maxReplicaLag"`
}

// PodConfig is one pod: a name and the DSNs of its nodes, a primary and its replicas in any
// order.
type PodConfig struct {
	Name  string   `yaml:"name"`
	Nodes []string `yaml:"nodes"`
}

// MainPod is the name of the pod a single dsn (or the SQLite file) makes.
const MainPod = "main"

var podNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch c.Driver {
	case "", "sqlite":
		if c.DSN == "" && c.DataDir == "" {
			return errors.New("dal: sqlite needs dsn or dataDir")
		}
		if len(c.Pods) > 0 {
			return errors.New("dal: sqlite is one embedded pod; pods need driver mysql")
		}
	case "mysql":
		if c.DSN == "" && len(c.Pods) == 0 {
			return errors.New("dal: mysql needs dsn or pods")
		}
		if c.DSN != "" && len(c.Pods) > 0 {
			return errors.New("dal: mysql takes dsn (one pod) or pods, not both")
		}
		var errs []error
		for _, p := range c.pods() {
			if !podNameRe.MatchString(p.Name) {
				errs = append(errs, fmt.Errorf("dal: pod name %q: want 1-32 lowercase letters, digits, '-' or '_'", p.Name))
			}
			if len(p.Nodes) == 0 {
				errs = append(errs, fmt.Errorf("dal: pod %s has no nodes", p.Name))
			}
			for i, dsn := range p.Nodes {
				if _, err := mysql.ParseDSN(dsn); err != nil {
					errs = append(errs, fmt.Errorf("dal: pod %s node %d: %w", p.Name, i+1, err))
				} else if err := utf8mb4Only(dsn); err != nil {
					errs = append(errs, fmt.Errorf("dal: pod %s node %d: %w", p.Name, i+1, err))
				}
			}
		}
		names := map[string]bool{}
		for _, p := range c.Pods {
			if names[p.Name] {
				errs = append(errs, fmt.Errorf("dal: pod %s is named twice", p.Name))
			}
			names[p.Name] = true
		}
		for key, name := range map[string]string{"directory": c.Directory, "defaultPod": c.DefaultPod} {
			if name != "" && !names[name] && !(len(c.Pods) == 0 && name == MainPod) {
				errs = append(errs, fmt.Errorf("dal: %s %q is not one of the pods", key, name))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	default:
		return fmt.Errorf("dal: unknown driver %q (want sqlite or mysql)", c.Driver)
	}
	if c.MaxOpenConns < 0 {
		return errors.New("dal: maxOpenConns must not be negative")
	}
	if c.MaxReplicaLag < 0 {
		return errors.New("dal: maxReplicaLag must not be negative")
	}
	return nil
}

// pods is the configured pods, the single dsn (and its replica) being the pod "main".
func (c Config) pods() []PodConfig {
	if len(c.Pods) > 0 {
		return c.Pods
	}
	nodes := []string{c.DSN}
	if c.ReplicaDSN != "" {
		nodes = append(nodes, c.ReplicaDSN)
	}
	return []PodConfig{{Name: MainPod, Nodes: nodes}}
}

// DB is the database of every pod, seen either routed (each call goes to the pod of the tenant
// its context carries; what Open returns) or pinned to one pod (Platform, Pods).
type DB struct {
	c   *cluster
	pin *pod // nil: routed by the context
}

// cluster is what every view of one opened database shares.
type cluster struct {
	dialect Dialect
	tidb    bool // a pod is TiDB: no shared row locks
	pods    []*pod
	byName  map[string]*pod
	dirPod  *pod
	dir     *Directory
	record  atomic.Pointer[func(query string, args []any)]
	tracer  atomic.Pointer[trace.Tracer]
	// failing is a pool whose connections never open: a Querier for a call that cannot be routed
	// answers with its error through it (a *sql.Row cannot be made with an error otherwise).
	failing *sql.DB
}

// Close closes every pod's pools.
func (db *DB) Close() error {
	if db.pin != nil {
		return nil // a view; the database closes through the view Open returned
	}
	var errs []error
	for _, p := range db.c.pods {
		errs = append(errs, p.close())
	}
	errs = append(errs, db.c.failing.Close())
	if db.c.dir != nil {
		db.c.dir.close()
	}
	return errors.Join(errs...)
}

// Dialect is the engine family.
func (db *DB) Dialect() Dialect { return db.c.dialect }

// home is the view's pod: the one it is pinned to, else the directory pod.
func (db *DB) home() *pod {
	if db.pin != nil {
		return db.pin
	}
	return db.c.dirPod
}

// Primary is the write pool of the view's pod (the directory pod for the routed view), for tools
// (benchmarks, migrations, plan checks) that need the raw handle: its primary's, or its first
// node's while it has none.
func (db *DB) Primary() *sql.DB {
	p := db.home()
	if pool, err := p.writePool(); err == nil {
		return pool
	}
	return p.nodes[0].pool
}

// Replica is the pool plain reads use on the view's pod now (its primary's, without a replica).
func (db *DB) Replica() *sql.DB {
	if pool, err := db.home().readPool(context.Background()); err == nil {
		return pool
	}
	return db.Primary()
}

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
