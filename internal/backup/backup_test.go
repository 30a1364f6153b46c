package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	blobfs "github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/errs"
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
	q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"))
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
	return dir, filepath.Join(dir, "blobs", "sha256", ref.Key[:2], ref.Key)
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
