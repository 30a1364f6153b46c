package tsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/pki/pkitest"
)

func TestNewAuthority(t *testing.T) {
	root := newRoot(t, "root")
	inter := root.intermediate(t, "issuing")
	good, goodKey := root.tsa(t, tsaOpts{})
	underInter, underInterKey := inter.tsa(t, tsaOpts{key: "rsa"})
	type test struct {
		key   crypto.Signer
		cert  *x509.Certificate
		chain []*x509.Certificate
		want  string // error substring; empty for success
	}
	mk := func(o tsaOpts, want string) test {
		c, k := root.tsa(t, o)
		return test{key: k, cert: c, want: want}
	}
	tests := map[string]test{
		"ok/p256":                   {key: goodKey, cert: good},
		"ok/rsa-under-intermediate": {key: underInterKey, cert: underInter, chain: []*x509.Certificate{inter.cert}},
		"fail/ed25519":              mk(tsaOpts{key: "ed25519"}, "ed25519"),
		"ok/p384":                   mk(tsaOpts{key: "p384"}, ""),
		"fail/non-critical-eku":     mk(tsaOpts{nonCritical: true}, "not critical"),
		"fail/no-eku":               mk(tsaOpts{noEKU: true}, "no extended key usage"),
		"fail/extra-eku":            mk(tsaOpts{ekus: []asn1.ObjectIdentifier{oidKPTimeStamping, {1, 3, 6, 1, 5, 5, 7, 3, 1}}}, "not exactly timeStamping"),
		"fail/ca":                   mk(tsaOpts{isCA: true}, "is a ca"),
		"fail/key-mismatch":         {key: underInterKey, cert: good, want: "does not match"},
		"fail/wrong-chain":          {key: underInterKey, cert: underInter, chain: []*x509.Certificate{root.cert}, want: "chain"},
		"fail/no-key":               {cert: good, want: "needs a key"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewAuthority(tc.key, tc.cert, tc.chain)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// An authority whose certificate is replaced checks the new one before its
// next token: the check of a certificate is kept only for that certificate.
func TestStampChecksAReplacedCertificate(t *testing.T) {
	e := newEnv(t, "p256", false)
	a := e.auth
	if _, err := a.Stamp(context.Background(), crypto.SHA256, digestOf("x")); err != nil {
		t.Fatal(err)
	}
	a.Cert, a.Key = e.root.tsa(t, tsaOpts{nonCritical: true})
	if _, err := a.Stamp(context.Background(), crypto.SHA256, digestOf("x")); !errors.Is(err, ErrTSACertificate) {
		t.Fatalf("a certificate with a non-critical EKU: got %v, want ErrTSACertificate", err)
	}
}

func TestStampVerify(t *testing.T) {
	at := time.Now().Add(-time.Minute).Truncate(time.Second).Add(700 * time.Millisecond)
	for _, tc := range []struct {
		key   string
		inter bool
	}{{"p256", false}, {"p384", false}, {"rsa", true}} {
		t.Run("ok/"+tc.key, func(t *testing.T) {
			e := newEnv(t, tc.key, tc.inter)
			e.auth.Clock = fakeClock(at)
			digest := digestOf("a document")
			tok, err := e.auth.Stamp(context.Background(), crypto.SHA256, digest)
			if err != nil {
				t.Fatal(err)
			}
			info, err := Verify(tok, crypto.SHA256, digest, VerifyOptions{Roots: e.roots, Policy: DevPolicy})
			if err != nil {
				t.Fatal(err)
			}
			if want := at.Truncate(time.Second); !info.GenTime.Equal(want) {
				t.Errorf("gentime %v, want %v (truncated to the 1 s accuracy)", info.GenTime, want)
			}
			if info.Accuracy != time.Second || !info.Policy.Equal(DevPolicy) || info.Hash != crypto.SHA256 ||
				!bytes.Equal(info.Digest, digest) || info.Nonce != nil || !info.Certificate.Equal(e.auth.Cert) {
				t.Errorf("info %+v", info)
			}
			wantChain := 1
			if tc.inter {
				wantChain = 2
			}
			if len(info.Chain) != wantChain || !info.Chain[len(info.Chain)-1].Equal(e.root.cert) {
				t.Errorf("chain of %d certificates, want %d ending in the root", len(info.Chain), wantChain)
			}
			parsed, err := Parse(tok)
			if err != nil {
				t.Fatal(err)
			}
			if parsed.SerialNumber.Cmp(info.SerialNumber) != 0 || !parsed.Certificate.Equal(e.auth.Cert) || len(parsed.Chain) != wantChain-1 {
				t.Errorf("parse %+v", parsed)
			}
			if _, err := Verify(tok, crypto.SHA256, digestOf("another document"), VerifyOptions{Roots: e.roots}); !errors.Is(err, ErrImprint) {
				t.Errorf("other digest: got %v, want ErrImprint", err)
			}
			if _, err := Verify(tok, crypto.SHA256, digest, VerifyOptions{}); !errors.Is(err, ErrChain) {
				t.Errorf("no roots: got %v, want ErrChain", err)
			}
		})
	}
}

// Verify reads Ed25519 tokens (RFC 8419: SHA-512 digest, signature over the
// attributes themselves) though the Authority does not issue them.
func TestVerifyEd25519(t *testing.T) {
	root := newRoot(t, "root")
	cert, key := root.tsa(t, tsaOpts{key: "ed25519"})
	a := &Authority{Key: key, Cert: cert}
	imprint := imprintOf(t, "x")
	tst, _, err := a.prepare(context.Background(), &request{Version: 1, MessageImprint: imprint, CertReq: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.sign(tst, true, signParams{})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	if _, err := Verify(tok, crypto.SHA256, digestOf("x"), VerifyOptions{Roots: roots}); err != nil {
		t.Fatal(err)
	}
	tok[len(tok)-1] ^= 1
	if _, err := Verify(tok, crypto.SHA256, digestOf("x"), VerifyOptions{Roots: roots}); !errors.Is(err, ErrSignature) {
		t.Fatalf("tampered: got %v, want ErrSignature", err)
	}
}

func TestStampHashes(t *testing.T) {
	e := newEnv(t, "p256", false)
	for _, h := range []crypto.Hash{crypto.SHA384, crypto.SHA512} {
		d := h.New()
		d.Write([]byte("x"))
		tok, err := e.auth.Stamp(context.Background(), h, d.Sum(nil))
		if err != nil {
			t.Fatalf("%v: %v", h, err)
		}
		if _, err := Verify(tok, h, d.Sum(nil), VerifyOptions{Roots: e.roots}); err != nil {
			t.Fatalf("%v: %v", h, err)
		}
	}
	sum := sha1.Sum([]byte("x"))
	if _, err := e.auth.Stamp(context.Background(), crypto.SHA1, sum[:]); !errors.Is(err, ErrWeakHash) {
		t.Errorf("sha-1: got %v, want ErrWeakHash", err)
	}
	if _, err := e.auth.Stamp(context.Background(), crypto.SHA256, sum[:]); !errors.Is(err, ErrMalformed) {
		t.Errorf("short digest: got %v, want ErrMalformed", err)
	}
}

// A token proves existence at genTime: it verifies after the TSA certificate
// has expired when the chain is checked at genTime, and not when checked now.
func TestVerifyAtGenTime(t *testing.T) {
	root := newRoot(t, "root")
	nb := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	cert, key := root.tsa(t, tsaOpts{notBefore: nb, notAfter: nb.AddDate(1, 0, 0)})
	a, err := NewAuthority(key, cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	genTime := time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC)
	a.Clock = fakeClock(genTime)
	digest := digestOf("old document")
	tok, err := a.Stamp(context.Background(), crypto.SHA256, digest)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(rootValidFrom(t, root, nb))
	if _, err := Verify(tok, crypto.SHA256, digest, VerifyOptions{Roots: roots}); err != nil {
		t.Errorf("at genTime: %v", err)
	}
	if _, err := Verify(tok, crypto.SHA256, digest, VerifyOptions{Roots: roots, CurrentTime: time.Now()}); !errors.Is(err, ErrChain) {
		t.Errorf("at now: got %v, want ErrChain", err)
	}
	if _, err := Verify(tok, crypto.SHA256, digest, VerifyOptions{Roots: roots, CurrentTime: genTime.Add(-time.Hour)}); !errors.Is(err, ErrGenTime) {
		t.Errorf("before genTime: got %v, want ErrGenTime", err)
	}
	// The authority itself refuses once its certificate has expired (EN 319 421).
	a.Clock = fakeClock(nb.AddDate(2, 0, 0))
	if _, err := a.Stamp(context.Background(), crypto.SHA256, digest); !errors.Is(err, ErrTSACertificate) {
		t.Errorf("expired authority: got %v, want ErrTSACertificate", err)
	}
}

// rootValidFrom re-issues a root with the same key and name whose validity
// starts at nb, so that a chain can be valid in the past.
func rootValidFrom(t testing.TB, root *ca, nb time.Time) *x509.Certificate {
	t.Helper()
	tmpl := *root.cert
	tmpl.NotBefore = nb
	tmpl.NotAfter = time.Now().AddDate(20, 0, 0)
	return pkitest.Issue(t, &tmpl, &tmpl, root.key.Public(), root.key)
}

func TestClockUnsynced(t *testing.T) {
	e := newEnv(t, "p256", false)
	for name, src := range map[string]TimeSource{
		"unsynced":     unsynced{ErrClockUnsynced},
		"source-error": unsynced{errors.New("ntp: no server reachable")},
	} {
		t.Run("fail/"+name, func(t *testing.T) {
			e.auth.Clock = src
			if tok, err := e.auth.Stamp(context.Background(), crypto.SHA256, digestOf("d")); !errors.Is(err, ErrClockUnsynced) || tok != nil {
				t.Errorf("stamp: got %d bytes, %v; want ErrClockUnsynced and no token", len(tok), err)
			}
			resp := postQuery(t, e.auth, query(t, request{Version: 1, MessageImprint: imprintOf(t, "d"), CertReq: true}))
			r := decodeResponse(t, resp)
			if r.Status.Status != int(Rejection) || failureInfoFromBits(r.Status.FailInfo) != TimeNotAvailable {
				t.Errorf("status %d failInfo %v, want rejection timeNotAvailable", r.Status.Status, failureInfoFromBits(r.Status.FailInfo))
			}
			if len(r.TimeStampToken.FullBytes) != 0 {
				t.Error("a token came with the rejection")
			}
		})
	}
}

func imprintOf(t testing.TB, s string) messageImprint {
	t.Helper()
	m, err := makeImprint(crypto.SHA256, digestOf(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func query(t testing.TB, r request) []byte {
	t.Helper()
	return mustMarshal(t, r)
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func postQuery(t testing.TB, h http.Handler, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/dev/tsa", bytes.NewReader(body))
	req.Header.Set("Content-Type", queryType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func decodeResponse(t testing.TB, w *httptest.ResponseRecorder) response {
	t.Helper()
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != replyType {
		t.Fatalf("http %d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var r response
	if err := unmarshalDER(w.Body.Bytes(), &r, "response"); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestServeHTTP(t *testing.T) {
	e := newEnv(t, "p256", true)
	md5Imprint := messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidMD5, Parameters: asn1.NullRawValue}, HashedMessage: make([]byte, 16)}
	sha1Imprint := messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA1}, HashedMessage: make([]byte, 20)}
	short := imprintOf(t, "x")
	short.HashedMessage = short.HashedMessage[:20]
	noParams := imprintOf(t, "x")
	noParams.HashAlgorithm.Parameters = asn1.RawValue{}
	odd := imprintOf(t, "x")
	odd.HashAlgorithm.Parameters = asn1.RawValue{FullBytes: []byte{0x02, 0x01, 0x00}}
	nonce := big.NewInt(0x1234567890)
	ok := query(t, request{Version: 1, MessageImprint: imprintOf(t, "x"), Nonce: nonce, CertReq: true})

	rejected := func(f FailureInfo) func(t *testing.T, w *httptest.ResponseRecorder) {
		return func(t *testing.T, w *httptest.ResponseRecorder) {
			r := decodeResponse(t, w)
			if got := failureInfoFromBits(r.Status.FailInfo); r.Status.Status != int(Rejection) || got != f {
				t.Errorf("status %d failInfo %v, want rejection %v", r.Status.Status, got, f)
			}
			if len(r.TimeStampToken.FullBytes) != 0 {
				t.Error("a token came with the rejection")
			}
		}
	}
	httpStatus := func(code int) func(t *testing.T, w *httptest.ResponseRecorder) {
		return func(t *testing.T, w *httptest.ResponseRecorder) {
			if w.Code != code {
				t.Errorf("http %d, want %d", w.Code, code)
			}
		}
	}
	granted := func(certs bool, nonce *big.Int) func(t *testing.T, w *httptest.ResponseRecorder) {
		return func(t *testing.T, w *httptest.ResponseRecorder) {
			tok, err := parseResponse(w.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			info, err := Parse(tok)
			if err != nil {
				t.Fatal(err)
			}
			if (info.Certificate != nil) != certs {
				t.Errorf("certificate in token: %v, want %v", info.Certificate != nil, certs)
			}
			if (nonce == nil) != (info.Nonce == nil) || (nonce != nil && nonce.Cmp(info.Nonce) != 0) {
				t.Errorf("nonce %v, want %v", info.Nonce, nonce)
			}
			if certs {
				if _, err := Verify(tok, crypto.SHA256, digestOf("x"), VerifyOptions{Roots: e.roots, Nonce: nonce}); err != nil {
					t.Error(err)
				}
			}
		}
	}
	tests := map[string]struct {
		method, ctype string
		body          []byte
		check         func(t *testing.T, w *httptest.ResponseRecorder)
	}{
		"ok/nonce-and-certs":      {body: ok, check: granted(true, nonce)},
		"ok/no-certreq":           {body: query(t, request{Version: 1, MessageImprint: imprintOf(t, "x")}), check: granted(false, nil)},
		"ok/absent-hash-params":   {body: query(t, request{Version: 1, MessageImprint: noParams, CertReq: true}), check: granted(true, nil)},
		"ok/requested-policy":     {body: query(t, request{Version: 1, MessageImprint: imprintOf(t, "x"), ReqPolicy: DevPolicy, CertReq: true}), check: granted(true, nil)},
		"ok/content-type-params":  {ctype: queryType + "; charset=binary", body: ok, check: granted(true, nonce)},
		"fail/get":                {method: http.MethodGet, check: httpStatus(http.StatusMethodNotAllowed)},
		"fail/content-type":       {ctype: "application/json", body: ok, check: httpStatus(http.StatusUnsupportedMediaType)},
		"fail/too-large":          {body: make([]byte, maxRequestBody+1), check: httpStatus(http.StatusRequestEntityTooLarge)},
		"fail/garbage":            {body: []byte("not a request"), check: rejected(BadDataFormat)},
		"fail/empty":              {body: nil, check: rejected(BadDataFormat)},
		"fail/trailing-data":      {body: append(bytes.Clone(ok), 0), check: rejected(BadDataFormat)},
		"fail/version-2":          {body: query(t, request{Version: 2, MessageImprint: imprintOf(t, "x")}), check: rejected(BadDataFormat)},
		"fail/md5":                {body: query(t, request{Version: 1, MessageImprint: md5Imprint}), check: rejected(BadAlg)},
		"fail/sha1":               {body: query(t, request{Version: 1, MessageImprint: sha1Imprint}), check: rejected(BadAlg)},
		"fail/short-digest":       {body: query(t, request{Version: 1, MessageImprint: short}), check: rejected(BadDataFormat)},
		"fail/hash-params":        {body: query(t, request{Version: 1, MessageImprint: odd}), check: rejected(BadDataFormat)},
		"fail/unaccepted-policy":  {body: query(t, request{Version: 1, MessageImprint: imprintOf(t, "x"), ReqPolicy: asn1.ObjectIdentifier{1, 2, 3}}), check: rejected(UnacceptedPolicy)},
		"fail/request-extension":  {body: query(t, request{Version: 1, MessageImprint: imprintOf(t, "x"), Extensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3}, Value: []byte{5, 0}}}}), check: rejected(UnacceptedExtension)},
		"fail/not-a-request-type": {body: mustMarshal(t, imprintOf(t, "x")), check: rejected(BadDataFormat)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			ctype := tc.ctype
			if ctype == "" {
				ctype = queryType
			}
			req := httptest.NewRequest(method, "/dev/tsa", bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", ctype)
			w := httptest.NewRecorder()
			e.auth.ServeHTTP(w, req)
			tc.check(t, w)
		})
	}
}

func TestSerialNumbersUnique(t *testing.T) {
	e := newEnv(t, "p256", false)
	seen := map[string]bool{}
	for range 200 {
		tok, err := e.auth.Stamp(context.Background(), crypto.SHA256, digestOf("same"))
		if err != nil {
			t.Fatal(err)
		}
		info, err := Parse(tok)
		if err != nil {
			t.Fatal(err)
		}
		if info.SerialNumber.Sign() <= 0 || info.SerialNumber.BitLen() > 128 {
			t.Fatalf("serial %v is not a positive 128-bit number", info.SerialNumber)
		}
		if seen[info.SerialNumber.String()] {
			t.Fatalf("serial %v issued twice", info.SerialNumber)
		}
		seen[info.SerialNumber.String()] = true
	}
}

func TestGenTime(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 34, 56, 789_120_000, time.FixedZone("CET", 3600))
	for acc, want := range map[time.Duration]string{
		time.Second:            "20261123113456Z",
		2 * time.Second:        "20261123113456Z",
		100 * time.Millisecond: "20261123113456.7Z",
		time.Millisecond:       "20261123113456.789Z",
		time.Microsecond:       "20261123113456.78912Z",
		time.Nanosecond:        "20261123113456.78912Z",
	} {
		rv, encoded := encodeGenTime(at, acc)
		if string(rv.Bytes) != want {
			t.Errorf("accuracy %v: %s, want %s", acc, rv.Bytes, want)
		}
		der, err := asn1.Marshal(rv)
		if err != nil {
			t.Fatal(err)
		}
		var back asn1.RawValue
		if err := unmarshalDER(der, &back, "gentime"); err != nil {
			t.Fatal(err)
		}
		got, err := parseGenTime(back)
		if err != nil || !got.Equal(encoded) {
			t.Errorf("accuracy %v: parsed %v, %v; want %v", acc, got, err, encoded)
		}
	}
	for _, bad := range []string{"20261123113456", "20261123113456.Z", "20261123113456.50Z", "2026112311345Z", "20261323113456Z", "20261123113456+0100", "2026112311345aZ", "20261123113456.5aZ", "20261123113456,5Z"} {
		if _, err := parseGenTime(asn1.RawValue{Tag: asn1.TagGeneralizedTime, Bytes: []byte(bad)}); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: got %v, want ErrMalformed", bad, err)
		}
	}
	if got, err := parseGenTime(asn1.RawValue{Tag: asn1.TagGeneralizedTime, Bytes: []byte("20261123113456.1234567891Z")}); err != nil || got.Nanosecond() != 123456789 {
		t.Errorf("sub-nanosecond fraction: %v, %v", got, err)
	}
}

func TestFailureInfoBits(t *testing.T) {
	bs := BadDataFormat.bitString()
	if !bytes.Equal(bs.Bytes, []byte{0x04}) || bs.BitLength != 6 {
		t.Errorf("badDataFormat encodes as %x/%d, want 04/6 (DER named bits)", bs.Bytes, bs.BitLength)
	}
	for _, f := range []FailureInfo{BadAlg, BadRequest, BadDataFormat, TimeNotAvailable, UnacceptedPolicy, UnacceptedExtension, AddInfoNotAvailable, SystemFailure, BadAlg | SystemFailure} {
		if got := failureInfoFromBits(f.bitString()); got != f {
			t.Errorf("%v round-trips to %v", f, got)
		}
	}
	if s := (BadAlg | TimeNotAvailable | 1<<30).String(); s != "badAlg,timeNotAvailable,bit30" {
		t.Errorf("String: %q", s)
	}
	if s := (&StatusError{Status: Rejection, FailInfo: TimeNotAvailable, Text: []string{"clock"}}).Error(); s != "tsp: request rejected: rejection (timeNotAvailable): clock" {
		t.Errorf("StatusError: %q", s)
	}
}

func TestStampContextCancelled(t *testing.T) {
	e := newEnv(t, "p256", false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.auth.Stamp(ctx, crypto.SHA256, digestOf("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// TestVerifyRemembersTheChain: the chain of a TSA's certificate is
// verified once per process for the tokens it signs (knownChains), and
// only while every certificate on it is valid: a token checked as of a
// time after the TSA certificate's end verifies the chain afresh and is
// refused. With extra intermediates, or other trust anchors, the chain is
// verified each time.
func TestVerifyRemembersTheChain(t *testing.T) {
	e := newEnv(t, "p256", true)
	ctx := context.Background()
	verified := func() int64 { return chainsVerified.Load() }
	stamp := func(s string) []byte {
		t.Helper()
		tok, err := e.auth.Stamp(ctx, crypto.SHA256, digestOf(s))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	start := verified()
	for i := range 5 {
		s := fmt.Sprint("document ", i)
		info, err := Verify(stamp(s), crypto.SHA256, digestOf(s), VerifyOptions{Roots: e.roots})
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Chain) != 2 || !info.Chain[0].Equal(e.inter.cert) {
			t.Fatalf("token %d: chain %v, want the issuing CA and the root", i, info.Chain)
		}
	}
	if n := verified() - start; n != 1 {
		t.Errorf("five tokens of one TSA verified its chain %d times, want once", n)
	}

	tok := stamp("late")
	late := e.auth.Cert.NotAfter.Add(time.Hour)
	if _, err := Verify(tok, crypto.SHA256, digestOf("late"), VerifyOptions{Roots: e.roots, CurrentTime: late}); !errors.Is(err, ErrChain) {
		t.Errorf("checked after the TSA certificate's end: %v, want ErrChain", err)
	}
	inter := x509.NewCertPool()
	inter.AddCert(e.inter.cert)
	other := x509.NewCertPool()
	other.AddCert(e.root.cert)
	start = verified()
	for _, opts := range []VerifyOptions{{Roots: e.roots, Intermediates: inter}, {Roots: e.roots, Intermediates: inter}, {Roots: other}} {
		if _, err := Verify(tok, crypto.SHA256, digestOf("late"), opts); err != nil {
			t.Fatal(err)
		}
	}
	if n := verified() - start; n != 3 {
		t.Errorf("with extra intermediates twice and other anchors once the chain was verified %d times, want 3", n)
	}
}
