package delay_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/kernel/identity"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func queue(db *dal.DB, clk *clock) *delay.Queue {
	ids, _ := idgen.New(-1)
	return delay.New(db, func() string { return ids.NextString("J") }, delay.WithClock(clk.Now))
}

func TestDueRetryCancel(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		q := queue(db, clk)
		var runs []string
		fail := true
		q.Handle("k", func(ctx context.Context, ref string) error {
			runs = append(runs, ref)
			if ref == "flaky" && fail {
				fail = false
				return errors.New("boom")
			}
			return nil
		})
		for _, ref := range []string{"a", "flaky", "cancelled"} {
			if err := q.Schedule(ctx, "k", ref, clk.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.Cancel(ctx, "k", "cancelled"); err != nil {
			t.Fatal(err)
		}
		if n, _ := q.RunDue(ctx, 10); n != 0 || len(runs) != 0 {
			t.Fatalf("ran %d jobs before they were due", n)
		}
		clk.Advance(time.Minute)
		if n, err := q.RunDue(ctx, 10); err != nil || n != 1 || len(runs) != 2 {
			t.Fatalf("due: ran %d ok of %v, %v; want a ok and flaky failed", n, runs, err)
		}
		if n, _ := q.RunDue(ctx, 10); n != 0 {
			t.Fatalf("the failed job was retried before its backoff (%d)", n)
		}
		clk.Advance(3 * time.Second)
		if n, err := q.RunDue(ctx, 10); err != nil || n != 1 || runs[len(runs)-1] != "flaky" {
			t.Fatalf("retry: %d %v %v", n, runs, err)
		}
		clk.Advance(time.Hour)
		if n, _ := q.RunDue(ctx, 10); n != 0 {
			t.Fatalf("done jobs ran again: %d", n)
		}
	})
}

// TestMove: a timer moved runs at its new time, once; moving one that does not exist schedules it.
func TestMove(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		q := queue(db, clk)
		var runs []string
		q.Handle("close", func(ctx context.Context, ref string) error { runs = append(runs, ref); return nil })
		if err := q.Schedule(ctx, "close", "a1", clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		for _, m := range []time.Duration{2 * time.Minute, 3 * time.Minute} {
			if err := q.Move(ctx, "close", "a1", clk.Now().Add(m)); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.Move(ctx, "close", "a2", clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Minute)
		if n, err := q.RunDue(ctx, 10); err != nil || n != 1 || runs[0] != "a2" {
			t.Fatalf("at 2 minutes: %d %v %v; want only a2", n, runs, err)
		}
		clk.Advance(time.Minute)
		if n, err := q.RunDue(ctx, 10); err != nil || n != 1 || runs[1] != "a1" {
			t.Fatalf("at 3 minutes: %d %v %v; want a1, moved", n, runs, err)
		}
	})
}

// TestEnsure: a timer that keeps itself going is created once; nodes starting while it is
// pending leave it alone; its handler sets its next run; one that ran out is set again.
func TestEnsure(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		q := queue(db, clk)
		runs, again := 0, true
		q.Handle("audit", func(ctx context.Context, ref string) error {
			runs++
			if !again {
				return nil
			}
			return q.Schedule(ctx, "audit", ref, clk.Now().Add(time.Minute))
		})
		for i := 0; i < 3; i++ { // three nodes start, 20s apart
			if err := q.Ensure(ctx, "audit", "platform", clk.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if i < 2 {
				clk.Advance(20 * time.Second)
			}
		}
		if n, _ := q.RunDue(ctx, 10); n != 0 {
			t.Fatalf("ran %d before its first due time", n)
		}
		clk.Advance(20 * time.Second)
		if n, err := q.RunDue(ctx, 10); err != nil || n != 1 || runs != 1 {
			t.Fatalf("a minute after the first node started: %d runs, %v; want 1 (the later starts did not push it back)", runs, err)
		}
		clk.Advance(time.Minute)
		again = false
		if n, err := q.RunDue(ctx, 10); err != nil || n != 1 || runs != 2 {
			t.Fatalf("its handler set the next run: %d runs, %v", runs, err)
		}
		clk.Advance(time.Hour)
		if n, _ := q.RunDue(ctx, 10); n != 0 {
			t.Fatalf("ran out, yet ran %d", n)
		}
		if err := q.Ensure(ctx, "audit", "platform", clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		if n, err := q.RunDue(ctx, 10); err != nil || n != 1 || runs != 3 {
			t.Fatalf("set again after it ran out: %d runs, %v", runs, err)
		}
	})
}

