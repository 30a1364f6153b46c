package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/blob/s3"
	"github.com/segl/segl/internal/config"
)

// OpenBlobs opens the document store: files under DATA/blobs, or the
// S3-compatible object store that s3-endpoint names, whose bucket must
// exist (a wrong endpoint, bucket or key is a start-up error).
func OpenBlobs(ctx context.Context, cfg config.Config) (blob.Store, error) {
	if cfg.S3Endpoint == "" {
		return fs.Open(filepath.Join(cfg.Data, "blobs"), fs.Options{NoSync: cfg.RelaxedSync})
	}
	access, err := readSecret("s3-access-key-file", cfg.S3AccessKeyFile)
	if err != nil {
		return nil, err
	}
	secret, err := readSecret("s3-secret-key-file", cfg.S3SecretKeyFile)
	if err != nil {
		return nil, err
	}
	var roots *x509.CertPool
	if cfg.S3CAFile != "" {
		pem, err := os.ReadFile(cfg.S3CAFile)
		if err != nil {
			return nil, fmt.Errorf("server: s3-ca-file: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("server: s3-ca-file %s: no PEM certificates", cfg.S3CAFile)
		}
	}
	// Uploads are staged beside the signing code's temporary files.
	tmp := filepath.Join(cfg.Data, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return s3.Open(ctx, s3.Options{Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, Region: cfg.S3Region,
		AccessKey: access, SecretKey: secret, RootCAs: roots, TempDir: tmp})
}

// readSecret reads a one-line secret from the file the setting names,
// without its line end. Its errors name the setting, so that an operator
// knows which file to fix.
func readSecret(setting, path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("server: %s: %w", setting, err)
	}
	v := strings.TrimSpace(string(raw))
	if v == "" {
		return "", fmt.Errorf("server: %s: %s is empty", setting, path)
	}
	return v, nil
}
