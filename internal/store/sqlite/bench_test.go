package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// benchJob creates a job as the ceremony has it (one document, two
// signers) in a fresh database (relaxed sync: the CPU, not the disk, is
// what the benchmarks measure).
func benchJob(b testing.TB) (*DB, *job.Job) {
	b.Helper()
	db, j, _ := relaxedWithJob(b, filepath.Join(b.TempDir(), "segl.db"), "21909825250", "03896127682")
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

// BenchmarkSaveJob saves a job as a signing act does: the intent (no
// signer or document changes), then the act (one signer signed, the
// document's new revision in three parts).
func BenchmarkSaveJob(b *testing.B) {
	db, j := benchJob(b)
	ctx := context.Background()
	rev := job.Revision{SHA256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", Size: 3000,
		Parts: []blob.Span{{Key: j.Documents[0].SHA256, Size: 1234}, {Key: "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9", Size: 1000},
			{Key: "baa5a0964d3320fbc0c6a922140453c8513ea24ab8fd0577034804a967248096", Size: 766}}}
	intent := []job.Event{{Type: "signer.signing", JobID: j.ID, SignerID: j.Signers[0].ID, At: j.CreatedAt}}
	signed := []job.Event{{Type: "signer.signed", JobID: j.ID, SignerID: j.Signers[0].ID, At: j.CreatedAt}}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		if err := db.SaveJob(ctx, j, intent); err != nil {
			b.Fatal(err)
		}
		j.Signers[0].UpdatedAt = j.CreatedAt.Add(time.Duration(i) * time.Microsecond)
		j.Documents[0].Signed = rev
		j.Documents[0].Signed.Size += int64(i) // a new revision each time
		if err := db.SaveJob(ctx, j, signed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveJobDurable saves from eight goroutines at once, each its
// own job, as concurrent signing acts do: the intent, then the act, with
// every commit durable (the store's default). It reports the process's
// CPU time per pair (user + system, from getrusage), which fsyncs are a
// part of.
func BenchmarkSaveJobDurable(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "segl.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	var next atomic.Int64
	newJob := func() *job.Job {
		n := next.Add(1)
		id := func() string { return fmt.Sprintf("0193%012d", next.Add(1)) }
		t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
		r := &job.Request{Title: "Arbeidsavtale", Flow: job.Direct, SignatureType: job.Authenticated,
			Documents: []job.DocumentRequest{{Title: "Kontrakt", File: "doc1"}},
			Signers:   []job.SignerRequest{{PID: "21909825250", Order: 1}, {PID: "03896127682", Order: 2}}}
		docs := []job.Document{{ID: id(), Title: "Kontrakt", FileName: "k.pdf", MediaType: "application/pdf",
			Size: 1234 + n, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Pages: 2}}
		j, ev := job.New(r, "310000001", "cert:42", docs, id, t0, job.DefaultLimits)
		j.AuditKey = make([]byte, 32)
		if err := db.CreateJob(ctx, j, ev, nil); err != nil {
			b.Fatal(err)
		}
		return j
	}
	b.SetParallelism(4) // eight goroutines on two cores
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		j := newJob()
		intent := []job.Event{{Type: "signer.signing", JobID: j.ID, SignerID: j.Signers[0].ID, At: j.CreatedAt}}
		signed := []job.Event{{Type: "signer.signed", JobID: j.ID, SignerID: j.Signers[0].ID, At: j.CreatedAt}}
		for i := 1; pb.Next(); i++ {
			if err := db.SaveJob(ctx, j, intent); err != nil {
				b.Fatal(err)
			}
			j.Signers[0].UpdatedAt = j.CreatedAt.Add(time.Duration(i) * time.Microsecond)
			j.Documents[0].Signed = job.Revision{SHA256: fmt.Sprintf("%064x", i), Size: 3000 + int64(i),
				Parts: []blob.Span{{Key: j.Documents[0].SHA256, Size: 1234}}}
			if err := db.SaveJob(ctx, j, signed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSaveThenReads is a ceremony's mix of store calls per save: a
// save (a signing act's intent) between the reads the pages and the
// delivery make (two SignerJob, one Job, two Org), in a file of 300
// jobs, so every read follows a commit as it does in the server.
func BenchmarkSaveThenReads(b *testing.B) {
	db, j := benchJob(b)
	ctx := context.Background()
	by := store.By{Actor: "test", At: j.CreatedAt}
	if err := db.PutOrg(ctx, by, store.Org{Number: j.Org, Name: "Org", Active: true, CreatedAt: j.CreatedAt}); err != nil {
		b.Fatal(err)
	}
	for i := range 300 {
		k := *j
		k.ID = fmt.Sprintf("0194%012d", i)
		k.Documents = []job.Document{j.Documents[0]}
		k.Signers = append([]job.Signer(nil), j.Signers...)
		for s := range k.Signers {
			k.Signers[s].ID = fmt.Sprintf("0195%012d", 2*i+s)
		}
		if err := db.CreateJob(ctx, &k, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	intent := []job.Event{{Type: "signer.signing", JobID: j.ID, SignerID: j.Signers[0].ID, At: j.CreatedAt}}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if err := db.SaveJob(ctx, j, intent); err != nil {
			b.Fatal(err)
		}
		for range 2 {
			if _, err := db.SignerJob(ctx, j.Signers[1].ID); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Org(ctx, j.Org); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := db.Job(ctx, j.Org, j.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
}

// BenchmarkCeremonyStore makes, per op, the store calls the in-process
// ceremony makes per job (counted in BenchmarkCeremony of internal/server
// at 100 jobs, rounded): a creation; per signer five SignerJob and five
// Org reads (the pages), an intent save and an act save; the completion's
// Job read and save; the delivery's six Job reads, an Org read, its
// notices recorded and read, a feed read and a cursor. Relaxed sync: it
// measures SQLite's CPU and system calls, not the disk.
func BenchmarkCeremonyStore(b *testing.B) {
	db, j0 := benchJob(b)
	ctx := context.Background()
	t0 := j0.CreatedAt
	if err := db.PutOrg(ctx, store.By{Actor: "test", At: t0}, store.Org{Number: j0.Org, Name: "Org", Active: true, CreatedAt: t0}); err != nil {
		b.Fatal(err)
	}
	n := 0
	id := func() string { n++; return fmt.Sprintf("0194%012d", n) }
	r := &job.Request{Title: "Arbeidsavtale", Flow: job.Direct, SignatureType: job.Authenticated,
		Documents: []job.DocumentRequest{{Title: "Kontrakt", File: "doc1"}},
		Signers:   []job.SignerRequest{{PID: "21909825250", Order: 1}, {PID: "03896127682", Order: 2}}}
	var seq int64
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		docs := []job.Document{{ID: id(), Title: "Kontrakt", FileName: "k.pdf", MediaType: "application/pdf",
			Size: 1234, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Pages: 2}}
		j, ev := job.New(r, j0.Org, "cert:42", docs, id, t0, job.DefaultLimits)
		j.AuditKey = make([]byte, 32)
		must(b, db.CreateJob(ctx, j, ev, nil))
		for i := range j.Signers {
			s := &j.Signers[i]
			for range 5 {
				_, err := db.SignerJob(ctx, s.ID)
				must(b, err)
				_, err = db.Org(ctx, j.Org)
				must(b, err)
			}
			must(b, db.SaveJob(ctx, j, []job.Event{{Type: "signer.signing", JobID: j.ID, SignerID: s.ID, At: t0}}))
			s.Status, s.Evidence, s.Name = job.SignerSigned, fmt.Sprintf("%064x", 2*n+i), "Kari Nordmann"
			s.UpdatedAt = t0.Add(time.Second)
			j.Documents[0].Signed = job.Revision{SHA256: fmt.Sprintf("%064x", 4*n+i), Size: 3000 + int64(i),
				Parts: []blob.Span{{Key: j.Documents[0].SHA256, Size: 1234}, {Key: fmt.Sprintf("%064x", 4*n+2+i), Size: 1766 + int64(i)}}}
			must(b, db.SaveJob(ctx, j, []job.Event{{Type: "signer.signed", JobID: j.ID, SignerID: s.ID, At: t0}}))
		}
		_, err := db.Job(ctx, j.Org, j.ID)
		must(b, err)
		j.Status, j.EndedAt = job.StatusCompleted, t0.Add(time.Minute)
		must(b, db.SaveJob(ctx, j, []job.Event{{Type: "job.completed", JobID: j.ID, At: t0}}))
		for range 6 {
			_, err := db.Job(ctx, j.Org, j.ID)
			must(b, err)
		}
		_, err = db.Org(ctx, j.Org)
		must(b, err)
		must(b, db.RecordNotices(ctx, []store.Notice{{Key: j.ID + "/a", Org: j.Org, JobID: j.ID, Channel: "digipost", At: t0},
			{Key: j.ID + "/b", Org: j.Org, JobID: j.ID, Channel: "digipost", At: t0}}))
		_, err = db.JobNotices(ctx, j.Org, j.ID)
		must(b, err)
		changes, err := db.ChangesAfter(ctx, seq, 100)
		must(b, err)
		seq = changes[len(changes)-1].Seq
		must(b, db.SetCursor(ctx, "bench", seq))
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCacheCheck is the check every Job, SignerJob and Org makes
// before it answers (readCache): PRAGMA data_version on the writer's
// connection, a read transaction of its own.
func BenchmarkCacheCheck(b *testing.B) {
	db, _ := benchJob(b)
	ctx := context.Background()
	loopCPU(b, func() error { _, err := db.checkCache(ctx); return err })
}

// BenchmarkOrg reads an organisation, as each signer page and each API
// call's authorisation does.
func BenchmarkOrg(b *testing.B) {
	db, j := benchJob(b)
	ctx := context.Background()
	if err := db.PutOrg(ctx, store.By{Actor: "test", At: j.CreatedAt}, store.Org{Number: j.Org, Name: "Org", Active: true}); err != nil {
		b.Fatal(err)
	}
	loopCPU(b, func() error { _, err := db.Org(ctx, j.Org); return err })
}

// loopCPU runs op b.N times and reports the process's CPU time per op.
func loopCPU(b *testing.B, op func() error) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
}
