package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testtool"
)

func TestMain(m *testing.M) { os.Exit(testtool.SoftHSMMain(m)) }

// TestKeysCSRInToken: `segl keys csr --key-label` makes an RSA 3072 key in
// the HSM token and a request openssl verifies; the label cannot be taken
// twice; --existing writes a request for the same key again; and `segl keys
// certify` turns the request into a chain openssl verifies to the
// development root.
func TestKeysCSRInToken(t *testing.T) {
	tok := testtool.SoftHSM(t)
	dir := t.TempDir()
	keys := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(append([]string{"keys"}, args...), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	csr := func(out string, extra ...string) (string, error) {
		return keys(append([]string{"csr", "--key-label", "seal", "--key-type", "rsa-3072",
			"--pkcs11-module", tok.Module, "--pkcs11-token", tok.Label, "--pkcs11-pin-file", tok.PINFile,
			"--csr-out", filepath.Join(dir, out), "--cn", "segl HSM seal", "--org", "segl TTP", "--orgnr", pki.DevSealOrgNumber}, extra...)...)
	}
	if out, err := csr("seal.csr"); err != nil || !strings.Contains(out, "RSA 3072") {
		t.Fatalf("keys csr: %v\n%s", err, out)
	}
	text := opensslOut(t, "req", "-in", filepath.Join(dir, "seal.csr"), "-verify", "-noout", "-text")
	if !strings.Contains(text, "verify OK") || !strings.Contains(text, "3072 bit") || !strings.Contains(text, "NTRNO-"+pki.DevSealOrgNumber) {
		t.Fatalf("openssl req:\n%s", text)
	}
	if out, err := csr("again.csr"); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("a second key under the label: %v\n%s", err, out)
	}
	if out, err := csr("renew.csr", "--existing"); err != nil {
		t.Fatalf("keys csr --existing: %v\n%s", err, out)
	}
	if !bytes.Equal(publicKeyOf(t, filepath.Join(dir, "seal.csr")), publicKeyOf(t, filepath.Join(dir, "renew.csr"))) {
		t.Fatal("--existing made a request for another key")
	}

	data := t.TempDir()
	chain := filepath.Join(dir, "seal.pem")
	if out, err := keys("certify", "--data", data, "--role", "seal", "--csr", filepath.Join(dir, "seal.csr"), "--out", chain); err != nil {
		t.Fatalf("keys certify: %v\n%s", err, out)
	}
	if out := opensslOut(t, "verify", "-CAfile", filepath.Join(data, "pki", "root-ca.pem"), "-untrusted", chain, chain); !strings.Contains(out, "OK") {
		t.Fatalf("openssl verify:\n%s", out)
	}
	if _, err := keys("certify", "--data", data, "--role", "seal", "--csr", filepath.Join(dir, "seal.csr"), "--out", chain); err == nil {
		t.Fatal("certify overwrote an existing chain")
	}
}

func opensslOut(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		testtool.Missing(t, "openssl not installed")
	}
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func publicKeyOf(t *testing.T, csrFile string) []byte {
	t.Helper()
	raw, _ := os.ReadFile(csrFile)
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("no PEM in %s", csrFile)
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return req.RawSubjectPublicKeyInfo
}

// TestKeysShowDefaultData: "segl keys show" finds the PKI of segl-data in the
// working directory without --data, as "segl audit verify" finds its log,
// so the README's tour runs them side by side unchanged.
func TestKeysShowDefaultData(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("SEGL_DATA", "")
	var out, errOut strings.Builder
	if err := runKeys([]string{"init"}, &out, &errOut); err != nil {
		t.Fatalf("keys init: %v\n%s", err, errOut.String())
	}
	out.Reset()
	if err := runKeys([]string{"show"}, &out, &errOut); err != nil {
		t.Fatalf("keys show: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "root-ca.pem") {
		t.Errorf("keys show printed no root certificate:\n%s", out.String())
	}
}
