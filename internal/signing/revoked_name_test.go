package signing

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
)

// TestRevokedCertificateNotNamedByPerson: the refusal of an act whose
// signing certificate is revoked names the certificate by its serial
// number and issuer, never by its subject: a signer's own certificate
// (an advanced signature) bears the person's name, and the refusal goes
// to the log.
func TestRevokedCertificateNotNamedByPerson(t *testing.T) {
	d := setup(t).dev
	now := time.Now()
	// A leaf of the issuing CA whose subject is a person's name, as a
	// remote signing service's certificate for a signer is.
	leaf, err := d.IssueClient(pki.Org{Number: "317510748", Name: "Marte Larsen"}, now)
	if err != nil {
		t.Fatal(err)
	}
	revoked := &oneRevocation{}
	revoked.set(leaf.Cert.SerialNumber, now.Add(-time.Minute))
	ocsp, err := pki.DevOCSP{Dev: d, Revoked: revoked, Now: time.Now}.OCSP(t.Context(), leaf.Cert, d.Issuing.Cert)
	if err != nil {
		t.Fatal(err)
	}
	err = refuseRevoked([]*x509.Certificate{leaf.Cert, d.Issuing.Cert, d.Root}, [][]byte{ocsp}, nil)
	if !errs.HasCode(err, CodeCertificateRevoked) {
		t.Fatalf("refuseRevoked = %v, want %s", err, CodeCertificateRevoked)
	}
	if strings.Contains(err.Error(), "Marte Larsen") || !strings.Contains(err.Error(), leaf.Cert.SerialNumber.Text(16)) {
		t.Errorf("the refusal %q names the person, or not the certificate's serial", err)
	}
}
