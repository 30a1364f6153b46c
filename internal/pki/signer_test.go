package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"
)

func TestIssueSigner(t *testing.T) {
	d, _ := newDev(t, Options{BaseURL: "https://segl.test"})
	now := nowish()
	kp, err := d.IssueSigner(Person{GivenName: "Åse", FamilyName: "Østby", SerialNumber: "UN:NO-9578-9999-123456789"}, now)
	if err != nil {
		t.Fatal(err)
	}
	c := kp.Cert
	if c.Subject.CommonName != "Åse Østby" || c.Subject.SerialNumber != "UN:NO-9578-9999-123456789" || c.Subject.Country[0] != "NO" {
		t.Errorf("subject %s", c.Subject)
	}
	var given, sur bool
	for _, n := range c.Subject.Names {
		given = given || n.Type.Equal(oidGivenName) && n.Value == "Åse"
		sur = sur || n.Type.Equal(oidSurname) && n.Value == "Østby"
	}
	if !given || !sur {
		t.Errorf("givenName/surname missing: %v", c.Subject.Names)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment || c.IsCA {
		t.Errorf("key usage %b, CA %v", c.KeyUsage, c.IsCA)
	}
	if err := c.CheckSignatureFrom(d.Issuing.Cert); err != nil || len(kp.Chain) != 1 || !kp.Chain[0].Equal(d.Issuing.Cert) {
		t.Fatalf("not issued by the issuing CA: %v", err)
	}
	if !sameKey(c, kp.Key) {
		t.Fatal("certificate and key differ")
	}
	if len(c.OCSPServer) != 1 || c.OCSPServer[0] != "https://segl.test/dev/ocsp" {
		t.Errorf("OCSP %v", c.OCSPServer)
	}
	var qc bool
	for _, ext := range c.Extensions {
		if ext.Id.Equal(oidQCStatements) {
			qc = bytes.Contains(ext.Value, mustMarshal(t, oidQcCompliance)) && bytes.Contains(ext.Value, mustMarshal(t, oidQcTypeESign))
		}
	}
	if !qc || len(c.Policies) != 1 || c.Policies[0].String() != "0.4.0.194112.1.2" {
		t.Errorf("QC statements %v, policies %v", qc, c.Policies)
	}
	// The development OCSP responder answers for it.
	der, err := d.OCSPFor(c, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ocsp.ParseResponseForCert(der, c, d.Issuing.Cert)
	if err != nil || resp.Status != ocsp.Good {
		t.Fatalf("OCSP: %v %v", resp, err)
	}

	for _, p := range []Person{
		{GivenName: "A", SerialNumber: "21909825250"},
		{SerialNumber: "UN:NO-1"},
		{GivenName: "A", SerialNumber: "UN:NO-" + strings.Repeat("1", 60)},
	} {
		if _, err := d.IssueSigner(p, now); err == nil || !strings.HasPrefix(err.Error(), "pki: ") {
			t.Errorf("%+v: err = %v", p, err)
		}
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
