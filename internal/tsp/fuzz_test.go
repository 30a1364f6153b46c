package tsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/testtool"
)

// seedTokens are real tokens: ours (P-256 with an intermediate, RSA, without
// certificates) and, when openssl is installed, one openssl issued.
func seedTokens(t testing.TB) ([][]byte, *env) {
	e := newEnv(t, "p256", true)
	rsaEnv := newEnv(t, "rsa", false)
	var toks [][]byte
	for _, a := range []*Authority{e.auth, rsaEnv.auth} {
		tok, err := a.Stamp(context.Background(), crypto.SHA256, digestOf("seed"))
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	noCerts, _, err := e.auth.issue(context.Background(), &request{Version: 1, MessageImprint: imprintOf(t, "seed"), Nonce: big.NewInt(42)})
	if err != nil {
		t.Fatal(err)
	}
	toks = append(toks, noCerts)
	if _, err := exec.LookPath("openssl"); err == nil {
		o := newOpenSSLTSA(t, e, "")
		q := query(t, request{Version: 1, MessageImprint: imprintOf(t, "seed"), Nonce: big.NewInt(7), CertReq: true})
		w := postQuery(t, o, q)
		if tok, err := parseResponse(w.Body.Bytes()); err == nil {
			toks = append(toks, tok)
		}
	}
	return toks, e
}

func FuzzParse(f *testing.F) {
	toks, e := seedTokens(f)
	for _, tok := range toks {
		f.Add(tok)
		f.Add(tok[:len(tok)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	digest := digestOf("seed")
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Parse(b)
		if err == nil && (info.SerialNumber == nil || info.GenTime.IsZero() || len(info.Digest) == 0) {
			t.Fatalf("parsed without the mandatory fields: %+v", info)
		}
		if info, err := Verify(b, crypto.SHA256, digest, VerifyOptions{Roots: e.roots}); err == nil {
			if info.Certificate == nil || len(info.Chain) == 0 {
				t.Fatalf("verified without a certificate path: %+v", info)
			}
		}
		if tok, err := parseResponse(b); err == nil && len(tok) == 0 {
			t.Fatal("granted response without a token")
		}
	})
}

// FuzzServeHTTP sends arbitrary bodies to the handler: every answer must be a
// well-formed TimeStampResp, a rejection for anything that is not a valid
// request, and a token that verifies for the request when granted.
func FuzzServeHTTP(f *testing.F) {
	e := newEnv(f, "p256", true)
	for _, r := range []request{
		{Version: 1, MessageImprint: imprintOf(f, "x"), Nonce: big.NewInt(1 << 40), CertReq: true},
		{Version: 1, MessageImprint: imprintOf(f, "x")},
		{Version: 1, MessageImprint: imprintOf(f, "x"), ReqPolicy: DevPolicy, CertReq: true},
		{Version: 1, MessageImprint: imprintOf(f, "x"), ReqPolicy: asn1.ObjectIdentifier{1, 2, 3}},
	} {
		f.Add(query(f, r))
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		dir := f.TempDir()
		data := pkitest.WriteFile(f, dir, "d", []byte("x"))
		for _, h := range []string{"-sha256", "-sha512", "-sha1"} {
			if out, err := testtool.OpenSSL(f, dir, "ts", "-query", "-data", data, h, "-cert", "-out", "q.tsq"); err != nil {
				f.Fatalf("%v\n%s", err, out)
			}
			q, err := os.ReadFile(filepath.Join(dir, "q.tsq"))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(q)
		}
	}
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/dev/tsa", bytes.NewReader(body))
		req.Header.Set("Content-Type", queryType)
		w := httptest.NewRecorder()
		e.auth.ServeHTTP(w, req)
		if len(body) > maxRequestBody {
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("http %d for %d bytes", w.Code, len(body))
			}
			return
		}
		resp := decodeResponse(t, w)
		var q request
		qerr := unmarshalDER(body, &q, "request")
		status := Status(resp.Status.Status)
		if status != Granted {
			if status != Rejection || resp.Status.FailInfo.BitLength == 0 || len(resp.TimeStampToken.FullBytes) != 0 {
				t.Fatalf("status %v failInfo %v with %d token bytes", status, failureInfoFromBits(resp.Status.FailInfo), len(resp.TimeStampToken.FullBytes))
			}
			if qerr != nil && failureInfoFromBits(resp.Status.FailInfo) != BadDataFormat {
				t.Fatalf("undecodable request rejected with %v", failureInfoFromBits(resp.Status.FailInfo))
			}
			return
		}
		if qerr != nil {
			t.Fatalf("granted an undecodable request: %v", qerr)
		}
		tok := resp.TimeStampToken.FullBytes
		h, err := q.MessageImprint.hash()
		if err != nil {
			t.Fatalf("granted a request with hash %v: %v", q.MessageImprint.HashAlgorithm.Algorithm, err)
		}
		if !q.CertReq {
			info, err := Parse(tok)
			if err != nil || info.Certificate != nil || !bytes.Equal(info.Digest, q.MessageImprint.HashedMessage) {
				t.Fatalf("token without certReq: %+v, %v", info, err)
			}
			return
		}
		if _, err := Verify(tok, h, q.MessageImprint.HashedMessage, VerifyOptions{Roots: e.roots, Nonce: q.Nonce, Policy: DevPolicy}); err != nil {
			t.Fatalf("granted token does not verify: %v", err)
		}
		if q.Nonce == nil {
			if info, _ := Parse(tok); info.Nonce != nil {
				t.Fatal("nonce invented")
			}
		}
	})
}

func BenchmarkStamp(b *testing.B) {
	e := newEnv(b, "p256", true)
	digest := sha256.Sum256([]byte("benchmark"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.auth.Stamp(ctx, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStampParallel(b *testing.B) {
	e := newEnv(b, "p256", true)
	digest := sha256.Sum256([]byte("benchmark"))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.auth.Stamp(context.Background(), crypto.SHA256, digest[:]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	e := newEnv(b, "p256", true)
	digest := sha256.Sum256([]byte("benchmark"))
	tok, err := e.auth.Stamp(context.Background(), crypto.SHA256, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(tok, crypto.SHA256, digest[:], VerifyOptions{Roots: e.roots}); err != nil {
			b.Fatal(err)
		}
	}
}
