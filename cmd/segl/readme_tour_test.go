package main

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/signerbot"
)

// TestREADMETour runs the README's five-minute tour as written, in order,
// on a fresh data directory, so that the README cannot drift from the
// binary: the sh blocks between <!-- tour and <!-- /tour --> run in one
// bash, command by command, and the outcomes the README states in its
// comments are checked. Three things are done for the reader:
//   - the address 127.0.0.1:8443 becomes a free port (the README says how:
//     SEGL_ADDR), since parallel tests may hold 8443;
//   - "go …" lines run in the repository with their -o/-out files put in
//     the tour's directory, which stands for the reader's checkout;
//   - "./segl serve --dev" runs in the background, and the signing in the
//     browser between the blocks is done by the signer bot, which drives
//     the same pages over HTTP.
//
// HOME is the tour's directory, so the NSS database it trusts the root in
// is its own.
func TestREADMETour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	for _, tool := range []string{"bash", "curl", "jq", "certutil", "pdfsig"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the tour needs %s: %v", tool, err)
		}
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := tourBlocks(t, string(readme))
	if len(blocks) < 5 {
		t.Fatalf("README tour: %d sh blocks, want at least 5 (markers moved?)", len(blocks))
	}
	addr := freeAddr(t)
	work := t.TempDir()
	sh := startShell(t, work, repo, addr)
	base := "https://" + addr
	for i, block := range blocks {
		if i == 2 { // the prose between the API block and the results: sign in a browser
			token := signTour(t, work, base)
			sh.run(t, "TOKEN="+token)
			waitCompleted(t, sh, addr)
		}
		for _, cmd := range splitCommands(block) {
			cmd = strings.ReplaceAll(cmd, "127.0.0.1:8443", addr)
			if strings.HasPrefix(cmd, "./segl serve") {
				startServer(t, work, cmd, addr)
				continue
			}
			if strings.HasPrefix(cmd, "go ") {
				cmd = goInRepo(cmd, repo, work)
			}
			out, status := sh.run(t, cmd)
			t.Logf("$ %s\n%s", cmd, out)
			if status != 0 {
				t.Fatalf("README tour: %q exited %d:\n%s", cmd, status, out)
			}
			checkOutcome(t, cmd, out)
			if strings.Contains(cmd, "# its links now say it was withdrawn") {
				checkCancelledLink(t, work, base)
			}
		}
	}
}

