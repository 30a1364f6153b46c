//go:build !unix

package testtool

import "time"

// CPUTime is zero where getrusage is missing: a benchmark's cpu-ns/op is
// then 0 and its rate alone says how fast it ran.
func CPUTime() time.Duration { return 0 }
