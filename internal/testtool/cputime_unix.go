//go:build unix

package testtool

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time the process has used, user and system: on a
// shared machine a steadier measure of a benchmark's work than its rate.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
