package pki

import "testing"

func TestSignedBy(t *testing.T) {
	dev, err := LoadOrCreateDev(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second round answers from the cache, and must agree
		if !SignedBy(dev.Seal.Cert, dev.Issuing.Cert) || !SignedBy(dev.Issuing.Cert, dev.Root) || !SignedBy(dev.Root, dev.Root) {
			t.Fatal("a genuine issuer was refused")
		}
		if SignedBy(dev.Seal.Cert, dev.Root) || SignedBy(dev.Issuing.Cert, dev.Seal.Cert) {
			t.Fatal("a wrong issuer was accepted")
		}
	}
}
