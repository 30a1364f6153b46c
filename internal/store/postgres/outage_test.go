package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pgtest"
)

// TestDatabaseOutage cuts the network between segl and PostgreSQL (a
// loopback proxy in between is closed, open connections and all) and
// restores it: while it is down every call answers the Unavailable kind,
// which the edges turn into 503, not an internal error; afterwards the
// same *DB works again by itself, and the audit chain is intact.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	p := pgtest.NewProxy(t, pgtest.URL(t))
	db := open(t, p.URL)
	t.Cleanup(func() { db.Close() })
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	create := func() (*job.Job, error) {
		r := &job.Request{Title: "Avtale", Flow: job.Portal, SignatureType: job.Authenticated,
			Signers: []job.SignerRequest{{PID: "21909825250"}}}
		j, ev := job.New(r, "317510748", "cert:42", nil, func() string { return uuid.Must(uuid.NewV7()).String() }, t0, job.DefaultLimits)
		return j, db.CreateJob(ctx, j, ev, nil)
	}
	before, err := create()
	if err != nil {
		t.Fatal(err)
	}

	p.Down()
	if _, err := db.Job(ctx, before.Org, before.ID); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("a read with the database down: %v, want the unavailable kind", err)
	}
	if _, err := create(); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("a write with the database down: %v, want the unavailable kind", err)
	}

	p.Up()
	var after *job.Job
	for range 200 { // a new connection is made on demand; no restart
		if after, err = create(); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after the database came back: %v", err)
	}
	if _, err := db.Job(ctx, before.Org, before.ID); err != nil {
		t.Fatalf("the job from before the outage: %v", err)
	}
	var v audit.Verifier
	if err := db.AuditRecords(ctx, 0, v.Next); err != nil || v.Count != 4 {
		t.Fatalf("audit chain after the outage: %v, %d records (want 4: two jobs created and activated; %s)", err, v.Count, after.ID)
	}
}
