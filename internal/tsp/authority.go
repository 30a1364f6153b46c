package tsp

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"net/http"
	"sync/atomic"
	"time"
)

// DevPolicy is the TSA policy (RFC 3161 §2.4.2, TSAPolicyId) of the
// development authority: 1.3.6.1.4.1.32473.3161.1. segl has no IANA Private
// Enterprise Number yet, so the arc is 32473, the number RFC 5612 reserves for
// documentation and examples: nobody can mistake a development token for one
// issued under a production policy. A production TSA is configured with its
// own policy under its operator's arc.
var DevPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 3161, 1}

// Media types of RFC 3161 §3.4.
const (
	queryType = "application/timestamp-query"
	replyType = "application/timestamp-reply"
)

// maxRequestBody bounds a TimeStampReq: a SHA-512 imprint, a nonce and a
// policy take well under 200 bytes, so 64 KiB is generous.
const maxRequestBody = 64 << 10

// Authority is the development time-stamping authority. It satisfies Stamper
// (in process, for `segl seal` without a server) and http.Handler (RFC 3161
// §3.4, served at /dev/tsa).
//
// Security: the key signs only TSTInfo structures built here. A requester
// controls the message imprint (opaque bytes of a fixed length for a SHA-2
// algorithm), the nonce and whether certificates are included; the policy,
// time, serial number and signed attributes are the authority's. So the key
// cannot be used as a general signing oracle.
//
// Fields must not change while the Authority is in use.
type Authority struct {
	Key  crypto.Signer
	Cert *x509.Certificate // critical EKU timeStamping only, not a CA (RFC 3161 §2.3)
	// Chain are the intermediates above Cert, root excluded, in order; they
	// go into the token with Cert when the request sets certReq.
	Chain []*x509.Certificate
	// Policy is the TSTInfo policy; nil means DevPolicy. A request naming
	// another policy is rejected with unacceptedPolicy (RFC 3161 §2.4.2).
	Policy asn1.ObjectIdentifier
	// Accuracy is declared in every TSTInfo and sets the precision of
	// genTime; zero means 1 s, the bound of ETSI EN 319 421.
	Accuracy time.Duration
	// Clock is the time source; nil means the system clock, taken to be in
	// sync. When it reports an error no token is issued (EN 319 421).
	Clock TimeSource
	// Log receives failures that a requester is not told about; nil means
	// slog.Default().
	Log *slog.Logger

	// certChecked is the Cert that checkTSACertificate last passed: a
	// certificate is immutable once parsed, so its extensions are decoded
	// once, not for every token.
	certChecked atomic.Pointer[x509.Certificate]
}

var (
	_ http.Handler = (*Authority)(nil)
)

// NewAuthority returns an authority with Policy DevPolicy, Accuracy 1 s and
// the system clock (set the fields before use to change them), after checking that key and certificate belong together, that the
// certificate is fit for time-stamping (RFC 3161 §2.3) and that chain, if
// given, is the certificate's issuer path.
func NewAuthority(key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate) (*Authority, error) {
	a := &Authority{Key: key, Cert: cert, Chain: chain, Policy: DevPolicy, Accuracy: time.Second}
	if err := a.check(); err != nil {
		return nil, err
	}
	child := a.Cert
	for _, c := range a.Chain {
		if err := child.CheckSignatureFrom(c); err != nil {
			return nil, fmt.Errorf("tsp: authority chain: %v is not issued by %v: %w", child.Subject, c.Subject, err)
		}
		child = c
	}
	return a, nil
}

// check is what every issuance re-checks (an Authority may be built as a
// literal); NewAuthority also checks the chain, once.
// Certificates returns the authority's certificate followed by its
// intermediates. They are known before the authority answers, so a signer
// can embed the TSA's path and revocation data in its own validation data
// (XAdES B-LT, EN 319 132-1 §5.4) without waiting for a token.
func (a *Authority) Certificates() []*x509.Certificate {
	return append([]*x509.Certificate{a.Cert}, a.Chain...)
}

