package web

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"github.com/segl/segl/internal/testtool"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/pki"
)

// TestBrowser serves the web routes over real TLS (the development PKI's
// server certificate) and runs the Node browser tests in e2e/browser against
// them: Debian's Chromium through playwright-core, axe-core for
// accessibility, both viewports, both languages. It needs node, npm,
// certutil (libnss3-tools) and chromium; without them it skips, unless
// SEGL_BROWSER_REQUIRED is set (CI sets it, so a missing browser fails
// instead of passing silently). SEGL_SCREENSHOTS keeps the screenshots.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are slow")
	}
	chromium := os.Getenv("SEGL_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	var missing []string
	for _, tool := range []string{"node", "npm", "certutil", chromium} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		if os.Getenv("SEGL_BROWSER_REQUIRED") != "" {
			t.Fatalf("browser tests need %v (apt-get install chromium libnss3-tools nodejs npm)", missing)
		}
		testtool.Missing(t, "browser tests need %v (apt-get install chromium libnss3-tools nodejs npm)", missing)
	}
	harness, err := filepath.Abs(filepath.Join("..", "..", "e2e", "browser"))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	dev, err := pki.LoadOrCreateDev(dir, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	w, err := New(Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Routes(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{dev.Server.TLSCertificate()}}}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(harness, "node_modules")); errors.Is(err, os.ErrNotExist) {
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = harness
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	shots := os.Getenv("SEGL_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	// Only the foundation's tests: the ceremony's need a whole segl
	// (internal/server's TestBrowserCeremony runs them).
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", filepath.Join(harness, "web.test.mjs"))
	cmd.Env = append(os.Environ(),
		"SEGL_URL=https://"+ln.Addr().String(),
		"SEGL_CA="+filepath.Join(dir, "pki", "root-ca.pem"),
		"SEGL_CHROMIUM="+chromium,
		"SEGL_SCREENSHOTS="+shots,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test e2e/browser/web.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}
