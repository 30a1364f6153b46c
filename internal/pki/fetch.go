package pki

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSPSource gives a DER OCSP response (RFC 6960) about cert from its issuer,
// to embed as long-term validation data. Signing code depends on this, not
// on how the response is obtained.
type OCSPSource interface {
	OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error)
}

// OCSPFor answers in process what the development responder would answer
// over HTTP, so `segl seal` works without a running server.
func (d *Dev) OCSPFor(cert *x509.Certificate, rev RevocationList, now time.Time) ([]byte, error) {
	req, err := ocsp.CreateRequest(cert, d.Issuing.Cert, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, fmt.Errorf("pki: ocsp request: %w", err)
	}
	q, err := parseOCSPRequest(req)
	if err != nil {
		return nil, err
	}
	if !d.issuedByUs(q.ids[0]) {
		return nil, errors.New("pki: certificate not issued by the development issuing CA")
	}
	return d.ocspResponse(q, rev, now)
}

// CRLSource gives a DER CRL (RFC 5280 section 5) issued by issuer that
// covers cert, to embed as long-term validation data for a CA certificate,
// for which there is no OCSP responder (the classic case: a root publishes
// a CRL of the CAs below it).
type CRLSource interface {
	CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error)
}

// RevocationSource is what gathering long-term validation data needs
// (Revocations): OCSP for end-entity certificates, CRLs for CAs.
type RevocationSource interface {
	OCSPSource
	CRLSource
}

// DevOCSP is the development PKI as a RevocationSource: OCSP responses of
// the issuing CA's delegated responder and CRLs of the issuing CA and the
// root, all made in process for the time Now gives.
type DevOCSP struct {
	Dev     *Dev
	Revoked RevocationList
	Now     func() time.Time
}

func (s DevOCSP) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	return s.Dev.OCSPFor(cert, s.Revoked, s.Now())
}

// CRL returns the root's CRL (RootCRL) when issuer is the root, and the
// issuing CA's (CRL) when it is the issuing CA.
func (s DevOCSP) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	switch {
	case bytes.Equal(issuer.Raw, s.Dev.Root.Raw):
		return s.Dev.RootCRL(s.Now())
	case bytes.Equal(issuer.Raw, s.Dev.Issuing.Cert.Raw):
		return s.Dev.CRL(s.Revoked, s.Now())
	}
	return nil, fmt.Errorf("pki: %q is not a development CA", issuer.Subject.CommonName)
}

// HTTPOCSP fetches responses from the responder named in the certificate's
// Authority Information Access extension (RFC 5280 §4.2.2.1), as production
// signing does for certificates from real CAs.
type HTTPOCSP struct {
	Client *http.Client // nil: 10 s timeout
	// Responder, when set, is asked instead of the certificate's own
	// responder: for CAs that publish none, and for tests.
	Responder string
	// CRLURL, when set, is fetched for a CA certificate that names no
	// HTTP CRL distribution point: for CAs that publish none in their
	// certificates, and for tests.
	CRLURL string
}

func (h HTTPOCSP) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	url := h.Responder
	if url == "" && len(cert.OCSPServer) > 0 {
		url = cert.OCSPServer[0]
	}
	if url == "" {
		return nil, fmt.Errorf("pki: %s names no OCSP responder", cert.Subject.CommonName)
	}
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, fmt.Errorf("pki: ocsp request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/ocsp-request")
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("pki: ocsp: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("pki: ocsp: status %d: %v", resp.StatusCode, err)
	}
	// Refuse a response that does not answer for this certificate.
	if _, err := ocsp.ParseResponseForCert(body, cert, issuer); err != nil {
		return nil, fmt.Errorf("pki: ocsp response: %w", err)
	}
	return body, nil
}

// CRL fetches the CRL at cert's first HTTP distribution point (RFC 5280
// §4.2.1.13), or at CRLURL when it names none, and refuses one that
// issuer did not sign.
func (h HTTPOCSP) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	var url string
	for _, dp := range cert.CRLDistributionPoints {
		if strings.HasPrefix(dp, "http://") || strings.HasPrefix(dp, "https://") {
			url = dp
			break
		}
	}
	if url == "" {
		url = h.CRLURL
	}
	if url == "" {
		return nil, fmt.Errorf("pki: %s names no HTTP CRL distribution point", cert.Subject.CommonName)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("pki: crl: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCRL+1))
	if err != nil || resp.StatusCode != http.StatusOK || len(body) > maxCRL {
		return nil, fmt.Errorf("pki: crl: status %d, %d bytes: %v", resp.StatusCode, len(body), err)
	}
	crl, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, fmt.Errorf("pki: crl from %s: %w", url, err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("pki: crl from %s: %w", url, err)
	}
	return body, nil
}

// maxCRL bounds a fetched CRL; a CA's CRL of CA certificates is small,
// and a large end-entity CRL is still well below this.
const maxCRL = 16 << 20
