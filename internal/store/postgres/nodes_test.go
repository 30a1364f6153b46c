package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/store"
)

// TestSeveralNodesOneChain starts four nodes at once on one new database
// and writes from all of them (each its own *DB and connection pool, as
// four segl processes would):
// jobs created and cancelled, portal users saved. Afterwards the audit log
// must be one intact chain holding every record, and an outbox that
// followed the feed by cursor while they wrote must have seen every change:
// a feed number committed after a higher one was read would be skipped.
func TestSeveralNodesOneChain(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	const nodes, jobsPerNode = 4, 12
	// The nodes start at once on an empty database: one migrates, the
	// others wait for it.
	dbs := make([]*DB, nodes)
	var started sync.WaitGroup
	for i := range dbs {
		started.Go(func() {
			db, err := Open(ctx, url)
			if err != nil {
				t.Errorf("node %d: %v", i, err)
				return
			}
			dbs[i] = db
		})
	}
	started.Wait()
	for _, db := range dbs {
		if db == nil {
			t.FailNow()
		}
		t.Cleanup(func() { db.Close() })
	}
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	newID := func() string { return uuid.Must(uuid.NewV7()).String() }

	seen := map[int64]bool{}
	stop := make(chan struct{})
	followed := make(chan error, 1)
	go func() { followed <- follow(ctx, dbs[0], seen, stop) }()

	var wg sync.WaitGroup
	errc := make(chan error, nodes*jobsPerNode)
	for n, db := range dbs {
		wg.Go(func() {
			for i := range jobsPerNode {
				r := &job.Request{Title: "Avtale", Flow: job.Portal, SignatureType: job.Authenticated,
					Signers: []job.SignerRequest{{PID: "21909825250", Order: 1}, {Email: "kari@example.test", Order: 1}}}
				j, ev := job.New(r, "317510748", fmt.Sprintf("cert:node%d", n), nil, newID, t0, job.DefaultLimits)
				if err := db.CreateJob(ctx, j, ev, nil); err != nil {
					errc <- err
					return
				}
				ev, err := j.Cancel("cert:42", t0.Add(time.Minute))
				if err != nil {
					errc <- err
					return
				}
				if err := db.SaveJob(ctx, j, ev); err != nil {
					errc <- err
					return
				}
				u := store.User{Org: "317510748", PID: fmt.Sprintf("%02d%09d", n, i), Name: "U", Role: store.RoleSender, CreatedAt: t0}
				if err := db.PutUser(ctx, store.By{Actor: "admin:x", At: t0}, u); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	close(errc)
	for err := range errc {
		t.Fatalf("a node's write: %v", err)
	}
	if err := <-followed; err != nil {
		t.Fatal(err)
	}

	var v audit.Verifier
	if err := dbs[nodes-1].AuditRecords(ctx, 0, v.Next); err != nil {
		t.Fatalf("the chain: %v", err)
	}
	// Per job: created, active, cancelled, two signers cancelled; per user one record.
	if want := int64(nodes * jobsPerNode * (5 + 1)); v.Count != want {
		t.Fatalf("%d audit records, want %d", v.Count, want)
	}
	all, err := dbs[1].ChangesAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != nodes*jobsPerNode*5 {
		t.Fatalf("%d changes in the feed, want %d", len(all), nodes*jobsPerNode*5)
	}
	for _, c := range all {
		if !seen[c.Seq] {
			t.Fatalf("the outbox following the feed skipped change %d (%s of job %s)", c.Seq, c.Type, c.JobID)
		}
	}
}

// follow reads the feed the way the delivery pump does, from a cursor
// moved to the last change read, until stop, then once more.
func follow(ctx context.Context, db *DB, seen map[int64]bool, stop <-chan struct{}) error {
	var cursor int64
	for {
		last := false
		select {
		case <-stop:
			last = true
		default:
		}
		page, err := db.ChangesAfter(ctx, cursor, 1000)
		if err != nil {
			return err
		}
		for _, c := range page {
			seen[c.Seq] = true
			cursor = c.Seq
		}
		if last {
			return nil
		}
	}
}
