// Package luahosttest checks, for tests of the Lua host and of servers that run scripts, that
// stopped scripts leave nothing running behind them.
package luahosttest

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// window is how long one CPU reading lasts.
const window = 250 * time.Millisecond

// IdleCPU is the share of one core the process uses when nothing is asked of it: the lowest of
// a few readings. A server's own timers (and, under -race, their instrumentation) use some;
// AwaitIdle measures above it.
func IdleCPU(t testing.TB) float64 {
	best := 1e9
	for i := 0; i < 4; i++ {
		best = min(best, cpuShare(t))
	}
	return best
}

func cpuShare(t testing.TB) float64 {
	start, cpu0 := time.Now(), cpuTime(t)
	time.Sleep(window)
	return float64(cpuTime(t)-cpu0) / float64(time.Since(start))
}

// AwaitIdle fails t unless, within a few seconds, the goroutine count comes back to at most
// before (plus slack, for goroutines the caller knows come and go) and the process then has a
// quarter second in which it uses less than idle plus a third of one core (idle is IdleCPU's
// reading, or 0 for a process with nothing running). A script the sandbox stopped that kept
// running would hold a goroutine and a full core for good; the collector freeing what hostile
// scripts built, or a timer's tick, is over within a window or two.
func AwaitIdle(t testing.TB, before, slack int, idle float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	n := runtime.NumGoroutine()
	for n > before+slack && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > before+slack {
		buf := make([]byte, 1<<16)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("goroutines: got %d; want at most %d, as before the stopped calls; stacks:\n%s", n, before+slack, buf)
	}
	limit := idle + 1.0/3
	var share float64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if share = cpuShare(t); share < limit {
			return
		}
	}
	t.Fatalf("CPU after the stopped calls: got %.0f%% of a core in the last %s; want under %.0f%% (idle is %.0f%%)",
		share*100, window, limit*100, idle*100)
}
