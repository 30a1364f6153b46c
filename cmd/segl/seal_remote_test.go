package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/server"
	"github.com/segl/segl/internal/testdocs"
)

// TestSealWithGivenKeyAndRemoteServices seals as a production operator
// would: a key and certificate from files, a remote TSA, and OCSP fetched
// over HTTP (here a running segl's /dev/tsa and /dev/ocsp over HTTPS).
func TestSealWithGivenKeyAndRemoteServices(t *testing.T) {
	cfg := config.Default()
	cfg.Dev, cfg.Addr, cfg.Data, cfg.RelaxedSync = true, "127.0.0.1:0", t.TempDir(), true
	cfg.LinkKeyFile = filepath.Join(cfg.Data, "link.key")
	srv, err := server.Start(context.Background(), cfg, server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	}()
	pkiDir := filepath.Join(cfg.Data, "pki")
	work := t.TempDir()
	in, out := filepath.Join(work, "in.pdf"), filepath.Join(work, "out.pdf")
	os.WriteFile(in, testdocs.PDF("Vedtak", 20_000), 0o600)
	msg, err := segl(t, "seal", "--in", in, "--out", out, "--key", filepath.Join(pkiDir, "seal.key"),
		"--cert", filepath.Join(pkiDir, "seal.pem"), "--tsa-url", srv.URL+"/dev/tsa", "--ocsp-url", srv.URL+"/dev/ocsp",
		"--trust", filepath.Join(pkiDir, "root-ca.pem"))
	if err != nil {
		t.Fatalf("seal: %v\n%s", err, msg)
	}
	msg, err = segl(t, "validate", "--trust", filepath.Join(pkiDir, "root-ca.pem"), "--data", work, out)
	if err != nil || !strings.HasPrefix(msg, out+": TOTAL_PASSED") {
		t.Fatalf("validate: %v\n%s", err, msg)
	}
	_, err = segl(t, "seal", "--in", in, "--out", out, "--key", filepath.Join(pkiDir, "seal.key"),
		"--cert", filepath.Join(pkiDir, "seal.pem"), "--tsa-url", srv.URL+"/dev/tsa")
	if err == nil {
		t.Fatal("a remote TSA was used without trust anchors")
	}
}
