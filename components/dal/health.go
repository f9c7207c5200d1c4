package dal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// Primaries, replicas and failover. A MySQL pod's nodes are checked every second (and at once
// after a write fails for want of a connection): each answers whether it is read-only and, if it
// is a replica, how far behind its primary it is (Seconds_Behind_Master from its own replication
// status). The writable node is the primary; which one that is is found, never configured, so a
// replica promoted by an operator (STOP SLAVE; SET GLOBAL read_only = 0), by `atrium pods
// promote` or by an outside tool (orchestrator, an operator on Kubernetes) takes the writes within
// a second or two, without a restart. While a pod has no writable node its writes fail at once
// with system.db_unavailable (503, retryable) instead of waiting on timeouts (a node that is gone
// refuses connections at once; one that does not answer at all is given a second to connect),
// and its reads go on from its replicas. A node that comes back writable beside a primary already chosen is not
// taken: the current primary stays until it fails (the old primary of a failover must be made
// a replica, or read-only, before it rejoins).
//
// What the platform assumes of a failover: the replica promoted has applied everything the old
// primary acknowledged, either because replication is semi-synchronous (rpl_semi_sync_master_
// wait_point=AFTER_SYNC: a commit is acknowledged once a replica has it) or because the replica
// was caught up when the primary died; `atrium pods promote` waits for the replica to apply
// what it received before it opens it to writes. With plain asynchronous replication a commit
// the replica never received is lost with the old primary.
//
// Plain reads go to a replica no further behind than maxReplicaLag, else to the primary. After a
// write, the reads of the same caller (its tenant and actor) go to the primary until a replica
// has applied the write (caughtUp: by GTID position on MariaDB, by time elsewhere); a read in a
// transaction always goes to the primary. What a caller wrote is remembered by the node it wrote
// through; a buyer whose next request reaches another trade node reads from a replica within
// maxReplicaLag there.

// node is one server of a pod.
type node struct {
	addr   string // host:port, for operators
	pool   *sql.DB
	health atomic.Pointer[NodeHealth]
}

// NodeHealth is what the last check of a node found.
type NodeHealth struct {
	Addr     string
	Up       bool
	ReadOnly bool
	// Lag is how far behind its primary a replica is; LagKnown is false for a node that is not
	// replicating (or whose replication is stopped).
	Lag      time.Duration
	LagKnown bool
	// Pos is the node's GTID position on MariaDB (the primary's binary log, a replica's applied
	// position); "" elsewhere.
	Pos string
	// Primary is the node the pod writes to.
	Primary   bool
	CheckedAt time.Time
	Err       error
}

// PodHealth is a pod's nodes as last checked.
type PodHealth struct {
	Name  string
	Nodes []NodeHealth
}

const checkEvery = time.Second

// state is the node's last check, never nil (a node not checked yet is down). Read on every
// statement of a MySQL pod: a pointer, not a copy.
func (n *node) state() *NodeHealth {
	if h := n.health.Load(); h != nil {
		return h
	}
	return &NodeHealth{Addr: n.addr}
}

// check asks the node whether it is read-only and, if so, how far behind it is.
func (n *node) check(ctx context.Context, now time.Time) {
	h := NodeHealth{Addr: n.addr, CheckedAt: now}
	var ro int
	if err := n.pool.QueryRowContext(ctx, `SELECT @@read_only`).Scan(&ro); err != nil {
		h.Err = err
		n.health.Store(&h)
		return
	}
	h.Up, h.ReadOnly = true, ro != 0
	pos := `SELECT @@gtid_binlog_pos`
	if h.ReadOnly {
		h.Lag, h.LagKnown, h.Err = replicaLag(ctx, n.pool)
		pos = `SELECT @@gtid_slave_pos`
	}
	var p sql.NullString
	if err := n.pool.QueryRowContext(ctx, pos).Scan(&p); err == nil { // MariaDB only
		h.Pos = p.String
	}
	n.health.Store(&h)
}

