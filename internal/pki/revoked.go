package pki

import (
	"bytes"
	"crypto/x509"
	"time"
)

// RevokedIn reports whether the OCSP response der says that cert, issued
// by issuer, is revoked, and since when. A single response counts only if
// its CertID names both (RFC 6960 section 4.1.1): a serial number is
// unique only under its issuer. It reads the response's structure only,
// for data its source has already checked (HTTPOCSP, RevocationCache, the
// development responder): never a trust decision about data from
// elsewhere.
func RevokedIn(der []byte, cert, issuer *x509.Certificate) (time.Time, bool) {
	r, err := answerAbout(der, cert, issuer)
	if err != nil || r.Revoked.RevocationTime.IsZero() {
		return time.Time{}, false
	}
	return r.Revoked.RevocationTime, true
}

// RevokedInCRL reports whether the CRL der, issued by issuer's subject,
// lists cert, and since when. Like RevokedIn it reads structure only.
func RevokedInCRL(der []byte, cert *x509.Certificate) (time.Time, bool) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil || !bytes.Equal(crl.RawIssuer, cert.RawIssuer) {
		return time.Time{}, false
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return e.RevocationTime, true
		}
	}
	return time.Time{}, false
}
