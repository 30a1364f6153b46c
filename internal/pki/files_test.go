package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadSigner(t *testing.T) {
	dir := t.TempDir()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	// "openssl ecparam -genkey" writes the curve parameters first.
	ecParams := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})

	tests := []struct {
		name string
		data []byte
		want any // public key, nil for an error
	}{
		{"ok/pkcs8-ecdsa", pkcs8(ec), &ec.PublicKey},
		{"ok/pkcs8-rsa", pkcs8(rsaKey), &rsaKey.PublicKey},
		{"ok/pkcs8-ed25519", pkcs8(edKey), edKey.Public()},
		{"ok/sec1-ec-after-ec-parameters", append(ecParams, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...), &ec.PublicKey},
		{"ok/pkcs1-rsa", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), &rsaKey.PublicKey},
		{"fail/encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), nil},
		{"fail/certificate-only", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), nil},
		{"fail/garbage-pkcs8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), nil},
		{"fail/empty", nil, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, string(rune('a'+i))+".pem")
			must(t, os.WriteFile(p, tt.data, 0o600))
			k, err := LoadSigner(p)
			if tt.want == nil {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !k.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.want) {
				t.Error("wrong key")
			}
		})
	}
	t.Run("fail/missing-file-is-not-exist", func(t *testing.T) {
		if _, err := LoadSigner(filepath.Join(dir, "nope.key")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestLoadCertificates(t *testing.T) {
	d, _ := newDev(t, Options{})
	t.Run("ok/leaf-first", func(t *testing.T) {
		key, err := LoadSigner(d.file("seal.key"))
		must(t, err)
		combined := filepath.Join(t.TempDir(), "combined.pem")
		data, _ := encodeKey(key)
		must(t, os.WriteFile(combined, append(data, encodeCertificates(d.Seal.Cert, d.Issuing.Cert)...), 0o600))
		certs, err := LoadCertificates(combined)
		if err != nil || len(certs) != 2 || !certs[0].Equal(d.Seal.Cert) || !certs[1].Equal(d.Issuing.Cert) {
			t.Fatalf("got %d certificates, %v", len(certs), err)
		}
	})
	t.Run("fail/no-certificate", func(t *testing.T) {
		if _, err := LoadCertificates(d.file("seal.key")); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("fail/missing-file-is-not-exist", func(t *testing.T) {
		if _, err := LoadCertificates(d.file("nope.pem")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v", err)
		}
	})
}