// TestTwoNodesRunEachJobOnce: the lease keeps two pollers from running a job twice.
func TestTwoNodesRunEachJobOnce(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		var runs atomic.Int64
		nodes := []*delay.Queue{queue(db, clk), queue(db, clk)}
		for _, q := range nodes {
			q.Handle("k", func(ctx context.Context, ref string) error { runs.Add(1); return nil })
		}
		for i := 0; i < 40; i++ {
			if err := nodes[0].Schedule(ctx, "k", string(rune('A'+i)), clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for _, q := range nodes {
			wg.Add(1)
			go func(q *delay.Queue) {
				defer wg.Done()
				if _, err := q.RunDue(ctx, 100); err != nil {
					t.Error(err)
				}
			}(q)
		}
		wg.Wait()
		if runs.Load() != 40 {
			t.Fatalf("handlers ran %d times for 40 jobs", runs.Load())
		}
	})
}

// TestBacklog: jobs due and not done, and those due longer ago than late, each counted up to a cap.
func TestBacklog(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		q := queue(db, clk)
		q.Handle("k", func(context.Context, string) error { return nil })
		for i, due := range []time.Duration{-10 * time.Minute, -5 * time.Minute, -time.Second, time.Hour} {
			if err := q.Schedule(ctx, "k", string(rune('a'+i)), clk.Now().Add(due)); err != nil {
				t.Fatal(err)
			}
		}
		if due, overdue, err := q.Backlog(ctx, clk.Now(), time.Minute, 100); err != nil || due != 3 || overdue != 2 {
			t.Fatalf("backlog: %d due, %d overdue, %v; want 3 and 2", due, overdue, err)
		}
		if due, _, _ := q.Backlog(ctx, clk.Now(), time.Minute, 2); due != 2 {
			t.Fatalf("capped at 2: %d", due)
		}
		if _, err := q.RunDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if due, overdue, err := q.Backlog(ctx, clk.Now(), time.Minute, 100); err != nil || due != 0 || overdue != 0 {
			t.Fatalf("after running them: %d %d %v", due, overdue, err)
		}
	})
}

// TestReclaim: a node dies while it runs a job, leaving the job leased. Another node waits for
// the lease; the same node, started again, takes the job back at once and runs it.
func TestReclaim(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		ids, _ := idgen.New(-1)
		node := func(owner string) *delay.Queue {
			return delay.New(db, func() string { return ids.NextString("J") }, delay.WithClock(clk.Now), delay.WithOwner(owner))
		}
		first := node("node-7")
		dying, die := context.WithCancel(ctx)
		first.Handle("k", func(context.Context, string) error {
			die() // the node dies mid-job: nothing after this reaches the database
			return errors.New("killed")
		})
		if err := first.Schedule(ctx, "k", "a", clk.Now()); err != nil {
			t.Fatal(err)
		}
		if n, err := first.RunDue(dying, 10); n != 0 || err == nil {
			t.Fatalf("the dying run: %d done, %v", n, err)
		}
		var ran []string
		run := func(ctx context.Context, ref string) error { ran = append(ran, ref); return nil }
		other := node("node-8")
		other.Handle("k", run)
		if n, err := other.Reclaim(ctx); n != 0 || err != nil {
			t.Fatalf("another node reclaimed %d: %v", n, err)
		}
		if n, err := other.RunDue(ctx, 10); n != 0 || err != nil || len(ran) != 0 {
			t.Fatalf("another node ran a leased job: %d %v", n, err)
		}
		again := node("node-7")
		again.Handle("k", run)
		if n, err := again.Reclaim(ctx); n != 1 || err != nil {
			t.Fatalf("the restarted node reclaimed %d: %v", n, err)
		}
		if n, err := again.RunDue(ctx, 10); n != 1 || err != nil || len(ran) != 1 {
			t.Fatalf("the restarted node ran %d (%v): %v", n, ran, err)
		}
		if n, _ := again.Reclaim(ctx); n != 0 {
			t.Fatalf("a done job reclaimed: %d", n)
		}
	})
}