// replicaLag reads Seconds_Behind_Master (Seconds_Behind_Source on MySQL 8) from the node's
// replication status: unknown when it is not a replica or its replication is stopped.
func replicaLag(ctx context.Context, pool *sql.DB) (time.Duration, bool, error) {
	rows, err := pool.QueryContext(ctx, `SHOW REPLICA STATUS`) // MariaDB 10.5.1+, MySQL 8.0.22+
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1064 {
		rows, err = pool.QueryContext(ctx, `SHOW SLAVE STATUS`)
	}
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, false, err
	}
	if !rows.Next() {
		return 0, false, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return 0, false, err
	}
	for i, c := range cols {
		if c != "Seconds_Behind_Master" && c != "Seconds_Behind_Source" {
			continue
		}
		if !vals[i].Valid {
			return 0, false, nil
		}
		var s int64
		if _, err := fmt.Sscan(vals[i].String, &s); err != nil {
			return 0, false, err
		}
		return time.Duration(s) * time.Second, true, nil
	}
	return 0, false, nil
}

// pod is a primary and its replicas.
type pod struct {
	name   string
	nodes  []*node
	embed  bool // SQLite: nodes[0] writes, nodes[1] reads, always current
	maxLag time.Duration
	writer atomic.Pointer[node]
	// checkMu serializes checks; lastCheck is when the last one started.
	checkMu   sync.Mutex
	lastCheck time.Time
	next      atomic.Uint32 // rotates reads over the replicas
	// writes are when each caller last wrote, for read-your-writes.
	writes sync.Map // session → time.Time
	stop   chan struct{}
	done   chan struct{}
}

func newPod(name string, nodes []*node, maxLag time.Duration) *pod {
	return &pod{name: name, nodes: nodes, maxLag: maxLag}
}

// checkAll checks every node at once and chooses the primary.
func (p *pod) checkAll(ctx context.Context, timeout time.Duration) {
	p.checkSince(ctx, time.Time{}, timeout)
}

// checkSince checks the pod unless a check that started after since has already run: writers
// that fail together wait for one check instead of each running its own.
func (p *pod) checkSince(ctx context.Context, since time.Time, timeout time.Duration) {
	if p.embed {
		return
	}
	p.checkMu.Lock()
	defer p.checkMu.Unlock()
	if !since.IsZero() && p.lastCheck.After(since) {
		return
	}
	now := time.Now()
	p.lastCheck = now
	var wg sync.WaitGroup
	for _, n := range p.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			n.check(cctx, now)
		}()
	}
	wg.Wait()
	cur := p.writer.Load()
	if cur != nil {
		if h := cur.state(); h.Up && !h.ReadOnly {
			return
		}
	}
	var chosen *node
	for _, n := range p.nodes {
		if h := n.state(); h.Up && !h.ReadOnly {
			chosen = n
			break
		}
	}
	// A primary that did not answer (and that no writable node replaces) stays the primary:
	// a check that timed out on a busy server must not refuse the pod's writes; the writes try
	// it and fail on their own, at once, if it is gone. One that answers read-only is not.
	if chosen == nil && cur != nil && !cur.state().Up {
		chosen = cur
	}
	p.writer.Store(chosen)
}

// run checks the pod every second until close.
func (p *pod) run() {
	if p.embed {
		return
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(checkEvery)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
			p.checkAll(context.Background(), checkEvery)
			p.forgetWrites(time.Now().Add(-p.maxLag - 5*time.Second))
		}
	}()
}

func (p *pod) close() error {
	if p.stop != nil {
		close(p.stop)
		<-p.done
	}
	var errs []error
	for _, n := range p.nodes {
		errs = append(errs, n.pool.Close())
	}
	return errors.Join(errs...)
}

// recheck checks the pod now, unless a check started after failedAt (when a write failed for
// want of its primary) already ran: the caller's next statement goes where the pod now says.
func (p *pod) recheck(failedAt time.Time) { p.checkSince(context.Background(), failedAt, checkEvery) }

