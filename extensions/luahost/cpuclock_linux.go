package luahost

import "golang.org/x/sys/unix"

// threadCPU is the CPU time the calling OS thread has used, in nanoseconds: with the goroutine
// locked to its thread, what the script itself spent, whatever waiting for a core cost it.
func threadCPU() (int64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}