func (a *Authority) check() error {
	if a.Key == nil || a.Cert == nil {
		return errors.New("tsp: authority needs a key and a certificate")
	}
	pub, ok := a.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(a.Cert.PublicKey) {
		return errors.New("tsp: authority key does not match its certificate")
	}
	if _, err := signatureHash(a.Key.Public()); err != nil {
		return err
	}
	if _, ok := a.Key.Public().(ed25519.PublicKey); ok {
		// Verify reads Ed25519 tokens (RFC 8419), but OpenSSL 3.0 can neither
		// make nor check Ed25519 CMS, so tokens we issue would not validate
		// elsewhere.
		return errors.New("tsp: ed25519 authority keys are not supported: use ecdsa or rsa")
	}
	if a.certChecked.Load() != a.Cert {
		if err := checkTSACertificate(a.Cert); err != nil {
			return err
		}
		a.certChecked.Store(a.Cert)
	}
	if a.Accuracy < 0 {
		return errors.New("tsp: negative accuracy")
	}
	return nil
}

func (a *Authority) policy() asn1.ObjectIdentifier {
	if len(a.Policy) == 0 {
		return DevPolicy
	}
	return a.Policy
}

func (a *Authority) accuracy() time.Duration {
	if a.Accuracy == 0 {
		return time.Second
	}
	return a.Accuracy
}

func (a *Authority) log() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}

func (a *Authority) now() (time.Time, error) {
	if a.Clock == nil {
		return time.Now(), nil
	}
	t, err := a.Clock.Now()
	if err != nil {
		if errors.Is(err, ErrClockUnsynced) {
			return time.Time{}, err
		}
		return time.Time{}, fmt.Errorf("%w: %w", ErrClockUnsynced, err)
	}
	return t, nil
}

// Stamp issues a token over digest in process. The token always carries the
// TSA certificate and chain (as with certReq true), because it is embedded in
// signatures that are validated elsewhere. It has no nonce: nothing travels
// over a network that could be replayed. An unsynced clock yields an error
// matching ErrClockUnsynced and no token.
func (a *Authority) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	if err := checkDigest(h, digest); err != nil {
		return nil, err
	}
	imprint, err := makeImprint(h, digest)
	if err != nil {
		return nil, err
	}
	tok, _, err := a.issue(ctx, &request{Version: 1, MessageImprint: imprint, CertReq: true})
	return tok, err
}

// issue answers a request: the token, or the PKIFailureInfo and the reason.
func (a *Authority) issue(ctx context.Context, req *request) ([]byte, FailureInfo, error) {
	if err := a.check(); err != nil {
		return nil, SystemFailure, err
	}
	tst, fail, err := a.prepare(ctx, req)
	if err != nil {
		return nil, fail, err
	}
	tok, err := a.sign(tst, req.CertReq, signParams{})
	if err != nil {
		return nil, SystemFailure, err
	}
	return tok, 0, nil
}

