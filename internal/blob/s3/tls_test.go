package s3_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob/s3"
	"github.com/segl/segl/internal/blob/s3/s3test"
)

// TestTLS runs the store against an S3 server that serves TLS with a
// certificate from a private CA: with the CA as RootCAs (s3-ca-file) it
// stores and reads; without it the store refuses to open, rather than
// talking to a server it cannot authenticate.
func TestTLS(t *testing.T) {
	t.Parallel() // its own server, whose start is mostly waiting
	dir := t.TempDir()
	roots := privateCA(t, dir)
	srv := s3test.StartTLS(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), roots)
	if !strings.HasPrefix(srv.Endpoint, "https://") {
		t.Fatalf("endpoint %s", srv.Endpoint)
	}
	o := srv.Bucket(t)
	s := open(t, o)
	ref, err := s.Put(t.Context(), strings.NewReader("over TLS"), 100)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Open(t.Context(), ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj)
	obj.Close()
	if string(got) != "over TLS" {
		t.Fatalf("content %q", got)
	}

	o.RootCAs = nil
	if _, err := s3.Open(t.Context(), o); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Open without the private CA: %v", err)
	}
}

// privateCA writes a CA-issued certificate and key for 127.0.0.1 into dir
// and returns the CA as a pool.
func privateCA(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "segl test S3 CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}
