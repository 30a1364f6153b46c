package pki_test

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/pki/pkitest"
)

// TestOCSPStatus: an answer counts only when its issuer's own key or its
// delegated responder signed it, its CertID names the issuer as well as
// the serial, its status is known and it is current.
func TestOCSPStatus(t *testing.T) {
	d := pkitest.Dev(t)
	leaf := pkitest.Signer(t, d, "p256", pkix.Name{CommonName: "api client"}).Cert
	now := time.Now()
	// Another CA, whose certificate with the same serial a response about
	// must not answer for leaf.
	otherKey := pkitest.Key(t, "p256")
	other := pkitest.SelfSigned(t, otherKey, pkix.Name{CommonName: "another CA"})
	respond := func(issuerForID *x509.Certificate, responder pki.KeyPair, status int, thisUpdate, nextUpdate time.Time) []byte {
		t.Helper()
		tmpl := ocsp.Response{Status: status, SerialNumber: leaf.SerialNumber, ThisUpdate: thisUpdate, NextUpdate: nextUpdate,
			IssuerHash: crypto.SHA256}
		if status == ocsp.Revoked {
			tmpl.RevokedAt = now.Add(-time.Hour).Truncate(time.Second)
		}
		if responder.Cert != d.Issuing.Cert {
			tmpl.Certificate = responder.Cert
		}
		der, err := ocsp.CreateResponse(issuerForID, responder.Cert, tmpl, responder.Key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	hourAgo, inHour := now.Add(-time.Hour), now.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		der     []byte
		revoked bool
		refused string
	}{
		{"good from the delegated responder", respond(d.Issuing.Cert, d.OCSP, ocsp.Good, hourAgo, inHour), false, ""},
		{"good from the issuer itself", respond(d.Issuing.Cert, d.Issuing, ocsp.Good, hourAgo, inHour), false, ""},
		{"revoked", respond(d.Issuing.Cert, d.OCSP, ocsp.Revoked, hourAgo, inHour), true, ""},
		{"unknown", respond(d.Issuing.Cert, d.OCSP, ocsp.Unknown, hourAgo, inHour), false, "unknown"},
		{"past its next update", respond(d.Issuing.Cert, d.OCSP, ocsp.Good, now.Add(-2*time.Hour), hourAgo), false, "stale"},
		{"from the future", respond(d.Issuing.Cert, d.OCSP, ocsp.Good, inHour, now.Add(2*time.Hour)), false, "future"},
		{"signed by a certificate of the CA that is no responder", respond(d.Issuing.Cert, d.Seal, ocsp.Good, hourAgo, inHour), false, "not an OCSP responder"},
		{"the same serial of another issuer", respond(other, d.Issuing, ocsp.Good, hourAgo, inHour), false, "no answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := pki.OCSPStatus(tc.der, leaf, d.Issuing.Cert, now)
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("OCSPStatus = %+v, %v; want an error saying %q", st, err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.RevokedAt.IsZero() == tc.revoked || !st.NextUpdate.Equal(inHour.Truncate(time.Second)) {
				t.Fatalf("OCSPStatus = %+v, want revoked %v, next update %v", st, tc.revoked, inHour)
			}
		})
	}
}

// TestCRLStatus: a CRL counts only when the certificate's issuer signed
// it, it is current, and it is complete (no delta, no partition).
func TestCRLStatus(t *testing.T) {
	d := pkitest.Dev(t)
	leaf := pkitest.Signer(t, d, "p256", pkix.Name{CommonName: "api client"}).Cert
	now := time.Now()
	crl := func(signer pki.KeyPair, revoked bool, thisUpdate, nextUpdate time.Time, exts ...pkix.Extension) []byte {
		t.Helper()
		tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: thisUpdate, NextUpdate: nextUpdate, ExtraExtensions: exts}
		if revoked {
			tmpl.RevokedCertificateEntries = []x509.RevocationListEntry{{SerialNumber: leaf.SerialNumber, RevocationTime: now.Add(-time.Hour)}}
		}
		der, err := x509.CreateRevocationList(rand.Reader, tmpl, signer.Cert, signer.Key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	hourAgo, inHour := now.Add(-time.Hour), now.Add(time.Hour)
	delta := pkix.Extension{Id: []int{2, 5, 29, 27}, Critical: true, Value: []byte{2, 1, 1}}
	for _, tc := range []struct {
		name    string
		der     []byte
		revoked bool
		refused string
	}{
		{"not listed", crl(d.Issuing, false, hourAgo, inHour), false, ""},
		{"listed", crl(d.Issuing, true, hourAgo, inHour), true, ""},
		{"past its next update", crl(d.Issuing, false, now.Add(-2*time.Hour), hourAgo), false, "stale"},
		{"a delta CRL", crl(d.Issuing, false, hourAgo, inHour, delta), false, "delta"},
		{"of another issuer", crl(pki.KeyPair{Cert: d.Issuing.Cert, Key: d.Seal.Key}, false, hourAgo, inHour), false, "verification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := pki.CRLStatus(tc.der, leaf, d.Issuing.Cert, now)
			wantCRLStatus(t, st, err, tc.revoked, tc.refused)
		})
	}
}

// wantCRLStatus fails t unless CRLStatus refused with an error saying
// refused, or (refused empty) accepted with the certificate revoked or not.
func wantCRLStatus(t *testing.T, st pki.CertStatus, err error, revoked bool, refused string) {
	t.Helper()
	if refused != "" {
		if err == nil || !strings.Contains(err.Error(), refused) {
			t.Fatalf("CRLStatus = %+v, %v; want an error saying %q", st, err, refused)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if st.RevokedAt.IsZero() == revoked {
		t.Fatalf("CRLStatus = %+v, want revoked %v", st, revoked)
	}
}
