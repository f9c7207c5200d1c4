package delay_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/mq/delay"
)

// model is the reference the queue is held to: per ref, whether its timer is pending, when it is
// due and how many failed runs it has had since it was last set.
type model map[string]*timer

type timer struct {
	pending  bool
	due      int64 // unix ms
	attempts int
}

// What a handler does when its timer runs, drawn per run by the fuzzer.
const (
	succeed = iota
	fail
	moveSelf   // the handler sets its own timer again (the audit's self-scheduling timer), then succeeds
	cancelSelf // the handler cancels its own timer, then fails
	outcomes
)

// FuzzDelayQueueAgainstAModel drives one queue on SQLite with a program the fuzzer writes (set,
// ensure, move, cancel, let time pass, run what is due with handlers that succeed, fail, move or
// cancel their own timer) and after every step holds the table to a model a few lines long: which
// timers are pending and when they are due, which ran, and the backoff of each failure.
func FuzzDelayQueueAgainstAModel(f *testing.F) {
	for _, seed := range [][]byte{
		{0, 0, 10, 4, 0, 20, 5, 0, 0},                 // set a, let it fall due, run it
		{0, 1, 0, 5, 1, 1, 4, 1, 1, 5, 1, 1, 3, 1, 0}, // set b due now, run it failing twice (1 s, then 2 s of backoff), cancel it
		{1, 2, 3, 1, 2, 9, 4, 0, 9, 5, 2, 0},          // ensure c twice (the second leaves it), run it moving itself
		{0, 0, 1, 2, 0, 7, 4, 0, 8, 5, 3, 0},          // set a, move it later, run it cancelling itself
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, program []byte) {
		if len(program) > 300 {
			return
		}
		db := daltest.SQLite(t, []dal.Migrations{delay.Migrations()})
		ctx := context.Background()
		clk := &clock{t: time.UnixMilli(1_800_000_000_000)}
		q := queue(db, clk)
		refs := []string{"a", "b", "c"}
		m := model{}
		var ran []string
		var next int // the outcome of the next handler run
		q.Handle("k", func(ctx context.Context, ref string) error {
			ran = append(ran, ref)
			switch next {
			case fail:
				return errors.New("boom")
			case moveSelf:
				return q.Schedule(ctx, "k", ref, clk.Now().Add(time.Hour))
			case cancelSelf:
				if err := q.Cancel(ctx, "k", ref); err != nil {
					return err
				}
				return errors.New("cancelled itself, then failed")
			}
			return nil
		})
		for len(program) >= 3 {
			op, ref, arg := program[0]%6, refs[int(program[1])%len(refs)], int64(program[2])
			program = program[3:]
			now := clk.Now().UnixMilli()
			due := time.UnixMilli(now + arg*1000)
			var err error
			step := ""
			switch op {
			case 0:
				step = fmt.Sprintf("schedule %s +%ds", ref, arg)
				err = q.Schedule(ctx, "k", ref, due)
				m[ref] = &timer{pending: true, due: due.UnixMilli()}
			case 1:
				step = fmt.Sprintf("ensure %s +%ds", ref, arg)
				err = q.Ensure(ctx, "k", ref, due)
				if tm := m[ref]; tm == nil || !tm.pending {
					m[ref] = &timer{pending: true, due: due.UnixMilli()}
				}
			case 2:
				step = fmt.Sprintf("move %s +%ds", ref, arg)
				err = q.Move(ctx, "k", ref, due)
				m[ref] = &timer{pending: true, due: due.UnixMilli()}
			case 3:
				step = "cancel " + ref
				err = q.Cancel(ctx, "k", ref)
				if tm := m[ref]; tm != nil {
					tm.pending = false
				}
			case 4:
				step = fmt.Sprintf("advance %ds", arg)
				clk.Advance(time.Duration(arg) * time.Second)
			case 5:
				next = int(arg) % outcomes
				step = fmt.Sprintf("run due (handlers: outcome %d)", next)
				ran = ran[:0]
				_, err = q.RunDue(ctx, 100)
				var want []string
				for _, r := range refs {
					tm := m[r]
					if tm == nil || !tm.pending || tm.due > now {
						continue
					}
					want = append(want, r)
					switch next {
					case succeed:
						tm.pending = false
					case fail:
						tm.due = now + (int64(1)<<min(tm.attempts, 10))*1000
						tm.attempts++
					case moveSelf: // a new revision, pending at its new time: the run neither ends nor retries it
						m[r] = &timer{pending: true, due: now + time.Hour.Milliseconds()}
					case cancelSelf:
						tm.pending = false
					}
				}
				got := slices.Clone(ran)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("%s at %d: ran %v; the model runs %v", step, now, got, want)
				}
			}
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			if testing.Verbose() {
				t.Logf("%s", step)
			}
			compare(t, db, m, step)
		}
	})
}

// compare holds the table to the model.
func compare(t *testing.T, db *dal.DB, m model, step string) {
	t.Helper()
	rows, err := db.Primary().Query(`SELECT ref, due_at, done_at, attempts FROM delayed_jobs WHERE kind = 'k'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var ref string
		var due, done int64
		var attempts int
		if err := rows.Scan(&ref, &due, &done, &attempts); err != nil {
			t.Fatal(err)
		}
		seen++
		tm := m[ref]
		if tm == nil {
			t.Fatalf("after %s: the table has timer %s (due %d, done %d); the model has none (%v)", step, ref, due, done, m)
		}
		if pending := done == 0; pending != tm.pending || (pending && due != tm.due) {
			t.Fatalf("after %s: timer %s is pending=%v due %d; the model says pending=%v due %d", step, ref, pending, due, tm.pending, tm.due)
		}
	}
	if seen != len(m) {
		t.Fatalf("after %s: the table has %d timers; the model %d", step, seen, len(m))
	}
}
