package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// LoadSigner reads a PEM private key as a crypto.Signer. It accepts PKCS#8
// ("PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY") and PKCS#1 ("RSA PRIVATE KEY")
// blocks and skips anything else, such as the "EC PARAMETERS" block that
// "openssl ecparam -genkey" writes before the key. Encrypted keys are refused:
// production keys belong in an HSM behind crypto.Signer, not in a file with a
// password next to it. A missing file yields an error matching fs.ErrNotExist.
func LoadSigner(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pki: read key: %w", err)
	}
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("pki: no private key in %s", path)
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: parse PKCS#8 key %s: %w", path, err)
			}
			return asSigner(k)
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: parse EC key %s: %w", path, err)
			}
			return k, nil
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: parse RSA key %s: %w", path, err)
			}
			return k, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("pki: encrypted private key %s is not supported", path)
		}
	}
}

// asSigner narrows a parsed PKCS#8 key to the key types segl signs with.
func asSigner(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	default:
		return nil, fmt.Errorf("pki: unsupported private key type %T", k)
	}
}

// LoadCertificates reads every CERTIFICATE block of a PEM file in file order,
// which for segl's files is leaf first, then its issuers. Other blocks are
// skipped so that a combined key-and-chain file can be read too. A missing
// file yields an error matching fs.ErrNotExist.
func LoadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pki: read certificates: %w", err)
	}
	certs, err := parseCertificatesPEM(data)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", path, err)
	}
	return certs, nil
}

func parseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate found")
	}
	return certs, nil
}

// encodeCertificates returns certs as consecutive PEM CERTIFICATE blocks.
func encodeCertificates(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// encodeKey returns key as a PKCS#8 PEM block.
func encodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// writeKey stores key as PKCS#8 PEM, readable only by its owner.
func writeKey(path string, key crypto.Signer) error {
	data, err := encodeKey(key)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o600)
}

// writeFileAtomic writes data to a temporary file in the target directory,
// syncs it and renames it over path, so that a crash leaves either the old
// file or the new one, never half of either. The temporary file is created
// with mode 0600 and only then widened to perm, so a key is never readable by
// others even for a moment.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("pki: sync %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("pki: chmod %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("pki: close %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pki: rename %s: %w", path, err)
	}
	// Make the rename itself durable; not every platform can sync a
	// directory, and the data is already safe, so failure here is ignored.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// LoadPool reads the PEM certificates of path as a pool of trust anchors.
func LoadPool(path string) (*x509.CertPool, error) {
	certs, err := LoadCertificates(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// TrustingClient is an HTTP client for segl's outgoing calls (TSA, OCSP,
// ID-porten, remote signing) that trusts roots, or the system's when nil.
func TrustingClient(roots *x509.CertPool) *http.Client {
	c := &http.Client{Timeout: 30 * time.Second}
	if roots != nil {
		c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	}
	return c
}

// LoadKeyPair reads the PEM chain (leaf first) certifying key, which may be
// held in a file or in an HSM, and checks that the leaf certifies key: a
// certificate configured next to the wrong key is a start-up error, not a
// service making signatures nobody can verify.
func LoadKeyPair(key crypto.Signer, chainPath string) (KeyPair, error) {
	certs, err := LoadCertificates(chainPath)
	if err != nil {
		return KeyPair{}, err
	}
	if !sameKey(certs[0], key) {
		return KeyPair{}, fmt.Errorf("pki: %s does not certify the configured key", chainPath)
	}
	return KeyPair{Cert: certs[0], Chain: certs[1:], Key: key}, nil
}
