package validate

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/pki"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// Evidence is the validation material found in a file: certificates, OCSP
// responses and CRLs (DER), from the CMS, the DSS or XAdES values.
type Evidence struct {
	Certs []*x509.Certificate
	OCSPs [][]byte
	CRLs  [][]byte
}

// revocationGrace tolerates revocation data produced slightly before the
// time it must speak for: OCSP producedAt has one-second precision and is
// fetched right after the signature it covers.
const revocationGrace = 5 * time.Minute

// pathCheck is one certificate path validation.
type pathCheck struct {
	leaf     *x509.Certificate
	roots    *x509.CertPool
	evidence Evidence
	// at is the time the path must be valid: the proof of existence of the
	// signature (a time-stamp) or the validation time.
	at time.Time
	// usage is the extended key usage required of the leaf, if any.
	usage []x509.ExtKeyUsage
	// requireRevocation makes missing revocation data INDETERMINATE rather
	// than a warning (signer certificates; TSA certificates only warn).
	requireRevocation bool
}

// validatePath builds a chain to the trust anchors valid at c.at and checks
// the revocation status of every certificate on it (EN 319 102-1 §5.2.6
// and §5.2.5, with the proof-of-existence shortcut of §5.6.2.1: a time-stamp
// moves "at" back to when the signature provably existed).
func validatePath(c pathCheck) ([]*x509.Certificate, Result, []string) {
	inter := x509.NewCertPool()
	for _, cert := range c.evidence.Certs {
		inter.AddCert(cert)
	}
	usage := c.usage
	if len(usage) == 0 {
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	}
	chains, err := c.leaf.Verify(x509.VerifyOptions{Roots: c.roots, Intermediates: inter, CurrentTime: c.at, KeyUsages: usage})
	if err != nil {
		var invalid x509.CertificateInvalidError
		if asInvalid(err, &invalid) && invalid.Reason == x509.Expired {
			return nil, indeterminate(OutOfBoundsNoPOE, "certificate %q is not valid at %s and no proof of existence covers an earlier time",
				invalid.Cert.Subject.CommonName, c.at.Format(time.RFC3339)), nil
		}
		return nil, indeterminate(NoCertificateChainFound, "no chain to a trust anchor: %v", err), nil
	}
	chain := chains[0]
	var warnings []string
	for i := 0; i+1 < len(chain); i++ {
		cert, issuer := chain[i], chain[i+1]
		if noCheck(cert) {
			continue // OCSP responders with id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1)
		}
		res, found := revocationStatus(cert, issuer, c.evidence, c.at)
		switch {
		case !found && c.requireRevocation && i == 0:
			// Intermediate CAs only warn: files from other signers may
			// leave a CA's status to be fetched online. segl's own files
			// carry it (the root's CRL for the issuing CA, pki.Gatherer).
			return chain, indeterminate(TryLater, "no revocation data for %q issued after %s",
				cert.Subject.CommonName, c.at.Format(time.RFC3339)), warnings
		case !found:
			warnings = append(warnings, sprintf("no revocation data for %q", cert.Subject.CommonName))
		case !res.Passed():
			return chain, res, warnings
		}
	}
	return chain, passed(), warnings
}

func asInvalid(err error, target *x509.CertificateInvalidError) bool {
	e, ok := err.(x509.CertificateInvalidError)
	if ok {
		*target = e
	}
	return ok
}

var oidOCSPNoCheck = []int{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}

func noCheck(cert *x509.Certificate) bool {
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidOCSPNoCheck) {
			return true
		}
	}
	return false
}

// revocationStatus looks for an OCSP response, then a CRL, signed for
// cert's issuer and produced no earlier than at (less a grace): revocation
// data older than the time it must speak for says nothing about it.
func revocationStatus(cert, issuer *x509.Certificate, ev Evidence, at time.Time) (Result, bool) {
	for _, der := range ev.OCSPs {
		resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
		if err != nil || pki.CheckOCSPResponder(resp, issuer) != nil || resp.ProducedAt.Before(at.Add(-revocationGrace)) {
			continue
		}
		switch resp.Status {
		case ocsp.Good:
			return passed(), true
		case ocsp.Revoked:
			if resp.RevokedAt.After(at) {
				return passed(), true // revoked after the signature provably existed
			}
			return failed(Revoked, "certificate %q revoked at %s", cert.Subject.CommonName, resp.RevokedAt.Format(time.RFC3339)), true
		}
	}
	for _, der := range ev.CRLs {
		crl, err := x509.ParseRevocationList(der)
		if err != nil || crl.CheckSignatureFrom(issuer) != nil || !bytes.Equal(crl.RawIssuer, cert.RawIssuer) ||
			crl.ThisUpdate.Before(at.Add(-revocationGrace)) {
			continue
		}
		for _, entry := range crl.RevokedCertificateEntries {
			if entry.SerialNumber.Cmp(cert.SerialNumber) == 0 && !entry.RevocationTime.After(at) {
				return failed(Revoked, "certificate %q revoked at %s (CRL)", cert.Subject.CommonName,
					entry.RevocationTime.Format(time.RFC3339)), true
			}
		}
		return passed(), true
	}
	return Result{}, false
}

func describe(c *x509.Certificate) Certificate {
	return Certificate{Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: fmt.Sprintf("%x", c.SerialNumber),
		NotBefore: c.NotBefore, NotAfter: c.NotAfter}
}

func parseCert(der []byte) (*x509.Certificate, error) { return x509.ParseCertificate(der) }
