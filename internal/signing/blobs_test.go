package signing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/xades"
)

// TestFirstActStoresOneBlobPerDocument: the prepared document's own bytes
// (around the runs normalisation copied from the upload) and what the
// first act appends are kept as one blob, so the first act adds two blobs
// to the store, that one and the evidence, where it added three; a second
// act adds two as before. Each revision reads back as the file whose
// SHA-256 it records, and the first act's revision begins with the
// prepared document, which later acts do not change.
func TestFirstActStoresOneBlobPerDocument(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	ctx := context.Background()
	upload := testdocs.PDF("Arbeidsavtale", 300_000)
	ref, err := e.cfg.Blobs.Put(ctx, bytes.NewReader(upload), int64(len(upload)))
	if err != nil {
		t.Fatal(err)
	}
	j := Job{ID: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e78", Title: "Arbeidsavtale", SenderOrg: "312345679",
		Identifier: job.ShowPID, Signers: 2, Lang: "nb"}
	d := Document{ID: "doc-1", Title: "Arbeidsavtale", FileName: "avtale.pdf", MediaType: MediaPDF,
		SHA256: sum(upload), Size: int64(len(upload)), Upload: ref.Key}
	stored := func() []string {
		var keys []string
		e.cfg.Blobs.(blob.Sweeper).WalkOlder(ctx, time.Now().Add(time.Hour), func(k string) error {
			keys = append(keys, k)
			return nil
		})
		return keys
	}
	act := func(slot int, rev job.Revision) Signed {
		t.Helper()
		d := d
		d.Revision = rev
		s, err := e.Sign(ctx, Act{Job: j, Documents: []Document{d}, Slot: slot, Signer: []xades.SignerFacts{ola, kari}[slot]})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	first := act(0, job.Revision{})
	if n := len(stored()); n != 3 {
		t.Fatalf("after the first act the store holds %d blobs, want 3: the upload, the prepared document with the act's update, the evidence", n)
	}
	rev := first.Revisions[0]
	keys := rev.Blobs()
	if len(keys) != 2 || !slices.Contains(keys, ref.Key) {
		t.Fatalf("the first revision is made of %v, want the upload's blob and one more", keys)
	}
	whole := readRevision(t, e, rev)
	if !bytes.HasPrefix(whole, upload[:5]) {
		t.Fatalf("the first revision begins %q", whole[:16])
	}

	second := act(1, rev)
	if n := len(stored()); n != 5 {
		t.Fatalf("after the second act the store holds %d blobs, want 5", n)
	}
	next := readRevision(t, e, second.Revisions[0])
	if !bytes.HasPrefix(next, whole) {
		t.Fatal("the second revision does not begin with the first")
	}
}

// readRevision reads rev from its parts and checks it against the
// SHA-256 and size it records.
func readRevision(t *testing.T, e *Engine, rev job.Revision) []byte {
	t.Helper()
	o, err := blob.OpenSpans(context.Background(), e.cfg.Blobs, rev.Spans())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b, err := io.ReadAll(io.NewSectionReader(o, 0, o.Size()))
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.Sum256(b)
	if hex.EncodeToString(got[:]) != rev.SHA256 || int64(len(b)) != rev.Size {
		t.Fatalf("revision reads back as %d bytes with SHA-256 %x, recorded %s and %d", len(b), got, rev.SHA256, rev.Size)
	}
	return b
}
