// Package testtool decides what a test does when an independent tool
// (openssl, qpdf, pdfsig, xmlsec1, chromium …) is missing: on a developer's
// machine it skips with the install hint; in CI, where scripts/install-deps.sh
// installed everything, it fails, so a missing install step cannot hide
// behind a green run.
package testtool

import (
	"fmt"
	"os"
	"testing"
)

// Required reports whether missing tools must fail the test: under CI
// (CI set, as in .ci/run) or when SEGL_TOOLS_REQUIRED is set.
func Required() bool { return os.Getenv("CI") != "" || os.Getenv("SEGL_TOOLS_REQUIRED") != "" }

// Missing ends the test because a tool is not installed.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (scripts/install-deps.sh installs it)"
	if Required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
