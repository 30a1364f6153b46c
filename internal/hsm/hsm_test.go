package hsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/testtool"
)

func TestMain(m *testing.M) { os.Exit(testtool.SoftHSMMain(m)) }

// open makes a fresh SoftHSM token and logs in to it; the token is closed
// when the test ends.
func open(t *testing.T) (*Token, Config) {
	t.Helper()
	st := testtool.SoftHSM(t)
	cfg := Config{Module: st.Module, Token: st.Label, PINFile: st.PINFile}
	tok, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tok.Close(); err != nil {
			t.Error(err)
		}
	})
	return tok, cfg
}

// openWithSeal is open with a P-256 key pair generated under the label
// "seal" and segl's Signer of it.
func openWithSeal(t *testing.T) (*Token, Config, crypto.Signer) {
	t.Helper()
	tok, cfg := open(t)
	if _, err := tok.Generate("seal", ECP256); err != nil {
		t.Fatal(err)
	}
	key, err := tok.Signer("seal")
	if err != nil {
		t.Fatal(err)
	}
	return tok, cfg, key
}

func code(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestGeneratedKeysSign creates each key type in the token, finds it again
// by label, and checks its signatures with the standard library's
// verifiers: ECDSA in ASN.1 DER, RSA in PKCS#1 v1.5 by default and PSS when
// asked, as crypto.Signer promises.
func TestGeneratedKeysSign(t *testing.T) {
	t.Parallel()
	tok, _ := open(t)
	digest := sha256.Sum256([]byte("segl"))
	for _, typ := range KeyTypes {
		t.Run(string(typ), func(t *testing.T) {
			if testing.Short() && typ == RSA4096 {
				t.Skip("slow key generation")
			}
			made, err := tok.Generate("seal-"+string(typ), typ)
			if err != nil {
				t.Fatal(err)
			}
			key, err := tok.Signer("seal-" + string(typ))
			if err != nil {
				t.Fatal(err)
			}
			if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(made.Public()) {
				t.Fatal("the key found by label is not the key generated")
			}
			sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			switch pub := key.Public().(type) {
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, digest[:], sig) {
					t.Fatal("ECDSA signature is not ASN.1 DER over the digest")
				}
			case *rsa.PublicKey:
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
					t.Fatalf("PKCS#1 v1.5: %v", err)
				}
				pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
				sig, err := key.Sign(rand.Reader, digest[:], pss)
				if err != nil {
					t.Fatal(err)
				}
				if err := rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, pss); err != nil {
					t.Fatalf("PSS: %v", err)
				}
			default:
				t.Fatalf("public key %T", pub)
			}
		})
	}
}

// TestKeyNeverLeavesTheToken reads the generated private key's attributes:
// sensitive, never extractable, and its value cannot be read.
func TestKeyNeverLeavesTheToken(t *testing.T) {
	t.Parallel()
	tok, _ := open(t)
	key, err := tok.Generate("tsa", ECP256)
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := tok.ctx.GetAttributes(key, []crypto11.AttributeType{crypto11.CkaSensitive, crypto11.CkaExtractable, crypto11.CkaToken})
	if err != nil {
		t.Fatal(err)
	}
	for typ, want := range map[crypto11.AttributeType]byte{crypto11.CkaSensitive: 1, crypto11.CkaExtractable: 0, crypto11.CkaToken: 1} {
		a := attrs[typ]
		if a == nil || len(a.Value) != 1 || a.Value[0] != want {
			t.Errorf("attribute %#x = %v, want %d", typ, a, want)
		}
	}
	if v, err := tok.ctx.GetAttribute(key, crypto11.CkaValue); err == nil && v != nil && len(v.Value) > 0 {
		t.Fatalf("the private value was readable: %d bytes", len(v.Value))
	}
}

// TestConcurrentSigning signs from more goroutines than the session pool
// holds; crypto11 hands sessions out and back, and every signature verifies.
func TestConcurrentSigning(t *testing.T) {
	t.Parallel()
	tok, _ := open(t)
	key, err := tok.Generate("ocsp", ECP256)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("concurrent"))
	var wg sync.WaitGroup
	failures := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err == nil && !ecdsa.VerifyASN1(key.Public().(*ecdsa.PublicKey), digest[:], sig) {
				err = errors.New("bad signature")
			}
			if err != nil {
				failures <- err
			}
		})
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Fatal(err)
	}
}

// TestStartupErrors are what an operator sees when the configuration does
// not match the token: each a distinct, typed error.
func TestStartupErrors(t *testing.T) {
	t.Parallel()
	tok, cfg := open(t)
	if _, err := tok.Generate("seal", ECP256); err != nil {
		t.Fatal(err)
	}
	wrongPIN := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrongPIN, []byte("000000\n"), 0o600)
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	other := testtool.SoftHSM(t) // a second token, not logged in by this process
	otherWrong := Config{Module: other.Module, Token: other.Label, PINFile: wrongPIN}

	for _, c := range []struct {
		name string
		cfg  Config
		code string
	}{
		{"fail/wrong-pin", otherWrong, CodePINRejected},
		{"fail/no-such-token", Config{Module: cfg.Module, Token: "no-such-token", PINFile: cfg.PINFile}, CodeNoToken},
		{"fail/no-module", Config{Module: "/nonexistent/libpkcs11.so", Token: cfg.Token, PINFile: cfg.PINFile}, codeModule},
		{"fail/empty-pin-file", Config{Module: cfg.Module, Token: cfg.Token, PINFile: empty}, "hsm-config"},
		{"fail/half-configured", Config{Module: cfg.Module}, "hsm-config"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := Open(c.cfg)
			if err == nil {
				tok.Close()
			}
			if code(err) != c.code {
				t.Fatalf("got %v (code %q), want code %q", err, code(err), c.code)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
	t.Run("fail/no-such-key", func(t *testing.T) {
		if _, err := tok.Signer("no-such-key"); code(err) != CodeNoKey || !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("fail/label-taken", func(t *testing.T) {
		if _, err := tok.Generate("seal", RSA3072); code(err) != codeKeyExists {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("fail/unknown-key-type", func(t *testing.T) {
		if _, err := tok.Generate("x", "dsa-1024"); code(err) != "hsm-key-type" {
			t.Fatalf("got %v", err)
		}
	})
}
