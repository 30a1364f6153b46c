package pki

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// TestRootCRL checks the root's CRL, which gives long-term validation data
// for the issuing CA: served at the distribution point a new issuing CA
// names, fetched and checked by HTTPOCSP, made in process by DevOCSP, and
// accepted by openssl for a full CRL check of the seal's path
// (-crl_check_all wants a CRL for the issuing CA too).
func TestRootCRL(t *testing.T) {
	var d *Dev
	mux := http.NewServeMux()
	mux.Handle("GET /dev/root-crl", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.RootCRLHandler(time.Now).ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	d, dir := newDev(t, Options{BaseURL: srv.URL})
	if dp := d.Issuing.Cert.CRLDistributionPoints; len(dp) != 1 || dp[0] != srv.URL+"/dev/root-crl" {
		t.Fatalf("issuing CA CRL distribution points %v", dp)
	}
	rev, err := OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Truncate(time.Second)
	for name, src := range map[string]CRLSource{"in-process": DevOCSP{d, rev, time.Now}, "http": HTTPOCSP{}} {
		der, err := src.CRL(context.Background(), d.Issuing.Cert, d.Root)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil || crl.CheckSignatureFrom(d.Root) != nil || crl.ThisUpdate.Before(before) || len(crl.RevokedCertificateEntries) != 0 {
			t.Fatalf("%s: CRL %v, signed by the root: %v", name, err, crl.CheckSignatureFrom(d.Root))
		}
	}
	// A CRL its issuer did not sign is refused.
	if _, err := (HTTPOCSP{}).CRL(context.Background(), d.Issuing.Cert, d.Issuing.Cert); err == nil {
		t.Error("HTTPOCSP accepted a CRL not signed by the issuer it was asked about")
	}

	rootCRL, err := d.RootCRL(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	issuingCRL, err := d.CRL(rev, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	crls := filepath.Join(dir, "crls.pem")
	must(t, os.WriteFile(crls, append(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: rootCRL}),
		pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: issuingCRL})...), 0o644))
	mustOpenSSL(t, ": OK", "verify", "-crl_check_all", "-CRLfile", crls, "-CAfile", d.file("root-ca.pem"),
		"-untrusted", d.file("issuing-ca.pem"), d.file("seal.pem"))
	// Without the root's CRL openssl cannot check the issuing CA.
	issuingOnly := filepath.Join(dir, "issuing.pem")
	must(t, os.WriteFile(issuingOnly, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: issuingCRL}), 0o644))
	if out, err := openssl(t, "verify", "-crl_check_all", "-CRLfile", issuingOnly, "-CAfile", d.file("root-ca.pem"),
		"-untrusted", d.file("issuing-ca.pem"), d.file("seal.pem")); err == nil {
		t.Errorf("openssl verified the path without the root's CRL:\n%s", out)
	}
}

// TestGatherer checks what a path yields: an OCSP response for the end
// entity, the root's CRL for the issuing CA, nothing for the root or for
// the OCSP responder (id-pkix-ocsp-nocheck), each fetched once across
// paths; and an error for a path that stops below a root.
func TestGatherer(t *testing.T) {
	d, _ := newDev(t, Options{})
	rev, err := OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	g := &Gatherer{Source: DevOCSP{d, rev, time.Now}}
	ctx := context.Background()
	ocsps, crls, err := g.Path(ctx, []*x509.Certificate{d.Seal.Cert, d.Issuing.Cert, d.Root})
	if err != nil || len(ocsps) != 1 || len(crls) != 1 {
		t.Fatalf("seal path: %d OCSP, %d CRL, %v; want 1 and 1", len(ocsps), len(crls), err)
	}
	if resp, err := ocsp.ParseResponseForCert(ocsps[0], d.Seal.Cert, d.Issuing.Cert); err != nil || resp.Status != ocsp.Good {
		t.Errorf("seal OCSP: %v", err)
	}
	if crl, err := x509.ParseRevocationList(crls[0]); err != nil || crl.CheckSignatureFrom(d.Root) != nil {
		t.Errorf("issuing CA CRL not the root's: %v", err)
	}
	if _, _, err := g.Path(ctx, []*x509.Certificate{d.TSA.Cert, d.Issuing.Cert, d.Root}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.Path(ctx, []*x509.Certificate{d.OCSP.Cert, d.Issuing.Cert, d.Root}); err != nil {
		t.Fatal(err)
	}
	if len(g.OCSPs) != 2 || len(g.CRLs) != 1 {
		t.Errorf("gathered %d OCSP responses and %d CRLs, want 2 (seal, TSA) and 1 (the root's, once)", len(g.OCSPs), len(g.CRLs))
	}
	if _, _, err := g.Path(ctx, []*x509.Certificate{d.Seal.Cert, d.Issuing.Cert}); err == nil {
		t.Error("a path without the root's certificate gave no error")
	}
}
