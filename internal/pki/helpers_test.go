package pki

import (
	"crypto/elliptic"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/testtool"
)

// population is a few organisations of ../shared/testdata/population.json.
var population = []Org{
	{Number: "317510748", Name: "Lånekassen test"},
	{Number: "319386416", Name: "Innovasjon test AS"},
}

func newDev(t *testing.T, opts Options) (*Dev, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := LoadOrCreateDev(dir, opts)
	if err != nil {
		t.Fatalf("LoadOrCreateDev: %v", err)
	}
	return d, dir
}

// openssl runs the openssl command line tool, the independent check of what
// this package writes. Tests that need it end where it is missing.
func openssl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return testtool.OpenSSL(t, "", args...)
}

func mustOpenSSL(t *testing.T, want string, args ...string) string {
	t.Helper()
	out, err := openssl(t, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if !strings.Contains(out, want) {
		t.Fatalf("openssl %s: want %q in output:\n%s", strings.Join(args, " "), want, out)
	}
	return out
}

func (d *Dev) file(name string) string { return filepath.Join(d.Dir, name) }

func p256() elliptic.Curve { return elliptic.P256() }

func nowish() time.Time { return time.Now() }
