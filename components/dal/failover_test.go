package dal_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// replicaPod opens a database of one pod: a mariadbd primary and a replica of it.
func replicaPod(t *testing.T, maxLag time.Duration) (*dal.DB, []*daltest.Server) {
	t.Helper()
	servers, dsns := daltest.Pod(t, "atrium", 1)
	db, err := dal.Open(context.Background(), dal.Config{Driver: "mysql", MaxReplicaLag: maxLag,
		Pods: []dal.PodConfig{{Name: "p1", Nodes: dsns}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background(), podSets(), nil); err != nil {
		t.Fatal(err)
	}
	return db, servers
}

// servedBy is the server id of the node a plain read in ctx goes to.
func servedBy(t *testing.T, db *dal.DB, ctx context.Context) int {
	t.Helper()
	var id int
	if err := db.R(ctx).QueryRowContext(ctx, `SELECT @@server_id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not after 30s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func as(tenant, actor string) context.Context {
	return identity.WithActor(identity.WithTenant(context.Background(), tenant), actor)
}

// TestReadsGoToACaughtUpReplica: plain reads go to the replica while it keeps up; a buyer who
// has just written reads from the primary until the replica has applied the write (replication
// delayed three seconds, so it has not), while another buyer reads on from the replica; a
// replica whose SQL thread is paused serves no reads at all (its lag is unknown) and every read
// sees every write; resumed, it serves again.
func TestReadsGoToACaughtUpReplica(t *testing.T) {
	db, servers := replicaPod(t, 30*time.Second)
	primary, replica := servers[0], servers[1]
	alice, bob := as("acme", "buyer:alice"), as("acme", "buyer:bob")
	waitUntil(t, "reads on the replica", func() bool { return servedBy(t, db, bob) == replica.ID })

	replica.Exec("STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 3", "START SLAVE")
	waitUntil(t, "the delayed replica serving reads", func() bool { return servedBy(t, db, bob) == replica.ID })
	if _, err := db.Q(alice).ExecContext(alice, `INSERT INTO kv (k, v) VALUES ('alice', 1)`); err != nil {
		t.Fatal(err)
	}
	if got := servedBy(t, db, alice); got != primary.ID {
		t.Errorf("alice's read right after her write went to server %d; want the primary %d", got, primary.ID)
	}
	var v int
	if err := db.R(alice).QueryRowContext(alice, `SELECT v FROM kv WHERE k = 'alice'`).Scan(&v); err != nil || v != 1 {
		t.Errorf("alice reads her write: %d, %v", v, err)
	}
	if got := servedBy(t, db, bob); got != replica.ID {
		t.Errorf("bob's read went to server %d; want the replica %d (he wrote nothing)", got, replica.ID)
	}
	waitUntil(t, "alice back on the replica once it applied her write", func() bool { return servedBy(t, db, alice) == replica.ID })
	if err := db.R(alice).QueryRowContext(alice, `SELECT v FROM kv WHERE k = 'alice'`).Scan(&v); err != nil || v != 1 {
		t.Errorf("alice reads her write from the replica: %d, %v", v, err)
	}

	replica.Exec("STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 0", "START SLAVE", "STOP SLAVE SQL_THREAD")
	waitUntil(t, "the paused replica out of the reads", func() bool { return servedBy(t, db, bob) == primary.ID })
	for i := range 5 {
		ctx := as("acme", fmt.Sprintf("buyer:b%d", i))
		if _, err := db.Platform().Q(ctx).ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, 1)`, fmt.Sprint("paused-", i)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.R(bob).QueryRowContext(bob, `SELECT COUNT(*) FROM kv WHERE k = ?`, fmt.Sprint("paused-", i)).Scan(&n); err != nil || n != 1 {
			t.Errorf("bob reads paused-%d %d times (%v) while the replica is paused; want 1", i, n, err)
		}
	}
	health := db.Health()[0]
	if len(health.Nodes) != 2 || !health.Nodes[0].Primary || health.Nodes[1].LagKnown {
		t.Errorf("health %+v; want the primary first and the paused replica's lag unknown", health)
	}
	replica.Exec("START SLAVE SQL_THREAD")
	waitUntil(t, "the resumed replica serving reads", func() bool { return servedBy(t, db, bob) == replica.ID })
}

// TestFailoverToAPromotedReplica: the primary dies; writes fail at once with
// system.db_unavailable (they do not hang) while reads go on from the replica; the replica is
// promoted (atrium pods promote's Promote) and writes resume without reopening anything; every
// acknowledged write is there after.
func TestFailoverToAPromotedReplica(t *testing.T) {
	db, servers := replicaPod(t, 2*time.Second)
	primary, replica := servers[0], servers[1]
	ctx := as("acme", "buyer:alice")
	put := func(k string) error {
		return db.InTx(ctx, func(ctx context.Context) error {
			_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, 1)`, k)
			return err
		})
	}
	var acked []string
	for i := range 20 {
		k := fmt.Sprint("before-", i)
		if err := put(k); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, k)
	}
	// Caught up before the crash: the platform's assumption (semi-sync, or a replica that kept up).
	replica.WaitFor(func(q *sql.DB) bool {
		var n int
		return q.QueryRow(`SELECT COUNT(*) FROM atrium.kv`).Scan(&n) == nil && n == len(acked)
	}, "the replica caught up")
	if err := db.Promote(context.Background(), "p1", fmt.Sprintf("127.0.0.1:%d", replica.Port), 10*time.Second); !errors.Is(err, dal.ErrPrimaryUp) {
		t.Errorf("promoting beside a live primary: %v; want ErrPrimaryUp", err)
	}

	primary.Kill()
	for i := range 3 {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		start := time.Now()
		err := db.InTx(wctx, func(ctx context.Context) error {
			_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, 1)`, fmt.Sprint("during-", i))
			return err
		})
		cancel()
		if !errors.Is(err, dal.ErrUnavailable) {
			t.Fatalf("write %d with the primary dead: %v; want system.db_unavailable", i, err)
		}
		t.Logf("write %d refused after %s", i, time.Since(start))
	}
	var n int
	if err := db.R(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n); err != nil || n != len(acked) {
		t.Errorf("reads with the primary dead: %d rows (%v); want %d from the replica", n, err, len(acked))
	}

	if err := db.Promote(context.Background(), "p1", "127.0.0.1:1", time.Second); !errors.Is(err, dal.ErrUnknownNode) {
		t.Errorf("promoting an unknown node: %v; want ErrUnknownNode", err)
	}
	if err := db.Promote(context.Background(), "p1", fmt.Sprintf("127.0.0.1:%d", replica.Port), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := put("after"); err != nil {
		t.Fatalf("a write after the promotion: %v", err)
	}
	acked = append(acked, "after")
	if h := db.Health()[0]; h.Nodes[0].Up || !h.Nodes[1].Primary {
		t.Errorf("health after the failover %+v; want the old primary down and the replica primary", h)
	}
	for _, k := range acked {
		if err := db.Q(ctx).QueryRowContext(ctx, `SELECT v FROM kv WHERE k = ?`, k).Scan(&n); err != nil {
			t.Errorf("acknowledged %s is missing after the failover: %v", k, err)
		}
	}
}

// TestWritesResumeAfterAnOutsidePromotion: a replica promoted by hand (an operator's STOP SLAVE;
// SET GLOBAL read_only = 0, or an outside tool) takes the writes within the pod's next checks.
func TestWritesResumeAfterAnOutsidePromotion(t *testing.T) {
	db, servers := replicaPod(t, 2*time.Second)
	ctx := as("acme", "ops:o1")
	servers[0].Kill()
	servers[1].Promote()
	waitUntil(t, "a write on the promoted replica", func() bool {
		_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO kv (k, v) VALUES ('resumed', 1)`)
		return err == nil
	})
}
