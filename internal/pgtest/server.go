package pgtest

import (
	"bufio"
	"errors"
	"fmt"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/internal/testtool"
)

// Server is a PostgreSQL server started for one test alone, which the test
// may halt and resume to see an outage without touching the server other
// tests share. It is scripts/pg-test-server's, so it is set up exactly as
// the shared one.
type Server struct {
	admin  string // a superuser URL
	dir    string
	script string
}

// Start starts a server for this test; it is removed when the test ends.
// Without the PostgreSQL server binaries the test ends as for a missing
// tool (testtool.Missing).
func Start(t testing.TB) *Server {
	t.Helper()
	root, err := testtool.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{script: filepath.Join(root, "scripts", "pg-test-server")}
	cmd := osexec.Command(s.script, "start")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *osexec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		testtool.Missing(t, "%s", strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("pgtest: scripts/pg-test-server start: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		v = strings.Trim(v, "'")
		switch k {
		case "SEGL_PG_TEST_DIR":
			s.dir = v
		case Env:
			s.admin = v
		}
	}
	if s.dir == "" || s.admin == "" {
		t.Fatalf("pgtest: scripts/pg-test-server start printed %q", out)
	}
	t.Cleanup(func() { s.run("stop") })
	return s
}

// Database creates an empty database on the server and returns its URL.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	return database(t, s.admin)
}

// Halt stops the server, ending every session, as an outage does.
func (s *Server) Halt() error { return s.run("halt") }

// Resume starts the halted server again with its data.
func (s *Server) Resume() error { return s.run("resume") }

func (s *Server) run(command string) error {
	out, err := osexec.Command(s.script, command, s.dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: scripts/pg-test-server %s: %v\n%s", command, err, out)
	}
	return nil
}

// Tool finds a PostgreSQL client program (pg_dump, pg_restore) of the
// server's version, as scripts/pg-test-server finds the server's: the
// newest Debian postgresql-NN directory first, then the PATH. Without one
// the test ends as for a missing tool.
func Tool(t testing.TB, name string) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if p := filepath.Join(dirs[i], name); osexec.Command(p, "--version").Run() == nil {
			return p
		}
	}
	if p, err := osexec.LookPath(name); err == nil {
		return p
	}
	testtool.Missing(t, "no %s (postgresql-15)", name)
	return ""
}