// tourBlocks returns the bodies of the sh blocks of the tour section.
func tourBlocks(t *testing.T, readme string) []string {
	start := strings.Index(readme, "<!-- tour")
	end := strings.Index(readme, "<!-- /tour -->")
	if start < 0 || end < start {
		t.Fatal("README: no <!-- tour … <!-- /tour --> section")
	}
	re := regexp.MustCompile("(?s)```sh\n(.*?)```")
	var blocks []string
	for _, m := range re.FindAllStringSubmatch(readme[start:end], -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// splitCommands splits a block into the commands a reader would paste one
// by one: a line, with its backslash continuations and here-document.
func splitCommands(block string) []string {
	var cmds []string
	var cur []string
	heredoc := ""
	for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		if len(cur) == 0 && (strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#")) {
			continue // comments show output
		}
		cur = append(cur, line)
		switch {
		case heredoc != "":
			if line == heredoc {
				heredoc = ""
			}
		case strings.Contains(line, "<<'"):
			heredoc = strings.SplitN(strings.SplitN(line, "<<'", 2)[1], "'", 2)[0]
		}
		if heredoc != "" || strings.HasSuffix(line, "\\") {
			continue
		}
		cmds = append(cmds, strings.Join(cur, "\n"))
		cur = nil
	}
	return cmds
}

var outFlagRE = regexp.MustCompile(`(-o|-out) (\S+)`)

// goInRepo runs a go command line in the repository, writing its -o/-out
// file into the tour's directory.
func goInRepo(cmd, repo, work string) string {
	cmd = outFlagRE.ReplaceAllString(cmd, "$1 "+work+"/$2")
	return fmt.Sprintf("(cd %q && %s)", repo, cmd)
}

// checkOutcome asserts what the README's comment on cmd says it shows.
func checkOutcome(t *testing.T, cmd, out string) {
	t.Helper()
	comment := ""
	if i := strings.LastIndex(cmd, "  # "); i >= 0 {
		comment = cmd[i:]
	}
	var v map[string]any
	decode := func() {
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("README tour: %q: not JSON (%v):\n%s", cmd, err, out)
		}
	}
	switch {
	case strings.Contains(comment, "# list"):
		decode()
		if jobs, _ := v["jobs"].([]any); len(jobs) != 1 {
			t.Errorf("README tour: the list holds %d jobs, want the one created:\n%s", len(jobs), out)
		}
	case strings.Contains(comment, "# status per signer"):
		decode()
		if signers, _ := v["signers"].([]any); len(signers) != 2 {
			t.Errorf("README tour: job has %d signers, want 2:\n%s", len(signers), out)
		}
	case strings.Contains(comment, "# its links now say it was withdrawn"):
		decode()
		if v["status"] != "cancelled" {
			t.Errorf("README tour: cancelled job:\n%s", out)
		}
	case strings.Contains(comment, "401"):
		decode()
		if v["status"] != float64(401) {
			t.Errorf("README tour: without a certificate:\n%s", out)
		}
	case strings.Contains(comment, "what the sender checks"):
		decode()
		if v["status"] != "completed" {
			t.Errorf("README tour: status after both signed:\n%s", out)
		}
	case strings.HasPrefix(cmd, "./segl validate"):
		if !strings.Contains(out, "TOTAL_PASSED") || strings.Contains(out, "TOTAL_FAILED") || strings.Contains(out, "INDETERMINATE") {
			t.Errorf("README tour: %q:\n%s", cmd, out)
		}
	case strings.Contains(comment, "audit log intact"):
		if !strings.Contains(out, "audit log intact") {
			t.Errorf("README tour: %q:\n%s", cmd, out)
		}
	case strings.HasPrefix(cmd, "pdfsig"):
		if !strings.Contains(out, "Signature is Valid") || !strings.Contains(out, "Certificate is Trusted") {
			t.Errorf("README tour: %q:\n%s", cmd, out)
		}
	}
}

// waitCompleted waits until the tour's first job is completed: segl adds
// the long-term time-stamp in the background after the last signer, which
// a reader, who takes seconds to copy the token, never sees. The bound only
// stops a broken test; it measures nothing.
func waitCompleted(t *testing.T, sh *shell, addr string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ := sh.run(t, "api https://"+addr+"/api/v1/jobs/$JOB_ID | jq -r .status")
		if status := strings.TrimSpace(out); status != "signed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("README tour: the job was never completed")
		}
	}
}

// signTour signs the tour's first job as its two signers would in a
// browser, and returns the last status query token.
func signTour(t *testing.T, work, base string) string {
	t.Helper()
	var created struct {
		Signers []struct {
			SigningURL string `json:"signing_url"`
		} `json:"signers"`
	}
	raw, err := os.ReadFile(filepath.Join(work, "job1.json"))
	if err != nil {
		t.Fatalf("README tour: the create response: %v", err)
	}
	if err := json.Unmarshal(raw, &created); err != nil || len(created.Signers) != 2 {
		t.Fatalf("README tour: the create response (201?): %v\n%s", err, raw)
	}
	roots := tourRoots(t, work)
	token := ""
	for i, pid := range []string{"21909825250", "03896127682"} {
		b, err := signerbot.New(base, roots)
		if err != nil {
			t.Fatal(err)
		}
		view, err := b.Login(created.Signers[i].SigningURL, pid, "bankid")
		if err != nil {
			t.Fatalf("README tour: signer %s: %v", pid, err)
		}
		done, err := b.Submit(view, "/sign", url.Values{"confirm": {"yes"}})
		b.HTTP.CloseIdleConnections()
		if err != nil {
			t.Fatalf("README tour: signer %s: %v", pid, err)
		}
		if token, err = done.ExitToken("https://sender.example/ok"); err != nil {
			t.Fatalf("README tour: signer %s: %v", pid, err)
		}
	}
	return token
}

