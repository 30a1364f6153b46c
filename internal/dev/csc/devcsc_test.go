package devcsc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/pki"
)

const olaPID = "21909825250"

func newService(t *testing.T, dev *pki.Dev, dir string, clk clock.Clock) *Service {
	t.Helper()
	s, err := New(Config{Issuer: "https://segl.test/dev/idporten", Audiences: []string{"segl-dev"}, Dev: dev, Dir: dir, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"credentialID": "credential_id", "SAD": "sad", "hashAlgorithmOID": "hash_algorithm_oid", "signAlgo": "sign_algo",
		"numSignatures": "num_signatures", "responseURI": "response_uri", "userID": "user_id", "lang": "lang",
		"signAlgoParams": "sign_algo_params", "validityPeriod": "validity_period",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

// A person's key and certificate are made on first use, kept in one 0600
// file, reused by the next service over the same directory, and replaced
// when the certificate is about to expire.
func TestCredentialPersisted(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clk := clock.NewFake(now)
	dev, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "csc")
	s := newService(t, dev, dir, clk)
	c, ok, err := s.credentialOf(olaPID)
	if err != nil || !ok {
		t.Fatalf("credentialOf: %v %v", ok, err)
	}
	if c.Pair.Cert.Subject.CommonName != "Ola Nordmann" || c.Pair.Cert.Subject.SerialNumber != serialNumber(olaPID) {
		t.Errorf("subject %s", c.Pair.Cert.Subject)
	}
	path := filepath.Join(dir, c.ID+".pem")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(olaPID)) || strings.Contains(path, olaPID) {
		t.Error("the identity number shows in the key file or its name")
	}
	again, _, err := newService(t, dev, dir, clk).credentialOf(olaPID)
	if err != nil || !again.Pair.Cert.Equal(c.Pair.Cert) {
		t.Fatalf("a new service issued another certificate: %v", err)
	}
	clk.Set(c.Pair.Cert.NotAfter.Add(-renewBefore))
	renewed, _, err := s.credentialOf(olaPID)
	if err != nil || renewed.Pair.Cert.Equal(c.Pair.Cert) || renewed.Pair.Cert.Subject.SerialNumber != c.Pair.Cert.Subject.SerialNumber {
		t.Fatalf("renewal: %v", err)
	}
	if _, ok, err := s.credentialOf("01010112345"); ok || err != nil {
		t.Errorf("someone outside the population has a credential: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	dev, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{
		"no-issuer":      {Audiences: []string{"a"}, Dev: dev, Dir: "x"},
		"trailing-slash": {Issuer: "https://a/", Audiences: []string{"a"}, Dev: dev, Dir: "x"},
		"no-audience":    {Issuer: "https://a", Dev: dev, Dir: "x"},
		"no-pki":         {Issuer: "https://a", Audiences: []string{"a"}, Dir: "x"},
		"no-dir":         {Issuer: "https://a", Audiences: []string{"a"}, Dev: dev},
		"bad-prefix":     {Issuer: "https://a", Audiences: []string{"a"}, Dev: dev, Dir: "x", Prefix: "dev/csc/"},
	} {
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "devcsc: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestRawECDSA(t *testing.T) {
	dev, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t, dev, t.TempDir(), nil)
	c, _, err := s.credentialOf(olaPID)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("x"))
	for range 20 { // short r or s values must be padded
		der, err := c.Pair.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := pki.RawECDSA(der, 32)
		if err != nil || len(raw) != 64 {
			t.Fatalf("RawECDSA: %v", err)
		}
		r, s := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
		if !ecdsa.Verify(c.Pair.Cert.PublicKey.(*ecdsa.PublicKey), digest[:], r, s) {
			t.Fatal("r||s does not verify")
		}
	}
	if _, err := pki.RawECDSA([]byte{0x30, 0x00}, 32); err == nil {
		t.Error("malformed DER accepted")
	}
}

func signHashBody(mod func(map[string]any)) []byte {
	m := map[string]any{
		"credentialID": "dev-abc", "SAD": "sad-1", "hashes": []string{base64.StdEncoding.EncodeToString(make([]byte, 32))},
		"hashAlgorithmOID": oidSHA256, "signAlgo": oidECDSASHA256, "operationMode": "S", "clientData": "x",
	}
	if mod != nil {
		mod(m)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestParseSignHash(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		ok   bool
	}{
		{"ok/camel-case", signHashBody(nil), true},
		{"ok/no-hash-oid", signHashBody(func(m map[string]any) { delete(m, "hashAlgorithmOID") }), true},
		{"ok/sha512", signHashBody(func(m map[string]any) {
			m["signAlgo"], m["hashAlgorithmOID"] = oidECDSASHA512, oidSHA512
			m["hashes"] = []string{base64.StdEncoding.EncodeToString(make([]byte, 64))}
		}), true},
		{"ok/snake-case", []byte(`{"credential_id":"c","sad":"s","hashes":["` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"],"sign_algo":"` + oidECDSASHA256 + `","hash_algorithm_oid":"` + oidSHA256 + `"}`), true},
		{"fail/no-hashes", signHashBody(func(m map[string]any) { m["hashes"] = []string{} }), false},
		{"fail/too-many-hashes", signHashBody(func(m map[string]any) {
			h := base64.StdEncoding.EncodeToString(make([]byte, 32))
			m["hashes"] = []string{h, h, h, h}
		}), false},
		{"fail/unpadded-base64", signHashBody(func(m map[string]any) {
			m["hashes"] = []string{base64.RawStdEncoding.EncodeToString(make([]byte, 32))}
		}), false},
		{"fail/no-credential", signHashBody(func(m map[string]any) { delete(m, "credentialID") }), false},
		{"fail/no-sad", signHashBody(func(m map[string]any) { m["SAD"] = "" }), false},
		{"fail/unknown-algo", signHashBody(func(m map[string]any) { m["signAlgo"] = "1.2.3" }), false},
		{"fail/params", signHashBody(func(m map[string]any) { m["signAlgoParams"] = "MAA=" }), false},
		{"fail/response-uri", signHashBody(func(m map[string]any) { m["response_uri"] = "https://x" }), false},
		{"fail/wrong-type", signHashBody(func(m map[string]any) { m["hashes"] = "abc" }), false},
		{"fail/array", []byte(`[1,2]`), false},
		{"fail/null", []byte(`null`), false},
		{"fail/trailing", append(signHashBody(nil), []byte(`{}`)...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, e := parseSignHash(tc.body, 3)
			if (e == nil) != tc.ok {
				t.Errorf("err = %v, want ok %v", e, tc.ok)
			}
			if e != nil && (e.Status != 400 || e.Code != "invalid_request") {
				t.Errorf("error %+v", e)
			}
		})
	}
}

// FuzzSignHashRequest feeds arbitrary bodies to the signHash decoder: it
// must never panic, must refuse with a CSC 400, and whatever it accepts
// must be a well-formed request that decodes the same when sent again.
func FuzzSignHashRequest(f *testing.F) {
	f.Add(signHashBody(nil))
	f.Add(signHashBody(func(m map[string]any) { delete(m, "hashAlgorithmOID"); m["hashes"] = []string{"", "AA=="} }))
	f.Add([]byte(`{"credential_id":"c","sad":"s","hashes":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],"sign_algo":"1.2.840.10045.4.3.2"}`))
	f.Add([]byte(`{"credentialID":"c","credential_id":"c"}`))
	f.Add([]byte(`{"SAD":null,"hashes":[null],"validityPeriod":1e400}`))
	f.Add([]byte(`{"credentialID":"\u0000","SAD":"\ud800","hashes":["=="],"signAlgo":"1.2.840.113549.1.1.11","operationMode":"A"}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, e := parseSignHash(body, 4)
		if e != nil {
			if e.Status != 400 || e.Code != "invalid_request" || e.Desc == "" {
				t.Fatalf("error %+v", e)
			}
			return
		}
		if checkCredentialID(req.CredentialID) != nil || req.SAD == "" || len(req.SAD) > maxSAD || !visibleASCII(req.SAD) {
			t.Fatalf("accepted %+v", req)
		}
		if len(req.Digests) == 0 || len(req.Digests) > 4 {
			t.Fatalf("accepted %d hashes", len(req.Digests))
		}
		alg, ok := signAlgos[req.SignAlgo]
		if !ok || alg.hash != req.Hash || alg.ecdsa != req.ECDSA {
			t.Fatalf("accepted signAlgo %q with %v", req.SignAlgo, req.Hash)
		}
		hashes := make([]string, len(req.Digests))
		for i, d := range req.Digests {
			if len(d) != req.Hash.Size() {
				t.Fatalf("digest %d is %d bytes", i, len(d))
			}
			hashes[i] = base64.StdEncoding.EncodeToString(d)
		}
		again, _ := json.Marshal(signHashJSON{CredentialID: req.CredentialID, SAD: req.SAD, Hashes: hashes, SignAlgo: req.SignAlgo})
		req2, e := parseSignHash(again, 4)
		if e != nil || req2.CredentialID != req.CredentialID || req2.SAD != req.SAD || req2.Hash != req.Hash || len(req2.Digests) != len(req.Digests) {
			t.Fatalf("re-encoded request differs: %v", e)
		}
		for i := range req.Digests {
			if !bytes.Equal(req.Digests[i], req2.Digests[i]) {
				t.Fatal("re-encoded digests differ")
			}
		}
	})
}
