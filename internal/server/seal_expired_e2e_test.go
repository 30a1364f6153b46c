package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
)

// TestExpiredSealRefused: a production node configured with a seal whose
// certificate has expired (an operator who did not renew it in time)
// refuses every signing act as an outage, certificate-expired (503 for
// the signer), before the key is used; it sealed with it before, making
// signatures no validator accepts.
func TestExpiredSealRefused(t *testing.T) {
	t.Parallel()
	dev := newEnv(t)
	dir := filepath.Join(dev.data, "pki")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := pki.CreateCSR(key, "segl expired seal", "segl TTP (development)", pki.DevSealOrgNumber)
	if err != nil {
		t.Fatal(err)
	}
	// Certified ten years ago: the development CA's certificates last less.
	chain, err := dev.srv.Dev.CertifyRequest(pki.RoleSeal, csr, time.Now().AddDate(-10, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	own := t.TempDir()
	keyFile, certFile := filepath.Join(own, "seal.key"), filepath.Join(own, "seal.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, chain, 0o600); err != nil {
		t.Fatal(err)
	}
	prod := newEnvB(t, asProduction(dev), func(c *config.Config) { c.SealKey, c.SealCert = keyFile, certFile })
	ctx := context.Background()
	c := prod.onboardedClient(t, dir)
	req := directRequest()
	req.Signers = req.Signers[:1]
	j := prod.mustCreate(c, req)
	_, err = prod.srv.Svc.Sign(ctx, j.Signers[0].ID, ola)
	if e := errs.From(err); e == nil || e.Kind != errs.Unavailable || e.Code != "certificate-expired" {
		t.Fatalf("the act with an expired seal: %v, want Unavailable certificate-expired", err)
	}
}
