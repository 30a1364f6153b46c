package web

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"github.com/segl/segl/internal/testtool"
	"net"
	"net/http"
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
	harness, chromium := testtool.Browser(t)

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
	// Only the foundation's tests: the ceremony's need a whole segl
	// (internal/server's TestBrowserCeremony runs them).
	testtool.RunNode(t, ctx, harness, chromium, "web.test.mjs", "https://"+ln.Addr().String(), filepath.Join(dir, "pki", "root-ca.pem"))
}
