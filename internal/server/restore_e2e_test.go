package server_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/segl/segl/internal/blob/s3"
	"github.com/segl/segl/internal/blob/s3/s3test"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/store/postgres"
)

// TestRestoreScaledOut restores the scaled-out shape from what
// docs/operations.md ("Backup and restore", "PostgreSQL and S3") says to
// back up. A ceremony runs to completion on PostgreSQL and S3; the backup
// is `pg_dump -Fc` of the database while the node runs, then a copy of
// every object into a second bucket (what a replica is). pg_restore puts
// the dump into a fresh database and a node starts on it and on the copy
// bucket. Then the checks an operator makes: `segl backup verify` with the
// node's settings finds every blob the database refers to, with its
// content; `segl audit verify --database-url` finds the chain intact; the
// job is there, and its signed PDF downloads and passes `segl validate`
// and pdfsig. Last, a copy that lacks one blob and holds another with
// other content is reported by `segl backup verify`, naming the job.
func TestRestoreScaledOut(t *testing.T) {
	t.Parallel()
	bin := seglBinary(t)
	srv := s3test.Start(t)
	primary, replica := srv.Bucket(t), srv.Bucket(t)
	dbURL, restoredURL := pgtest.URL(t), pgtest.URL(t)
	keys := t.TempDir()
	access, secret := filepath.Join(keys, "access"), filepath.Join(keys, "secret")
	os.WriteFile(access, []byte(primary.AccessKey+"\n"), 0o600)
	os.WriteFile(secret, []byte(primary.SecretKey+"\n"), 0o600)
	e := newEnv(t, func(c *config.Config) {
		c.DatabaseURL = dbURL
		c.S3Endpoint, c.S3Bucket = primary.Endpoint, primary.Bucket
		c.S3AccessKeyFile, c.S3SecretKeyFile = access, secret
	})
	ctx := context.Background()
	c := e.client(orgA)
	j := e.createWithText(c, directRequest())
	for i, pid := range []string{olaPID, kariPID} {
		b := e.browser(t)
		view := b.login(j.Signers[i].SigningURL, pid, "bankid")
		b.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	}
	if got := e.completed(c, j.ID); got.Status != "completed" {
		t.Fatalf("the job before the backup: %s", got.Status)
	}

	// The backup, while the node runs: the database first, then the
	// bucket, so the copy is at least as new as the dump.
	dump := filepath.Join(t.TempDir(), "segl.dump")
	if out, err := exec.Command(pgtest.Tool(t, "pg_dump"), "-Fc", "-f", dump, "--dbname", dbURL).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	mc := minioClient(t, primary)
	copied := 0
	for o := range mc.ListObjects(ctx, primary.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		_, err := mc.CopyObject(ctx, minio.CopyDestOptions{Bucket: replica.Bucket, Object: o.Key},
			minio.CopySrcOptions{Bucket: primary.Bucket, Object: o.Key})
		if err != nil {
			t.Fatalf("copy %s: %v", o.Key, err)
		}
		copied++
	}
	if copied == 0 {
		t.Fatal("no objects in the bucket")
	}
	e.stop()

	// The restore: a fresh database from the dump, the node on the copy.
	if out, err := exec.Command(pgtest.Tool(t, "pg_restore"), "--no-owner", "--exit-on-error", "--dbname", restoredURL, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	verify := func() (string, error) {
		out, err := exec.Command(bin, "backup", "verify", "--database-url", restoredURL,
			"--s3-endpoint", replica.Endpoint, "--s3-bucket", replica.Bucket,
			"--s3-access-key-file", access, "--s3-secret-key-file", secret).CombinedOutput()
		return string(out), err
	}
	if out, err := verify(); err != nil || !strings.Contains(out, "every blob the store refers to is present with its content: jobs 1,") {
		t.Fatalf("segl backup verify after the restore: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "audit", "verify", "--database-url", restoredURL, "--data", e.data).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "audit log intact") {
		t.Fatalf("segl audit verify after the restore: %v\n%s", err, out)
	}
	e.cfg.DatabaseURL, e.cfg.S3Bucket = restoredURL, replica.Bucket
	e.start()
	got, err := e.client(orgA).Job(ctx, j.ID)
	if err != nil || got.Status != "completed" {
		t.Fatalf("the job after the restore: %+v, %v", got, err)
	}
	nss := nssdb(t, e.data)
	for _, file := range validSigned(t, bin, e.data, e.client(orgA), got) {
		// pdfsig checks the two signers' signatures; it cannot check the
		// document time-stamp.
		out, _ := exec.Command("pdfsig", "-nssdir", nss, file).CombinedOutput()
		if n := strings.Count(string(out), "Signature Validation: Signature is Valid."); n != 2 {
			t.Fatalf("pdfsig %s after the restore:\n%s", filepath.Base(file), out)
		}
	}
	e.stop()

	// A copy that lost one blob of the job and holds another with other
	// content: the check names the job and both blobs.
	db, err := postgres.Open(ctx, restoredURL)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := db.JobBlobs(ctx, orgA, j.ID)
	db.Close()
	if err != nil || len(blobs) < 2 {
		t.Fatalf("the job's blobs: %v, %v", blobs, err)
	}
	// The bucket holds blob KEY as the object sha256/KEY.
	lost, damaged := blobs[0], blobs[len(blobs)-1]
	if err := mc.RemoveObject(ctx, replica.Bucket, "sha256/"+lost, minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	other := []byte("not what was stored")
	if _, err := mc.PutObject(ctx, replica.Bucket, "sha256/"+damaged, bytes.NewReader(other), int64(len(other)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err := verify()
	if err == nil {
		t.Fatalf("segl backup verify passed a copy without blob %s:\n%s", lost, out)
	}
	for _, want := range []string{
		"job " + j.ID + " of " + orgA + " (completed) refers to blob " + lost + ", which is missing",
		"job " + j.ID + " of " + orgA + " (completed) refers to blob " + damaged + ", which is damaged",
		"2 references to missing or damaged blobs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("segl backup verify says\n%s\nwant %q", out, want)
		}
	}
}

// minioClient is an S3 client of the bucket's server apart from segl's
// own store: the tool a replica or an operator's copy would use.
func minioClient(t *testing.T, o s3.Options) *minio.Client {
	t.Helper()
	u, err := url.Parse(o.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""), Secure: u.Scheme == "https"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
