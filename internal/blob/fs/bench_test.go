package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/testtool"
)

// BenchmarkPutTail stores what a signing act appends (64 KB over a
// 100 KB revision) as a blob.Tail, as signing.appended does, each op new
// content into a store on a fresh data directory: with fsync (the
// default) and without. It reports cpu-ns/op (user and system time of the
// process) beside ns/op, which on the shared machine says more about the
// others' load.
func BenchmarkPutTail(b *testing.B) {
	for _, c := range []struct {
		name   string
		noSync bool
	}{{"sync", false}, {"nosync", true}} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{NoSync: c.noSync})
			if err != nil {
				b.Fatal(err)
			}
			tmp := b.TempDir()
			base := bytes.Repeat([]byte("a revision "), 100_000/11)
			baseSum := sha256.Sum256(base)
			update := bytes.Repeat([]byte("an incremental update "), 64<<10/22)
			ctx := context.Background()
			b.ReportAllocs()
			start := testtool.CPUTime()
			n := uint64(0)
			for b.Loop() {
				n++
				binary.BigEndian.PutUint64(update, n) // new content each time
				t, err := blob.NewTail(tmp, int64(len(base)))
				if err != nil {
					b.Fatal(err)
				}
				t.Write(base)
				t.Write(update)
				if _, err := t.Keep(ctx, s, baseSum[:]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(testtool.CPUTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkPutAgain stores a 200 KB upload that is already stored, as a
// staged file (blob.Keep), with fsync: what each job of `segl bench
// --ceremony` does, whose upload is the same document every time.
func BenchmarkPutAgain(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	data := bytes.Repeat([]byte("an uploaded document "), 200_000/21)
	if _, err := s.Put(ctx, bytes.NewReader(data), 1<<20); err != nil {
		b.Fatal(err)
	}
	stage := filepath.Join(s.dir, "tmp")
	b.ReportAllocs()
	start := testtool.CPUTime()
	for b.Loop() {
		f, err := os.CreateTemp(stage, "upload-*")
		if err != nil {
			b.Fatal(err)
		}
		f.Write(data)
		if _, err := blob.Keep(ctx, s, f, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(testtool.CPUTime()-start)/float64(b.N), "cpu-ns/op")
}
