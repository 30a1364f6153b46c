package server_test

import (
	"context"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
)

// TestBackupAndRestore: a job is signed to completion, `segl backup` copies
// the data directory while the server runs and keeps creating jobs, `segl
// restore` puts it into a new directory, and a server started there has
// the job with its signed document, which `segl validate` passes, and an
// audit log that `segl audit verify` finds intact.
func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	bin := seglBinary(t)
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	req := directRequest()
	req.Signers = req.Signers[:1]
	j := e.createWithText(c, req)
	ola := e.browser(t)
	view := ola.login(j.Signers[0].SigningURL, olaPID, "bankid")
	ola.submit(view, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	eventually(t, "the job completes", func() bool {
		got, err := c.Job(ctx, j.ID)
		return err == nil && got.Status == "completed"
	})

	// Jobs keep arriving while the backup runs.
	stop := make(chan struct{})
	var load sync.WaitGroup
	load.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.CreateJob(ctx, directRequest(), []client.Upload{pdfUpload("doc1")}); err != nil {
				t.Errorf("create during the backup: %v", err)
				return
			}
		}
	})
	backupDir := filepath.Join(t.TempDir(), "backup")
	out, err := exec.Command(bin, "backup", "--data", e.data, "--out", backupDir, "--keys").CombinedOutput()
	close(stop)
	load.Wait()
	if err != nil || !strings.Contains(string(out), "verified") {
		t.Fatalf("segl backup: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "backup", "verify", backupDir).CombinedOutput(); err != nil {
		t.Fatalf("segl backup verify: %v\n%s", err, out)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if out, err := exec.Command(bin, "restore", "--from", backupDir, "--data", restored).CombinedOutput(); err != nil {
		t.Fatalf("segl restore: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "audit", "verify", "--data", restored).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "intact") {
		t.Fatalf("segl audit verify on the restored data: %v\n%s", err, out)
	}
	// A restore never writes over data.
	if out, err := exec.Command(bin, "restore", "--from", backupDir, "--data", restored).CombinedOutput(); err == nil {
		t.Fatalf("restore into a used data directory succeeded:\n%s", out)
	}

	r := newEnv(t, func(cfg *config.Config) {
		cfg.Data, cfg.LinkKeyFile = restored, filepath.Join(restored, "secrets", "link.key")
	})
	rc := r.client(orgA)
	got, err := rc.Job(ctx, j.ID)
	if err != nil || got.Status != "completed" || got.Signers[0].Status != "signed" {
		t.Fatalf("the job after the restore: %+v, %v", got, err)
	}
	validSigned(t, bin, restored, rc, got)
}

// validSigned downloads each signed document of j through c and checks it
// with `segl validate`, trusting the development root of data; it returns
// the files written.
func validSigned(t *testing.T, bin, data string, c *client.Client, j *client.Job) []string {
	t.Helper()
	var files []string
	for _, d := range j.Documents {
		body, err := c.SignedDocument(context.Background(), j.ID, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		signed, _ := io.ReadAll(body)
		body.Close()
		file := filepath.Join(t.TempDir(), d.ID+".pdf")
		if err := os.WriteFile(file, signed, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "validate", "--data", data, file).CombinedOutput(); err != nil ||
			!strings.Contains(string(out), "TOTAL_PASSED") {
			t.Fatalf("segl validate %s: %v\n%s", d.Title, err, out)
		}
		files = append(files, file)
	}
	return files
}

// TestBackupWithoutKeys: by default the key material stays out of the
// backup.
func TestBackupWithoutKeys(t *testing.T) {
	t.Parallel()
	bin := seglBinary(t)
	e := newEnv(t)
	backupDir := filepath.Join(t.TempDir(), "backup")
	if out, err := exec.Command(bin, "backup", "--data", e.data, "--out", backupDir).CombinedOutput(); err != nil {
		t.Fatalf("segl backup: %v\n%s", err, out)
	}
	for _, d := range []string{"pki", "secrets", "dev"} {
		if _, err := os.Stat(filepath.Join(backupDir, d)); !os.IsNotExist(err) {
			t.Errorf("%s/ is in a backup made without --keys", d)
		}
	}
	restored := filepath.Join(t.TempDir(), "restored")
	out, err := exec.Command(bin, "restore", "--from", backupDir, "--data", restored).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "no keys") {
		t.Fatalf("segl restore: %v\n%s", err, out)
	}
}
