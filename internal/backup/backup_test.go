package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	blobfs "github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/queue/sqlitequeue"
	"github.com/segl/segl/internal/store/sqlite"
)

// dataDir makes an embedded data directory with an empty store and queue
// and one blob, and returns it with the blob's file.
func dataDir(t *testing.T) (dir, blobFile string) {
	t.Helper()
	dir = t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"), sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	blobs, err := blobfs.Open(filepath.Join(dir, "blobs"), blobfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := blobs.Put(context.Background(), strings.NewReader("%PDF-1.7 a document"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return dir, blobPath(dir, ref.Key)
}

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	data, _ := dataDir(t)
	dir := filepath.Join(t.TempDir(), "b")
	m, err := Backup(ctx, Options{Data: data, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if m.Blobs != 1 || len(m.Files) != 2 || m.Keys {
		t.Fatalf("manifest %+v", m)
	}
	if _, err := Backup(ctx, Options{Data: data, Dir: dir}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("backup into a used directory: %v, want conflict", err)
	}
	to := filepath.Join(t.TempDir(), "r")
	if _, err := Restore(ctx, Options{Data: to, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(filepath.Join(to, "segl.db"), sqlite.Options{}); err != nil {
		t.Fatalf("the restored store does not open: %v", err)
	}
}

// TestDamageFound: a blob whose content no longer matches its name stops
// a backup, and a backup changed after it was written does not verify or
// restore.
func TestDamageFound(t *testing.T) {
	ctx := context.Background()
	data, blobFile := dataDir(t)
	dir := filepath.Join(t.TempDir(), "b")
	if _, err := Backup(ctx, Options{Data: data, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(data, blobFile)
	if err := os.WriteFile(filepath.Join(dir, rel), []byte("%PDF-1.7 another document"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("verify a backup with a changed blob: %v", err)
	}
	if _, err := Restore(ctx, Options{Data: t.TempDir(), Dir: dir}); err == nil {
		t.Fatal("restored a damaged backup")
	}

	os.WriteFile(filepath.Join(dir, "segl.db"), []byte("not a database"), 0o600)
	if _, err := Verify(ctx, dir); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("verify a backup with a changed database: %v", err)
	}

	if err := os.WriteFile(blobFile, []byte("bit rot"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Backup(ctx, Options{Data: data, Dir: filepath.Join(t.TempDir(), "b2")}); err == nil ||
		!strings.Contains(err.Error(), "damaged") {
		t.Fatalf("backup of a damaged blob: %v", err)
	}
}

// partsJob adds to a data directory a running job whose signed revision
// is stored in two parts, the upload and an appended update, and returns
// the job and the update's blob.
func partsJob(t *testing.T) (data string, j *job.Job, tail blob.Ref) {
	t.Helper()
	ctx := context.Background()
	data, uploadFile := dataDir(t)
	blobs, err := blobfs.Open(filepath.Join(data, "blobs"), blobfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tail, err = blobs.Put(ctx, strings.NewReader("\nan incremental update\n%%EOF\n"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	upload := filepath.Base(uploadFile)
	db, err := sqlite.Open(filepath.Join(data, "segl.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	n := 0
	ids := func() string { n++; return fmt.Sprintf("0193000000%04d", n) }
	r := &job.Request{Title: "Avtale", Flow: job.Portal, SignatureType: job.Authenticated,
		Signers: []job.SignerRequest{{PID: "21909825250", Order: 1}, {PID: "03896127682", Order: 2}}}
	docs := []job.Document{{ID: ids(), Title: "Avtale", FileName: "a.pdf", MediaType: "application/pdf", Size: 19, SHA256: upload}}
	j, ev := job.New(r, "317510748", "cert:1", docs, ids, now, job.DefaultLimits)
	if err := db.CreateJob(ctx, j, ev, nil); err != nil {
		t.Fatal(err)
	}
	j.Documents[0].Signed = job.Revision{SHA256: upload, Size: 19}.Append(strings.Repeat("ab", 32), 19+tail.Size, blob.Whole(tail))
	if err := db.SaveJob(ctx, j, nil); err != nil {
		t.Fatal(err)
	}
	return data, j, tail
}

// TestRevisionPartsChecked: the check of a backup finds every blob a
// running job's revision is made of, not only its first: a revision
// stored in parts whose appended update is missing does not back up.
func TestRevisionPartsChecked(t *testing.T) {
	ctx := context.Background()
	data, _, tail := partsJob(t)
	if _, err := Backup(ctx, Options{Data: data, Dir: filepath.Join(t.TempDir(), "b")}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(blobPath(data, tail.Key)); err != nil {
		t.Fatal(err)
	}
	if _, err := Backup(ctx, Options{Data: data, Dir: filepath.Join(t.TempDir(), "b2")}); err == nil ||
		!strings.Contains(err.Error(), tail.Key+", which is missing") {
		t.Fatalf("backup of a job whose revision lacks a part: %v", err)
	}
}

// TestCheckBlobs: the check after a restore reads every blob the store
// refers to and names the job of each one missing or damaged.
func TestCheckBlobs(t *testing.T) {
	ctx := context.Background()
	data, j, tail := partsJob(t)
	check := func() Report {
		t.Helper()
		db, err := OpenStore("", data)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		blobs, err := blobfs.Open(filepath.Join(data, "blobs"), blobfs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := CheckBlobs(ctx, db, blobs)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := check(); rep.Jobs != 1 || rep.Blobs != 2 || len(rep.Faults) != 0 {
		t.Fatalf("intact: %+v", rep)
	}
	if err := os.WriteFile(blobPath(data, tail.Key), []byte("other content"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := check()
	want := "job " + j.ID + " of 317510748 (active) refers to blob " + tail.Key + ", which is damaged"
	if len(rep.Faults) != 1 || !strings.HasPrefix(rep.Faults[0].String(), want) {
		t.Fatalf("damaged: %+v, want %q", rep, want)
	}
	if err := os.Remove(blobPath(data, tail.Key)); err != nil {
		t.Fatal(err)
	}
	rep = check()
	want = "job " + j.ID + " of 317510748 (active) refers to blob " + tail.Key + ", which is missing"
	if len(rep.Faults) != 1 || rep.Faults[0].String() != want {
		t.Fatalf("missing: %+v, want %q", rep, want)
	}
}

// blobPath is where the file blob store keeps key.
func blobPath(data, key string) string {
	return filepath.Join(data, "blobs", "sha256", key[:2], key)
}
