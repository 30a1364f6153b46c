package server

import (
	"runtime/debug"
)

// The garbage collector's settings for a serving process, unless the
// operator sets GOGC or GOMEMLIMIT (docs/operations.md, "Memory and the
// garbage collector").
//
// A complete ceremony (client and server in one process) allocates about
// 11 MB (documents, PDF revisions, TLS records, templates) over a live
// heap of a few tens of MB, so with Go's default GOGC=100 the collector
// runs about every two jobs; it took about 5% of the server's CPU besides
// allocation itself. Letting the heap grow to five times the live heap
// (GOGC=400) makes a quarter of the collections for about 130 MB more
// memory in the in-process ceremony benchmark (docs/benchmarks.md, "Sixth
// round"). The soft memory limit keeps that growth from taking more than
// gcMemoryLimit in all: near it the collector runs as often as it must,
// as a lower GOGC would.
const (
	gcPercent     = 400
	gcMemoryLimit = 1 << 30 // 1 GiB
)

// GCSettings are what TuneGC set; zero where the operator's setting stood.
type GCSettings struct {
	Percent     int
	MemoryLimit int64
}

// TuneGC sets the garbage collector for serving: GOGC=gcPercent unless
// GOGC is set, and a soft memory limit of gcMemoryLimit unless GOMEMLIMIT
// is set (the runtime has read both already; an operator's setting is
// left as it is). getenv is os.Getenv, or a test's.
func TuneGC(getenv func(string) string) GCSettings {
	var s GCSettings
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		s.Percent = gcPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
		s.MemoryLimit = gcMemoryLimit
	}
	return s
}
