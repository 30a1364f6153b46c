package tsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// misbehaving is a TSA that answers with what the test tells it: it builds a
// real token with the package's own issuing code, then breaks one thing.
type misbehaving struct {
	auth   *Authority              // signs; its certificate may be unfit on purpose
	req    func(*request)          // changes the request before it is honoured
	tst    func(*tstInfo)          // changes the TSTInfo before signing
	params signParams              // content type, ESSCertID, certificates
	noCert bool                    // ignore certReq
	token  func([]byte) []byte     // changes the signed token
	reply  func(tok []byte) []byte // replaces the whole response
	ctype  string                  // response media type; default application/timestamp-reply
	status int                     // HTTP status; default 200
}

func (m *misbehaving) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req request
	if err := unmarshalDER(body, &req, "request"); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if m.req != nil {
		m.req(&req)
	}
	tst, _, err := m.auth.prepare(r.Context(), &req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if m.tst != nil {
		m.tst(tst)
	}
	tok, err := m.auth.sign(tst, req.CertReq && !m.noCert, m.params)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if m.token != nil {
		tok = m.token(tok)
	}
	resp, err := asn1.Marshal(response{Status: pkiStatusInfo{Status: int(Granted)}, TimeStampToken: asn1.RawValue{FullBytes: tok}})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if m.reply != nil {
		resp = m.reply(tok)
	}
	ctype := m.ctype
	if ctype == "" {
		ctype = replyType
	}
	w.Header().Set("Content-Type", ctype)
	if m.status != 0 {
		w.WriteHeader(m.status)
	}
	w.Write(resp)
}

func setGenTime(at time.Time) func(*tstInfo) {
	return func(t *tstInfo) { t.GenTime, _ = encodeGenTime(at, time.Second) }
}

