package hsm

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// TestRelocateBesidePublic: a signature that finds its key restored under
// a new handle looks the key up again while other goroutines ask for the
// public key (cms.Sign does for every signature) and run the health check
// (every /readyz and scrape). The key's public half never changes, so
// those reads need no lock; under -race this fails if relocate writes
// what Public reads.
func TestRelocateBesidePublic(t *testing.T) {
	t.Parallel()
	tok, cfg, key := openWithSeal(t)
	pub := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	restore := softToken(cfg).BackUp(t)
	softToken(cfg).DeleteKey(t, "seal")
	restore() // the same key, under a handle the Signer does not know yet

	readers := make(chan bool, 2)
	go func() { readers <- pub.Equal(key.Public()) }()
	go func() { tok.Check(t.Context()); readers <- true }()
	digest := sha256.Sum256([]byte("segl"))
	if _, err := key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
		t.Fatalf("sign with the restored key: %v", err)
	}
	for range 2 {
		if !<-readers {
			t.Fatal("Public changed while the key was relocated")
		}
	}
	if err := tok.Check(t.Context()); err != nil {
		t.Fatalf("check after the relocated signature: %v", err)
	}
}
