package ceremony

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/sqlite"
)

// TestRunDue moves a fake clock past activation and expiry times: jobs
// activate and expire once, with every signer, however often the sweep
// runs, and the feed shows the changes.
func TestRunDue(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "segl.db"), sqlite.Options{RelaxedSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, _ := fs.Open(filepath.Join(dir, "blobs"), fs.Options{NoSync: true})
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	svc := &Service{Store: db, Blobs: blobs, Clock: clk, Limits: job.DefaultLimits, LinkKey: []byte("k")}
	ctx := context.Background()
	const org = "317510748"
	db.PutOrg(ctx, store.By{Actor: "test", At: t0}, store.Org{Number: org, Name: "A", Active: true, SignatureTypes: []job.SignatureType{job.Authenticated}})

	n := 0
	ids := func() string { n++; return fmt.Sprintf("id-%03d", n) }
	mk := func(activates, expires time.Time) *job.Job {
		r := &job.Request{Title: "T", Flow: job.Portal, SignatureType: job.Authenticated,
			Signers: []job.SignerRequest{{PID: "21909825250"}}, ActivatesAt: &activates, ExpiresAt: &expires}
		j, ev := job.New(r, org, "cert:1", nil, ids, t0, job.DefaultLimits)
		if err := db.CreateJob(ctx, j, ev, nil); err != nil {
			t.Fatal(err)
		}
		return j
	}
	expiring := mk(t0, t0.Add(48*time.Hour))
	scheduled := mk(t0.Add(24*time.Hour), t0.Add(72*time.Hour))

	if n, err := svc.RunDue(ctx, 100); err != nil || n != 0 {
		t.Fatalf("nothing due yet: %d, %v", n, err)
	}
	clk.Advance(25 * time.Hour)
	if n, _ := svc.RunDue(ctx, 100); n != 1 {
		t.Fatalf("activation: %d changed", n)
	}
	if j, _ := db.Job(ctx, org, scheduled.ID); j.Status != job.StatusActive {
		t.Fatalf("scheduled job is %s", j.Status)
	}
	clk.Advance(24 * time.Hour)
	for range 2 {
		svc.RunDue(ctx, 100)
	}
	j, _ := db.Job(ctx, org, expiring.ID)
	if j.Status != job.StatusExpired || j.Signers[0].Status != job.SignerExpired {
		t.Fatalf("expired job: %s / %s", j.Status, j.Signers[0].Status)
	}
	changes, _ := db.Changes(ctx, org, 0, 100)
	expired := 0
	for _, c := range changes {
		if c.Type == "job.expired" {
			expired++
		}
	}
	if expired != 1 {
		t.Fatalf("%d job.expired events, want exactly 1", expired)
	}
}
