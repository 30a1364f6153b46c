package pki

import (
	"context"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// TestOCSPSources checks that the in-process answer and the HTTP fetch
// through the served responder agree, and see a revocation.
func TestOCSPSources(t *testing.T) {
	dev, err := LoadOrCreateDev(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := OpenRevocations(dev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now
	srv := httptest.NewServer(dev.OCSPHandler(rev, now))
	defer srv.Close()
	seal := *dev.Seal.Cert
	seal.OCSPServer = []string{srv.URL}

	for name, src := range map[string]OCSPSource{"in-process": DevOCSP{dev, rev, now}, "http": HTTPOCSP{}} {
		der, err := src.OCSP(context.Background(), &seal, dev.Issuing.Cert)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resp, err := ocsp.ParseResponseForCert(der, dev.Seal.Cert, dev.Issuing.Cert)
		if err != nil || resp.Status != ocsp.Good {
			t.Fatalf("%s: %v, status %d", name, err, resp.Status)
		}
	}
	if err := rev.Revoke(new(big.Int).Set(dev.Seal.Cert.SerialNumber), ocsp.KeyCompromise, time.Now()); err != nil {
		t.Fatal(err)
	}
	der, err := DevOCSP{dev, rev, now}.OCSP(context.Background(), dev.Seal.Cert, dev.Issuing.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := ocsp.ParseResponseForCert(der, dev.Seal.Cert, dev.Issuing.Cert); resp.Status != ocsp.Revoked {
		t.Fatalf("status %d after revocation", resp.Status)
	}
}
