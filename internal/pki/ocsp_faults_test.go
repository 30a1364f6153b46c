package pki

import (
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// TestHTTPOCSPRefusesWhatProvesNothing: the production fetcher of OCSP
// responses (what completion to B-LT/B-LTA embeds) is given a broken or
// hostile responder, and every answer that would not prove the
// certificate's status at the time of a signature made now is an error,
// never data to embed. Responders that leave out the nonce, as those
// serving pre-signed answers do, are still accepted when fresh, and so is
// an authentic revocation: whether it came after a signature is the
// validator's to judge, from that very data.
func TestHTTPOCSPRefusesWhatProvesNothing(t *testing.T) {
	d, _ := newDev(t, Options{})
	rev, err := OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, issuer := d.Seal.Cert, d.Issuing.Cert
	if err := rev.Revoke(new(big.Int).Set(cert.SerialNumber), ocsp.KeyCompromise, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	// made signs a response about cert with x/crypto/ocsp, which sends
	// back no nonce and a producedAt of the current minute.
	made := func(status int, signer KeyPair, thisUpdate time.Time) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			der, err := ocsp.CreateResponse(issuer, signer.Cert, ocsp.Response{
				Status: status, SerialNumber: cert.SerialNumber, ThisUpdate: thisUpdate,
				NextUpdate: thisUpdate.Add(time.Hour), Certificate: signer.Cert, RevokedAt: thisUpdate,
			}, signer.Key)
			if err != nil {
				t.Error(err)
			}
			w.Write(der)
		})
	}
	at := func(shift time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(shift) } }
	// replay answers every request with the answer to the first one.
	replay := func() http.Handler {
		var once sync.Once
		var first []byte
		h := d.OCSPHandler(nil, nil)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			once.Do(func() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				first = rec.Body.Bytes()
			})
			w.Write(first)
		})
	}
	// bare echoes the request's nonce without its OCTET STRING, as
	// responders written to RFC 2560, which left the encoding open, do.
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q, err := parseOCSPRequest(body)
		if err != nil || q.nonce == nil {
			t.Errorf("request without a nonce: %v", err)
			return
		}
		var nonce []byte
		asn1.Unmarshal(q.nonce.Value, &nonce)
		q.nonce = &pkix.Extension{Id: oidOCSPNonce, Value: nonce}
		der, err := d.ocspResponse(q, nil, time.Now())
		if err != nil {
			t.Error(err)
		}
		w.Write(der)
	})
	now := time.Now()
	for name, tc := range map[string]struct {
		handler   http.Handler
		presigned bool   // HTTPOCSP.Presigned
		calls     int    // requests before the one checked
		want      string // part of the error; empty: accepted
		status    int    // of what is accepted
	}{
		"ok/dev-responder-with-nonce": {handler: d.OCSPHandler(nil, nil)},
		"ok/no-nonce":                 {handler: made(ocsp.Good, d.OCSP, now.Truncate(time.Minute))},
		"ok/bare-nonce-echoed":        {handler: bare},
		"ok/revoked":                  {handler: d.OCSPHandler(rev, nil), status: ocsp.Revoked},
		"fail/unknown":                {handler: made(ocsp.Unknown, d.OCSP, now.Truncate(time.Minute)), want: "unknown"},
		"fail/signed-by-a-subscriber": {handler: made(ocsp.Good, d.TSA, now.Truncate(time.Minute)), want: "not an ocsp responder"},
		"fail/stale":                  {handler: d.OCSPHandler(nil, at(-time.Hour)), want: "stale"},
		"ok/presigned-and-current":    {handler: d.OCSPHandler(nil, at(-time.Hour)), presigned: true},
		"fail/presigned-past-next-update": {handler: made(ocsp.Good, d.OCSP, now.Add(-2*time.Hour)), presigned: true,
			want: "next update"},
		"fail/past-next-update": {handler: made(ocsp.Good, d.OCSP, now.Add(-2*time.Hour)), want: "next update"},
		"fail/from-the-future":  {handler: d.OCSPHandler(nil, at(time.Hour)), want: "future"},
		"fail/replayed":         {handler: replay(), calls: 1, want: "nonce"},
		"fail/http-500": {handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}), want: "status 500"},
		"fail/garbage": {handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "0\x82garbage")
		}), want: "asn1"},
		"fail/try-later": {handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(ocsp.TryLaterErrorResponse)
		}), want: "try later"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			src := HTTPOCSP{Responder: srv.URL, Presigned: tc.presigned}
			for range tc.calls {
				src.OCSP(context.Background(), cert, issuer)
			}
			der, err := src.OCSP(context.Background(), cert, issuer)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
				if resp, err := ocsp.ParseResponseForCert(der, cert, issuer); err != nil || resp.Status != tc.status {
					t.Fatalf("accepted %v, status %v", err, resp)
				}
			case err == nil:
				t.Fatal("accepted")
			case !strings.Contains(strings.ToLower(err.Error()), tc.want):
				t.Fatalf("refused for another reason: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestHTTPOCSPUnreachable: a responder that refuses connections or hangs
// is an error within the client's timeout, not a wait for ever.
func TestHTTPOCSPUnreachable(t *testing.T) {
	d, _ := newDev(t, Options{})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	for name, url := range map[string]string{"refused": closed.URL, "hang": hang.URL} {
		src := HTTPOCSP{Responder: url, Client: &http.Client{Timeout: 100 * time.Millisecond}}
		if _, err := src.OCSP(context.Background(), d.Seal.Cert, d.Issuing.Cert); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
