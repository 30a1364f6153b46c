package pki_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/pki/pkitest"
)

// TestCRLStatusScope: a CRL whose issuing distribution point scopes it to
// the certificate's kind is complete for it (RFC 5280 §5.2.5, §6.3.3
// (b)(2)): a root's list of CA certificates (ARL) answers for a CA, a
// list of end entities for an end entity, each only for its own kind and
// distribution point. Lists by reason, indirect and attribute-only lists
// answer for none.
func TestCRLStatusScope(t *testing.T) {
	d := pkitest.Dev(t)
	now := time.Now()
	const arlURI, userURI = "http://ca.example/arl.crl", "http://ca.example/users.crl"
	ca := pkitest.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "sub CA"}, BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, CRLDistributionPoints: []string{arlURI}},
		d.Issuing.Cert, pkitest.Key(t, "p256").Public(), d.Issuing.Key)
	leaf := pkitest.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "api client"},
		KeyUsage: x509.KeyUsageDigitalSignature, CRLDistributionPoints: []string{userURI}},
		d.Issuing.Cert, pkitest.Key(t, "p256").Public(), d.Issuing.Key)
	noDP := pkitest.Signer(t, d, "p256", pkix.Name{CommonName: "no distribution point"}).Cert
	crlWith := func(idp pkix.Extension, revoked ...*x509.Certificate) []byte {
		t.Helper()
		tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour),
			ExtraExtensions: []pkix.Extension{idp}}
		for _, c := range revoked {
			tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
				x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: now.Add(-time.Minute)})
		}
		der, err := x509.CreateRevocationList(rand.Reader, tmpl, d.Issuing.Cert, d.Issuing.Key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	crl := func(idp pkitest.IDP, revoked ...*x509.Certificate) []byte {
		t.Helper()
		return crlWith(idp.Extension(t), revoked...)
	}
	// onlyContainsCACerts as a BOOLEAN that is neither DER TRUE nor FALSE
	malformed := pkix.Extension{Id: []int{2, 5, 29, 28}, Critical: true, Value: []byte{0x30, 0x03, 0x82, 0x01, 0x01}}
	for _, tc := range []struct {
		name    string
		der     []byte
		cert    *x509.Certificate
		revoked bool
		refused string
	}{
		{"ok/ca-only-list-for-a-ca", crl(pkitest.IDP{OnlyCA: true}), ca, false, ""},
		{"ok/ca-only-list-listing-the-ca", crl(pkitest.IDP{OnlyCA: true}, ca), ca, true, ""},
		{"ok/ca-only-list-of-the-ca's-distribution-point", crl(pkitest.IDP{OnlyCA: true, URIs: []string{"ldap://ca.example/arl", arlURI}}), ca, false, ""},
		{"ok/user-only-list-for-an-end-entity", crl(pkitest.IDP{OnlyUser: true}, leaf), leaf, true, ""},
		{"ok/list-of-the-end-entity's-distribution-point", crl(pkitest.IDP{URIs: []string{userURI}}), leaf, false, ""},
		{"ok/list-named-by-the-issuer-for-a-certificate-naming-no-point", crl(pkitest.IDP{DirectoryName: noDP.RawIssuer}), noDP, false, ""},
		{"fail/ca-only-list-for-an-end-entity", crl(pkitest.IDP{OnlyCA: true}), leaf, false, "no CA"},
		{"fail/user-only-list-for-a-ca", crl(pkitest.IDP{OnlyUser: true}), ca, false, "is a CA"},
		{"fail/list-of-another-distribution-point", crl(pkitest.IDP{OnlyCA: true, URIs: []string{userURI}}), ca, false, "another distribution point"},
		{"fail/list-of-a-point-for-a-certificate-naming-none", crl(pkitest.IDP{URIs: []string{userURI}}), noDP, false, "another distribution point"},
		{"fail/list-of-some-reasons", crl(pkitest.IDP{OnlyCA: true, KeyCompromise: true}), ca, false, "reason"},
		{"fail/indirect-list", crl(pkitest.IDP{Indirect: true}), leaf, false, "indirect"},
		{"fail/attribute-certificates-only", crl(pkitest.IDP{OnlyAttribute: true}), leaf, false, "attribute"},
		{"fail/malformed", crlWith(malformed), ca, false, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := pki.CRLStatus(tc.der, tc.cert, d.Issuing.Cert, now)
			wantCRLStatus(t, st, err, tc.revoked, tc.refused)
		})
	}
}

// TestCRLStatusCriticalExtensions: a CRL with a critical extension, or an
// entry with one, that CRLStatus does not process may answer for less than
// it seems to (an entry's certificateIssuer makes it another issuer's), so
// it is not used (RFC 5280 §5.2, §5.3); a non-critical one is ignored.
func TestCRLStatusCriticalExtensions(t *testing.T) {
	d := pkitest.Dev(t)
	now := time.Now()
	leaf := pkitest.Signer(t, d, "p256", pkix.Name{CommonName: "api client"}).Cert
	unknown := pkix.Extension{Id: []int{1, 3, 6, 1, 4, 1, 99999, 1}, Value: []byte{0x05, 0x00}}
	critical := unknown
	critical.Critical = true
	// certificateIssuer (§5.3.3) naming the issuing CA itself
	names, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: leaf.RawIssuer}})
	if err != nil {
		t.Fatal(err)
	}
	certIssuer := pkix.Extension{Id: []int{2, 5, 29, 29}, Critical: true, Value: names}
	crl := func(crlExt pkix.Extension, entryExt pkix.Extension) []byte {
		t.Helper()
		entry := x509.RevocationListEntry{SerialNumber: big.NewInt(7), RevocationTime: now.Add(-time.Minute),
			ExtraExtensions: []pkix.Extension{entryExt}}
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1),
			ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour),
			ExtraExtensions: []pkix.Extension{crlExt}, RevokedCertificateEntries: []x509.RevocationListEntry{entry}},
			d.Issuing.Cert, d.Issuing.Key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	for _, tc := range []struct {
		name    string
		der     []byte
		refused string
	}{
		{"ok/non-critical-extensions", crl(unknown, unknown), ""},
		{"fail/critical-crl-extension", crl(critical, unknown), "unrecognised critical extension"},
		{"fail/entry-naming-its-certificate-issuer", crl(unknown, certIssuer), "entry with an unrecognised critical extension"},
		{"fail/critical-entry-extension", crl(unknown, critical), "entry with an unrecognised critical extension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := pki.CRLStatus(tc.der, leaf, d.Issuing.Cert, now)
			wantCRLStatus(t, st, err, false, tc.refused)
		})
	}
}
