package backup

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pgtest"
	"github.com/segl/segl/internal/queue/pgqueue"
	"github.com/segl/segl/internal/store/postgres"
)

// TestPostgresDumpRestore follows docs/operations.md for PostgreSQL: a
// logical backup with pg_dump -Fc, restored with pg_restore into an empty
// database, gives a store segl opens without migrating, with the jobs, the
// pending tasks and an audit chain that verifies.
func TestPostgresDumpRestore(t *testing.T) {
	ctx := context.Background()
	from, to := pgtest.URL(t), pgtest.URL(t)
	db, err := postgres.Open(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	q, err := pgqueue.Open(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var ids []string
	n := 0
	newID := func() string { n++; return strings.Repeat("0", 8) + string(rune('a'+n)) }
	for range 3 {
		r := &job.Request{Title: "Leieavtale", Flow: job.Portal, SignatureType: job.Authenticated,
			Signers: []job.SignerRequest{{PID: "21909825250"}}}
		j, ev := job.New(r, "317510748", "cert:1", nil, newID, now, job.DefaultLimits)
		if err := db.CreateJob(ctx, j, ev, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	if err := q.Enqueue(ctx, "callback", "cb/1", []byte(`{}`), now); err != nil {
		t.Fatal(err)
	}
	q.Close()
	db.Close()

	dump := filepath.Join(t.TempDir(), "segl.dump")
	if out, err := exec.Command(pgtest.Tool(t, "pg_dump"), "-Fc", "-f", dump, "--dbname", from).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if out, err := exec.Command(pgtest.Tool(t, "pg_restore"), "--no-owner", "--exit-on-error", "--dbname", to, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	restored, err := postgres.Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	for _, id := range ids {
		if _, err := restored.Job(ctx, "317510748", id); err != nil {
			t.Fatalf("job %s after the restore: %v", id, err)
		}
	}
	var v audit.Verifier
	if err := restored.AuditRecords(ctx, 0, v.Next); err != nil || v.Count == 0 {
		t.Fatalf("audit chain after the restore: %d records, %v", v.Count, err)
	}
	rq, err := pgqueue.Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rq.Close()
	jobs, err := rq.Claim(ctx, "node-1", []string{"callback"}, time.Minute, now, 10)
	if err != nil || len(jobs) != 1 || jobs[0].Key != "cb/1" {
		t.Fatalf("pending task after the restore: %+v, %v", jobs, err)
	}
}
