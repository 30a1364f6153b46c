package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/store"
)

// TestCheckpointLeavesTheWriterFree: while a reader of an older snapshot
// keeps a deletion's checkpoint from truncating the log, a signer's page
// (a hot read on the writer's connection) and a write still go through;
// the deletion returns once the reader is done, with the log truncated.
func TestCheckpointLeavesTheWriterFree(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segl.db")
	db, j, t0 := relaxedWithJob(t, path, "21909825250")
	reader, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback()
	var n int
	if err := reader.QueryRowContext(ctx, `SELECT count(*) FROM jobs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCursor(ctx, "test", 1); err != nil { // a frame the reader does not see
		t.Fatal(err)
	}
	busy := make(chan struct{}, 1)
	testHookCheckpointBusy = func() {
		select {
		case busy <- struct{}{}:
		default:
		}
	}
	deleted := make(chan error, 1)
	go func() { deleted <- db.DeleteJob(ctx, store.By{Actor: "system", At: t0}, j.Org, j.ID, "test") }()
	t.Cleanup(func() { testHookCheckpointBusy = nil })
	<-busy
	if _, err := db.SignerJob(ctx, j.Signers[0].ID); err != nil {
		t.Fatalf("signer's job during the checkpoint: %v", err)
	}
	if err := db.SetCursor(ctx, "test", 2); err != nil {
		t.Fatalf("a write during the checkpoint: %v", err)
	}
	select {
	case err := <-deleted:
		t.Fatalf("the deletion returned (%v) while a reader still kept old frames in the log", err)
	default:
	}
	reader.Rollback()
	if err := <-deleted; err != nil {
		t.Fatalf("delete job: %v", err)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 0 {
		t.Fatalf("the log holds %d bytes after the deletion, want it truncated", fi.Size())
	}
}
