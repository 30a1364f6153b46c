package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/hsm"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/server"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
)

// hsmKeys creates the seal (EC P-256), the time-stamping unit (RSA 3072)
// and the OCSP responder (EC P-256) keys in a fresh SoftHSM token, has the
// development issuing CA of data certify their requests, as `segl keys csr
// --key-label` and `segl keys certify` do, and returns the configuration
// that points segl at them. Nothing of the keys is written to disk.
func hsmKeys(t *testing.T, data string) func(*config.Config) {
	t.Helper()
	st := testtool.SoftHSM(t)
	token := hsm.Config{Module: st.Module, Token: st.Label, PINFile: st.PINFile}
	tok, err := hsm.Open(token)
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	dev, err := pki.LoadOrCreateDev(data, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	chains := map[string]string{}
	for _, k := range []struct {
		role, cn string
		typ      hsm.KeyType
	}{
		{pki.RoleSeal, "segl HSM seal", hsm.ECP256},
		{pki.RoleTSA, "segl HSM time-stamping unit", hsm.RSA3072},
		{pki.RoleOCSP, "segl HSM OCSP responder", hsm.ECP256},
	} {
		key, err := tok.Generate(k.role, k.typ)
		if err != nil {
			t.Fatal(err)
		}
		req, err := pki.CreateCSR(key, k.cn, "segl TTP (development)", pki.DevSealOrgNumber)
		if err != nil {
			t.Fatal(err)
		}
		chain, err := dev.CertifyRequest(k.role, req, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		chains[k.role] = filepath.Join(t.TempDir(), k.role+".pem")
		os.WriteFile(chains[k.role], chain, 0o644)
	}
	return func(c *config.Config) {
		c.PKCS11Module, c.PKCS11Token, c.PKCS11PINFile = token.Module, token.Token, token.PINFile
		c.SealKeyLabel, c.SealCert = pki.RoleSeal, chains[pki.RoleSeal]
		c.TSAKeyLabel, c.TSACert = pki.RoleTSA, chains[pki.RoleTSA]
		c.OCSPKeyLabel, c.OCSPCert = pki.RoleOCSP, chains[pki.RoleOCSP]
	}
}

// TestHSMCeremony runs a signing ceremony with the seal and the
// time-stamping unit in SoftHSM, outside --dev as an operator configures it
// (development mode refuses a seal), next to a development server whose own
// time-stamping unit and OCSP responder sign in the same token: the signed
// PDF passes segl's validator and pdfsig with the HSM seal as signer and the
// HSM TSA in its time-stamps; a time-stamp from the development server's
// TSA passes openssl ts -verify; an OCSP response from its responder passes
// openssl ocsp.
func TestHSMCeremony(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	keys := hsmKeys(t, data)
	dev := newEnv(t, func(c *config.Config) { c.Data = data }, keys, devCAKeysOnly)
	e := newEnvB(t, keys, productionOn(data, dev.srv.URL))
	ctx := context.Background()
	c := e.onboardedClient(t, filepath.Join(data, "pki"))
	root := filepath.Join(data, "pki", "root-ca.pem")
	req := directRequest()
	req.Signers = req.Signers[:1]
	j := e.mustCreate(c, req)
	if _, err := e.srv.Svc.Sign(ctx, j.Signers[0].ID, ola); err != nil {
		t.Fatal(err)
	}
	e.completed(c, j.ID)
	signed, rep := signedPasses(t, c, j.ID, j.Documents[0].ID, dev.srv.Dev.Roots(), 0)
	sig := rep.Signatures[0]
	if sig.Signer == nil || !strings.Contains(sig.Signer.Subject, "segl HSM seal") {
		t.Fatalf("signed by %+v, want the HSM seal", sig.Signer)
	}
	if len(sig.TimeStamps) == 0 || !strings.Contains(sig.TimeStamps[0].TSA.Subject, "segl HSM time-stamping unit") {
		t.Fatalf("signature time-stamps %+v, want the HSM TSA's", sig.TimeStamps)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "signed.pdf")
	os.WriteFile(file, signed, 0o600)
	out, _ := exec.Command("pdfsig", "-nssdir", nssdb(t, data), file).CombinedOutput()
	if !strings.Contains(string(out), "Signature is Valid.") || !strings.Contains(string(out), "Certificate is Trusted.") ||
		!strings.Contains(string(out), "segl HSM seal") {
		t.Fatalf("pdfsig:\n%s", out)
	}
	opensslVerifyCAdES(t, signed, root, 1)

	// A time-stamp from the development server's TSA, checked by openssl.
	data1 := []byte("segl HSM time-stamp")
	sum := sha256.Sum256(data1)
	tsc := &tsp.Client{URL: dev.srv.URL + "/dev/tsa", Roots: dev.srv.Dev.Roots(), HTTP: dev.anonymous().HTTP}
	token, err := tsc.Stamp(ctx, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dir+"/data", data1, 0o600)
	os.WriteFile(dir+"/token.der", token, 0o600)
	out, err = exec.Command("openssl", "ts", "-verify", "-data", dir+"/data", "-in", dir+"/token.der", "-token_in",
		"-CAfile", root, "-untrusted", dev.cfg.TSACert).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}

	// An OCSP response about the seal, signed in the token.
	seal, _ := pki.LoadCertificates(e.cfg.SealCert)
	ocspReq, err := ocsp.CreateRequest(seal[0], seal[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := dev.anonymous().HTTP.Post(dev.srv.URL+"/dev/ocsp", "application/ocsp-request", bytes.NewReader(ocspReq))
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OCSP: %s", resp.Status)
	}
	os.WriteFile(dir+"/ocsp.der", der, 0o600)
	os.WriteFile(dir+"/seal.pem", pem1(seal[0]), 0o600)
	os.WriteFile(dir+"/issuing.pem", pem1(seal[1]), 0o600)
	out, err = exec.Command("openssl", "ocsp", "-respin", dir+"/ocsp.der", "-issuer", dir+"/issuing.pem", "-cert", dir+"/seal.pem",
		"-CAfile", root, "-resp_text").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Response verify OK") || !strings.Contains(string(out), "segl HSM OCSP responder") ||
		!strings.Contains(string(out), "seal.pem: good") {
		t.Fatalf("openssl ocsp: %v\n%s", err, out)
	}
}

// devCAKeysOnly keeps, of the HSM settings, what development mode takes:
// the development CA's own time-stamping unit and OCSP responder. The seal
// is a production identity that --dev refuses.
func devCAKeysOnly(c *config.Config) { c.SealKeyLabel, c.SealCert = "", "" }

// productionOn configures segl outside --dev on the development PKI in
// data, as TestProductionSeal does: TLS and client trust from its files,
// its root as trust anchor, and revocation data from the development
// server at devURL. segl answers OCSP only in --dev, so no OCSP key.
func productionOn(data, devURL string) func(*config.Config) {
	p := filepath.Join(data, "pki")
	return func(c *config.Config) {
		c.Dev = false
		c.TLSCert, c.TLSKey, c.ClientCAs = filepath.Join(p, "server.pem"), filepath.Join(p, "server.key"), filepath.Join(p, "root-ca.pem")
		c.PKITrust, c.OCSPURL, c.CRLURL = filepath.Join(p, "root-ca.pem"), devURL+"/dev/ocsp", devURL+"/dev/root-crl"
		c.OCSPKeyLabel, c.OCSPCert = "", ""
	}
}

// TestHSMStartupErrors: a wrong PIN, a token or key that is not there, and
// a certificate for another key each stop segl at start-up with an error
// that names the problem; so does, in --dev, a seal, or a time-stamping
// key certified by another CA than the development one.
func TestHSMStartupErrors(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	good := hsmKeys(t, data)
	var ref config.Config
	good(&ref)
	wrongPIN := filepath.Join(t.TempDir(), "pin")
	os.WriteFile(wrongPIN, []byte("0000\n"), 0o600)
	other := testtool.SoftHSM(t) // not opened by this process yet, so the PIN is really tried
	production := productionOn(data, "https://127.0.0.1:1")
	for _, c := range []struct {
		name   string
		dev    bool
		mutate func(*config.Config)
		code   string
		text   string
	}{
		{"fail/wrong-pin", false, func(c *config.Config) { c.PKCS11Token, c.PKCS11PINFile = other.Label, wrongPIN }, hsm.CodePINRejected, "refused the PIN"},
		{"fail/no-such-token", false, func(c *config.Config) { c.PKCS11Token = "no-such-token" }, hsm.CodeNoToken, `no token labelled "no-such-token"`},
		{"fail/no-such-key", false, func(c *config.Config) { c.SealKeyLabel = "no-such-key" }, hsm.CodeNoKey, `no key pair labelled "no-such-key"`},
		{"fail/certificate-of-another-key", false, func(c *config.Config) { c.SealCert = ref.TSACert }, "", "does not certify the configured key"},
		{"fail/seal-in-dev", true, func(c *config.Config) {}, "", "--dev refuses seal-key-label"},
		{"fail/dev-tsa-of-another-ca", true, func(c *config.Config) {
			devCAKeysOnly(c)
			c.Data = t.TempDir() // a fresh development CA, which certified none of the keys
		}, "", "--dev refuses tsa-cert"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Addr, cfg.Data, cfg.RelaxedSync = "127.0.0.1:0", data, true
			cfg.LinkKeyFile = filepath.Join(data, "secrets", "link.key")
			good(&cfg)
			if cfg.Dev = c.dev; !c.dev {
				production(&cfg)
			}
			c.mutate(&cfg)
			s, err := server.Start(context.Background(), cfg, server.Options{})
			if err == nil {
				s.Close(context.Background())
				t.Fatal("started")
			}
			var e *errs.Error
			if c.code != "" && (!errors.As(err, &e) || e.Code != c.code) {
				t.Fatalf("got %v, want code %s", err, c.code)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %q", err, c.text)
			}
		})
	}
}

func pem1(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
