package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// CreateCSR makes a PKCS#10 certificate request (RFC 2986) for a production
// key, such as segl's seal, to send to a qualified CA. The subject is what
// Norwegian enterprise certificates carry: C=NO, O, CN and
// organizationIdentifier "NTRNO-<orgnr>" (ETSI EN 319 412-1 section 5.1.4).
// The CA decides key usages and policies, so the request asks for none. The
// organisation number must pass the mod-11 check, because a typing error here
// would otherwise surface only when the CA refuses the request, or worse,
// accepts it.
func CreateCSR(key crypto.Signer, commonName, organisation, orgnr string) ([]byte, error) {
	if key == nil {
		return nil, errors.New("pki: csr: no key")
	}
	if commonName == "" || organisation == "" {
		return nil, errors.New("pki: csr: common name and organisation name are required")
	}
	if !validOrgNumber(orgnr) {
		return nil, fmt.Errorf("pki: csr: %q is not a valid organisation number", orgnr)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: orgName(commonName, organisation, orgnr),
	}, key)
	if err != nil {
		return nil, fmt.Errorf("pki: csr: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}
