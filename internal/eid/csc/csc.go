// Package csc is segl's client of a remote signing service that speaks the
// Cloud Signature Consortium API v2.0.0.2 ("Architectures and protocols for
// remote signature applications", CSC v2): the way an advanced signature is
// made with the signer's own key, which lives with a trust service (Buypass
// BCSS, an EUDI wallet's QTSP) and never with segl. In development the
// service is dev/csc.
//
// Open is what a signing act needs: it finds the person's credential
// (credentials/list, section 11.4, and credentials/info, 11.5), authorizes
// it for the number of signatures the act makes (credentials/authorize,
// 11.6), and returns a pki.KeyPair whose Key is a crypto.Signer that sends
// each digest to signatures/signHash (11.10). internal/signing uses that
// KeyPair as Act.Key: one signature per PDF document and one for the
// evidence.
//
// # Authorization mapping
//
// CSC v2 separates service authorization (an access token, section 8.1)
// from credential authorization (the user's consent to use the key, section
// 8.2, which yields the SAD). segl's signer has just logged in through
// ID-porten, so the ID token of that login is both: it is the bearer token
// of every call (RFC 6750 section 2.1), and credentials/authorize with the
// credentialID and numSignatures, under that bearer, is the credential
// authorization. The service checks that the token is unexpired, names the
// credential's owner and has level of assurance high (signHash later also
// takes the token that obtained the SAD after it expires, so an act may
// take as long as the SAD lives); no authData is sent,
// and credentials/info reports auth mode "oauth2code", since the user's
// authorization comes from an OAuth 2.0 code flow. Strictly, CSC v2 section
// 11.6 reserves credentials/authorize for "explicit" mode and has
// "oauth2code" services issue a credential-scoped access token instead
// (section 8.4); the mapping keeps one SAD with a countdown because that is
// what a signing act needs. A production service of the other kind would
// replace Authorize with its OAuth flow; Open's result stays the same.
//
// The hashes are not bound to the SAD (SCAL 1): a crypto.Signer learns each
// digest only when it is asked to sign it, and every PDF revision's digest
// depends on the signature before it.
//
// Security: the KeyPair signs whatever digest it is given, up to the number
// authorized, so it must be handed only to the signing engine for the act
// the person consented to, and dropped afterwards (upspin's Factotum: each
// call must be reviewed so it cannot be used as a signing oracle).
package csc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
)

// Config configures the client. BaseURL is required; every other field has
// a safe zero value.
type Config struct {
	// BaseURL is the service's CSC base URI, the version included and no
	// trailing slash, e.g. "https://127.0.0.1:8443/dev/csc/v2". The
	// methods are appended to it ("/credentials/list"). It must be https.
	BaseURL string
	// HTTPClient, when set, is used as it is; Roots, Certificate and
	// Timeout are then ignored.
	HTTPClient *http.Client
	// Roots are the trust anchors for the service's TLS certificate. Nil
	// means the system roots.
	Roots *x509.CertPool
	// Certificate is a client certificate for mutual TLS, for services
	// that authenticate the signature application that way. Nil means none.
	Certificate *tls.Certificate
	// Timeout bounds each call. Zero means 10 seconds.
	Timeout time.Duration
	// Clock decides whether a credential's certificate is valid now. Nil
	// means the system clock.
	Clock clock.Clock
}

// Client calls one remote signing service.
type Client struct {
	base    string
	http    *http.Client
	timeout time.Duration
	clock   clock.Clock
}

