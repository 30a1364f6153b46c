package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// These tests check what the package writes with openssl, a tool we did not
// write, at the real current time (openssl has no injected clock here).

func TestOpenSSLVerifiesLeaves(t *testing.T) {
	d, _ := newDev(t, Options{BaseURL: "https://127.0.0.1:8443", Orgs: population})
	client, _ := d.ClientCertPaths(population[0].Number)
	for _, tt := range []struct {
		name, file, purpose string
	}{
		{"ok/seal", d.file("seal.pem"), "any"},
		{"ok/tsa-for-timestamping", d.file("tsa.pem"), "timestampsign"},
		{"ok/ocsp-responder", d.file("ocsp.pem"), "ocsphelper"},
		{"ok/server-for-tls-server", d.file("server.pem"), "sslserver"},
		{"ok/client-for-tls-client", client, "sslclient"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mustOpenSSL(t, ": OK", "verify", "-CAfile", d.file("root-ca.pem"), "-untrusted", d.file("issuing-ca.pem"), "-purpose", tt.purpose, tt.file)
		})
	}
	t.Run("fail/client-certificate-is-not-a-server-certificate", func(t *testing.T) {
		out, err := openssl(t, "verify", "-CAfile", d.file("root-ca.pem"), "-untrusted", d.file("issuing-ca.pem"), "-purpose", "sslserver", client)
		if err == nil {
			t.Fatalf("openssl accepted a client certificate as server:\n%s", out)
		}
	})
	t.Run("ok/tsa-eku-is-critical", func(t *testing.T) {
		out := mustOpenSSL(t, "X509v3 Extended Key Usage: critical", "x509", "-in", d.file("tsa.pem"), "-noout", "-text")
		if !strings.Contains(out, "Time Stamping") {
			t.Errorf("no Time Stamping purpose:\n%s", out)
		}
	})
	t.Run("ok/client-subject-carries-organization-identifier", func(t *testing.T) {
		mustOpenSSL(t, "organizationIdentifier = NTRNO-"+population[0].Number, "x509", "-in", client, "-noout", "-subject", "-nameopt", "oneline")
	})
	t.Run("ok/ocsp-responder-nocheck", func(t *testing.T) {
		mustOpenSSL(t, "OCSP No Check", "x509", "-in", d.file("ocsp.pem"), "-noout", "-text")
	})
}

func TestOCSPResponderWithOpenSSL(t *testing.T) {
	d, _ := newDev(t, Options{Orgs: population})
	rev, err := OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.OCSPHandler(rev, time.Now))
	defer srv.Close()
	url := srv.URL + "/dev/ocsp"
	client, _ := d.ClientCertPaths(population[0].Number)
	query := func(t *testing.T, extra ...string) string {
		t.Helper()
		args := append([]string{"ocsp", "-issuer", d.file("issuing-ca.pem"), "-cert", client, "-url", url, "-CAfile", d.file("root-ca.pem")}, extra...)
		out, err := openssl(t, args...)
		if err != nil {
			t.Fatalf("openssl ocsp: %v\n%s", err, out)
		}
		return out
	}

	t.Run("ok/good-with-nonce-echoed", func(t *testing.T) {
		out := query(t, "-resp_text")
		if !strings.Contains(out, client+": good") || !strings.Contains(out, "Response verify OK") {
			t.Fatalf("not a verified good answer:\n%s", out)
		}
		// openssl sends a nonce by default and warns when the response
		// lacks it ("no nonce in response") or carries another one.
		_, exts, _ := strings.Cut(out, "Response Extensions:")
		if strings.Contains(out, "WARNING") || !strings.Contains(exts, "OCSP Nonce") {
			t.Errorf("nonce not echoed in responseExtensions:\n%s", out)
		}
	})
	t.Run("ok/good-without-nonce", func(t *testing.T) {
		out := query(t, "-no_nonce", "-resp_text")
		if !strings.Contains(out, client+": good") || strings.Contains(out, "OCSP Nonce") {
			t.Fatalf("unexpected answer:\n%s", out)
		}
	})
	t.Run("ok/revoked-after-revoke", func(t *testing.T) {
		cert, err := LoadCertificates(client)
		if err != nil {
			t.Fatal(err)
		}
		if err := rev.Revoke(cert[0].SerialNumber, ocsp.KeyCompromise, time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		out := query(t)
		if !strings.Contains(out, client+": revoked") || !strings.Contains(out, "Reason: keyCompromise") || !strings.Contains(out, "Response verify OK") {
			t.Fatalf("not a verified revoked answer:\n%s", out)
		}
	})
	t.Run("fail/unknown-issuer-unauthorized", func(t *testing.T) {
		out, _ := openssl(t, "ocsp", "-issuer", d.file("root-ca.pem"), "-cert", d.file("issuing-ca.pem"), "-url", url, "-CAfile", d.file("root-ca.pem"))
		if !strings.Contains(out, "unauthorized") {
			t.Fatalf("want unauthorized:\n%s", out)
		}
	})
}

