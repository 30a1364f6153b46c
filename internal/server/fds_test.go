package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OpenFDs is the number of descriptors this process (the server) holds,
// leaving out its database files. Exported for the tests of package
// server_test, so both packages count the same way.
func OpenFDs(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, e := range entries {
		// A database's files are open once per pooled connection (and once
		// more for the write-ahead log's group fsync, from the first durable
		// commit on): their number follows the pools, not the requests.
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if strings.HasSuffix(target, ".db") || strings.HasSuffix(target, ".db-wal") || strings.HasSuffix(target, ".db-shm") {
			continue
		}
		n++
	}
	return n
}
