package pki

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
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
	// Now is the time the answers must be fresh at: the clock the
	// signatures they are embedded beside are made with. Nil means
	// time.Now.
	Now func() time.Time
	// Presigned accepts an answer signed in advance (the RFC 5019
	// profile) while it is current: thisUpdate not after now and a
	// nextUpdate not before it. That is enough for a question about a
	// certificate's status now (an API client's), not for evidence
	// embedded beside a signature, which must be produced after it.
	Presigned bool
}

// freshness bounds how far the times of a fetched OCSP response may lie
// from now. It is the grace internal/validate allows revocation data
// produced before the proof of existence of what it speaks for: a response
// produced earlier than that proves nothing about a signature made now.
const freshness = 5 * time.Minute

// nonceSize is the length of the nonce HTTPOCSP sends: the most RFC 8954
// §2.1 allows.
const nonceSize = 32

func (h HTTPOCSP) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	url := h.Responder
	if url == "" && len(cert.OCSPServer) > 0 {
		url = cert.OCSPServer[0]
	}
	if url == "" {
		return nil, fmt.Errorf("%w: %s names no OCSP responder", ErrNowhereToAsk, CertName(cert))
	}
	req, nonce, err := ocspRequestWithNonce(cert, issuer)
	if err != nil {
		return nil, err
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
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	if err := checkFetchedOCSP(body, cert, issuer, nonce, now, h.Presigned); err != nil {
		return nil, fmt.Errorf("pki: ocsp response from %s for %s: %w", url, CertName(cert), err)
	}
	return body, nil
}

// ocspRequestWithNonce makes an OCSP request for cert with a random nonce
// in its requestExtensions (RFC 8954), which x/crypto/ocsp cannot add.
func ocspRequestWithNonce(cert, issuer *x509.Certificate) (der, nonce []byte, err error) {
	plain, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, nil, fmt.Errorf("pki: ocsp request: %w", err)
	}
	var req ocspRequestASN1
	if _, err := asn1.Unmarshal(plain, &req); err != nil {
		return nil, nil, fmt.Errorf("pki: ocsp request: %w", err)
	}
	nonce = make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("pki: ocsp nonce: %w", err)
	}
	value, err := asn1.Marshal(nonce)
	if err != nil {
		return nil, nil, err
	}
	req.TBSRequest.Extensions = []pkix.Extension{{Id: oidOCSPNonce, Value: value}}
	if der, err = asn1.Marshal(req); err != nil {
		return nil, nil, fmt.Errorf("pki: ocsp request: %w", err)
	}
	return der, nonce, nil
}

// checkFetchedOCSP refuses an answer that would not prove, beside a
// signature made at now, what cert's status was then; embedded anyway, it
// would make a document claim B-LT with data that does not support it.
// The answer must
//
//   - be signed by issuer, or by a responder certificate that issuer
//     certified with the id-kp-OCSPSigning purpose and that was valid when
//     it signed (RFC 6960 §4.2.2.2): any other certificate of the same CA,
//     a subscriber's among them, could otherwise speak for its peers;
//   - say good or revoked: unknown proves nothing. A revocation is
//     authentic data like any other: a signer's certificate revoked after
//     the signature provably existed leaves it valid (EN 319 102-1
//     §5.6.2.1), and only with the data saying so can a validator tell;
//   - carry our nonce back if it carries one (RFC 8954 §2.1: a replay);
//     responders that serve pre-signed answers leave it out, and then
//     freshness is what shows the answer is not an old one;
//   - have been produced within freshness of now, not claim a thisUpdate
//     after that window, and not be past its own nextUpdate.
//
// With presigned, an answer produced earlier is taken while it is current
// and names its nextUpdate (HTTPOCSP.Presigned).
func checkFetchedOCSP(der []byte, cert, issuer *x509.Certificate, nonce []byte, now time.Time, presigned bool) error {
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		return err
	}
	if err := CheckOCSPResponder(resp, issuer); err != nil {
		return err
	}
	if resp.Status != ocsp.Good && resp.Status != ocsp.Revoked {
		return errors.New("certificate status unknown")
	}
	echoed, err := responseNonce(der)
	if err != nil {
		return err
	}
	if echoed != nil && !echoes(echoed, nonce) {
		return errors.New("nonce does not match the request")
	}
	switch {
	case resp.ProducedAt.Before(now.Add(-freshness)) && !(presigned && !resp.NextUpdate.IsZero()):
		return fmt.Errorf("stale: produced at %v", resp.ProducedAt.UTC())
	case resp.ProducedAt.After(now.Add(freshness)) || resp.ThisUpdate.After(now.Add(freshness)):
		return fmt.Errorf("from the future: produced at %v, this update %v", resp.ProducedAt.UTC(), resp.ThisUpdate.UTC())
	case !resp.NextUpdate.IsZero() && resp.NextUpdate.Before(now):
		return fmt.Errorf("stale: next update was %v", resp.NextUpdate.UTC())
	}
	return nil
}

// CheckOCSPResponder applies RFC 6960 §4.2.2.2 to a response about a
// certificate of issuer, which ocsp.ParseResponseForCert has checked is
// signed by issuer or by a certificate issuer signed: that certificate
// must be issuer itself, or one issuer certified with the id-kp-OCSPSigning
// purpose ("MUST ... include a value of id-kp-OCSPSigning in an extended
// key usage extension") and valid when the response was produced. Without
// it, any certificate of the same CA, a subscriber's among them, could
// speak for its peers.
func CheckOCSPResponder(resp *ocsp.Response, issuer *x509.Certificate) error {
	r := resp.Certificate
	if r == nil || bytes.Equal(r.Raw, issuer.Raw) {
		return nil
	}
	if !slices.Contains(r.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		return fmt.Errorf("signed by %q, which is not an OCSP responder of %q",
			r.Subject.CommonName, issuer.Subject.CommonName)
	}
	if resp.ProducedAt.Before(r.NotBefore) || resp.ProducedAt.After(r.NotAfter) {
		return fmt.Errorf("responder certificate %q not valid at %v", r.Subject.CommonName, resp.ProducedAt)
	}
	return nil
}

// responseNonce returns the value of the nonce extension in a basic
// response's responseExtensions (RFC 6960 §4.4.1), as it came, or nil when
// there is none.
func responseNonce(der []byte) ([]byte, error) {
	data, err := ocspResponseData(der)
	if err != nil {
		return nil, err
	}
	for _, ext := range data.Extensions {
		if ext.Id.Equal(oidOCSPNonce) {
			return ext.Value, nil
		}
	}
	return nil, nil
}

// echoes reports whether an echoed nonce extension value is the nonce
// sent: the OCTET STRING that RFC 8954 §2.1 puts in the extension, as sent,
// or the bare nonce, which responders written to RFC 2560 (which left the
// encoding open) echo.
func echoes(value, nonce []byte) bool {
	if bytes.Equal(value, nonce) {
		return true
	}
	sent, err := asn1.Marshal(nonce)
	return err == nil && bytes.Equal(value, sent)
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
		return nil, fmt.Errorf("%w: %s names no HTTP CRL distribution point", ErrNowhereToAsk, CertName(cert))
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
