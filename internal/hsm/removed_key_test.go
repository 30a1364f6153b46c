package hsm

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/testtool"
)

// softToken is the test token cfg names, for testtool's operations on it.
func softToken(cfg Config) testtool.SoftToken {
	return testtool.SoftToken{Module: cfg.Module, Label: cfg.Token, PINFile: cfg.PINFile}
}

// TestRemovedKeyIsUnavailable: a key taken from the token at start that
// is removed while segl runs (an operator's mistake, a token swapped)
// fails each signature as errs.Unavailable with CodeUnavailable, so a
// signer is told to try again later (503) and background work is
// retried, instead of an internal error; nothing falls back to another
// key.
func TestRemovedKeyIsUnavailable(t *testing.T) {
	t.Parallel()
	_, cfg, key := openWithSeal(t)
	digest := sha256.Sum256([]byte("segl"))
	if _, err := key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
		t.Fatalf("before removal: %v", err)
	}
	softToken(cfg).DeleteKey(t, "seal")
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if sig != nil || errs.KindOf(err) != errs.Unavailable || code(err) != CodeUnavailable {
		t.Fatalf("after removal: %x, %v (kind %v), want Unavailable %s", sig, err, errs.KindOf(err), CodeUnavailable)
	}
}
