package pki

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// Roles whose certificates CertifyRequest issues: the keys an operator may
// keep in an HSM.
const (
	RoleSeal = "seal" // the TTP seal
	RoleTSA  = "tsa"  // the time-stamping unit
	RoleOCSP = "ocsp" // the delegated OCSP responder
)

// CertifyRequest issues, with the development issuing CA, a certificate for
// the key of a PKCS#10 request (RFC 2986) in one of the roles above, and
// returns it followed by the issuing CA as PEM, the chain segl's seal-cert,
// tsa-cert and ocsp-cert settings take. It stands in for the qualified CA
// a production key's request goes to, so a key created in an HSM can be
// tried end to end in development.
//
// The request's signature is checked (proof of possession, RFC 2986 section
// 3) and its subject is kept as it is; key usages and extended key usages
// are the role's, as a CA decides them and not the requester: the seal
// gets digitalSignature and contentCommitment, the time-stamping unit the
// critical timeStamping EKU (RFC 3161 section 2.3), the responder
// OCSPSigning and ocsp-nocheck (RFC 6960 section 4.2.2.2).
func (d *Dev) CertifyRequest(role string, requestPEM []byte, now time.Time) ([]byte, error) {
	block, _ := pem.Decode(requestPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("pki: certify: no PEM CERTIFICATE REQUEST")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: certify: %w", err)
	}
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("pki: certify: request signature: %w", err)
	}
	if len(req.Subject.Names) == 0 {
		return nil, errors.New("pki: certify: the request has an empty subject")
	}
	var spec leafSpec
	switch role {
	case RoleSeal:
		spec = d.sealSpec()
	case RoleTSA:
		spec = d.tsaSpec()
	case RoleOCSP:
		spec = d.ocspSpec()
	default:
		return nil, fmt.Errorf("pki: certify: role %q is not %s, %s or %s", role, RoleSeal, RoleTSA, RoleOCSP)
	}
	spec.subject, spec.rawSubject = req.Subject, req.RawSubject
	if now.IsZero() {
		now = time.Now()
	}
	c, err := d.issueLeaf(spec, req.PublicKey, now)
	if err != nil {
		return nil, err
	}
	return encodeCertificates(c, d.Issuing.Cert), nil
}
