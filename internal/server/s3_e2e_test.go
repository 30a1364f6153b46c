package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/blob/s3/s3test"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/validate"
)

// TestObjectStoreOutage runs segl with its documents in a real S3 server
// (SeaweedFS, started for this test) and stops the server: an upload is
// answered 503 problem+json blob-store-unavailable with Retry-After (not
// 500), and /readyz names the store. Once the server is back, segl
// recovers by itself, without a restart: the job stored before the outage
// is signed by both signers and its completed PDF, read back from the
// bucket, passes the validator.
func TestObjectStoreOutage(t *testing.T) {
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
	body, err := c.SignedDocument(ctx, j.ID, j.Documents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := io.ReadAll(body)
	body.Close()
	rep, err := validate.PDF(bytes.NewReader(signed), int64(len(signed)), validate.Options{Roots: e.srv.Dev.Roots()})
	if err != nil || !rep.Passed() || len(rep.Signatures) != 3 {
		t.Fatalf("signed PDF from the object store: %v %+v", err, rep)
	}
}
