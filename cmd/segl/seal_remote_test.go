package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/server"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
)

// TestSealWithGivenKeyAndRemoteServices seals as a production operator
// would: a key and certificate from files, a remote TSA, and OCSP and the
// root's CRL fetched over HTTP (here a running segl's /dev/tsa, /dev/ocsp
// and /dev/root-crl over HTTPS).
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
		"--crl-url", srv.URL+"/dev/root-crl", "--trust", filepath.Join(pkiDir, "root-ca.pem"))
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

// TestSealWithHSMKey seals with the seal's key in SoftHSM, made and
// certified with `segl keys csr --key-label` and `segl keys certify`
// against a running development segl, which also serves the TSA, OCSP and
// the root's CRL.
// The file validates and pdfsig trusts the HSM-held seal.
func TestSealWithHSMKey(t *testing.T) {
	need(t, "pdfsig", "certutil")
	tok := testtool.SoftHSM(t)
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
	token := []string{"--pkcs11-module", tok.Module, "--pkcs11-token", tok.Label, "--pkcs11-pin-file", tok.PINFile}
	csr, chain := filepath.Join(work, "seal.csr"), filepath.Join(work, "seal.pem")
	for _, args := range [][]string{
		append([]string{"keys", "csr", "--key-label", "seal", "--csr-out", csr, "--cn", "segl HSM seal", "--org", "segl TTP",
			"--orgnr", pki.DevSealOrgNumber}, token...),
		{"keys", "certify", "--data", cfg.Data, "--role", "seal", "--csr", csr, "--out", chain},
	} {
		if msg, err := segl(t, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, msg)
		}
	}
	in, out := filepath.Join(work, "in.pdf"), filepath.Join(work, "out.pdf")
	os.WriteFile(in, testdocs.PDF("Vedtak", 20_000), 0o600)
	msg, err := segl(t, append([]string{"seal", "--in", in, "--out", out, "--key-label", "seal", "--cert", chain,
		"--tsa-url", srv.URL + "/dev/tsa", "--ocsp-url", srv.URL + "/dev/ocsp", "--crl-url", srv.URL + "/dev/root-crl",
		"--trust", filepath.Join(pkiDir, "root-ca.pem")}, token...)...)
	if err != nil || !strings.Contains(msg, "segl HSM seal") {
		t.Fatalf("seal: %v\n%s", err, msg)
	}
	msg, err = segl(t, "validate", "--trust", filepath.Join(pkiDir, "root-ca.pem"), "--data", work, out)
	if err != nil || !strings.HasPrefix(msg, out+": TOTAL_PASSED") {
		t.Fatalf("validate: %v\n%s", err, msg)
	}
	report, _ := exec.Command("pdfsig", "-nssdir", nssdb(t, cfg.Data), out).CombinedOutput()
	if text := string(report); !strings.Contains(text, "Signature is Valid.") || !strings.Contains(text, "Certificate is Trusted.") ||
		!strings.Contains(text, "segl HSM seal") {
		t.Fatalf("pdfsig:\n%s", report)
	}
	if msg, err := segl(t, append([]string{"seal", "--in", in, "--out", out, "--key-label", "nope", "--cert", chain,
		"--tsa-url", srv.URL + "/dev/tsa", "--trust", filepath.Join(pkiDir, "root-ca.pem")}, token...)...); err == nil ||
		!strings.Contains(err.Error(), `no key pair labelled "nope"`) {
		t.Fatalf("a missing key: %v\n%s", err, msg)
	}
}
