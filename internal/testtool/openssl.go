package testtool

import (
	"os/exec"
	"strings"
	"testing"
)

// Need returns the path of the tool name (Debian package pkg), ending the
// test as Missing says when it is not installed: at the start of a test
// that is worth running only with the tool.
func Need(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not installed (Debian package %s)", name, pkg)
	}
	return path
}

// OpenSSL runs the openssl command line tool in dir ("" for the current
// directory) and returns what it printed, output and errors together. It
// ends the test as Missing says when openssl is not installed.
func OpenSSL(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(Need(t, "openssl", "openssl"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// MustOpenSSL is OpenSSL that fails the test when openssl does.
func MustOpenSSL(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := OpenSSL(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}
