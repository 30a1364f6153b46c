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

// DevOCSP is the development PKI as an OCSPSource.
type DevOCSP struct {
	Dev     *Dev
	Revoked RevocationList
	Now     func() time.Time
}

func (s DevOCSP) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	return s.Dev.OCSPFor(cert, s.Revoked, s.Now())
}

// HTTPOCSP fetches responses from the responder named in the certificate's
// Authority Information Access extension (RFC 5280 §4.2.2.1), as production
// signing does for certificates from real CAs.
type HTTPOCSP struct {
	Client *http.Client // nil: 10 s timeout
	// Responder, when set, is asked instead of the certificate's own
	// responder: for CAs that publish none, and for tests.
	Responder string
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