// TestMovedWhileRunning: a timer moved while a node runs it (an auction's close, moved by a bid
// that committed as the close began) is neither marked done nor retried at the old time's
// backoff when the run ends: it runs again at its new time. Meanwhile the run's lease keeps
// other nodes from starting it.
func TestMovedWhileRunning(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		q, other := queue(db, clk), queue(db, clk)
		var runs []string
		fail, move, moveBy := false, true, time.Minute
		q.Handle("close", func(ctx context.Context, ref string) error {
			runs = append(runs, ref)
			if move {
				move = false
				if err := q.Move(ctx, "close", ref, clk.Now().Add(moveBy)); err != nil {
					t.Fatal(err)
				}
				if n, err := other.RunDue(ctx, 10); n != 0 || err != nil {
					t.Fatalf("another node ran a timer that a run holds: %d %v", n, err)
				}
			}
			if fail {
				return errors.New("not closed yet")
			}
			return nil
		})
		var otherRuns atomic.Int64
		other.Handle("close", func(context.Context, string) error { otherRuns.Add(1); return nil })
		for _, f := range []bool{false, true} { // the run succeeds, then fails
			runs, fail, move = nil, f, true
			if err := q.Schedule(ctx, "close", "a1", clk.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := q.RunDue(ctx, 10); err != nil || len(runs) != 1 {
				t.Fatalf("failing %t: the first run: %v %v", f, runs, err)
			}
			clk.Advance(30 * time.Second) // past the failure's backoff, before the new time
			if n, err := q.RunDue(ctx, 10); n != 0 || err != nil || len(runs) != 1 {
				t.Fatalf("failing %t: ran before its new time: %v %v", f, runs, err)
			}
			fail = false
			clk.Advance(30 * time.Second)
			if n, err := q.RunDue(ctx, 10); n != 1 || err != nil || len(runs) != 2 {
				t.Fatalf("failing %t: at its new time: %d %v %v", f, n, runs, err)
			}
			clk.Advance(time.Hour)
			if n, _ := q.RunDue(ctx, 10); n != 0 || otherRuns.Load() != 0 {
				t.Fatalf("failing %t: a done timer ran again (%d), or on the other node (%d)", f, n, otherRuns.Load())
			}
		}
		// Moved to now while it runs: no other node starts it meanwhile, and it runs again after.
		runs, fail, move, moveBy = nil, false, true, 0
		if err := q.Schedule(ctx, "close", "a2", clk.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := q.RunDue(ctx, 10); err != nil || len(runs) != 1 || otherRuns.Load() != 0 {
			t.Fatalf("moved to now: %v %v, %d on the other node", runs, err, otherRuns.Load())
		}
		if n, err := other.RunDue(ctx, 10); n != 1 || err != nil {
			t.Fatalf("moved to now: after the run, %d %v", n, err)
		}
		// Cancelled and scheduled again while it runs (an operator's decision, then a new
		// window): the same.
		q.Handle("review", func(ctx context.Context, ref string) error {
			if err := q.Cancel(ctx, "review", ref); err != nil {
				t.Fatal(err)
			}
			if err := q.Schedule(ctx, "review", ref, clk.Now()); err != nil {
				t.Fatal(err)
			}
			if n, err := other.RunDue(ctx, 10); n != 0 || err != nil {
				t.Fatalf("another node ran a timer cancelled and scheduled again while a run holds it: %d %v", n, err)
			}
			return nil
		})
		other.Handle("review", func(context.Context, string) error { return nil })
		if err := q.Schedule(ctx, "review", "a3", clk.Now()); err != nil {
			t.Fatal(err)
		}
		if n, err := q.RunDue(ctx, 10); n != 1 || err != nil {
			t.Fatalf("cancelled and scheduled again: the run, %d %v", n, err)
		}
		if n, err := other.RunDue(ctx, 10); n != 1 || err != nil {
			t.Fatalf("cancelled and scheduled again: after the run, %d %v", n, err)
		}
	})
}

