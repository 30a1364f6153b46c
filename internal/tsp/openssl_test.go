package tsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/pki/pkitest"
	"github.com/segl/segl/internal/testtool"
)

// Our tokens are checked by a tool we did not write: `openssl ts`
// (testtool.OpenSSL). And our client checks what openssl issues as a TSA.

// tsaFiles writes root.pem and the TSA certificate with its intermediates
// (untrusted.pem), as openssl ts -verify wants them.
func (e *env) tsaFiles(t testing.TB, dir string) (root, untrusted string) {
	t.Helper()
	return pkitest.WritePEM(t, filepath.Join(dir, "root.pem"), e.root.cert),
		pkitest.WritePEM(t, filepath.Join(dir, "untrusted.pem"), append([]*x509.Certificate{e.auth.Cert}, e.auth.Chain...)...)
}

func TestOpenSSLVerifiesStamp(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	for _, tc := range []struct {
		key   string
		inter bool
	}{{"p256", false}, {"p384", true}, {"rsa", true}} {
		t.Run("ok/"+tc.key, func(t *testing.T) {
			e := newEnv(t, tc.key, tc.inter)
			dir := t.TempDir()
			data := []byte("segl document " + tc.key)
			sum := sha256.Sum256(data)
			tok, err := e.auth.Stamp(context.Background(), crypto.SHA256, sum[:])
			if err != nil {
				t.Fatal(err)
			}
			root, untrusted := e.tsaFiles(t, dir)
			dataFile := pkitest.WriteFile(t, dir, "data.bin", data)
			tokFile := pkitest.WriteFile(t, dir, "token.der", tok)
			out, err := testtool.OpenSSL(t, dir, "ts", "-verify", "-data", dataFile, "-in", tokFile, "-token_in", "-CAfile", root, "-untrusted", untrusted)
			if err != nil || !strings.Contains(out, "Verification: OK") {
				t.Fatalf("openssl ts -verify: %v\n%s", err, out)
			}
			// And openssl notices other data.
			other := pkitest.WriteFile(t, dir, "other.bin", []byte("other"))
			out, err = testtool.OpenSSL(t, dir, "ts", "-verify", "-data", other, "-in", tokFile, "-token_in", "-CAfile", root, "-untrusted", untrusted)
			if err == nil || !strings.Contains(out, "message imprint mismatch") {
				t.Fatalf("openssl accepted a token for other data: %v\n%s", err, out)
			}
		})
	}
}

