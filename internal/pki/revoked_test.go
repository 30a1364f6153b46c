package pki

import (
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// TestRevokedInMatchesIssuerAndSerial reads a revocation only for the
// certificate the CertID names: its serial under its issuer. Another CA's
// certificate with the same serial number is not revoked by it.
func TestRevokedInMatchesIssuerAndSerial(t *testing.T) {
	dev, err := LoadOrCreateDev(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := OpenRevocations(dev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	if err := rev.Revoke(new(big.Int).Set(dev.Seal.Cert.SerialNumber), ocsp.KeyCompromise, at); err != nil {
		t.Fatal(err)
	}
	der, err := dev.OCSPFor(dev.Seal.Cert, rev, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if when, ok := RevokedIn(der, dev.Seal.Cert, dev.Issuing.Cert); !ok || !when.Equal(at) {
		t.Errorf("the seal under its issuer: revoked %v at %v, want true at %v", ok, when, at)
	}
	if _, ok := RevokedIn(der, dev.Seal.Cert, dev.Root); ok {
		t.Error("the same serial under another CA is taken for revoked")
	}
	other := *dev.Seal.Cert
	other.SerialNumber = new(big.Int).Add(dev.Seal.Cert.SerialNumber, big.NewInt(1))
	if _, ok := RevokedIn(der, &other, dev.Issuing.Cert); ok {
		t.Error("another serial under the same CA is taken for revoked")
	}
}