// TestPurge: timers done more than the retention ago are deleted, a batch at a time; pending
// timers and recent ones stay, and a purged timer can be scheduled again.
func TestPurge(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Now()}
		q := queue(db, clk)
		ran := 0
		q.Handle("k", func(context.Context, string) error { ran++; return nil })
		schedule := func(refs ...string) {
			for _, ref := range refs {
				if err := q.Schedule(ctx, "k", ref, clk.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func() (n int) {
			if err := db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM delayed_jobs`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		schedule("o1", "o2", "o3", "o4", "o5")
		if n, err := q.RunDue(ctx, 10); n != 5 || err != nil {
			t.Fatalf("old ones: %d %v", n, err)
		}
		clk.Advance(delay.Retention + time.Hour)
		schedule("r1", "r2")
		if n, err := q.RunDue(ctx, 10); n != 2 || err != nil {
			t.Fatalf("recent ones: %d %v", n, err)
		}
		if err := q.Schedule(ctx, "k", "pending", clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := q.Purge(ctx, clk.Now().Add(-delay.Retention), 2); n != 5 || err != nil || count() != 3 {
			t.Fatalf("purged %d (%v), %d left; want 5 purged, 3 left", n, err, count())
		}
		if n, err := q.Purge(ctx, clk.Now().Add(-delay.Retention), 2); n != 0 || err != nil {
			t.Fatalf("purged again %d: %v", n, err)
		}
		schedule("o1")
		if n, err := q.RunDue(ctx, 10); n != 1 || err != nil || ran != 8 {
			t.Fatalf("a purged timer scheduled again: %d %v, %d runs", n, err, ran)
		}
	})
}

// TestJobsOfRefs: a record's jobs read back by their refs, pending and done, by due time, and
// nobody else's; a handler runs as the timer ("timer:<kind>").
func TestJobsOfRefs(t *testing.T) {
	daltest.Each(t, []dal.Migrations{delay.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		clk := &clock{t: time.UnixMilli(time.Now().UnixMilli())}
		q := queue(db, clk)
		var actor string
		q.Handle("pay.timeout", func(ctx context.Context, ref string) error {
			actor = identity.ActorOf(ctx)
			return nil
		})
		for _, j := range []struct {
			kind, ref string
			in        time.Duration
		}{{"pay.timeout", "acme/T1", time.Minute}, {"ship.window", "acme/T1", time.Hour}, {"pay.timeout", "acme/T2", time.Minute},
			{"refund.retry", "acme/R1", 2 * time.Hour}} {
			if err := q.Schedule(ctx, j.kind, j.ref, clk.Now().Add(j.in)); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(time.Minute)
		if n, err := q.RunDue(ctx, 10); err != nil || n != 2 {
			t.Fatalf("ran %d, %v; want both pay timeouts", n, err)
		}
		if actor != "timer:pay.timeout" {
			t.Errorf("the handler ran as %q; want timer:pay.timeout", actor)
		}
		js, err := q.Jobs(ctx, "acme/T1", "acme/R1")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range js {
			got = append(got, fmt.Sprintf("%s %s done=%v", j.Kind, j.Ref, !j.Done.IsZero()))
		}
		want := []string{"pay.timeout acme/T1 done=true", "ship.window acme/T1 done=false", "refund.retry acme/R1 done=false"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("jobs: got %v; want %v", got, want)
		}
		if js, err := q.Jobs(ctx); err != nil || len(js) != 0 {
			t.Fatalf("jobs of no ref: %v, %v", js, err)
		}
	})
}