// writePool is the primary's pool (tried even if its last check got no answer), or
// ErrUnavailable while the pod has none.
func (p *pod) writePool() (*sql.DB, error) {
	if p.embed {
		return p.nodes[0].pool, nil
	}
	if w := p.writer.Load(); w != nil {
		return w.pool, nil
	}
	return nil, errkind.WithDetail(ErrUnavailable, "pod %s has no writable node", p.name)
}

// session is whose reads must see their own writes: the caller's tenant and actor.
func session(ctx context.Context) string {
	return identity.TenantOf(ctx) + "\x00" + identity.ActorOf(ctx)
}

// noteWrite records that ctx's caller wrote by at.
func (p *pod) noteWrite(ctx context.Context, at time.Time) {
	if p.embed || len(p.nodes) < 2 {
		return
	}
	p.writes.Store(session(ctx), at)
}

func (p *pod) forgetWrites(before time.Time) {
	p.writes.Range(func(k, v any) bool {
		if v.(time.Time).Before(before) {
			p.writes.Delete(k)
		}
		return true
	})
}

// readPool is where a plain read goes: a replica close enough (and past the caller's last write),
// else the primary, else (no primary) any replica that answers.
func (p *pod) readPool(ctx context.Context) (*sql.DB, error) {
	if p.embed {
		return p.nodes[1].pool, nil
	}
	w := p.writer.Load()
	if w != nil && !w.state().Up {
		w = nil // unreachable: reads go to the replicas, however far behind
	}
	if len(p.nodes) > 1 {
		var wrote time.Time
		if v, ok := p.writes.Load(session(ctx)); ok {
			wrote = v.(time.Time)
		}
		start := int(p.next.Add(1))
		for i := range p.nodes {
			n := p.nodes[(start+i)%len(p.nodes)]
			if n == w {
				continue
			}
			h := n.state()
			if !h.Up || !h.ReadOnly || !h.LagKnown || h.Lag > p.maxLag {
				continue
			}
			if !wrote.IsZero() && !caughtUp(*h, w, wrote) {
				continue // it may not have the caller's write yet
			}
			return n.pool, nil
		}
	}
	if w != nil {
		return w.pool, nil
	}
	for _, n := range p.nodes {
		if n.state().Up {
			return n.pool, nil
		}
	}
	if w := p.writer.Load(); w != nil {
		return w.pool, nil // its check got no answer; the read tries it
	}
	return nil, errkind.WithDetail(ErrUnavailable, "no node of pod %s answers", p.name)
}

// caughtUp reports whether replica h has applied what the primary w had committed at wrote. On
// MariaDB by GTID: the primary's position read in the same check, after wrote, is within what
// the replica applied. Elsewhere by time: the replica's check, less its lag and a second for the
// lag's resolution, is after wrote.
func caughtUp(h NodeHealth, w *node, wrote time.Time) bool {
	if w != nil {
		if ph := w.state(); ph.Pos != "" && h.Pos != "" {
			return ph.CheckedAt.After(wrote) && gtidCovers(h.Pos, ph.Pos)
		}
	}
	return h.CheckedAt.Add(-h.Lag - time.Second).After(wrote)
}

// gtidCovers reports whether MariaDB GTID position have includes want: for every replication
// domain of want, have's sequence number is at least want's ("0-1-42,1-2-7").
func gtidCovers(have, want string) bool {
	seqs := func(pos string) map[string]uint64 {
		out := map[string]uint64{}
		for _, g := range strings.Split(pos, ",") {
			parts := strings.Split(strings.TrimSpace(g), "-")
			if len(parts) != 3 {
				continue
			}
			n, err := strconv.ParseUint(parts[2], 10, 64)
			if err == nil {
				out[parts[0]] = n
			}
		}
		return out
	}
	h := seqs(have)
	for d, n := range seqs(want) {
		if h[d] < n {
			return false
		}
	}
	return true
}

// health is the pod's nodes as last checked.
func (p *pod) health() PodHealth {
	out := PodHealth{Name: p.name}
	w := p.writer.Load()
	for i, n := range p.nodes {
		if p.embed {
			out.Nodes = append(out.Nodes, NodeHealth{Addr: n.addr, Up: true, ReadOnly: i > 0, LagKnown: i > 0, Primary: i == 0})
			continue
		}
		h := *n.state()
		h.Primary = n == w && h.Up
		out.Nodes = append(out.Nodes, h)
	}
	return out
}

