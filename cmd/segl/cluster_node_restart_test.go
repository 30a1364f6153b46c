package main

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nodeStartedAgain sends sig to the node of scripts/cluster whose process
// is pid and which serves url: SIGKILL as a lost machine, SIGTERM as one
// step of a rolling restart. The script must start the node again, as an
// orchestrator would, and the cluster go on (it used to stop every
// process when one node ended, so neither could be rehearsed with it;
// docs/operations.md, "A local cluster"). It returns the new node's pid.
func nodeStartedAgain(t *testing.T, web *http.Client, url string, pid int, sig syscall.Signal, dir string) int {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
	gone := func() {
		t.Helper()
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			t.Fatalf("after %v to a node the whole cluster stopped (%s is gone)", sig, dir)
		}
	}
	// The old process is gone once the script has reaped it; then a new
	// one answers /readyz.
	for {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); errors.Is(err, os.ErrNotExist) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		gone()
		resp, err := web.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range processesNaming(t, dir) {
		proc, cmdline, _ := strings.Cut(p, ": ")
		if !strings.Contains(cmdline, " serve ") || !strings.Contains(cmdline, strings.TrimPrefix(url, "https://")) {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(proc, "/proc/")); err == nil && n != pid {
			return n
		}
	}
	t.Fatalf("after %v: %s/readyz answers but no new segl process serves it", sig, url)
	return 0
}
