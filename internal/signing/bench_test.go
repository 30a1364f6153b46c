package signing

import (
	"bytes"
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/xades"
)

// benchJob is what BenchmarkSign, BenchmarkReceipt and BenchmarkComplete
// measure: a job of one 100 KB PDF and two signers, as the ceremony
// benchmark of internal/server runs it, with the engine as the server
// builds it (revocation data reused within its second).
type benchJob struct {
	e   *Engine
	job Job
	doc Document
}

func newBenchJob(b *testing.B) *benchJob {
	env := setup(b)
	e := env.engine(b, func(c *Config) {
		c.OCSP = &pki.RevocationCache{Source: c.OCSP, Now: c.Clock.Now}
	})
	upload := testdocs.PDF("Arbeidsavtale", 100_000)
	ref, err := e.cfg.Blobs.Put(context.Background(), bytes.NewReader(upload), int64(len(upload)))
	if err != nil {
		b.Fatal(err)
	}
	return &benchJob{e: e,
		job: Job{ID: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e78", Title: "Arbeidsavtale", SenderOrg: "312345679",
			Identifier: job.ShowPID, Signers: 2, Lang: "nb"},
		doc: Document{ID: "doc-1", Title: "Arbeidsavtale", FileName: "avtale.pdf", MediaType: MediaPDF,
			SHA256: sum(upload), Size: int64(len(upload)), Upload: ref.Key}}
}

// cpuTime is the CPU time (user and system) the process has used. On
// the shared 2-core machine wall time per operation says more about the
// others' load than about the code; the CPU time per operation
// (reportCPU) says less, and the garbage collector's share counts in it.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs op b.N times and reports the CPU time per run as
// cpu-ns/op beside ns/op.
func measure(b *testing.B, op func()) {
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		op()
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// act signs as the signer of slot on top of rev (zero: the first act).
func (bj *benchJob) act(b *testing.B, slot int, signer xades.SignerFacts, rev job.Revision) Signed {
	d := bj.doc
	d.Revision = rev
	s, err := bj.e.Sign(context.Background(), Act{Job: bj.job, Documents: []Document{d}, Slot: slot, Signer: signer,
		SignedAt: bj.e.now().Truncate(time.Second)})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSign is one signing act on a 100 KB PDF: "first" prepares the
// upload too (normalisation and the signature page), "second" signs on
// top of the first act's revision.
func BenchmarkSign(b *testing.B) {
	bj := newBenchJob(b)
	b.Run("first", func(b *testing.B) {
		measure(b, func() { bj.act(b, 0, ola, job.Revision{}) })
	})
	first := bj.act(b, 0, ola, job.Revision{})
	b.Run("second", func(b *testing.B) {
		measure(b, func() { bj.act(b, 1, kari, first.Revisions[0]) })
	})
}

// BenchmarkReceipt is one signer's receipt as the ceremony makes it: the
// evidence's facts read back (xades.ReadFacts: its bytes are known by
// their SHA-256), then the receipt rendered and sealed (PAdES B-LT).
func BenchmarkReceipt(b *testing.B) {
	bj := newBenchJob(b)
	ctx := context.Background()
	signed := bj.act(b, 0, ola, job.Revision{})
	ev := readEvidence(b, bj.e, signed)
	measure(b, func() {
		facts, err := xades.ReadFacts(ev)
		if err != nil {
			b.Fatal(err)
		}
		if err := bj.e.Receipt(ctx, io.Discard, Receipt{Act: facts, SenderName: "Testbedrift AS", Lang: "nb"}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkComplete is the completion to PAdES B-LTA of a 100 KB PDF
// signed by two signers. It reports the completed document's size
// (doc-bytes), which every copy kept, delivered and hashed again has, as
// an engine that has signed before makes it (the seal's signatures
// fitted: Engine.fit).
func BenchmarkComplete(b *testing.B) {
	bj := newBenchJob(b)
	bj.act(b, 0, ola, job.Revision{})
	first := bj.act(b, 0, ola, job.Revision{})
	second := bj.act(b, 1, kari, first.Revisions[0])
	var final []job.Revision
	measure(b, func() {
		var err error
		if final, err = bj.e.Complete(context.Background(), second.Revisions); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(final[0].Size), "doc-bytes")
}
