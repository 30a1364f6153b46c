package csc_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	devcsc "github.com/segl/segl/internal/dev/csc"
	"github.com/segl/segl/internal/eid/csc"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/testtool"
)

// The full path: Ola logs in with BankID, Open finds, describes and
// authorizes his credential for two signatures, and the key signs two
// digests and refuses a third. The signatures verify with the certificate's
// key (also to openssl), openssl accepts the certificate under the
// development root, and the certificate names Ola without carrying his
// identity number.
func TestOpenSign(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.login(olaPID, "bankid")
	kp, err := csc.Open(ctx, e.cfg, tok, 2)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}

	cert := kp.Cert
	if cert.Subject.CommonName != "Ola Nordmann" || len(cert.Subject.Country) != 1 || cert.Subject.Country[0] != "NO" {
		t.Errorf("subject %s", cert.Subject)
	}
	if !strings.HasPrefix(cert.Subject.SerialNumber, "UN:NO-") {
		t.Errorf("serialNumber %q, want a UN:NO- identifier", cert.Subject.SerialNumber)
	}
	if bytes.Contains(cert.Raw, []byte(olaPID)) {
		t.Error("the certificate carries the identity number")
	}
	if want := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment; cert.KeyUsage != want {
		t.Errorf("key usage %b, want %b", cert.KeyUsage, want)
	}
	if len(cert.OCSPServer) != 1 || cert.OCSPServer[0] != e.base+"/dev/ocsp" {
		t.Errorf("OCSP %v", cert.OCSPServer)
	}
	if len(kp.Chain) != 1 || !kp.Chain[0].Equal(e.dev.Issuing.Cert) {
		t.Fatalf("chain %d certificates, want the issuing CA (and not the root)", len(kp.Chain))
	}
	if !kp.Key.Public().(*ecdsa.PublicKey).Equal(cert.PublicKey) {
		t.Fatal("the key is not the certificate's")
	}

	data := []byte("Jeg samtykker.")
	digest := sha256.Sum256(data)
	sig, err := kp.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if !ecdsa.VerifyASN1(cert.PublicKey.(*ecdsa.PublicKey), digest[:], sig) {
		t.Fatal("the signature does not verify with the certificate's key")
	}
	d384 := sha512.Sum384(data)
	if _, err := kp.Key.Sign(rand.Reader, d384[:], crypto.SHA384); err != nil {
		t.Fatalf("second Sign (SHA-384): %v", err)
	}
	if _, err := kp.Key.Sign(rand.Reader, digest[:], crypto.SHA256); err == nil {
		t.Fatal("a third signature of two authorized")
	}

	log := e.signer.Signed()
	if len(log) != 2 || !bytes.Equal(log[0].Digest, digest[:]) || !bytes.Equal(log[1].Digest, d384[:]) ||
		log[0].PID != olaPID || log[0].CredentialID != devcsc.CredentialID(olaPID) || log[1].SignAlgo != "1.2.840.10045.4.3.3" {
		t.Errorf("signed log %+v", log)
	}

	// openssl: the path to the development root, and the signature.
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := write("leaf.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	chain := write("chain.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Chain[0].Raw}))
	root := filepath.Join(e.dev.Dir, "root-ca.pem")
	out := openssl(t, "verify", "-CAfile", root, "-untrusted", chain, leaf)
	if !strings.Contains(out, ": OK") {
		t.Errorf("openssl verify:\n%s", out)
	}
	out = openssl(t, "x509", "-in", leaf, "-noout", "-subject", "-nameopt", "utf8,sep_comma_plus")
	for _, want := range []string{"CN=Ola Nordmann", "GN=Ola", "SN=Nordmann", "serialNumber=UN:NO-"} {
		if !strings.Contains(out, want) {
			t.Errorf("openssl x509 -subject lacks %q:\n%s", want, out)
		}
	}
	pub, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	out = openssl(t, "dgst", "-sha256", "-verify", write("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		"-signature", write("sig.der", sig), write("data.txt", data))
	if !strings.Contains(out, "Verified OK") {
		t.Errorf("openssl dgst -verify:\n%s", out)
	}
}

func openssl(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		testtool.Missing(t, "openssl not installed")
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// A service that answers ECDSA signatures as r||s still gives the engine
// DER, as crypto.Signer promises.
func TestRawECDSAAnswer(t *testing.T) {
	e := newEnv(t, func(c *devcsc.Config) { c.RawECDSA = true })
	ctx := context.Background()
	tok := e.login(kariPID, "bankid")
	kp, err := csc.Open(ctx, e.cfg, tok, 1)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("x"))
	sig, err := kp.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if sig[0] != 0x30 || !ecdsa.VerifyASN1(kp.Cert.PublicKey.(*ecdsa.PublicKey), digest[:], sig) {
		t.Fatalf("signature %x is not a verifying DER signature", sig)
	}
	// And the service did answer r||s.
	c := e.client()
	sad, err := c.Authorize(ctx, tok, devcsc.CredentialID(kariPID), 1)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := c.SignHash(ctx, tok, devcsc.CredentialID(kariPID), sad, crypto.SHA256, "1.2.840.10045.4.3.2", digest[:])
	if err != nil || len(sigs[0]) != 64 {
		t.Fatalf("raw answer: %v, %d bytes", err, len(sigs[0]))
	}
}

// cscError asserts that err is the service's refusal with status and code.
// A non-empty desc must be part of the error description, so a refusal for
// the wrong reason does not pass.
func cscError(t *testing.T, err error, status int, code string, kind errs.Kind, desc ...string) {
	t.Helper()
	var ce *csc.Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a CSC error %d %s", err, status, code)
	}
	if ce.Status != status || ce.Code != code || errs.KindOf(err) != kind {
		t.Fatalf("err = %v (kind %v), want %d %s (kind %v)", err, errs.KindOf(err), status, code, kind)
	}
	for _, d := range desc {
		if !strings.Contains(ce.Description, d) {
			t.Fatalf("err = %v, want %q in the description", err, d)
		}
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client()
	ola := e.login(olaPID, "bankid")
	kari := e.login(kariPID, "bankid")
	olaCred := devcsc.CredentialID(olaPID)
	digest := sha256.Sum256([]byte("doc"))
	const ecdsaSHA256 = "1.2.840.10045.4.3.2"

	t.Run("fail/minid-is-substantial", func(t *testing.T) {
		minid := e.login(olaPID, "minid")
		// Level substantial may see the credential, not use it.
		ids, err := c.Credentials(ctx, minid)
		if err != nil || len(ids) != 1 || ids[0] != olaCred {
			t.Fatalf("list: %v %v", ids, err)
		}
		_, err = csc.Open(ctx, e.cfg, minid, 1)
		cscError(t, err, 403, "access_denied", errs.Forbidden, "level high")
	})

	t.Run("fail/another-persons-credential", func(t *testing.T) {
		_, err := c.Credential(ctx, kari, olaCred)
		cscError(t, err, 400, "invalid_request", errs.Invalid, "credentialID")
		_, err = c.Authorize(ctx, kari, olaCred, 1)
		cscError(t, err, 400, "invalid_request", errs.Invalid, "credentialID")
		// Kari may not list Ola's either.
		if status, code := e.post("credentials/list", kari, `{"userID":"`+olaPID+`"}`); status != 400 || code != "invalid_request" {
			t.Errorf("list with Ola's userID: %d %s", status, code)
		}
		// Nor use a SAD Ola got, with his credential or her own.
		sad, err := c.Authorize(ctx, ola, olaCred, 1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.SignHash(ctx, kari, olaCred, sad, crypto.SHA256, ecdsaSHA256, digest[:])
		cscError(t, err, 400, "invalid_request", errs.Invalid, "credentialID")
		if _, err := c.Credentials(ctx, kari); err != nil { // makes Kari's credential
			t.Fatal(err)
		}
		_, err = c.SignHash(ctx, kari, devcsc.CredentialID(kariPID), sad, crypto.SHA256, ecdsaSHA256, digest[:])
		cscError(t, err, 400, "invalid_request", errs.Invalid, "another credential")
		// Ola's SAD is still whole.
		if _, err := c.SignHash(ctx, ola, olaCred, sad, crypto.SHA256, ecdsaSHA256, digest[:]); err != nil {
			t.Fatalf("Ola's own use: %v", err)
		}
	})

	t.Run("fail/more-than-authorized", func(t *testing.T) {
		sad, err := c.Authorize(ctx, ola, olaCred, 2)
		if err != nil {
			t.Fatal(err)
		}
		// Three at once is refused and consumes nothing …
		_, err = c.SignHash(ctx, ola, olaCred, sad, crypto.SHA256, ecdsaSHA256, digest[:], digest[:], digest[:])
		cscError(t, err, 400, "invalid_request", errs.Invalid, "allows 2 more")
		// … so two still work, one by one, and a third does not.
		for i := range 2 {
			if _, err := c.SignHash(ctx, ola, olaCred, sad, crypto.SHA256, ecdsaSHA256, digest[:]); err != nil {
				t.Fatalf("signature %d: %v", i+1, err)
			}
		}
		_, err = c.SignHash(ctx, ola, olaCred, sad, crypto.SHA256, ecdsaSHA256, digest[:])
		cscError(t, err, 400, "invalid_request", errs.Invalid, "used up")
		// Asking for more than the credential allows is refused up front.
		_, err = c.Authorize(ctx, ola, olaCred, 51)
		cscError(t, err, 400, "invalid_request", errs.Invalid, "numSignatures")
	})

	t.Run("fail/expired-sad", func(t *testing.T) {
		sad, err := c.Authorize(ctx, ola, olaCred, 1)
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(sadTTL)
		_, err = c.SignHash(ctx, ola, olaCred, sad, crypto.SHA256, ecdsaSHA256, digest[:])
		cscError(t, err, 400, "invalid_request", errs.Invalid, "expired")
	})

	t.Run("fail/hash-not-bound", func(t *testing.T) {
		// A SAD bound to hashes (SCAL 2 behaviour, snake_case names)
		// signs only those.
		status, out := e.postJSON("credentials/authorize", ola, `{"credential_id":"`+olaCred+`","num_signatures":1,
			"hashes":["`+b64(digest[:])+`"],"hash_algorithm_oid":"2.16.840.1.101.3.4.2.1"}`)
		sad, _ := out["SAD"].(string)
		if status != 200 || sad == "" {
			t.Fatalf("authorize with hashes: %d %v", status, out)
		}
		other := sha256.Sum256([]byte("another document"))
		_, err := c.SignHash(ctx, ola, olaCred, csc.SAD{Value: sad}, crypto.SHA256, ecdsaSHA256, other[:])
		cscError(t, err, 400, "invalid_request", errs.Invalid, "not authorized")
		if _, err := c.SignHash(ctx, ola, olaCred, csc.SAD{Value: sad}, crypto.SHA256, ecdsaSHA256, digest[:]); err != nil {
			t.Fatalf("the bound hash: %v", err)
		}
	})

	t.Run("fail/tampered-token", func(t *testing.T) {
		parts := strings.Split(ola, ".")
		sig := []byte(parts[2])
		sig[10] ^= 'A' ^ 'B'
		if sig[10] == parts[2][10] {
			sig[10] = 'C'
		}
		for name, tok := range map[string]string{
			"signature": parts[0] + "." + parts[1] + "." + string(sig),
			"payload":   parts[0] + "." + strings.Split(kari, ".")[1] + "." + parts[2],
			"alg-none":  parts[0] + "." + parts[1] + ".",
			"garbage":   "not-a-token",
		} {
			_, err := c.Credentials(ctx, tok)
			var ce *csc.Error
			if !errors.As(err, &ce) || ce.Status != 401 || ce.Code != "invalid_token" || errs.KindOf(err) != errs.Unauthenticated {
				t.Errorf("%s: err = %v", name, err)
			}
		}
		if status, code := e.post("credentials/list", "", `{}`); status != 401 || code != "invalid_token" {
			t.Errorf("no token: %d %s", status, code)
		}
	})

	t.Run("fail/expired-token", func(t *testing.T) {
		e.clk.Advance(31 * time.Minute)
		_, err := c.Credentials(ctx, ola)
		cscError(t, err, 401, "invalid_token", errs.Unauthenticated, "expired")
	})
}

// A signing act may outlast the ID token (two minutes at ID-porten) but
// not the SAD: signHash takes an expired token together with the SAD that
// token obtained, and nothing else.
func TestSigningOutlastsToken(t *testing.T) {
	e := newEnv(t, func(c *devcsc.Config) { c.SADTTL = time.Hour })
	ctx := context.Background()
	c := e.client()
	cred := devcsc.CredentialID(olaPID)
	earlier := e.login(olaPID, "bankid")
	tok := e.login(olaPID, "bankid")
	sad, err := c.Authorize(ctx, tok, cred, 2)
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(31 * time.Minute) // both tokens have expired
	digest := sha256.Sum256([]byte("doc"))
	if _, err := c.SignHash(ctx, tok, cred, sad, crypto.SHA256, "1.2.840.10045.4.3.2", digest[:]); err != nil {
		t.Fatalf("SignHash with the token that obtained the SAD: %v", err)
	}
	_, err = c.SignHash(ctx, earlier, cred, sad, crypto.SHA256, "1.2.840.10045.4.3.2", digest[:])
	cscError(t, err, 401, "invalid_token", errs.Unauthenticated, "expired")
	_, err = c.SignHash(ctx, tok, cred, csc.SAD{Value: "made-up"}, crypto.SHA256, "1.2.840.10045.4.3.2", digest[:])
	cscError(t, err, 401, "invalid_token", errs.Unauthenticated, "expired")
	_, err = c.Authorize(ctx, tok, cred, 1)
	cscError(t, err, 401, "invalid_token", errs.Unauthenticated, "expired")
}

// The service is strict about what it is asked: unknown parameters,
// malformed hashes, asynchronous mode, the wrong algorithm for the key.
func TestStrictRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ola := e.login(olaPID, "bankid")
	cred := devcsc.CredentialID(olaPID)
	sad, err := e.client().Authorize(ctx, ola, cred, 5)
	if err != nil {
		t.Fatal(err)
	}
	h := b64(make([]byte, 32))
	for _, tc := range []struct {
		name, method, body string
		status             int
	}{
		{"ok/snake-case", "signatures/signHash", `{"credential_id":"` + cred + `","sad":"` + sad.Value + `","hashes":["` + h + `"],"sign_algo":"1.2.840.10045.4.3.2"}`, 200},
		{"fail/unknown-parameter", "signatures/signHash", `{"credentialID":"` + cred + `","SAD":"` + sad.Value + `","hashes":["` + h + `"],"signAlgo":"1.2.840.10045.4.3.2","extra":1}`, 400},
		{"fail/both-spellings", "signatures/signHash", `{"credentialID":"` + cred + `","credential_id":"` + cred + `","SAD":"` + sad.Value + `","hashes":["` + h + `"],"signAlgo":"1.2.840.10045.4.3.2"}`, 400},
		{"fail/short-hash", "signatures/signHash", `{"credentialID":"` + cred + `","SAD":"` + sad.Value + `","hashes":["` + b64(make([]byte, 20)) + `"],"signAlgo":"1.2.840.10045.4.3.2"}`, 400},
		{"fail/async", "signatures/signHash", `{"credentialID":"` + cred + `","SAD":"` + sad.Value + `","hashes":["` + h + `"],"signAlgo":"1.2.840.10045.4.3.2","operationMode":"A"}`, 400},
		{"fail/rsa-for-ecdsa-key", "signatures/signHash", `{"credentialID":"` + cred + `","SAD":"` + sad.Value + `","hashes":["` + h + `"],"signAlgo":"1.2.840.113549.1.1.11"}`, 400},
		{"fail/hash-mismatch", "signatures/signHash", `{"credentialID":"` + cred + `","SAD":"` + sad.Value + `","hashes":["` + h + `"],"signAlgo":"1.2.840.10045.4.3.2","hashAlgorithmOID":"2.16.840.1.101.3.4.2.3"}`, 400},
		{"fail/auth-data", "credentials/authorize", `{"credentialID":"` + cred + `","numSignatures":1,"authData":[{"id":"PIN","value":"1234"}]}`, 400},
		{"fail/zero-signatures", "credentials/authorize", `{"credentialID":"` + cred + `","numSignatures":0}`, 400},
		{"fail/not-json", "credentials/info", `credentialID=` + cred, 400},
		{"ok/info-unauthenticated", "info", ``, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, code := e.post(tc.method, ola, tc.body); status != tc.status || (status != 200 && code == "") {
				t.Errorf("%d %q, want %d", status, code, tc.status)
			}
		})
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