// Health is every pod's nodes as last checked (within a second).
func (db *DB) Health() []PodHealth {
	out := make([]PodHealth, len(db.c.pods))
	for i, p := range db.c.pods {
		out[i] = p.health()
	}
	return out
}

// Recheck checks every pod's nodes now and chooses their primaries, for a tool that has just
// changed them (atrium pods promote).
func (db *DB) Recheck(ctx context.Context) {
	for _, p := range db.c.pods {
		p.checkAll(ctx, 5*time.Second)
	}
}

// Promote makes the node at addr (host:port) of the named pod its primary, as an operator does
// once the old primary is dead: it waits up to wait for the node to apply what it has received
// from the old primary, stops its replication and turns read_only off, then checks the pod
// again. A pod whose primary still answers is refused: two writable nodes would split the pod.
func (db *DB) Promote(ctx context.Context, podName, addr string, wait time.Duration) error {
	p, ok := db.c.byName[podName]
	if !ok || p.embed {
		return errkind.WithDetail(ErrUnknownPod, "no MySQL pod %q (the pods are %s)", podName, db.c.podNames())
	}
	p.checkAll(ctx, 5*time.Second)
	var target *node
	var addrs []string
	for _, n := range p.nodes {
		addrs = append(addrs, n.addr)
		if n.addr == addr {
			target = n
		}
	}
	if target == nil {
		return errkind.WithDetail(ErrUnknownNode, "pod %s has no node %s (its nodes are %s)", podName, addr, strings.Join(addrs, ", "))
	}
	if w := p.writer.Load(); w != nil && w.state().Up {
		if w == target {
			return nil // already the primary
		}
		return errkind.WithDetail(ErrPrimaryUp, "pod %s's primary %s still answers; stop it (or make it read-only) first", podName, w.addr)
	}
	if h := target.state(); !h.Up {
		return errkind.WithDetail(ErrUnavailable, "node %s does not answer: %v", addr, h.Err)
	}
	conn, err := target.pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// What it received, applied: stop fetching, then wait until the applied position reaches the
	// received one (MariaDB's gtid_io_pos; elsewhere the SQL thread's own catching up is trusted).
	if _, err := conn.ExecContext(ctx, `STOP SLAVE IO_THREAD`); err != nil {
		return fmt.Errorf("dal: promote %s: %w", addr, err)
	}
	deadline := time.Now().Add(wait)
	for {
		var io, applied sql.NullString
		if err := conn.QueryRowContext(ctx, `SELECT @@gtid_io_pos, @@gtid_slave_pos`).Scan(&io, &applied); err != nil || gtidCovers(applied.String, io.String) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dal: promote %s: it has not applied what it received (applied %s of %s) after %s", addr, applied.String, io.String, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, stmt := range []string{`STOP SLAVE`, `RESET SLAVE ALL`, `SET GLOBAL read_only = 0`} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("dal: promote %s: %s: %w", addr, stmt, err)
		}
	}
	p.checkAll(ctx, 5*time.Second)
	return nil
}

// Errors of Promote.
var (
	ErrUnknownNode = errkind.New(errkind.Invalid, "system.unknown_node", "no such node in the pod")
	ErrPrimaryUp   = errkind.New(errkind.Conflict, "system.primary_up", "the pod's primary still answers")
)

// NamedPool is one connection pool of a pod's node.
type NamedPool struct {
	Name string
	Pool *sql.DB
}

// Pools are the pools of the view's pod (the directory pod's for the routed view), for metrics:
// "primary" and "replica" for SQLite's writer and readers, each MySQL node's by its address.
func (db *DB) Pools() []NamedPool {
	p := db.home()
	var out []NamedPool
	for i, n := range p.nodes {
		name := n.addr
		if p.embed {
			name = map[bool]string{true: "primary", false: "replica"}[i == 0]
		}
		out = append(out, NamedPool{Name: name, Pool: n.pool})
	}
	return out
}