// New makes a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(cfg.BaseURL, "/") {
		return nil, fmt.Errorf("csc: base URL %q must be an https URL without a trailing slash", cfg.BaseURL)
	}
	c := &Client{base: cfg.BaseURL, http: cfg.HTTPClient, timeout: cfg.Timeout, clock: cfg.Clock}
	if c.clock == nil {
		c.clock = clock.System{}
	}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	if c.http == nil {
		c.http = &http.Client{
			Transport: transportFor(cfg.Roots, cfg.Certificate),
			// A CSC method answers; it never redirects (a redirect would
			// carry the bearer token elsewhere).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}

// transports are shared by every client made with the same roots and client
// certificate. The ceremony makes a client (Open) for every advanced signing
// act; with a transport each, every act paid a new TLS handshake and left
// an idle connection behind for IdleConnTimeout. Keyed by pointer, as
// callers pass the same configuration again; bounded, so a caller that
// makes new pools each time gets fresh transports rather than a growing map.
var transports struct {
	sync.Mutex
	m map[transportKey]*http.Transport
}

type transportKey struct {
	roots *x509.CertPool
	cert  *tls.Certificate
}

const maxTransports = 16

func transportFor(roots *x509.CertPool, cert *tls.Certificate) *http.Transport {
	transports.Lock()
	defer transports.Unlock()
	k := transportKey{roots, cert}
	if t, ok := transports.m[k]; ok {
		return t
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		t.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	if transports.m == nil {
		transports.m = map[transportKey]*http.Transport{}
	}
	if len(transports.m) < maxTransports {
		transports.m[k] = t
	}
	return t
}

// Error is an error answer of the service: the CSC v2 error object
// {"error", "error_description"} with its HTTP status. Errors the client
// returns wrap it in an *errs.Error whose kind follows the status: 401
// Unauthenticated (log in again), 403 Forbidden (e.g. the eID's level is
// too low), other 4xx Invalid, 429 and 5xx Unavailable.
type Error struct {
	Method      string // e.g. "credentials/authorize"
	Status      int
	Code        string // e.g. "invalid_request"
	Description string
}

func (e *Error) Error() string {
	return fmt.Sprintf("csc: %s: %d %s: %s", e.Method, e.Status, e.Code, e.Description)
}

// maxResponse bounds a response body: a certificate chain is a few KiB.
const maxResponse = 1 << 20

// call POSTs a CSC method with a JSON body and decodes the JSON answer.
// Unknown fields in the answer are ignored: services add their own.
func (c *Client) call(ctx context.Context, method, token string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("csc: %s: %w", method, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("csc: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return errs.Wrap(err, errs.Unavailable, codeUnavailable, "csc: %s: the signing service cannot be reached", method)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return errs.Wrap(err, errs.Unavailable, codeUnavailable, "csc: %s: reading the answer", method)
	}
	if len(data) > maxResponse {
		return errs.E(errs.Unavailable, codeUnavailable, "csc: %s: the answer is too large", method)
	}
	if resp.StatusCode != http.StatusOK {
		return answerError(method, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return errs.Wrap(err, errs.Unavailable, codeBadAnswer, "csc: %s: malformed answer", method)
	}
	return nil
}

// answerError turns a non-200 answer into an *errs.Error wrapping *Error.
func answerError(method string, status int, data []byte) error {
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	json.Unmarshal(data, &body)
	e := &Error{Method: method, Status: status, Code: clip(body.Error, 64), Description: clip(body.Description, 300)}
	if e.Code == "" {
		e.Code = codeUnknown
	}
	kind, code := errs.Invalid, codeRefused
	switch {
	case status == http.StatusUnauthorized:
		kind, code = errs.Unauthenticated, codeUnauthenticated
	case status == http.StatusForbidden:
		kind, code = errs.Forbidden, codeDenied
	case status == http.StatusTooManyRequests || status >= 500:
		kind, code = errs.Unavailable, codeUnavailable
	case status < 400:
		kind, code = errs.Unavailable, codeBadAnswer
	}
	return errs.Wrap(e, kind, code, "csc: %s refused", method)
}

// clip keeps at most n bytes of printable ASCII of a service's text.
func clip(s string, n int) string {
	b := []byte(s)
	if len(b) > n {
		b = b[:n]
	}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// Credential is a signing key at the service, as credentials/info (CSC v2
// section 11.5) describes it.
type Credential struct {
	ID         string
	KeyStatus  string   // "enabled" or "disabled"
	KeyAlgos   []string // signature algorithm OIDs the key supports
	KeyLen     int      // in bits
	CertStatus string   // "valid", "expired", "revoked", "suspended"
	Cert       *x509.Certificate
	Chain      []*x509.Certificate // the rest of certificates, as sent (may end with the root)
	AuthMode   string              // "implicit", "explicit" or "oauth2code"
	SCAL       string              // "1" or "2"
	Multisign  int                 // how many signatures one authorization may cover
}

type credentialJSON struct {
	CredentialID string `json:"credentialID"`
	Key          struct {
		Status string   `json:"status"`
		Algo   []string `json:"algo"`
		Len    int      `json:"len"`
	} `json:"key"`
	Cert struct {
		Status       string   `json:"status"`
		Certificates []string `json:"certificates"`
	} `json:"cert"`
	Auth struct {
		Mode string `json:"mode"`
	} `json:"auth"`
	SCAL      string `json:"SCAL"`
	Multisign int    `json:"multisign"`
}

func (j credentialJSON) credential(method, id string) (Credential, error) {
	c := Credential{ID: id, KeyStatus: j.Key.Status, KeyAlgos: j.Key.Algo, KeyLen: j.Key.Len, CertStatus: j.Cert.Status,
		AuthMode: j.Auth.Mode, SCAL: j.SCAL, Multisign: j.Multisign}
	for i, s := range j.Cert.Certificates {
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Credential{}, errs.Wrap(err, errs.Unavailable, codeBadAnswer, "csc: %s: certificate %d is not base64", method, i)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return Credential{}, errs.Wrap(err, errs.Unavailable, codeBadAnswer, "csc: %s: certificate %d", method, i)
		}
		if i == 0 {
			c.Cert = cert
		} else {
			c.Chain = append(c.Chain, cert)
		}
	}
	return c, nil
}

// Credentials lists the credential IDs of the token's owner
// (credentials/list, CSC v2 section 11.4), only those with a valid
// certificate.
func (c *Client) Credentials(ctx context.Context, token string) ([]string, error) {
	var out struct {
		CredentialIDs []string `json:"credentialIDs"`
	}
	in := map[string]any{"onlyValid": true}
	if err := c.call(ctx, "credentials/list", token, in, &out); err != nil {
		return nil, err
	}
	return out.CredentialIDs, nil
}

// Credential describes one credential with its whole certificate chain
// (credentials/info, CSC v2 section 11.5).
func (c *Client) Credential(ctx context.Context, token, id string) (Credential, error) {
	var out credentialJSON
	in := map[string]any{"credentialID": id, "certificates": "chain", "certInfo": true, "authInfo": true}
	if err := c.call(ctx, "credentials/info", token, in, &out); err != nil {
		return Credential{}, err
	}
	cred, err := out.credential("credentials/info", id)
	if err != nil {
		return Credential{}, err
	}
	if cred.Cert == nil {
		return Credential{}, errs.E(errs.Unavailable, codeBadAnswer, "csc: credentials/info: no certificate")
	}
	return cred, nil
}

// SAD is a credential authorization: signature activation data good for
// a number of signatures until it expires.
type SAD struct {
	Value   string
	Expires time.Time // by the local clock, from expiresIn
}

// Authorize authorizes a credential for n signatures (credentials/authorize,
// CSC v2 section 11.6). The token is the user's authorization (see the
// package comment); the hashes are not sent, since a crypto.Signer learns
// each digest only when it signs it.
func (c *Client) Authorize(ctx context.Context, token, credentialID string, n int) (SAD, error) {
	if n < 1 {
		return SAD{}, errs.E(errs.Invalid, codeBadRequest, "csc: authorize at least one signature")
	}
	var out struct {
		SAD       string `json:"SAD"`
		ExpiresIn int64  `json:"expiresIn"`
	}
	start := time.Now()
	in := map[string]any{"credentialID": credentialID, "numSignatures": n}
	if err := c.call(ctx, "credentials/authorize", token, in, &out); err != nil {
		return SAD{}, err
	}
	if out.SAD == "" {
		return SAD{}, errs.E(errs.Unavailable, codeBadAnswer, "csc: credentials/authorize: no SAD")
	}
	// Section 11.6: expiresIn defaults to 3600 seconds.
	ttl := time.Hour
	if out.ExpiresIn > 0 {
		ttl = time.Duration(out.ExpiresIn) * time.Second
	}
	return SAD{Value: out.SAD, Expires: start.Add(ttl)}, nil
}

// SignHash signs digests, all made with hash h, with the credential
// (signatures/signHash, CSC v2 section 11.10), using signAlgo (an OID such
// as "1.2.840.10045.4.3.2", ecdsa-with-SHA256). It returns the signatures
// as the service sends them, in order: for ECDSA that may be ASN.1 DER or
// r||s; the crypto.Signer of Open makes it DER.
func (c *Client) SignHash(ctx context.Context, token, credentialID string, sad SAD, h crypto.Hash, signAlgo string, digests ...[]byte) ([][]byte, error) {
	hashOID, ok := hashOIDs[h]
	if !ok {
		return nil, errs.E(errs.Invalid, codeBadRequest, "csc: unsupported hash %v", h)
	}
	hashes := make([]string, len(digests))
	for i, d := range digests {
		if len(d) != h.Size() {
			return nil, errs.E(errs.Invalid, codeBadRequest, "csc: digest %d is %d bytes, not a %v digest", i, len(d), h)
		}
		hashes[i] = base64.StdEncoding.EncodeToString(d)
	}
	var out struct {
		Signatures []string `json:"signatures"`
	}
	in := map[string]any{"credentialID": credentialID, "SAD": sad.Value, "hashes": hashes,
		"hashAlgorithmOID": hashOID, "signAlgo": signAlgo, "operationMode": "S"}
	if err := c.call(ctx, "signatures/signHash", token, in, &out); err != nil {
		return nil, err
	}
	if len(out.Signatures) != len(digests) {
		return nil, errs.E(errs.Unavailable, codeBadAnswer, "csc: signatures/signHash: %d signatures for %d hashes", len(out.Signatures), len(digests))
	}
	sigs := make([][]byte, len(out.Signatures))
	for i, s := range out.Signatures {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) == 0 {
			return nil, errs.E(errs.Unavailable, codeBadAnswer, "csc: signatures/signHash: signature %d is not base64", i)
		}
		sigs[i] = b
	}
	return sigs, nil
}

// ErrNoCredential: the person has no usable signing credential at the
// service.
var ErrNoCredential = errs.E(errs.NotFound, codeNoCredential, "csc: no usable signing credential")

// errUsedUp: a signing act asked for more signatures than it authorized.
var errUsedUp = errors.New("csc: the authorized signatures are used up")
