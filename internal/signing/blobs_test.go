package signing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/validate"
	"github.com/segl/segl/internal/xades"
)

// TestFirstActStoresOneBlobPerDocument: the prepared document's own bytes
// (around the runs normalisation copied from the upload) and what the
// first act appends are kept as one blob, and the act's evidence is a span
// of it (the update embeds the evidence as it is), so the first act adds
// one blob to the store, where it added three, and a second act one, where
// it added two. Each revision reads back as the file whose SHA-256 it
// records, each evidence as the evidence with its SHA-256, and the first
// act's revision begins with the prepared document, which later acts do
// not change.
func TestFirstActStoresOneBlobPerDocument(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	ctx := context.Background()
	j, d, upload := twoSignerContract(t, e)
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
	if n := len(stored()); n != 2 {
		t.Fatalf("after the first act the store holds %d blobs, want 2: the upload, the prepared document with the act's update and its evidence", n)
	}
	rev := first.Revisions[0]
	keys := rev.Blobs()
	if len(keys) != 2 || !slices.Contains(keys, d.Upload) {
		t.Fatalf("the first revision is made of %v, want the upload's blob and one more", keys)
	}
	checkEvidenceIn(t, e, first, rev)
	whole := readRevision(t, e, rev)
	if !bytes.HasPrefix(whole, upload[:5]) {
		t.Fatalf("the first revision begins %q", whole[:16])
	}

	second := act(1, rev)
	if n := len(stored()); n != 3 {
		t.Fatalf("after the second act the store holds %d blobs, want 3", n)
	}
	checkEvidenceIn(t, e, second, second.Revisions[0])
	next := readRevision(t, e, second.Revisions[0])
	if !bytes.HasPrefix(next, whole) {
		t.Fatal("the second revision does not begin with the first")
	}
}

// checkEvidenceIn checks that the act's evidence is kept inside the blob
// of what it appended to rev, and reads back as a signed XAdES evidence
// with the SHA-256 the act gave.
func checkEvidenceIn(t *testing.T, e *Engine, s Signed, rev job.Revision) {
	t.Helper()
	if last := rev.Parts[len(rev.Parts)-1]; s.Evidence.Key != last.Key || s.Evidence.Offset < last.Offset ||
		s.Evidence.Offset+s.Evidence.Size > last.Offset+last.Size {
		t.Fatalf("the evidence is at %+v, want within the act's update %+v", s.Evidence, last)
	}
	ev := readEvidence(t, e, s)
	if got := sha256.Sum256(ev); hex.EncodeToString(got[:]) != s.EvidenceSHA256 {
		t.Fatalf("the evidence reads back with SHA-256 %x, the act gave %s", got, s.EvidenceSHA256)
	}
	if _, err := xades.Verify(ev); err != nil {
		t.Fatalf("the evidence read back: %v", err)
	}
}

// readEvidence reads an act's evidence from where the act kept it, as
// the ceremony does (OpenEvidence).
func readEvidence(t testing.TB, e *Engine, s Signed) []byte {
	t.Helper()
	return readSpans(t, e, []blob.Span{s.Evidence}, OpenEvidence)
}