// checkCancelledLink opens the first signer's link of the cancelled job
// (from its create response, job2.json), which must say that the sender
// withdrew the job, not that the link expired.
func checkCancelledLink(t *testing.T, work, base string) {
	t.Helper()
	var cancelled struct {
		Signers []struct {
			SigningURL string `json:"signing_url"`
		} `json:"signers"`
	}
	raw, err := os.ReadFile(filepath.Join(work, "job2.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cancelled); err != nil || len(cancelled.Signers) == 0 {
		t.Fatalf("README tour: the second job's create response: %v\n%s", err, raw)
	}
	b, err := signerbot.New(base, tourRoots(t, work))
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Get(cancelled.Signers[0].SigningURL)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Avsenderen har trukket tilbake oppdraget"; p.Status != http.StatusGone || p.H1() != want {
		t.Errorf("README tour: the cancelled job's link: %d %q, want 410 %q", p.Status, p.H1(), want)
	}
}

// tourRoots trusts the tour's development root.
func tourRoots(t *testing.T, work string) *x509.CertPool {
	pem, err := os.ReadFile(filepath.Join(work, "segl-data", "pki", "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return roots
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer starts the README's serve command in the tour's directory
// on addr (SEGL_ADDR, as the README offers) and waits for its first line.
func startServer(t *testing.T, work, cmd, addr string) {
	t.Helper()
	c := exec.Command("bash", "-c", "exec "+cmd)
	c.Dir = work
	c.Env = append(os.Environ(), "SEGL_ADDR="+addr, "SEGL_DATA=")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The banner is checked once the server has ended and its stderr is
	// all read: development mode must say what it is on a line of its own.
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Process.Kill()
		c.Wait()
		if !strings.Contains("\n"+stderr.String(), "\n"+dev.Banner+"\n") {
			t.Errorf("README tour: serve --dev printed no banner line on stderr:\n%s", stderr.String())
		}
	})
	first, err := bufio.NewReader(out).ReadString('\n')
	if want := "segl serving https://" + addr + " (data in segl-data)"; strings.TrimSpace(first) != want {
		t.Fatalf("README tour: serve printed %q (%v), want %q", first, err, want)
	}
	go io.Copy(io.Discard, out)
}

// shell is one bash the tour's commands run in, as a reader's terminal:
// variables and aliases carry from one command to the next.
type shell struct {
	in  io.Writer
	out *bufio.Reader
}

func startShell(t *testing.T, work, repo, addr string) *shell {
	t.Helper()
	c := exec.Command("bash", "--noprofile", "--norc")
	c.Dir = work
	env := os.Environ()
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, v+"="+strings.TrimSpace(string(out)))
	}
	c.Env = append(env, "HOME="+work, "SEGL_DATA=", "SEGL_ADDR="+addr)
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stderr = c.Stdout // one stream, in order, as on a terminal
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); c.Wait() })
	sh := &shell{in: in, out: bufio.NewReader(out)}
	sh.run(t, "shopt -s expand_aliases")
	return sh
}

const endMark = "__segl_tour_end__"

// run runs one command and returns its output and exit status.
func (sh *shell) run(t *testing.T, cmd string) (string, int) {
	t.Helper()
	if _, err := fmt.Fprintf(sh.in, "%s\nprintf '\\n%s %%d\\n' $?\n", cmd, endMark); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for {
		line, err := sh.out.ReadString('\n')
		if err != nil {
			t.Fatalf("README tour: shell ended during %q: %v\n%s", cmd, err, b.String()+line)
		}
		if rest, ok := strings.CutPrefix(line, endMark+" "); ok {
			var status int
			fmt.Sscanf(rest, "%d", &status)
			return strings.TrimSuffix(b.String(), "\n"), status
		}
		b.WriteString(line)
	}
}
