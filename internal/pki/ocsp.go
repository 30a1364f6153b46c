package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	_ "crypto/sha256" // CertID hash algorithms a client may ask for
	_ "crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// ocspValidity is the interval between thisUpdate and nextUpdate of an OCSP
// response (RFC 6960 section 4.2.2.1). Responses are signed on demand, so a
// revocation shows at once; the interval only says how long a response may
// be cached and embedded as fresh.
const ocspValidity = 24 * time.Hour

// maxOCSPRequest bounds the body of a POST; real requests are a few hundred
// bytes.
const maxOCSPRequest = 16 << 10

// maxNonce is the longest nonce echoed: RFC 8954 section 2.1 limits the
// nonce to 32 octets.
const maxNonce = 32

var (
	oidOCSPNonce = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}

	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// The request and response structures of RFC 6960 section 4. They are
// declared here rather than taken from golang.org/x/crypto/ocsp because that
// package neither exposes requestExtensions (where the nonce is) nor writes
// responseExtensions (where RFC 6960 section 4.4.1 says the nonce goes back;
// its ExtraExtensions land in singleExtensions, where openssl and other
// clients do not look), and it stamps producedAt with the wall clock instead
// of the injected one.

type ocspRequestASN1 struct {
	TBSRequest        tbsRequestASN1
	OptionalSignature asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type tbsRequestASN1 struct {
	Version       int           `asn1:"explicit,tag:0,default:0,optional"`
	RequestorName asn1.RawValue `asn1:"explicit,tag:1,optional"`
	RequestList   []singleReqASN1
	Extensions    []pkix.Extension `asn1:"explicit,tag:2,optional"`
}

type singleReqASN1 struct {
	CertID     asn1.RawValue
	Extensions []pkix.Extension `asn1:"explicit,tag:0,optional"`
}

type certIDASN1 struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
}

type ocspResponseASN1 struct {
	Status        asn1.Enumerated
	ResponseBytes responseBytesASN1 `asn1:"explicit,tag:0,optional"`
}

type responseBytesASN1 struct {
	ResponseType asn1.ObjectIdentifier
	Response     []byte
}

