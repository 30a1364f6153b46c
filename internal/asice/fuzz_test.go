package asice

import (
	"bytes"
	"io"
	"testing"
)

// FuzzRead feeds Read bundles and damaged variants. It must never panic,
// and what it accepts must have its manifest and every document signed and
// readable within the limits.
//
//	go test -run '^$' -fuzz FuzzRead -fuzztime 30s -fuzzminimizetime 2s -parallel 1 ./internal/asice/
func FuzzRead(f *testing.F) {
	opts := signer(f)
	good := bundleTB(f, opts)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Read(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			return
		}
		for name := range b.Documents {
			rc, err := b.Open(name)
			if err != nil {
				t.Fatalf("accepted an unreadable document %q: %v", name, err)
			}
			n, _ := io.Copy(io.Discard, rc)
			rc.Close()
			if n > lim.MaxEntrySize {
				t.Fatalf("document %q of %d bytes", name, n)
			}
		}
	})
}