func TestClient(t *testing.T) {
	e := newEnv(t, "p256", true)
	other := newEnv(t, "p256", false)     // another root's TSA
	rsaEnv := newEnv(t, "rsa", true)      // an RSA TSA under an intermediate
	unfit := func(o tsaOpts) *Authority { // a TSA certificate under e's CA that NewAuthority would refuse
		cert, key := e.inter.tsa(t, o)
		return &Authority{Key: key, Cert: cert, Chain: e.auth.Chain}
	}
	expiredCert, expiredKey := e.inter.tsa(t, tsaOpts{notBefore: time.Now().AddDate(-2, 0, 0), notAfter: time.Now().AddDate(-1, 0, 0)})
	expired := &Authority{Key: expiredKey, Cert: expiredCert, Chain: e.auth.Chain, Clock: fakeClock(time.Now().AddDate(-1, -6, 0))}
	const marker = 0x5e615e615e615e61

	type test struct {
		handler http.Handler
		env     *env
		policy  asn1.ObjectIdentifier
		hash    crypto.Hash
		digest  []byte
		want    error
	}
	tests := map[string]test{
		"ok/authority":            {handler: e.auth},
		"ok/rsa-intermediate":     {handler: rsaEnv.auth, env: rsaEnv},
		"ok/policy":               {handler: e.auth, policy: DevPolicy},
		"ok/sha512":               {handler: e.auth, hash: crypto.SHA512},
		"ok/granted-with-mods":    {handler: &misbehaving{auth: e.auth, reply: func(tok []byte) []byte { return grantedWith(t, GrantedWithMods, tok) }}},
		"fail/wrong-nonce":        {handler: &misbehaving{auth: e.auth, tst: func(t *tstInfo) { t.Nonce = new(big.Int).Add(t.Nonce, big.NewInt(1)) }}, want: ErrNonceMismatch},
		"fail/no-nonce":           {handler: &misbehaving{auth: e.auth, req: func(r *request) { r.Nonce = nil }}, want: ErrNonceMissing},
		"fail/other-imprint":      {handler: &misbehaving{auth: e.auth, tst: func(t *tstInfo) { t.MessageImprint.HashedMessage = digestOf("other data") }}, want: ErrImprint},
		"fail/imprint-hash":       {handler: &misbehaving{auth: e.auth, tst: func(t *tstInfo) { t.MessageImprint.HashAlgorithm.Algorithm = oidSHA512 }}, want: ErrImprint},
		"fail/non-critical-eku":   {handler: &misbehaving{auth: unfit(tsaOpts{nonCritical: true})}, want: ErrTSACertificate},
		"fail/extra-eku":          {handler: &misbehaving{auth: unfit(tsaOpts{ekus: []asn1.ObjectIdentifier{oidKPTimeStamping, {1, 3, 6, 1, 5, 5, 7, 3, 4}}})}, want: ErrTSACertificate},
		"fail/no-eku":             {handler: &misbehaving{auth: unfit(tsaOpts{noEKU: true})}, want: ErrTSACertificate},
		"fail/ca-certificate":     {handler: &misbehaving{auth: unfit(tsaOpts{isCA: true})}, want: ErrTSACertificate},
		"fail/other-root":         {handler: other.auth, want: ErrChain},
		"fail/expired-at-gentime": {handler: &misbehaving{auth: expired, tst: setGenTime(time.Now())}, want: ErrChain},
		"fail/no-certificates":    {handler: &misbehaving{auth: e.auth, noCert: true}, want: ErrTSACertificate},
		"fail/ess-cert-id":        {handler: &misbehaving{auth: e.auth, params: signParams{essCert: e.inter.cert}}, want: ErrSignerCertID},
		"fail/not-tstinfo":        {handler: &misbehaving{auth: e.auth, params: signParams{contentType: oidData}}, want: ErrNotTSTInfo},
		"fail/bad-signature":      {handler: &misbehaving{auth: e.auth, token: func(b []byte) []byte { b[len(b)-1] ^= 0x01; return b }}, want: ErrSignature},
		"fail/tampered-tstinfo": {handler: &misbehaving{
			auth: e.auth,
			tst:  func(t *tstInfo) { t.SerialNumber = big.NewInt(marker) },
			token: func(b []byte) []byte {
				return bytes.Replace(b, big.NewInt(marker).Bytes(), big.NewInt(marker+1).Bytes(), 1)
			},
		}, want: ErrSignature},
		"fail/policy-mismatch":   {handler: &misbehaving{auth: e.auth, req: func(r *request) { r.ReqPolicy = nil }}, policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 3161, 2}, want: ErrPolicyMismatch},
		"fail/unaccepted-policy": {handler: e.auth, policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 3161, 2}, want: ErrRejected},
		"fail/future-gentime":    {handler: &misbehaving{auth: e.auth, tst: setGenTime(time.Now().Add(10 * time.Minute))}, want: ErrGenTime},
		"fail/past-gentime":      {handler: &misbehaving{auth: e.auth, tst: setGenTime(time.Now().Add(-10 * time.Minute))}, want: ErrGenTime},
		"fail/rejection":         {handler: &misbehaving{auth: e.auth, reply: func([]byte) []byte { return rejection(t, BadRequest) }}, want: ErrRejected},
		"fail/waiting":           {handler: &misbehaving{auth: e.auth, reply: func(tok []byte) []byte { return grantedWith(t, Waiting, tok) }}, want: ErrRejected},
		"fail/granted-no-token":  {handler: &misbehaving{auth: e.auth, reply: func([]byte) []byte { return grantedWith(t, Granted, nil) }}, want: ErrMalformed},
		"fail/garbage":           {handler: &misbehaving{auth: e.auth, reply: func([]byte) []byte { return []byte("<html>hello</html>") }}, want: ErrMalformed},
		"fail/trailing-garbage":  {handler: &misbehaving{auth: e.auth, reply: func(tok []byte) []byte { return append(grantedWith(t, Granted, tok), 0) }}, want: ErrMalformed},
		"fail/http-500":          {handler: &misbehaving{auth: e.auth, status: http.StatusInternalServerError}, want: ErrHTTPStatus},
		"fail/content-type":      {handler: &misbehaving{auth: e.auth, ctype: "text/html"}, want: ErrContentType},
		"fail/clock-unsynced":    {handler: &Authority{Key: e.auth.Key, Cert: e.auth.Cert, Chain: e.auth.Chain, Clock: unsynced{ErrClockUnsynced}}, want: ErrRejected},
		"fail/sha1":              {handler: e.auth, hash: crypto.SHA1, want: ErrWeakHash},
		"fail/md5":               {handler: e.auth, hash: crypto.MD5, digest: make([]byte, 16), want: ErrWeakHash},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				tc.handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			env := tc.env
			if env == nil {
				env = e
			}
			h, digest := tc.hash, tc.digest
			if h == 0 {
				h = crypto.SHA256
			}
			if digest == nil {
				if h == crypto.SHA1 {
					s := sha1.Sum([]byte("data"))
					digest = s[:]
				} else {
					d := h.New()
					d.Write([]byte("data"))
					digest = d.Sum(nil)
				}
			}
			c := &Client{URL: srv.URL, Roots: env.roots, Policy: tc.policy}
			tok, err := c.Stamp(context.Background(), h, digest)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Verify(tok, h, digest, VerifyOptions{Roots: env.roots}); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) || tok != nil {
				t.Fatalf("got %d bytes, %v; want %v", len(tok), err, tc.want)
			}
			t.Log(err)
			if tc.want == ErrWeakHash && requests.Load() != 0 {
				t.Error("a weak hash was sent to the TSA")
			}
		})
	}
}

func TestClientRejectionDetails(t *testing.T) {
	e := newEnv(t, "p256", false)
	srv := httptest.NewServer(&Authority{Key: e.auth.Key, Cert: e.auth.Cert, Clock: unsynced{ErrClockUnsynced}})
	defer srv.Close()
	_, err := (&Client{URL: srv.URL, Roots: e.roots}).Stamp(context.Background(), crypto.SHA256, digestOf("x"))
	se, ok := errors.AsType[*StatusError](err)
	if !ok || se.Status != Rejection || se.FailInfo != TimeNotAvailable || len(se.Text) != 1 {
		t.Fatalf("got %#v", err)
	}
}

// A TSA that hangs is abandoned when the caller's context ends.
func TestClientTimeout(t *testing.T) {
	e := newEnv(t, "p256", false)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := (&Client{URL: srv.URL, Roots: e.roots}).Stamp(ctx, crypto.SHA256, digestOf("x"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}

func grantedWith(t testing.TB, s Status, tok []byte) []byte {
	t.Helper()
	r := response{Status: pkiStatusInfo{Status: int(s)}}
	if tok != nil {
		r.TimeStampToken = asn1.RawValue{FullBytes: tok}
	}
	return mustMarshal(t, r)
}

func rejection(t testing.TB, f FailureInfo) []byte {
	t.Helper()
	return mustMarshal(t, response{Status: pkiStatusInfo{Status: int(Rejection), StatusString: freeText("no"), FailInfo: f.bitString()}})
}
