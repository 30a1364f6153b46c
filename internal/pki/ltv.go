package pki

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
)

// Gatherer collects the revocation data of certificate paths for long-term
// validation: the DSS of a PAdES B-LT file (ETSI EN 319 142-1 §5.4.2) and
// the RevocationValues of a XAdES B-LT signature (EN 319 132-1 §5.4.2). A
// validator wants revocation data for every certificate of a path but the
// trust anchor (EN 319 102-1 §5.2.6), so a path yields
//
//   - an OCSP response for each end-entity certificate (the signer, the TTP
//     seal, a time-stamping unit), from its issuer's responder;
//   - a CRL of the issuer for each CA certificate below the anchor (the
//     issuing CA: a root answers for the CAs below it with a CRL);
//   - nothing for the trust anchor, nor for an OCSP responder certificate
//     with id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), which relying
//     parties do not check.
//
// Each item is fetched once per Gatherer: the seal and the TSA sign every
// signature and time-stamp of a job, and one response, produced after all
// of them, speaks for each. A Gatherer is not safe for concurrent use.
type Gatherer struct {
	Source RevocationSource
	// OCSPs and CRLs are everything gathered so far, each once.
	OCSPs, CRLs [][]byte

	ocsp map[string][]byte // by certificate
	crl  map[string][]byte // by issuer
}

// Path gathers the revocation data of path, which holds a certificate
// followed by its issuers, each issued by the next; it may end with the
// trust anchor (self-signed), which gets none. It returns the data for
// this path alone, for a per-signature entry (a DSS /VRI).
func (g *Gatherer) Path(ctx context.Context, path []*x509.Certificate) (ocsps, crls [][]byte, err error) {
	if g.ocsp == nil {
		g.ocsp, g.crl = map[string][]byte{}, map[string][]byte{}
	}
	for i, cert := range path {
		if SelfIssued(cert) {
			break // the trust anchor
		}
		if i+1 == len(path) {
			return nil, nil, fmt.Errorf("pki: no issuer certificate for %s", CertName(cert))
		}
		issuer := path[i+1]
		switch {
		case hasOCSPNoCheck(cert):
		case cert.BasicConstraintsValid && cert.IsCA:
			der, ok := g.crl[string(issuer.Raw)]
			if !ok {
				if der, err = g.Source.CRL(ctx, cert, issuer); err != nil {
					return nil, nil, fmt.Errorf("pki: revocation data for %s: %w", CertName(cert), err)
				}
				g.crl[string(issuer.Raw)] = der
				g.CRLs = append(g.CRLs, der)
			}
			crls = appendOnce(crls, der)
		default:
			der, ok := g.ocsp[string(cert.Raw)]
			if !ok {
				if der, err = g.Source.OCSP(ctx, cert, issuer); err != nil {
					return nil, nil, fmt.Errorf("pki: revocation data for %s: %w", CertName(cert), err)
				}
				g.ocsp[string(cert.Raw)] = der
				g.OCSPs = append(g.OCSPs, der)
			}
			ocsps = appendOnce(ocsps, der)
		}
	}
	return ocsps, crls, nil
}

// SelfIssued reports a certificate whose subject is its issuer: a root.
// Whether it is trusted is the validator's question, not the gatherer's.
func SelfIssued(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && SignedBy(c, c)
}

func hasOCSPNoCheck(c *x509.Certificate) bool {
	for _, ext := range c.Extensions {
		if ext.Id.Equal(oidOCSPNoCheck) {
			return true
		}
	}
	return false
}

func appendOnce(list [][]byte, der []byte) [][]byte {
	for _, have := range list {
		if bytes.Equal(have, der) {
			return list
		}
	}
	return append(list, der)
}

// CertName names a certificate in an error by its serial number and
// issuer, never by its subject: a signer's own certificate (an advanced
// signature) has the person's name as subject, and errors reach the log.
func CertName(c *x509.Certificate) string {
	return fmt.Sprintf("certificate %x of %q", c.SerialNumber, c.Issuer.CommonName)
}