func TestOCSPResponderGET(t *testing.T) {
	d, _ := newDev(t, Options{Orgs: population, Now: t0})
	rev, err := OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return t0.Add(time.Hour) }
	// The responder alone, not behind a ServeMux: a request whose base64
	// holds "//" (about one in forty) would be redirected by the mux to a
	// cleaned path with a character lost, and this test is about how the
	// responder reads raw slashes.
	srv := httptest.NewServer(d.OCSPHandler(rev, clock))
	defer srv.Close()

	kp, err := d.Client(population[1].Number)
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Revoke(kp.Cert.SerialNumber, ocsp.Superseded, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name   string
		hash   crypto.Hash
		escape func(string) string
	}{
		{"ok/get-sha1-percent-encoded", crypto.SHA1, func(s string) string {
			return strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(s)
		}},
		{"ok/get-sha256-raw-slashes", crypto.SHA256, func(s string) string { return s }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ocsp.CreateRequest(kp.Cert, d.Issuing.Cert, &ocsp.RequestOptions{Hash: tt.hash})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(srv.URL + "/dev/ocsp/" + tt.escape(base64.StdEncoding.EncodeToString(req)))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); ct != "application/ocsp-response" {
				t.Errorf("content type %q", ct)
			}
			r, err := ocsp.ParseResponseForCert(body, kp.Cert, d.Issuing.Cert)
			if err != nil {
				t.Fatal(err)
			}
			// The revocation is dated after the responder's clock: at
			// that moment the certificate was still good.
			if r.Status != ocsp.Good || !r.ProducedAt.Equal(t0.Add(time.Hour)) || !r.NextUpdate.Equal(t0.Add(25*time.Hour)) {
				t.Errorf("status %d producedAt %v nextUpdate %v", r.Status, r.ProducedAt, r.NextUpdate)
			}
			if !r.Certificate.Equal(d.OCSP.Cert) {
				t.Error("responder certificate not embedded")
			}
		})
	}

	t.Run("fail/garbage-is-malformed", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/dev/ocsp", "application/ocsp-request", strings.NewReader("not der"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != string(ocsp.MalformedRequestErrorResponse) {
			t.Errorf("body %x", body)
		}
	})
	t.Run("fail/put-not-allowed", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/dev/ocsp", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestCRLWithOpenSSL(t *testing.T) {
	d, dir := newDev(t, Options{Orgs: population})
	rev, err := OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := d.Client(population[0].Number)
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Revoke(revoked.Cert.SerialNumber, ocsp.CessationOfOperation, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A revocation dated in the future is not on today's CRL.
	future := new(big.Int).Add(revoked.Cert.SerialNumber, big.NewInt(1))
	if err := rev.Revoke(future, ocsp.KeyCompromise, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(d.CRLHandler(rev, time.Now))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/pkix-crl" {
		t.Errorf("content type %q", ct)
	}
	crlFile := filepath.Join(dir, "crl.der")
	crlPEM := filepath.Join(dir, "crl.pem")
	chain := filepath.Join(dir, "chain.pem")
	must(t, os.WriteFile(crlFile, der, 0o644))
	must(t, os.WriteFile(crlPEM, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644))
	must(t, os.WriteFile(chain, encodeCertificates(d.Issuing.Cert, d.Root), 0o644))

	t.Run("ok/signature-verifies", func(t *testing.T) {
		mustOpenSSL(t, "verify OK", "crl", "-inform", "DER", "-in", crlFile, "-CAfile", chain, "-noout")
	})
	t.Run("ok/lists-revoked-serial-only", func(t *testing.T) {
		out := mustOpenSSL(t, "Next Update", "crl", "-inform", "DER", "-in", crlFile, "-noout", "-text")
		if !strings.Contains(strings.ToLower(out), strings.ToLower(revoked.Cert.SerialNumber.Text(16))) || !strings.Contains(out, "Cessation Of Operation") {
			t.Errorf("revoked serial missing:\n%s", out)
		}
		if strings.Contains(strings.ToLower(out), strings.ToLower(future.Text(16))) {
			t.Errorf("future revocation listed:\n%s", out)
		}
	})
	t.Run("fail/revoked-client-fails-crl-check", func(t *testing.T) {
		client, _ := d.ClientCertPaths(population[0].Number)
		out, err := openssl(t, "verify", "-crl_check", "-CRLfile", crlPEM, "-CAfile", d.file("root-ca.pem"), "-untrusted", d.file("issuing-ca.pem"), client)
		if err == nil || !strings.Contains(out, "certificate revoked") {
			t.Fatalf("want certificate revoked, got %v:\n%s", err, out)
		}
	})
	t.Run("ok/other-client-passes-crl-check", func(t *testing.T) {
		client, _ := d.ClientCertPaths(population[1].Number)
		mustOpenSSL(t, ": OK", "verify", "-crl_check", "-CRLfile", crlPEM, "-CAfile", d.file("root-ca.pem"), "-untrusted", d.file("issuing-ca.pem"), client)
	})
	t.Run("ok/next-update-in-seven-days", func(t *testing.T) {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		if got := crl.NextUpdate.Sub(crl.ThisUpdate); got != 7*24*time.Hour {
			t.Errorf("validity %v", got)
		}
		if err := crl.CheckSignatureFrom(d.Issuing.Cert); err != nil {
			t.Error(err)
		}
	})
}

func TestCSRWithOpenSSL(t *testing.T) {
	key, err := newKey(p256())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ok/request-verifies-with-organization-identifier", func(t *testing.T) {
		req, err := CreateCSR(key, "segl seal", "Segl AS", "317510748")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "req.pem")
		must(t, os.WriteFile(p, req, 0o644))
		out := mustOpenSSL(t, "organizationIdentifier = NTRNO-317510748", "req", "-in", p, "-verify", "-noout", "-subject", "-nameopt", "oneline")
		if !strings.Contains(out, "verify OK") || !strings.Contains(out, "C = NO") {
			t.Errorf("unexpected:\n%s", out)
		}
	})
	for _, tt := range []struct{ name, cn, org, orgnr string }{
		{"fail/bad-check-digit", "a", "b", "317510749"},
		{"fail/short-orgnr", "a", "b", "12345"},
		{"fail/no-common-name", "", "b", "317510748"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := CreateCSR(key, tt.cn, tt.org, tt.orgnr); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
