//go:build !linux

package luahost

// threadCPU is not measured here: calls are budgeted by wall time.
func threadCPU() (int64, bool) { return 0, false }
