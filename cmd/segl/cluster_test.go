package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
)

// TestClusterScript runs scripts/cluster as the README's "Scaling out"
// section does: three nodes on one PostgreSQL, one S3 server and one
// SoftHSM token. Every node must be ready and time-stamp with the token's
// key, a node killed and then one stopped must be started again by the
// script, jobs and ceremonies spread over
// the nodes must all succeed, with each signer on a node other than the
// job's creator, the audit chain the three nodes wrote together must be
// intact, and after SIGTERM no process the script started may be left and
// its directory must be gone.
func TestClusterScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, an S3 server and three segl nodes")
	}
	printed, stop := startClusterScript(t, "--port", "0")
	urls := strings.Split(printed["SEGL_CLUSTER_URLS"], ",")
	data := printed["SEGL_CLUSTER_DATA"]
	dir := filepath.Dir(data)
	if len(urls) != 3 {
		t.Fatalf("SEGL_CLUSTER_URLS = %q, want three nodes", printed["SEGL_CLUSTER_URLS"])
	}

	roots, err := pki.LoadPool(filepath.Join(data, "pki", "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	web := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	for _, u := range urls {
		resp, err := web.Get(u + "/readyz")
		if err != nil {
			t.Fatalf("%s/readyz: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s/readyz: %s, want 200 (the script prints the nodes once they are ready)", u, resp.Status)
		}
		// Every node's time-stamping unit signs with the key the script
		// made in the SoftHSM token, as the completions' time-stamps do.
		digest := sha256.Sum256([]byte(u))
		tok, err := (&tsp.Client{URL: u + "/dev/tsa", HTTP: web, Roots: roots}).Stamp(context.Background(), crypto.SHA256, digest[:])
		if err != nil {
			t.Fatalf("%s/dev/tsa: %v", u, err)
		}
		info, err := tsp.Parse(tok)
		if err != nil {
			t.Fatal(err)
		}
		if cn := info.Certificate.Subject.CommonName; cn != "segl cluster tsa" {
			t.Errorf("%s time-stamps as %q, want the token's key certified as \"segl cluster tsa\"", u, cn)
		}
	}

	// The third node lost, then stopped for a rolling restart: the script
	// starts it again each time, and the ceremonies below use it.
	pid, err := strconv.Atoi(printed["pid 3:"])
	if err != nil {
		t.Fatalf("no pid in the script's line about node 3: %v", err)
	}
	pid = nodeStartedAgain(t, web, urls[2], pid, syscall.SIGKILL, dir)
	nodeStartedAgain(t, web, urls[2], pid, syscall.SIGTERM, dir)

	// Creation with --url repeated, ceremonies with the comma-separated
	// list: both forms reach all three nodes.
	var out bytes.Buffer
	err = runBench([]string{"--data", data, "--url", urls[0], "--url", urls[1], "--url", urls[2], "--jobs", "9", "--workers", "3"}, &out)
	if err != nil {
		t.Fatalf("segl bench: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "created 9 jobs (0 failed)") || !strings.Contains(out.String(), "on 3 nodes") {
		t.Errorf("segl bench over the nodes:\n%s", out.String())
	}
	out.Reset()
	err = runBench([]string{"--data", data, "--url", strings.Join(urls, ","), "--jobs", "6", "--workers", "3", "--ceremony"}, &out)
	if err != nil {
		t.Fatalf("segl bench --ceremony: %v\n%s", err, out.String())
	}
	t.Logf("segl bench --ceremony:\n%s", out.String())
	if !strings.Contains(out.String(), "completed (2 signers each) 6 jobs (0 failed)") {
		t.Errorf("not every ceremony across the nodes completed:\n%s", out.String())
	}
	// Two jobs created on each node, and each node's pages used by four of
	// the twelve signers, every one on a node that did not create the job.
	if !strings.Contains(out.String(), "per node: jobs created [2 2 2], signing acts [4 4 4]") {
		t.Errorf("the ceremonies did not spread over the nodes:\n%s", out.String())
	}
	out.Reset()
	if err := auditVerify([]string{"--data", data, "--database-url", printed["SEGL_CLUSTER_DATABASE_URL"]}, &out); err != nil {
		t.Fatalf("segl audit verify on the cluster's database: %v", err)
	}
	if !regexp.MustCompile(`audit log intact: \d+ records`).MatchString(out.String()) {
		t.Errorf("segl audit verify:\n%s", out.String())
	}

	// The check below sees the cluster's processes while they run: the
	// three nodes, PostgreSQL and SeaweedFS at least.
	if running := processesNaming(t, dir); len(running) < 5 {
		t.Fatalf("only %d processes name %s while the cluster runs, want the nodes, PostgreSQL and SeaweedFS:\n%s",
			len(running), dir, strings.Join(running, "\n"))
	}
	stopCluster(t, stop, dir)
}

// processesNaming lists the processes whose command line or environment
// holds s: every process scripts/cluster starts names its directory, in
// its arguments (PostgreSQL's data directory, SeaweedFS's, the nodes'
// --data) or its environment (SEGL_DATA, SOFTHSM2_CONF). Processes whose
// environment this user may not read are judged by their command line.
func processesNaming(t *testing.T, s string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil {
			continue // ended meanwhile
		}
		environ, _ := os.ReadFile(filepath.Join(p, "environ"))
		if bytes.Contains(cmdline, []byte(s)) || bytes.Contains(environ, []byte(s)) {
			found = append(found, p+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return found
}

// startClusterScript runs scripts/cluster with args on a segl built from
// this tree and returns the settings it prints (SEGL_CLUSTER_*) once every
// node is ready, and stop, which sends it SIGTERM and waits for it. The
// test's cleanup stops it when the test did not.
func startClusterScript(t *testing.T, args ...string) (printed map[string]string, stop func() (stderr string, err error)) {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "segl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script := exec.Command(filepath.Join(repo, "scripts", "cluster"), args...)
	script.Dir = repo
	script.Env = append(os.Environ(), "SEGL_BIN="+bin)
	var stderr bytes.Buffer
	script.Stderr = &stderr
	stdout, err := script.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := script.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() (string, error) {
		stopped = true
		if err := script.Process.Signal(syscall.SIGTERM); err != nil {
			return stderr.String(), err
		}
		err := script.Wait()
		return stderr.String(), err
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})

	// The script prints its settings once every node is ready, and exits
	// by itself (bounded waits) if something does not start.
	printed = map[string]string{}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && printed["SEGL_CLUSTER_DATABASE_URL"] == "" {
		if k, v, ok := strings.Cut(lines.Text(), "="); ok && strings.HasPrefix(k, "SEGL_CLUSTER_") {
			printed[k] = v
		}
		if pid, ok := strings.CutPrefix(nodePID.FindString(lines.Text()), "pid "); ok {
			printed["pid "+strings.Fields(lines.Text())[1]] = pid
		}
	}
	if printed["SEGL_CLUSTER_DATABASE_URL"] == "" {
		err := script.Wait()
		stopped = true
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 3 {
			testtool.Missing(t, "scripts/cluster: %s", strings.TrimSpace(stderr.String()))
		}
		t.Fatalf("scripts/cluster ended before printing its nodes (%v):\n%s", err, stderr.String())
	}
	go func() {
		for lines.Scan() {
		}
	}()
	return printed, stop
}

// nodePID finds the pid in the script's line about a node
// ("node 1: URL   (pid N, log: …)"), which startClusterScript keeps as
// printed["pid 1:"].
var nodePID = regexp.MustCompile(`pid \d+`)

// stopCluster stops the script with SIGTERM and checks that it says so,
// that its directory dir is gone and that no process naming it is left.
func stopCluster(t *testing.T, stop func() (string, error), dir string) {
	t.Helper()
	stderr, err := stop()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 143) {
		t.Errorf("scripts/cluster after SIGTERM: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "cluster: stopped") {
		t.Errorf("scripts/cluster did not say it stopped:\n%s", stderr)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there after the stop (%v)", dir, err)
	}
	if left := processesNaming(t, dir); len(left) > 0 {
		t.Errorf("still running after the stop:\n%s", strings.Join(left, "\n"))
	}
}
