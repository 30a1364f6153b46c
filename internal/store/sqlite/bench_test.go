package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
)

// benchJob creates a job as the ceremony has it (one document, two
// signers) in a fresh database (relaxed sync: the CPU, not the disk, is
// what the benchmarks measure).
func benchJob(b *testing.B) (*DB, *job.Job) {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "segl.db"), Options{RelaxedSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	n := 0
	id := func() string { n++; return fmt.Sprintf("0193%012d", n) }
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	r := &job.Request{Title: "Arbeidsavtale", Flow: job.Direct, SignatureType: job.Authenticated,
		Documents: []job.DocumentRequest{{Title: "Kontrakt", File: "doc1"}},
		Signers:   []job.SignerRequest{{PID: "21909825250", Order: 1}, {PID: "03896127682", Order: 2}}}
	docs := []job.Document{{ID: id(), Title: "Kontrakt", FileName: "k.pdf", MediaType: "application/pdf",
		Size: 1234, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Pages: 2}}
	j, ev := job.New(r, "310000001", "cert:42", docs, id, t0, job.DefaultLimits)
	j.AuditKey = make([]byte, 32)
	if err := db.CreateJob(context.Background(), j, ev, nil); err != nil {
		b.Fatal(err)
	}
	return db, j
}

// BenchmarkSignerJob reads a signer's job from the signer's id, as every
// signer page does.
func BenchmarkSignerJob(b *testing.B) {
	db, j := benchJob(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.SignerJob(ctx, j.Signers[1].ID); err != nil {
			b.Fatal(err)
		}
	}
}
