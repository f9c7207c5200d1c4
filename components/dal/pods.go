package dal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// Routing. Every tenant lives wholly on one pod (a primary and its replicas), as Shopify's shops
// do, so that every transaction of a trade stays local to one database and keeps the order, its
// stock, its outbox event and its timer in one commit. A call finds its pod, in this order:
//
//   - the transaction its context carries (a statement in a transaction runs in it);
//   - the view it is made on, when pinned: Platform (the directory pod, for the platform's own
//     tables: the directory, front-end registrations, extension scripts) or one of Pods;
//   - the pod its context is bound to (Bind: the background workers, which run once per pod);
//   - with one pod only, that pod;
//   - the pod the directory gives the tenant its context carries (identity.WithTenant: the RPC
//     server sets it from each call's caller), placing a tenant seen for the first time.
//
// A call with none of these on a database of several pods fails with ErrNoTenant: a statement
// that does not know whose data it touches must not guess.
//
// A database of one pod does not consult the directory. Before a second pod is added to a
// database that has traded on one, record its tenants on the first (atrium pods place), or the
// placement rule may put one of them on the new, empty pod.

// ErrNoTenant is a statement on a database of several pods whose context names neither a tenant
// nor a pod.
var ErrNoTenant = errkind.New(errkind.Internal, "system.no_tenant", "the request names no tenant, so no database can serve it")

type podKey struct{ c *cluster }

// Name is the pod the view is pinned to, "" for the routed view.
func (db *DB) Name() string {
	if db.pin == nil {
		return ""
	}
	return db.pin.name
}

// Platform is the view pinned to the directory pod, for the platform's own tables, which belong
// to no tenant.
func (db *DB) Platform() *DB { return &DB{c: db.c, pin: db.c.dirPod} }

// Pods are views pinned to each pod in configuration order, for work that runs per pod.
func (db *DB) Pods() []*DB {
	out := make([]*DB, len(db.c.pods))
	for i, p := range db.c.pods {
		out[i] = &DB{c: db.c, pin: p}
	}
	return out
}

// Pod is the view pinned to the named pod, or false.
func (db *DB) Pod(name string) (*DB, bool) {
	p, ok := db.c.byName[name]
	if !ok {
		return nil, false
	}
	return &DB{c: db.c, pin: p}, true
}

// Bind returns ctx bound to the view's pod: calls in it on any view of this database go to that
// pod, whatever tenant they name. Background workers (timers, the outbox relay, sweeps) run
// once per pod in such a context. The routed view returns ctx as it is.
func (db *DB) Bind(ctx context.Context) context.Context {
	if db.pin == nil {
		return ctx
	}
	return context.WithValue(ctx, podKey{db.c}, db.pin)
}

// Routed is the view that routes each call by its context.
func (db *DB) Routed() *DB { return &DB{c: db.c} }

// route finds the pod a call outside a transaction goes to.
func (db *DB) route(ctx context.Context) (*pod, error) {
	if db.pin != nil {
		return db.pin, nil
	}
	if p, ok := ctx.Value(podKey{db.c}).(*pod); ok {
		return p, nil
	}
	if len(db.c.pods) == 1 {
		return db.c.pods[0], nil
	}
	tenant := identity.TenantOf(ctx)
	if tenant == "" {
		return nil, ErrNoTenant
	}
	name, err := db.c.dir.PodOf(ctx, tenant)
	if err != nil {
		return nil, err
	}
	p, ok := db.c.byName[name]
	if !ok {
		return nil, errkind.WithDetail(ErrUnknownPod, "the directory places %s on pod %q, which this node is not configured with", tenant, name)
	}
	return p, nil
}

// ErrUnknownPod is a pod name that is not one of the configured pods.
var ErrUnknownPod = errkind.New(errkind.Invalid, "system.unknown_pod", "no such pod")

// PodOf is the name of the pod a call in ctx goes to (its transaction's, its binding's or its
// tenant's).
func (db *DB) PodOf(ctx context.Context) (string, error) {
	if st := db.tx(ctx); st != nil {
		return st.pod.name, nil
	}
	p, err := db.route(ctx)
	if err != nil {
		return "", err
	}
	return p.name, nil
}

// failingConnector opens no connection: it answers with the error its context carries.
type failingConnector struct{}

type failKey struct{}

func (failingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if err, ok := ctx.Value(failKey{}).(error); ok {
		return nil, err
	}
	return nil, errors.New("dal: the call could not be routed")
}

func (failingConnector) Driver() driver.Driver { return failingDriver{} }

type failingDriver struct{}

func (failingDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("dal: the call could not be routed")
}

func newFailingPool() *sql.DB {
	p := sql.OpenDB(failingConnector{})
	p.SetMaxIdleConns(0)
	return p
}

// failing is the Querier of a call that cannot be routed: every statement returns err.
type failing struct {
	pool *sql.DB
	err  error
}

func (f failing) ExecContext(ctx context.Context, _ string, _ ...any) (sql.Result, error) {
	return nil, f.err
}

func (f failing) QueryContext(ctx context.Context, _ string, _ ...any) (*sql.Rows, error) {
	return nil, f.err
}

func (f failing) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return f.pool.QueryRowContext(context.WithValue(ctx, failKey{}, f.err), query, args...)
}

// EachPod runs fn once in ctx when ctx already names its pod (a transaction, a binding, or this
// view pinned), else once per pod in configuration order with ctx bound to it; it returns every
// pod's failure, joined and named by pod.
func (db *DB) EachPod(ctx context.Context, fn func(ctx context.Context) error) error {
	_, bound := ctx.Value(podKey{db.c}).(*pod)
	if db.pin != nil || bound || db.tx(ctx) != nil {
		return fn(db.Bind(ctx))
	}
	var errs []error
	for _, p := range db.Pods() {
		if err := fn(p.Bind(ctx)); err != nil {
			if len(db.c.pods) > 1 {
				err = fmt.Errorf("pod %s: %w", p.Name(), err)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ReadTx begins a read-only transaction on the replica of the call's pod: one consistent
// snapshot for a report that reads several tables.
func (db *DB) ReadTx(ctx context.Context) (*sql.Tx, error) {
	p, err := db.route(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := p.readPool(ctx)
	if err != nil {
		return nil, err
	}
	return pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
}

// PingContext checks the directory pod, which every call needs to find its own pod: a node whose
// other pods are down still serves the tenants of the pods that are up, so their health is each
// pod's own (Health).
func (db *DB) PingContext(ctx context.Context) error {
	pool, err := db.home().writePool()
	if err != nil {
		return err
	}
	return pool.PingContext(ctx)
}