type basicResponseASN1 struct {
	TBSResponseData    asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certs              []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type responseDataASN1 struct {
	Version     int `asn1:"explicit,tag:0,default:0,optional"`
	ResponderID asn1.RawValue
	ProducedAt  time.Time `asn1:"generalized"`
	Responses   []singleResponseASN1
	Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

// singleResponseASN1 encodes the CertStatus CHOICE as three optional
// implicitly tagged fields of which exactly one is set (good [0] NULL,
// revoked [1] RevokedInfo, unknown [2] NULL).
type singleResponseASN1 struct {
	CertID     asn1.RawValue
	Good       asn1.Flag       `asn1:"tag:0,optional"`
	Revoked    revokedInfoASN1 `asn1:"tag:1,optional"`
	Unknown    asn1.Flag       `asn1:"tag:2,optional"`
	ThisUpdate time.Time       `asn1:"generalized"`
	NextUpdate time.Time       `asn1:"generalized,explicit,tag:0,optional"`
}

type revokedInfoASN1 struct {
	RevocationTime time.Time       `asn1:"generalized"`
	Reason         asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

// ocspQuery is a parsed OCSP request: the CertIDs as sent (a response must
// repeat them byte for byte) and the nonce, if any.
type ocspQuery struct {
	rawIDs [][]byte
	ids    []certIDASN1
	nonce  *pkix.Extension
}

// parseOCSPRequest parses an OCSPRequest (RFC 6960 section 4.1.1). A
// signature on the request is ignored: the responder answers anyone.
func parseOCSPRequest(der []byte) (*ocspQuery, error) {
	var req ocspRequestASN1
	rest, err := asn1.Unmarshal(der, &req)
	if err != nil {
		return nil, fmt.Errorf("pki: ocsp request: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("pki: ocsp request: trailing data")
	}
	if len(req.TBSRequest.RequestList) == 0 {
		return nil, errors.New("pki: ocsp request: no certificate asked for")
	}
	q := &ocspQuery{}
	for _, sr := range req.TBSRequest.RequestList {
		var id certIDASN1
		rest, err := asn1.Unmarshal(sr.CertID.FullBytes, &id)
		if err != nil {
			return nil, fmt.Errorf("pki: ocsp request: certID: %w", err)
		}
		if len(rest) != 0 || id.SerialNumber == nil {
			return nil, errors.New("pki: ocsp request: malformed certID")
		}
		q.rawIDs = append(q.rawIDs, sr.CertID.FullBytes)
		q.ids = append(q.ids, id)
	}
	for i, ext := range req.TBSRequest.Extensions {
		if !ext.Id.Equal(oidOCSPNonce) {
			continue
		}
		// RFC 8954 section 2.1: Nonce ::= OCTET STRING (SIZE(1..32)).
		// A responder may leave out a nonce outside those bounds.
		var nonce []byte
		if rest, err := asn1.Unmarshal(ext.Value, &nonce); err == nil && len(rest) == 0 &&
			len(nonce) >= 1 && len(nonce) <= maxNonce {
			q.nonce = &req.TBSRequest.Extensions[i]
		}
		break
	}
	return q, nil
}

// hashForOID returns the hash a CertID names, or 0 for one segl does not
// compute. SHA-1 stays: RFC 5019 §2.1.1 has clients ask with it, and a
// CertID's hash only looks a certificate up, it protects nothing.
func hashForOID(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(oidSHA1):
		return crypto.SHA1
	case oid.Equal(oidSHA256):
		return crypto.SHA256
	case oid.Equal(oidSHA384):
		return crypto.SHA384
	case oid.Equal(oidSHA512):
		return crypto.SHA512
	}
	return 0
}

// issuedByUs reports whether a CertID names the issuing CA.
func (d *Dev) issuedByUs(id certIDASN1) bool { return namesIssuer(id, d.Issuing.Cert) }

// namesIssuer reports whether a CertID names issuer: per RFC 6960 section
// 4.1.1 issuerNameHash is the hash of the issuer's DER subject and
// issuerKeyHash the hash of its subjectPublicKey bits.
func namesIssuer(id certIDASN1, issuer *x509.Certificate) bool {
	h := hashForOID(id.HashAlgorithm.Algorithm)
	if h == 0 {
		return false
	}
	keyBits, err := spkiBits(issuer.RawSubjectPublicKeyInfo)
	if err != nil {
		return false
	}
	nh := h.New()
	nh.Write(issuer.RawSubject)
	kh := h.New()
	kh.Write(keyBits)
	return bytes.Equal(nh.Sum(nil), id.IssuerNameHash) && bytes.Equal(kh.Sum(nil), id.IssuerKeyHash)
}

// OCSPHandler is an OCSP responder (RFC 6960) for certificates of the issuing
// CA, signed by the delegated responder certificate d.OCSP (RFC 6960 section
// 4.2.2.2), which travels in the response so clients can verify it. It takes
// requests by POST and by GET with the base64 request as the last part of the
// path (RFC 6960 appendix A.1), wherever the handler is mounted.
//
// A certificate is "revoked" once rev says so at now and "good" otherwise: the
// responder does not keep a list of issued serials, so it cannot say
// "unknown" for serials it never issued. A request naming another issuer gets
// the "unauthorized" response (RFC 6960 section 2.3). A nonce in the request
// (RFC 8954) is echoed in responseExtensions, and such a response is marked
// uncacheable. A nil rev means nothing is revoked; a nil now means time.Now.
func (d *Dev) OCSPHandler(rev RevocationList, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var der []byte
		switch r.Method {
		case http.MethodPost:
			body, err := io.ReadAll(io.LimitReader(r.Body, maxOCSPRequest+1))
			if err != nil || len(body) > maxOCSPRequest {
				writeOCSP(w, http.StatusOK, ocsp.MalformedRequestErrorResponse)
				return
			}
			der = body
		case http.MethodGet:
			der = requestFromPath(r.URL.EscapedPath())
			if der == nil {
				writeOCSP(w, http.StatusOK, ocsp.MalformedRequestErrorResponse)
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}

		q, err := parseOCSPRequest(der)
		if err != nil {
			writeOCSP(w, http.StatusOK, ocsp.MalformedRequestErrorResponse)
			return
		}
		for _, id := range q.ids {
			if !d.issuedByUs(id) {
				writeOCSP(w, http.StatusOK, ocsp.UnauthorizedErrorResponse)
				return
			}
		}
		t := now()
		resp, err := d.ocspResponse(q, rev, t)
		if err != nil {
			writeOCSP(w, http.StatusInternalServerError, ocsp.InternalErrorErrorResponse)
			return
		}
		if q.nonce != nil || r.Method == http.MethodPost {
			w.Header().Set("Cache-Control", "no-store")
		} else {
			// RFC 5019 section 6.2: let HTTP caches keep a GET response no
			// longer than it is fresh.
			w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d, public, no-transform, must-revalidate", int(ocspValidity/time.Second)))
			w.Header().Set("Last-Modified", t.UTC().Format(http.TimeFormat))
			w.Header().Set("Expires", t.Add(ocspValidity).UTC().Format(http.TimeFormat))
		}
		writeOCSP(w, http.StatusOK, resp)
	})
}

func writeOCSP(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// requestFromPath finds the base64 OCSP request at the end of a GET path.
// Standard base64 may contain "/", and clients do not always percent-encode
// it, so the last path segment is not necessarily the whole request, and the
// handler does not know where it is mounted: each suffix of path segments is
// tried, longest first, and the first that decodes to an OCSP request wins.
func requestFromPath(escaped string) []byte {
	segs := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	for i := range segs {
		s, err := url.PathUnescape(strings.Join(segs[i:], "/"))
		if err != nil || s == "" {
			continue
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			der, err := enc.DecodeString(s)
			if err != nil {
				continue
			}
			if _, err := parseOCSPRequest(der); err == nil {
				return der
			}
		}
	}
	return nil
}

// ocspResponse builds and signs a successful BasicOCSPResponse (RFC 6960
// section 4.2.1) answering every CertID of q at now.
func (d *Dev) ocspResponse(q *ocspQuery, rev RevocationList, now time.Time) ([]byte, error) {
	now = now.UTC().Truncate(time.Second)
	responderKeyHash, err := keyHashSHA1(d.OCSP.Cert)
	if err != nil {
		return nil, err
	}
	// ResponderID byKey [2] (RFC 6960 section 4.2.2.3), which RFC 5019
	// section 2.2.3 recommends.
	keyHash, err := asn1.Marshal(responderKeyHash)
	if err != nil {
		return nil, err
	}
	data := responseDataASN1{
		ResponderID: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, IsCompound: true, Bytes: keyHash},
		ProducedAt:  now,
	}
	for i, id := range q.ids {
		sr := singleResponseASN1{
			CertID:     asn1.RawValue{FullBytes: q.rawIDs[i]},
			ThisUpdate: now,
			NextUpdate: now.Add(ocspValidity),
		}
		if at, reason, ok := revoked(rev, id.SerialNumber, now); ok {
			sr.Revoked = revokedInfoASN1{RevocationTime: at.UTC().Truncate(time.Second), Reason: asn1.Enumerated(reason)}
		} else {
			sr.Good = true
		}
		data.Responses = append(data.Responses, sr)
	}
	if q.nonce != nil {
		// RFC 8954 section 2.1: the nonce goes back unchanged and
		// non-critical.
		data.Extensions = []pkix.Extension{{Id: oidOCSPNonce, Value: q.nonce.Value}}
	}
	tbs, err := asn1.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("pki: ocsp response: %w", err)
	}
	algo, sig, err := signTBS(d.OCSP.Key, tbs)
	if err != nil {
		return nil, err
	}
	basic, err := asn1.Marshal(basicResponseASN1{
		TBSResponseData:    asn1.RawValue{FullBytes: tbs},
		SignatureAlgorithm: algo,
		Signature:          asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
		Certs:              []asn1.RawValue{{FullBytes: d.OCSP.Cert.Raw}},
	})
	if err != nil {
		return nil, fmt.Errorf("pki: ocsp response: %w", err)
	}
	return asn1.Marshal(ocspResponseASN1{
		Status:        asn1.Enumerated(ocsp.Success),
		ResponseBytes: responseBytesASN1{ResponseType: oidOCSPBasic, Response: basic},
	})
}

// revoked asks rev about serial, ignoring revocations dated after now so that
// an answer for a past moment shows the state at that moment.
func revoked(rev RevocationList, serial *big.Int, now time.Time) (time.Time, int, bool) {
	if rev == nil {
		return time.Time{}, 0, false
	}
	at, reason, ok := rev.Revoked(serial)
	if !ok || at.After(now) {
		return time.Time{}, 0, false
	}
	return at, reason, true
}

// keyHashSHA1 is the SHA-1 hash of a certificate's subjectPublicKey bits, the
// KeyHash of RFC 6960 section 4.2.1.
func keyHashSHA1(c *x509.Certificate) ([]byte, error) {
	bits, err := spkiBits(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(bits)
	return sum[:], nil
}

// signTBS signs DER data with key and names the algorithm used, choosing the
// hash that matches the key's strength as crypto/x509 does.
func signTBS(key crypto.Signer, tbs []byte) (pkix.AlgorithmIdentifier, []byte, error) {
	var (
		algo pkix.AlgorithmIdentifier
		hash crypto.Hash
	)
	switch pub := key.Public().(type) {
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P384():
			algo.Algorithm, hash = oidECDSAWithSHA384, crypto.SHA384
		case elliptic.P521():
			algo.Algorithm, hash = oidECDSAWithSHA512, crypto.SHA512
		default:
			algo.Algorithm, hash = oidECDSAWithSHA256, crypto.SHA256
		}
	case *rsa.PublicKey:
		algo.Algorithm, hash = oidSHA256WithRSA, crypto.SHA256
		algo.Parameters = asn1.NullRawValue
	case ed25519.PublicKey:
		algo.Algorithm = oidEd25519
	default:
		return algo, nil, fmt.Errorf("pki: unsupported signing key %T", pub)
	}
	digest := tbs
	if hash != 0 {
		h := hash.New()
		h.Write(tbs)
		digest = h.Sum(nil)
	}
	sig, err := key.Sign(rand.Reader, digest, hash)
	if err != nil {
		return algo, nil, fmt.Errorf("pki: sign: %w", err)
	}
	return algo, sig, nil
}
