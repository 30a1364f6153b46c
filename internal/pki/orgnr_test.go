package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
)

// certWithSubject makes a self-signed certificate with the given subject, the
// way a foreign CA might encode it.
func certWithSubject(t *testing.T, subject pkix.Name) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOrgNumber(t *testing.T) {
	orgID := func(v any) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: oidOrganizationIdentifier, Value: v}
	}
	utf8 := func(s string) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(s)}
	}
	tests := []struct {
		name    string
		subject pkix.Name
		want    string // empty: an error is expected
	}{
		{"ok/ntrno-organization-identifier", pkix.Name{CommonName: "A", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRNO-317510748")}}, "317510748"},
		{"ok/ntrno-as-utf8string", pkix.Name{CommonName: "A", ExtraNames: []pkix.AttributeTypeAndValue{orgID(utf8("NTRNO-319386416"))}}, "319386416"},
		{"ok/old-serial-number", pkix.Name{CommonName: "A", SerialNumber: "312878933"}, "312878933"},
		{"ok/both-present-and-equal", pkix.Name{CommonName: "A", SerialNumber: "317510748", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRNO-317510748")}}, "317510748"},
		{"ok/ntrno-wins-over-issuer-serial", pkix.Name{CommonName: "A", SerialNumber: "UN:NO-9578-4050-127091783", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRNO-317510748")}}, "317510748"},
		{"fail/both-present-and-different", pkix.Name{CommonName: "A", SerialNumber: "319386416", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRNO-317510748")}}, ""},
		{"fail/missing", pkix.Name{CommonName: "A", Organization: []string{"B"}}, ""},
		{"fail/malformed-ntrno-short", pkix.Name{CommonName: "A", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRNO-12345")}}, ""},
		{"fail/malformed-ntrno-letters", pkix.Name{CommonName: "A", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRNO-31751074x")}}, ""},
		{"fail/foreign-register", pkix.Name{CommonName: "A", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRSE-317510748")}}, ""},
		{"fail/vat-number-not-trade-register", pkix.Name{CommonName: "A", ExtraNames: []pkix.AttributeTypeAndValue{orgID("VATNO-317510748")}}, ""},
		{"fail/malformed-ntrno-does-not-fall-back", pkix.Name{CommonName: "A", SerialNumber: "317510748", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRNO-1")}}, ""},
		{"fail/malformed-serial-number", pkix.Name{CommonName: "A", SerialNumber: "12345"}, ""},
		{"fail/two-different-organization-identifiers", pkix.Name{CommonName: "A", ExtraNames: []pkix.AttributeTypeAndValue{orgID("NTRNO-317510748"), orgID("NTRNO-319386416")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OrgNumber(certWithSubject(t, tt.subject))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("OrgNumber = %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("OrgNumber = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("fail/nil-certificate", func(t *testing.T) {
		if _, err := OrgNumber(nil); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestValidOrgNumber(t *testing.T) {
	for _, tt := range []struct {
		orgnr string
		want  bool
	}{
		{"317510748", true},
		{"319386416", true},
		{"312878933", true},
		{DevSealOrgNumber, true},
		{"317510749", false},
		{"123456789", false},
		{"12345678", false},
		{"99000000x", false},
	} {
		if got := validOrgNumber(tt.orgnr); got != tt.want {
			t.Errorf("validOrgNumber(%q) = %v, want %v", tt.orgnr, got, tt.want)
		}
	}
}