// prepare checks a request and builds its TSTInfo (RFC 3161 §2.4.1, §2.4.2).
func (a *Authority) prepare(ctx context.Context, req *request) (*tstInfo, FailureInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, SystemFailure, err
	}
	if req.Version != 1 {
		return nil, BadDataFormat, fmt.Errorf("%w: request version %d", ErrMalformed, req.Version)
	}
	h, err := req.MessageImprint.hash()
	if errors.Is(err, ErrWeakHash) {
		return nil, BadAlg, err
	}
	if err != nil {
		return nil, BadDataFormat, err
	}
	digest := req.MessageImprint.HashedMessage
	if err := checkDigest(h, digest); err != nil {
		return nil, BadDataFormat, err
	}
	policy := a.policy()
	if len(req.ReqPolicy) > 0 && !req.ReqPolicy.Equal(policy) {
		return nil, UnacceptedPolicy, fmt.Errorf("%w: policy %v is not offered", ErrPolicyMismatch, req.ReqPolicy)
	}
	if len(req.Extensions) > 0 {
		// RFC 3161 §2.4.1: no extension is defined that this TSA understands.
		return nil, UnacceptedExtension, fmt.Errorf("%w: request extension %v", ErrMalformed, req.Extensions[0].Id)
	}
	now, err := a.now()
	if err != nil {
		return nil, TimeNotAvailable, err
	}
	// EN 319 421: no time-stamp once the TSU certificate has reached its end of life.
	if now.Before(a.Cert.NotBefore) || now.After(a.Cert.NotAfter) {
		return nil, SystemFailure, fmt.Errorf("%w: authority certificate not valid at %v", ErrTSACertificate, now.UTC())
	}
	serial, err := newSerial()
	if err != nil {
		return nil, SystemFailure, err
	}
	imprint, err := makeImprint(h, digest)
	if err != nil {
		return nil, BadAlg, err
	}
	acc := a.accuracy()
	genTime, _ := encodeGenTime(now, acc)
	return &tstInfo{
		Version:        1,
		Policy:         policy,
		MessageImprint: imprint,
		SerialNumber:   serial,
		GenTime:        genTime,
		Accuracy:       encodeAccuracy(acc),
		Nonce:          req.Nonce,
		TSA:            explicit0(mustRaw(directoryName(a.Cert.RawSubject)).FullBytes),
	}, 0, nil
}

func (a *Authority) sign(tst *tstInfo, certReq bool, p signParams) ([]byte, error) {
	der, err := tst.marshal()
	if err != nil {
		return nil, fmt.Errorf("tsp: encode tstinfo: %w", err)
	}
	p.tst = der
	if certReq && p.certs == nil {
		p.certs = append([]*x509.Certificate{a.Cert}, a.Chain...)
	}
	return signToken(a.Key, a.Cert, p)
}

// newSerial returns a random positive 128-bit serial number (RFC 3161 §2.4.2:
// unique for each token from a TSA). Randomness makes it unique across nodes
// without shared state; RFC 3161 has clients accept up to 160 bits.
func newSerial() (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("tsp: serial number: %w", err)
		}
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
}

// ServeHTTP is the RFC 3161 §3.4 transport: POST an application/timestamp-query,
// get an application/timestamp-reply. Every TSP-level failure is a
// TimeStampResp with status rejection and its PKIFailureInfo, never a token:
// badDataFormat for a request that does not decode, badAlg for a hash other
// than SHA-256/384/512, unacceptedPolicy, unacceptedExtension,
// timeNotAvailable when the clock is not in sync, systemFailure otherwise.
// Only HTTP-level misuse (method, media type, size) gets an HTTP error.
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "tsp: method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != queryType {
		http.Error(w, "tsp: content type must be "+queryType, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "tsp: request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "tsp: cannot read request", http.StatusBadRequest)
		return
	}
	var req request
	if err := unmarshalDER(body, &req, "request"); err != nil {
		a.reply(w, r, nil, BadDataFormat, err)
		return
	}
	tok, fail, err := a.issue(r.Context(), &req)
	a.reply(w, r, tok, fail, err)
}

func (a *Authority) reply(w http.ResponseWriter, r *http.Request, tok []byte, fail FailureInfo, err error) {
	resp := response{Status: pkiStatusInfo{Status: int(Granted)}}
	if err != nil {
		text := err.Error()
		if fail == SystemFailure {
			a.log().ErrorContext(r.Context(), "tsp: time-stamp not issued", "err", err)
			text = "system failure"
		}
		resp.Status = pkiStatusInfo{Status: int(Rejection), StatusString: freeText(text), FailInfo: fail.bitString()}
	} else {
		resp.TimeStampToken = asn1.RawValue{FullBytes: tok}
	}
	der, merr := asn1.Marshal(resp)
	if merr != nil {
		a.log().ErrorContext(r.Context(), "tsp: encode response", "err", merr)
		http.Error(w, "tsp: internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", replyType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(der)
}