// readSpans reads the concatenation of spans from the engine's store, or
// what open makes of it.
func readSpans(t testing.TB, e *Engine, spans []blob.Span, open ...func(blob.Object) (blob.Object, error)) []byte {
	t.Helper()
	o, err := blob.OpenSpans(context.Background(), e.cfg.Blobs, spans)
	for _, f := range open {
		if err == nil {
			o, err = f(o)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b, err := io.ReadAll(io.NewSectionReader(o, 0, o.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readRevision reads rev from its parts and checks it against the
// SHA-256 and size it records.
func readRevision(t *testing.T, e *Engine, rev job.Revision) []byte {
	t.Helper()
	b := readSpans(t, e, rev.Spans())
	got := sha256.Sum256(b)
	if hex.EncodeToString(got[:]) != rev.SHA256 || int64(len(b)) != rev.Size {
		t.Fatalf("revision reads back as %d bytes with SHA-256 %x, recorded %s and %d", len(b), got, rev.SHA256, rev.Size)
	}
	return b
}

// readCounter is the engine's blob store, counting the bytes read from it.
type readCounter struct {
	*fs.Store
	n atomic.Int64
}

func (c *readCounter) Open(ctx context.Context, key string) (blob.Object, error) {
	o, err := c.Store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return &countedObject{Object: o, n: &c.n}, nil
}

type countedObject struct {
	blob.Object
	n *atomic.Int64
}

func (o *countedObject) ReadAt(p []byte, off int64) (int, error) {
	m, err := o.Object.ReadAt(p, off)
	o.n.Add(int64(m))
	return m, err
}

func (o *countedObject) Read(p []byte) (int, error) {
	m, err := o.Object.Read(p)
	o.n.Add(int64(m))
	return m, err
}

// TestLaterActReadsWhatItNeeds: an act on top of a revision this engine
// wrote goes on from the SHA-256 it computed while writing it (hashes),
// so it reads from the store what it parses (the cross-reference
// sections, the catalog, the form, the pages), not the whole revision
// again; and the completion goes on from the second act's hash. The
// output is what it was: both signatures and the document time-stamp
// pass our validator, the signatures pdfsig, and each revision reads back as the
// SHA-256 it records.
func TestLaterActReadsWhatItNeeds(t *testing.T) {
	env := setup(t)
	var store *readCounter
	e := env.engine(t, func(c *Config) {
		store = &readCounter{Store: c.Blobs.(*fs.Store)}
		c.Blobs = store
	})
	ctx := context.Background()
	j, d, _ := twoSignerContract(t, e)
	act := func(slot int, rev job.Revision) job.Revision {
		t.Helper()
		d := d
		d.Revision = rev
		s, err := e.Sign(ctx, Act{Job: j, Documents: []Document{d}, Slot: slot, Signer: []xades.SignerFacts{ola, kari}[slot]})
		if err != nil {
			t.Fatal(err)
		}
		return s.Revisions[0]
	}

	first := act(0, job.Revision{})
	store.n.Store(0)
	second := act(1, first)
	if read := store.n.Load(); read > first.Size/2 {
		t.Errorf("the second act read %d bytes of a first revision of %d, want at most half", read, first.Size)
	}
	final, err := e.Complete(ctx, []job.Revision{second})
	if err != nil {
		t.Fatal(err)
	}
	readRevision(t, e, second)
	data := readRevision(t, e, final[0])
	rep, err := validate.PDF(bytes.NewReader(data), int64(len(data)), validate.Options{Roots: env.dev.Roots()})
	if err != nil || !rep.Passed() || len(rep.Signatures) != 3 {
		t.Fatalf("validate: %v %+v", err, rep)
	}
	if env.nssdir == "" {
		testtool.Missing(t, "certutil not installed (libnss3-tools)")
	}
	out := run(t, data, "pdfsig", "-nssdir", env.nssdir, "{}")
	if n := strings.Count(out, "Signature Validation: Signature is Valid."); n != 2 { // pdfsig does not check document time-stamps
		t.Errorf("pdfsig finds %d valid signatures, want the two signers':\n%s", n, out)
	}
}

// A kept SHA-256 is used only for the revision it finalises to.
func TestHashesCheckTheirSum(t *testing.T) {
	var c hashes
	h := sha256.New()
	h.Write([]byte("revision"))
	s := h.Sum(nil)
	c.put(hex.EncodeToString(s), h)
	got := c.get(hex.EncodeToString(s))
	if got == nil || !bytes.Equal(got.Sum(nil), s) {
		t.Fatal("the kept hash is not returned for its revision")
	}
	got.Write([]byte(" and more")) // a copy: the kept one goes on unchanged
	if again := c.get(hex.EncodeToString(s)); again == nil || !bytes.Equal(again.Sum(nil), s) {
		t.Fatal("writing to the returned hash changed the kept one")
	}
	other := sha256.Sum256([]byte("another revision"))
	c.put(hex.EncodeToString(other[:]), h) // kept under a sum it does not finalise to
	if c.get(hex.EncodeToString(other[:])) != nil {
		t.Error("a hash is returned for a revision whose SHA-256 it does not finalise to")
	}
	if c.get("not hex") != nil || c.get(hex.EncodeToString(make([]byte, 32))) != nil {
		t.Error("a hash is returned for an unknown revision")
	}
}

// twoSignerContract stores a 300 KB upload in e's blob store and returns a
// two-signer job and its one document made from it, with the upload.
func twoSignerContract(t *testing.T, e *Engine) (Job, Document, []byte) {
	t.Helper()
	upload := testdocs.PDF("Arbeidsavtale", 300_000)
	ref, err := e.cfg.Blobs.Put(context.Background(), bytes.NewReader(upload), int64(len(upload)))
	if err != nil {
		t.Fatal(err)
	}
	j := Job{ID: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e78", Title: "Arbeidsavtale", SenderOrg: "312345679",
		Identifier: job.ShowPID, Signers: 2, Lang: "nb"}
	d := Document{ID: "doc-1", Title: "Arbeidsavtale", FileName: "avtale.pdf", MediaType: MediaPDF,
		SHA256: sum(upload), Size: int64(len(upload)), Upload: ref.Key}
	return j, d, upload
}
