package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/server"
)

// TestS3KeyFileErrorsNameTheSetting: a missing or empty S3 key file stops
// start-up with an error that names the setting to fix, not only a path.
func TestS3KeyFileErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, empty := filepath.Join(dir, "good"), filepath.Join(dir, "empty")
	if err := os.WriteFile(good, []byte("key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ access, secret, want string }{
		"fail/access-key-file-missing": {filepath.Join(dir, "missing"), good, "s3-access-key-file"},
		"fail/secret-key-file-empty":   {good, empty, "s3-secret-key-file"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Data = t.TempDir()
			cfg.S3Endpoint, cfg.S3Bucket = "http://127.0.0.1:1", "segl"
			cfg.S3AccessKeyFile, cfg.S3SecretKeyFile = c.access, c.secret
			_, err := server.OpenBlobs(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s", err, c.want)
			}
		})
	}
}
