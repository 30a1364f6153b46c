package hsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// TestRestoredKeySignsWithoutRestart: a key deleted while segl runs and
// then restored from the token's backup (the same key, under its label)
// signs again through the Signer segl took at start, with no restart; the
// health check recovers with it. A different key given the label is never
// used: signatures stay unavailable.
func TestRestoredKeySignsWithoutRestart(t *testing.T) {
	t.Parallel()
	tok, cfg, key := openWithSeal(t)
	digest := sha256.Sum256([]byte("segl"))
	sign := func() error {
		sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err == nil && !ecdsa.VerifyASN1(key.Public().(*ecdsa.PublicKey), digest[:], sig) {
			t.Fatal("signature does not verify under the configured key")
		}
		return err
	}
	if err := sign(); err != nil {
		t.Fatal(err)
	}
	restore := softToken(cfg).BackUp(t)
	softToken(cfg).DeleteKey(t, "seal")
	if err := sign(); code(err) != CodeUnavailable {
		t.Fatalf("key deleted: %v, want %s", err, CodeUnavailable)
	}

	// Another key under the label: refused, as long as it is there.
	if _, err := tok.Generate("seal", ECP256); err != nil {
		t.Fatal(err)
	}
	if err := sign(); code(err) != CodeUnavailable {
		t.Fatalf("another key labelled seal: %v, want %s", err, CodeUnavailable)
	}
	if err := tok.Check(t.Context()); code(err) != CodeUnavailable {
		t.Fatalf("check, another key labelled seal: %v", err)
	}
	softToken(cfg).DeleteKey(t, "seal")

	restore()
	if err := sign(); err != nil {
		t.Fatalf("key restored: %v", err)
	}
	if err := tok.Check(t.Context()); err != nil {
		t.Fatalf("check, key restored: %v", err)
	}
	if err := sign(); err != nil {
		t.Fatalf("second signature after the restore: %v", err)
	}
}
