package server_test

import (
	"runtime/debug"
	"testing"

	"github.com/segl/segl/internal/server"
)

// TestTuneGC: serving sets GOGC=400 and a 1 GiB soft memory limit, each
// only where the operator has not set GOGC or GOMEMLIMIT.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	current := func() (int, int64) {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}

	// The runtime has applied the operator's settings; they stand.
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(3 << 30)
	set := map[string]string{"GOGC": "150", "GOMEMLIMIT": "3GiB"}
	got := server.TuneGC(func(k string) string { return set[k] })
	if p, l := current(); p != 150 || l != 3<<30 || got != (server.GCSettings{}) {
		t.Fatalf("with GOGC and GOMEMLIMIT set: GOGC=%d, limit %d, TuneGC said %+v", p, l, got)
	}

	// Only GOMEMLIMIT set: GOGC is segl's.
	set = map[string]string{"GOMEMLIMIT": "3GiB"}
	got = server.TuneGC(func(k string) string { return set[k] })
	if p, l := current(); p != 400 || l != 3<<30 || got != (server.GCSettings{Percent: 400}) {
		t.Fatalf("with GOMEMLIMIT set: GOGC=%d, limit %d, TuneGC said %+v", p, l, got)
	}

	// Neither: both are segl's.
	debug.SetGCPercent(100)
	got = server.TuneGC(func(string) string { return "" })
	if p, l := current(); p != 400 || l != 1<<30 || got != (server.GCSettings{Percent: 400, MemoryLimit: 1 << 30}) {
		t.Fatalf("without settings: GOGC=%d, limit %d, TuneGC said %+v", p, l, got)
	}
}
