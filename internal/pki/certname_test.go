package pki

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// failingSource answers every revocation request with an error.
type failingSource struct{}

func (failingSource) OCSP(context.Context, *x509.Certificate, *x509.Certificate) ([]byte, error) {
	return nil, errors.New("responder unreachable")
}

func (failingSource) CRL(context.Context, *x509.Certificate, *x509.Certificate) ([]byte, error) {
	return nil, errors.New("distribution point unreachable")
}

// TestErrorsNameCertificatesBySerial: the errors of gathering and fetching
// revocation data name a certificate by serial number and issuer, never by
// its subject, which for a signer's own certificate (an advanced
// signature) is the person's name; the errors reach the log.
func TestErrorsNameCertificatesBySerial(t *testing.T) {
	d, _ := newDev(t, Options{BaseURL: "https://segl.test"})
	const name = "Marte Larsen"
	kp, err := d.IssueSigner(Person{GivenName: "Marte", FamilyName: "Larsen", SerialNumber: "UN:NO-9578-9999-123456789"}, nowish())
	if err != nil {
		t.Fatal(err)
	}
	leaf, issuer := kp.Cert, d.Issuing.Cert
	noResponder := *leaf
	noResponder.OCSPServer, noResponder.CRLDistributionPoints = nil, nil
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("not ocsp")) }))
	defer garbage.Close()
	_, _, gathered := (&Gatherer{Source: failingSource{}}).Path(t.Context(), []*x509.Certificate{leaf, issuer, d.Root})
	_, _, orphan := (&Gatherer{Source: failingSource{}}).Path(t.Context(), []*x509.Certificate{leaf})
	_, nowhereOCSP := HTTPOCSP{}.OCSP(t.Context(), &noResponder, issuer)
	_, nowhereCRL := HTTPOCSP{}.CRL(t.Context(), &noResponder, issuer)
	_, bad := HTTPOCSP{Responder: garbage.URL, Client: garbage.Client()}.OCSP(t.Context(), leaf, issuer)
	for what, err := range map[string]error{"gathering": gathered, "no issuer": orphan,
		"no OCSP responder": nowhereOCSP, "no CRL": nowhereCRL, "a bad OCSP answer": bad} {
		if err == nil {
			t.Errorf("%s: no error", what)
			continue
		}
		if strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), leaf.SerialNumber.Text(16)) {
			t.Errorf("%s: %q names the person, or not the certificate's serial", what, err)
		}
	}
}
