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

// AwaitIdle fails t unless, within a few seconds, the goroutine count comes back to at most
// before (plus slack, for goroutines the caller knows come and go) and the process then has a
// quarter second in which it uses less than a fifth of one core. A script the sandbox stopped
// that kept running would hold a goroutine and a full core for good; the collector freeing what
// hostile scripts built, or a timer's tick, is over within a window or two.
func AwaitIdle(t testing.TB, before, slack int) {
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
	const window = 250 * time.Millisecond
	var used, elapsed time.Duration
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		start, cpu0 := time.Now(), cpuTime(t)
		time.Sleep(window)
		used, elapsed = cpuTime(t)-cpu0, time.Since(start)
		if used < elapsed/5 {
			return
		}
	}
	t.Fatalf("CPU after the stopped calls: got %s in the last %s; want under a fifth of a core (idle)", used, elapsed)
}
