package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/store/sqlite"
)

// TestAuditAnchoredAtShutdown: the head is time-stamped at start (in the
// background, so maybe before, maybe after the job) and again at shutdown,
// so the records the job wrote are anchored, and every anchor verifies
// against the development root.
func TestAuditAnchoredAtShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustCreate(e.client(orgA), directRequest())
	e.stop()

	db, err := sqlite.Open(filepath.Join(e.data, "segl.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	h, err := db.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Anchored != h.Seq {
		t.Fatalf("after shutdown the newest anchor is at record %d, the head at %d", h.Anchored, h.Seq)
	}
	root, err := pki.LoadPool(filepath.Join(e.data, "pki", "root-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var v audit.Verifier
	if err := db.AuditAnchors(ctx, func(a audit.Anchor) error { return v.CheckAnchor(a, root) }); err != nil {
		t.Fatal(err)
	}
	if err := db.AuditRecords(ctx, 0, v.Next); err != nil {
		t.Fatal(err)
	}
	if err := v.Finish(); err != nil {
		t.Fatal(err)
	}
	if v.Anchors == 0 || v.LastAnchor.Seq != v.Count {
		t.Fatalf("%d anchors, the newest at record %d of %d", v.Anchors, v.LastAnchor.Seq, v.Count)
	}
}
