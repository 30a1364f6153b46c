package testtool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// PeakHeap samples the heap in use (runtime.MemStats.HeapInuse) every
// 10 ms from now on, after a collection, for benchmarks that report the
// memory their work holds; the function it returns stops the sampling and
// reports the highest value seen.
func PeakHeap() (stop func() uint64) {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}