// The HTTP handler answers openssl's own queries, and openssl checks the
// replies against those queries, nonce included.
func TestOpenSSLQueryToHandler(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	e := newEnv(t, "p256", true)
	srv := httptest.NewServer(e.auth)
	defer srv.Close()
	for _, tc := range []struct{ name, hash string }{{"ok/sha256", "-sha256"}, {"ok/sha512", "-sha512"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := pkitest.WriteFile(t, dir, "data.bin", []byte("a document for the handler"))
			out, err := testtool.OpenSSL(t, dir, "ts", "-query", "-data", data, tc.hash, "-cert", "-out", "q.tsq")
			if err != nil {
				t.Fatalf("openssl ts -query: %v\n%s", err, out)
			}
			q, err := os.ReadFile(filepath.Join(dir, "q.tsq"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(srv.URL+"/dev/tsa", queryType, bytes.NewReader(q))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != replyType {
				t.Fatalf("http %s %q", resp.Status, resp.Header.Get("Content-Type"))
			}
			pkitest.WriteFile(t, dir, "resp.tsr", body)
			root, untrusted := e.tsaFiles(t, dir)
			out, err = testtool.OpenSSL(t, dir, "ts", "-verify", "-queryfile", "q.tsq", "-in", "resp.tsr", "-CAfile", root, "-untrusted", untrusted)
			if err != nil || !strings.Contains(out, "Verification: OK") {
				t.Fatalf("openssl ts -verify -queryfile: %v\n%s", err, out)
			}
			out, err = testtool.OpenSSL(t, dir, "ts", "-reply", "-in", "resp.tsr", "-text")
			if err != nil || !strings.Contains(out, "Policy OID: "+DevPolicy.String()) || !strings.Contains(out, "Accuracy: 0x01 seconds") {
				t.Fatalf("openssl ts -reply -text: %v\n%s", err, out)
			}
		})
	}
}

// A time-stamp outlives its TSA certificate: ten years on, openssl refuses the
// chain as of then, and accepts it as of genTime (-attime), which is what a
// long-term validator does.
func TestOpenSSLAtTime(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	e := newEnv(t, "p256", false) // the TSA certificate expires within a year
	dir := t.TempDir()
	data := []byte("archived document")
	sum := sha256.Sum256(data)
	tok, err := e.auth.Stamp(context.Background(), crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	info, err := Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	root, untrusted := e.tsaFiles(t, dir)
	dataFile := pkitest.WriteFile(t, dir, "data.bin", data)
	tokFile := pkitest.WriteFile(t, dir, "token.der", tok)
	verify := func(at time.Time) (string, error) {
		return testtool.OpenSSL(t, dir, "ts", "-verify", "-data", dataFile, "-in", tokFile, "-token_in",
			"-CAfile", root, "-untrusted", untrusted, "-attime", strconv.FormatInt(at.Unix(), 10))
	}
	later := time.Now().AddDate(10, 0, 0)
	if out, err := verify(later); err == nil || !strings.Contains(out, "certificate has expired") {
		t.Fatalf("openssl accepted an expired TSA certificate at %v: %v\n%s", later, err, out)
	}
	if out, err := verify(info.GenTime); err != nil || !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl at genTime: %v\n%s", err, out)
	}
	// Verify agrees: at genTime by default, not as of ten years on.
	if _, err := Verify(tok, crypto.SHA256, sum[:], VerifyOptions{Roots: e.roots}); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(tok, crypto.SHA256, sum[:], VerifyOptions{Roots: e.roots, CurrentTime: later}); !errors.Is(err, ErrChain) {
		t.Fatalf("ten years on: got %v, want ErrChain", err)
	}
}

// opensslTSA is a TSA handler that shells out to `openssl ts -reply`.
type opensslTSA struct {
	t   testing.TB
	dir string
	mu  sync.Mutex // openssl updates its serial file
}

func newOpenSSLTSA(t testing.TB, e *env, essAlg string) *opensslTSA {
	t.Helper()
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(e.auth.Key)
	if err != nil {
		t.Fatal(err)
	}
	pkitest.WriteFile(t, dir, "tsa.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	pkitest.WritePEM(t, filepath.Join(dir, "tsa.pem"), e.auth.Cert)
	pkitest.WritePEM(t, filepath.Join(dir, "chain.pem"), e.auth.Chain...)
	pkitest.WriteFile(t, dir, "tsaserial", []byte("01\n"))
	essLine := ""
	if essAlg != "" {
		essLine = "ess_cert_id_alg = " + essAlg
	}
	chainLine := ""
	if len(e.auth.Chain) > 0 {
		chainLine = "certs = $dir/chain.pem"
	}
	cnf := fmt.Sprintf(`[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = %s
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
%s
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = %s
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500
ordering = no
tsa_name = yes
ess_cert_id_chain = no
%s
`, dir, chainLine, DevPolicy, essLine)
	pkitest.WriteFile(t, dir, "tsa.cnf", []byte(cnf))
	return &opensslTSA{t: t, dir: dir}
}

func (o *opensslTSA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	q, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := os.WriteFile(filepath.Join(o.dir, "q.tsq"), q, 0o600); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	cmd := exec.Command("openssl", "ts", "-reply", "-config", "tsa.cnf", "-queryfile", "q.tsq", "-out", "r.tsr")
	cmd.Dir = o.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		o.t.Errorf("openssl ts -reply: %v\n%s", err, out)
		http.Error(w, "openssl failed", http.StatusInternalServerError)
		return
	}
	resp, err := os.ReadFile(filepath.Join(o.dir, "r.tsr"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", replyType)
	w.Write(resp)
}

// Our client accepts what openssl issues as a TSA, with ESSCertID (SHA-1,
// openssl's default) and with ESSCertIDv2 (SHA-256), and Verify reads the
// fractional accuracy openssl declares.
func TestClientAgainstOpenSSLTSA(t *testing.T) {
	testtool.Need(t, "openssl", "openssl")
	for _, tc := range []struct {
		name, key, ess string
		inter          bool
		attr           string // the signing-certificate attribute openssl used
	}{
		{"ok/esscertid-sha1", "p256", "", false, oidAttrSigningCert.String()},
		{"ok/esscertidv2-sha256", "p256", "sha256", false, oidAttrSigningCertV2.String()},
		{"ok/rsa-intermediate", "rsa", "sha256", true, oidAttrSigningCertV2.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.key, tc.inter)
			srv := httptest.NewServer(newOpenSSLTSA(t, e, tc.ess))
			defer srv.Close()
			c := &Client{URL: srv.URL, Roots: e.roots, Policy: DevPolicy}
			digest := digestOf("interop")
			tok, err := c.Stamp(context.Background(), crypto.SHA256, digest)
			if err != nil {
				t.Fatal(err)
			}
			info, err := Verify(tok, crypto.SHA256, digest, VerifyOptions{Roots: e.roots})
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := parseToken(tok)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := parsed.attrs[tc.attr]; !ok {
				t.Errorf("openssl's token has no %s attribute", tc.attr)
			}
			if info.Accuracy != 1500*time.Millisecond || !info.Policy.Equal(DevPolicy) {
				t.Errorf("accuracy %v policy %v", info.Accuracy, info.Policy)
			}
		})
	}
}
