package server_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/blob/s3/s3test"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/server"
)

// TestObjectStoreOutage runs segl with its documents in a real S3 server
// (SeaweedFS, started for this test) and stops the server: an upload is
// answered 503 problem+json blob-store-unavailable with Retry-After (not
// 500), and /readyz names the store. Once the server is back, segl
// recovers by itself, without a restart: the job stored before the outage
// is signed by both signers and its completed PDF, read back from the
// bucket, passes the validator.
func TestObjectStoreOutage(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	o := srv.Bucket(t)
	keys := t.TempDir()
	os.WriteFile(filepath.Join(keys, "access"), []byte(o.AccessKey+"\n"), 0o600)
	os.WriteFile(filepath.Join(keys, "secret"), []byte(o.SecretKey+"\n"), 0o600)
	e := newEnv(t, func(c *config.Config) {
		c.S3Endpoint, c.S3Bucket = o.Endpoint, o.Bucket
		c.S3AccessKeyFile, c.S3SecretKeyFile = filepath.Join(keys, "access"), filepath.Join(keys, "secret")
	})
	if entries, _ := os.ReadDir(filepath.Join(e.data, "blobs")); len(entries) != 0 {
		t.Fatalf("documents went to local files: %v", entries)
	}
	ctx := context.Background()
	c := e.client(orgA)
	last := &lastResponse{next: c.HTTP.Transport}
	c.HTTP.Transport = last
	j := e.mustCreate(c, directRequest())
	if code, rep := e.readyz(t); code != http.StatusOK || rep.Status != "ready" {
		t.Fatalf("readyz with the store up: %d %+v", code, rep)
	}

	srv.Stop()
	_, err := c.CreateJob(ctx, directRequest(), []client.Upload{pdfUpload("doc1")})
	problemOf(t, err, http.StatusServiceUnavailable, "blob-store-unavailable")
	if h := last.header; h.Get("Content-Type") != "application/problem+json" || h.Get("Retry-After") == "" {
		t.Fatalf("upload during the outage: %v", h)
	}
	_, err = c.Document(ctx, j.ID, j.Documents[0].ID)
	problemOf(t, err, http.StatusServiceUnavailable, "blob-store-unavailable")
	if code, rep := e.readyz(t); code != http.StatusServiceUnavailable || rep.Failed["blobs"] != "blob-store-unavailable" {
		t.Fatalf("readyz with the store down: %d %+v", code, rep)
	}

	// A signer who signs during the outage is asked to try again later,
	// not sent to the sender's error URL; their link still works after.
	b := e.browser(t)
	view := b.login(j.Signers[0].SigningURL, olaPID, "bankid")
	b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).want(t, http.StatusServiceUnavailable, "Prøv igjen senere")

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if code, rep := e.readyz(t); code != http.StatusOK {
		t.Fatalf("readyz once the store is back: %d %+v", code, rep)
	}
	for i, pid := range []string{olaPID, kariPID} {
		b := e.browser(t)
		view := b.login(j.Signers[i].SigningURL, pid, "bankid")
		view.want(t, 200, "Arbeidsavtale")
		b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	}
	e.completed(c, j.ID)
	signedPasses(t, c, j.ID, j.Documents[0].ID, e.srv.Dev.Roots(), 3)
}

// TestObjectStoreStartupErrors: a node whose object store settings cannot
// work does not start, and says why, instead of failing its first upload.
func TestObjectStoreStartupErrors(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	o := srv.Bucket(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	access, secret := file("access", o.AccessKey+"\n"), file("secret", o.SecretKey+"\n")
	for _, c := range []struct {
		name   string
		mutate func(*config.Config)
		text   string
	}{
		{"fail/no-such-bucket", func(c *config.Config) { c.S3Bucket += "-missing" }, "does not exist"},
		{"fail/wrong-secret", func(c *config.Config) { c.S3SecretKeyFile = file("wrong", "not-the-secret") }, "signature"},
		{"fail/empty-key-file", func(c *config.Config) { c.S3AccessKeyFile = file("empty", "\n") }, "is empty"},
		{"fail/missing-key-file", func(c *config.Config) { c.S3SecretKeyFile = filepath.Join(dir, "nope") }, "no such file"},
		{"fail/ca-file-not-pem", func(c *config.Config) { c.S3CAFile = file("ca.pem", "not a certificate") }, "no PEM certificates"},
		{"fail/bad-endpoint", func(c *config.Config) { c.S3Endpoint = "s3.example:9000" }, "want https://host[:port]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Dev, cfg.Addr, cfg.Data, cfg.RelaxedSync = true, "127.0.0.1:0", t.TempDir(), true
			cfg.LinkKeyFile = filepath.Join(cfg.Data, "secrets", "link.key")
			cfg.S3Endpoint, cfg.S3Bucket, cfg.S3AccessKeyFile, cfg.S3SecretKeyFile = o.Endpoint, o.Bucket, access, secret
			c.mutate(&cfg)
			s, err := server.Start(context.Background(), cfg, server.Options{})
			if err == nil {
				s.Close(context.Background())
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %q", err, c.text)
			}
		})
	}
}
