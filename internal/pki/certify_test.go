package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertifyRequest: the development CA certifies a request's key for a
// role with the role's usages and the request's own subject, and openssl
// agrees the result chains to the root with the purpose the role needs.
func TestCertifyRequest(t *testing.T) {
	d, _ := newDev(t, Options{})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	req, err := CreateCSR(key, "segl HSM time-stamping unit", "segl TTP", DevSealOrgNumber)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		role, purpose string
	}{{RoleSeal, "any"}, {RoleTSA, "timestampsign"}, {RoleOCSP, "ocsphelper"}} {
		t.Run("ok/"+c.role, func(t *testing.T) {
			chain, err := d.CertifyRequest(c.role, req, nowish())
			if err != nil {
				t.Fatal(err)
			}
			certs, err := parseCertificatesPEM(chain)
			if err != nil || len(certs) != 2 || !certs[1].Equal(d.Issuing.Cert) {
				t.Fatalf("chain %v %v", certs, err)
			}
			block, _ := pem.Decode(req)
			parsed, _ := x509.ParseCertificateRequest(block.Bytes)
			if !bytes.Equal(certs[0].RawSubject, parsed.RawSubject) || !sameKey(certs[0], key) {
				t.Fatal("the certificate is not for the request's subject and key")
			}
			dir := t.TempDir()
			leaf := filepath.Join(dir, "leaf.pem")
			os.WriteFile(leaf, encodeCertificates(certs[0]), 0o600)
			mustOpenSSL(t, "OK", "verify", "-CAfile", d.file("root-ca.pem"), "-untrusted", d.file("issuing-ca.pem"),
				"-purpose", c.purpose, leaf)
		})
	}
	t.Run("fail/unknown-role", func(t *testing.T) {
		if _, err := d.CertifyRequest("root", req, nowish()); err == nil || !strings.Contains(err.Error(), "role") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("fail/tampered-request", func(t *testing.T) {
		block, _ := pem.Decode(req)
		der := bytes.Clone(block.Bytes)
		der[len(der)-1] ^= 1 // the signature's last byte
		bad := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
		if _, err := d.CertifyRequest(RoleSeal, bad, nowish()); err == nil || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("got %v", err)
		}
	})
}
