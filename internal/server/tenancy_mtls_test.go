package server_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Mutual TLS negatives (reliability.md §5 test 15, ASVS 12.1.3 and 4.1.3):
// client certificates that must not make anybody an organisation, on both
// APIs. The organisation comes only from a chain segl verified to the
// enterprise roots, from the organisationIdentifier or serialNumber of
// its leaf, and never from a header. (Deactivated organisations, ones
// nobody onboarded, segl's own seal without the clientAuth EKU and a
// certificate an organisation did not register: TestAuthentication.)

var (
	oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}
	oidSerialNumber           = asn1.ObjectIdentifier{2, 5, 4, 5}
)

// enterpriseSubject is an enterprise certificate's subject naming org as
// the development CA names it: organizationIdentifier NTRNO-<orgnr>.
func enterpriseSubject(org string) pkix.Name {
	return pkix.Name{CommonName: "Fagsystem", Organization: []string{"Etat " + org},
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidOrganizationIdentifier, Value: "NTRNO-" + org}}}
}

// mint issues a client certificate from template by issuer (self-signed
// when issuer is nil), and returns it with the chain to present.
func mint(t *testing.T, template *x509.Certificate, issuer *x509.Certificate, issuerKey crypto.Signer, chain ...[]byte) (tls.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	template.SerialNumber = serial
	if template.NotBefore.IsZero() {
		template.NotBefore, template.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	}
	if template.KeyUsage == 0 {
		template.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if issuer == nil {
		issuer, issuerKey = template, key
	}
	der, err := x509.CreateCertificate(rand.Reader, template, issuer, key.Public(), issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: append([][]byte{der}, chain...), PrivateKey: key}, key
}

// TestClientCertificateNegatives: every certificate below is refused by
// both APIs, in the handshake or with 401/403; the valid one of the same
// making is accepted, so the refusals are the certificates' own.
func TestClientCertificateNegatives(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dev := e.srv.Dev
	issuing := dev.Issuing
	chain := issuing.Cert.Raw
	clientAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	byDev := func(c *x509.Certificate) tls.Certificate {
		cert, _ := mint(t, c, issuing.Cert, issuing.Key, chain)
		return cert
	}

	// An organisation's genuine certificate, which the forged chain below
	// uses as its CA.
	bPair, err := dev.Client(orgB)
	if err != nil {
		t.Fatal(err)
	}
	// A CA nobody trusts, named as the development issuing CA is.
	rogueCA := &x509.Certificate{Subject: issuing.Cert.Subject, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, SubjectKeyId: issuing.Cert.SubjectKeyId}
	rogueCert, rogueKey := mint(t, rogueCA, nil, nil)
	rogueParsed, err := x509.ParseCertificate(rogueCert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	subject := func(names ...pkix.AttributeTypeAndValue) pkix.Name {
		return pkix.Name{CommonName: "Fagsystem", Organization: []string{"Etat"}, ExtraNames: names}
	}

	valid := byDev(&x509.Certificate{Subject: enterpriseSubject(orgA), ExtKeyUsage: clientAuth})
	cases := []struct {
		name string
		cert tls.Certificate
	}{
		{"fail/untrusted-ca", func() tls.Certificate {
			c, _ := mint(t, &x509.Certificate{Subject: enterpriseSubject(orgA), ExtKeyUsage: clientAuth,
				AuthorityKeyId: issuing.Cert.SubjectKeyId}, rogueParsed, rogueKey, rogueCert.Certificate[0])
			return c
		}()},
		{"fail/self-signed", func() tls.Certificate {
			c, _ := mint(t, &x509.Certificate{Subject: enterpriseSubject(orgA), ExtKeyUsage: clientAuth}, nil, nil)
			return c
		}()},
		{"fail/issued-by-another-organisations-certificate", func() tls.Certificate {
			c, _ := mint(t, &x509.Certificate{Subject: enterpriseSubject(orgA), ExtKeyUsage: clientAuth},
				bPair.Cert, bPair.Key, bPair.Cert.Raw, chain)
			return c
		}()},
		{"fail/expired", byDev(&x509.Certificate{Subject: enterpriseSubject(orgA), ExtKeyUsage: clientAuth,
			NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().Add(-time.Hour)})},
		{"fail/not-yet-valid", byDev(&x509.Certificate{Subject: enterpriseSubject(orgA), ExtKeyUsage: clientAuth,
			NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)})},
		{"fail/server-auth-only", byDev(&x509.Certificate{Subject: enterpriseSubject(orgA),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})},
		{"fail/any-extended-key-usage", byDev(&x509.Certificate{Subject: enterpriseSubject(orgA),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})},
		{"fail/no-key-usage-for-signatures", byDev(&x509.Certificate{Subject: enterpriseSubject(orgA), ExtKeyUsage: clientAuth,
			KeyUsage: x509.KeyUsageKeyEncipherment})},
		{"fail/orgnr-in-common-name", byDev(&x509.Certificate{Subject: pkix.Name{CommonName: orgA, Organization: []string{"Etat"}},
			ExtKeyUsage: clientAuth})},
		{"fail/orgnr-in-organization", byDev(&x509.Certificate{Subject: pkix.Name{CommonName: "Fagsystem", Organization: []string{orgA}},
			ExtKeyUsage: clientAuth})},
		{"fail/orgnr-in-organizational-unit", byDev(&x509.Certificate{Subject: pkix.Name{CommonName: "Fagsystem",
			OrganizationalUnit: []string{orgA}}, ExtKeyUsage: clientAuth})},
		{"fail/orgnr-in-dns-name", byDev(&x509.Certificate{Subject: subject(), DNSNames: []string{orgA + ".example"},
			ExtKeyUsage: clientAuth})},
		{"fail/orgnr-in-email", byDev(&x509.Certificate{Subject: subject(), EmailAddresses: []string{orgA + "@example.no"},
			ExtKeyUsage: clientAuth})},
		{"fail/orgnr-in-issuer-only", byDev(&x509.Certificate{Subject: subject(), ExtKeyUsage: clientAuth})},
		{"fail/organization-identifier-of-another-scheme", byDev(&x509.Certificate{Subject: subject(pkix.AttributeTypeAndValue{
			Type: oidOrganizationIdentifier, Value: "VATNO-" + orgA}), ExtKeyUsage: clientAuth})},
		{"fail/organization-identifier-in-lower-case", byDev(&x509.Certificate{Subject: subject(pkix.AttributeTypeAndValue{
			Type: oidOrganizationIdentifier, Value: "ntrno-" + orgA}), ExtKeyUsage: clientAuth})},
		{"fail/two-organization-identifiers", byDev(&x509.Certificate{Subject: subject(
			pkix.AttributeTypeAndValue{Type: oidOrganizationIdentifier, Value: "NTRNO-" + orgA},
			pkix.AttributeTypeAndValue{Type: oidOrganizationIdentifier, Value: "NTRNO-" + orgB}), ExtKeyUsage: clientAuth})},
		{"fail/organization-identifier-and-serial-number-disagree", byDev(&x509.Certificate{Subject: subject(
			pkix.AttributeTypeAndValue{Type: oidOrganizationIdentifier, Value: "NTRNO-" + orgA},
			pkix.AttributeTypeAndValue{Type: oidSerialNumber, Value: orgB}), ExtKeyUsage: clientAuth})},
		{"fail/orgnr-with-a-wrong-check-digit", byDev(&x509.Certificate{Subject: enterpriseSubject(orgA[:8] + "0"),
			ExtKeyUsage: clientAuth})},
	}
	roots := x509.NewCertPool()
	roots.AddCert(dev.Root)
	call := func(cert *tls.Certificate, path string, header http.Header) (int, string, error) {
		tc := &tls.Config{RootCAs: roots}
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		defer c.CloseIdleConnections()
		req, err := http.NewRequest("GET", e.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body), nil
	}
	paths := []string{"/api/v1/jobs", "/api/" + orgA}
	for _, p := range paths {
		if status, body, err := call(&valid, p, nil); err != nil || status >= 400 && status != http.StatusTooManyRequests {
			t.Fatalf("ok/valid %s: %d %v\n%s", p, status, err, body)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range paths {
				status, body, err := call(&tc.cert, p, nil)
				if err == nil && status != http.StatusUnauthorized && status != http.StatusForbidden {
					t.Errorf("%s: %d, want a refused handshake, 401 or 403\n%s", p, status, body)
				}
			}
		})
	}

	// Headers a proxy in front would set for a client certificate it
	// checked: a client sets them itself, with A's certificate, and is
	// still nobody (no certificate) or B (B's).
	aPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: valid.Certificate[0]}))
	spoof := http.Header{}
	for _, h := range []string{"X-Forwarded-Client-Cert", "X-SSL-Client-Cert", "X-Client-Cert", "SSL-Client-Cert", "X-ARR-ClientCert",
		"X-Client-Certificate", "Client-Cert"} {
		spoof.Set(h, url.QueryEscape(aPEM))
	}
	spoof.Set("X-SSL-Client-Verify", "SUCCESS")
	spoof.Set("X-SSL-Client-S-DN", "CN=Fagsystem,2.5.4.97=NTRNO-"+orgA)
	spoof.Set("X-Forwarded-For", "127.0.0.1")
	spoof.Set("X-Organisation", orgA)
	for _, p := range paths {
		if status, body, err := call(nil, p, spoof); err == nil && status != http.StatusUnauthorized {
			t.Errorf("no certificate, spoofed headers, %s: %d\n%s", p, status, body)
		}
	}
	jA := e.mustCreate(e.client(orgA), directRequest())
	b := bPair
	bCert := tls.Certificate{Certificate: [][]byte{b.Cert.Raw, chain}, PrivateKey: b.Key}
	for _, p := range []string{"/api/v1/jobs/" + jA.ID, "/api/" + orgA + "/direct/signature-jobs/" + jA.ID + "/pades"} {
		status, body, err := call(&bCert, p, spoof)
		if err != nil || status != http.StatusNotFound && status != http.StatusForbidden || strings.Contains(body, jA.Title) {
			t.Errorf("B's certificate, headers naming A, %s: %d %v\n%s", p, status, err, body)
		}
	}
}
