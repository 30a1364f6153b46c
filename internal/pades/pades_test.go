package pades_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/validate"
)

// env is the development PKI with an in-process TSA and OCSP responder,
// as `segl seal` uses without a server. Every key is wrapped so that the
// number of signatures a seal costs can be counted.
type env struct {
	dev    *pki.Dev
	sealer *pades.Sealer
	// signatures made by the seal key, the TSA and the OCSP responder
	seal, tsa, ocsp *countingSigner
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	dev, err := pki.LoadOrCreateDev(tb.TempDir(), pki.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	rev, err := pki.OpenRevocations(dev.Dir)
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{dev: dev, seal: &countingSigner{Signer: dev.Seal.Key}, tsa: &countingSigner{Signer: dev.TSA.Key},
		ocsp: &countingSigner{Signer: dev.OCSP.Key}}
	dev.OCSP.Key = e.ocsp
	tsa, err := tsp.NewAuthority(e.tsa, dev.TSA.Cert, dev.TSA.Chain)
	if err != nil {
		tb.Fatal(err)
	}
	e.sealer = &pades.Sealer{Key: e.seal, Cert: dev.Seal.Cert, Chain: dev.Seal.Chain,
		Anchors: []*x509.Certificate{dev.Root}, TSA: tsa,
		OCSP: pki.DevOCSP{Dev: dev, Revoked: rev, Now: time.Now}, TempDir: tb.TempDir()}
	return e
}

func (e *env) signatures() (seal, tsa, ocsp int64) {
	return e.seal.n.Load(), e.tsa.n.Load(), e.ocsp.n.Load()
}

// countingSigner counts the signatures its key makes.
type countingSigner struct {
	crypto.Signer
	n atomic.Int64
}

func (c *countingSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(rand, digest, opts)
}

func (e *env) sealDoc(tb testing.TB, doc []byte, level pades.Level) []byte {
	tb.Helper()
	var out bytes.Buffer
	if err := e.sealer.Seal(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)),
		pades.Options{Level: level, Name: "segl TTP seal (development)", Reason: "test"}); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// TestLevels checks what each level costs and adds: the revisions written
// (the signature; then the DSS, EN 319 142-1 §5.4; then the document
// time-stamp, §5.5, and the DSS of its own validation data), the signatures made by each key, and validate.PDF's
// verdict. The signature counts are what BenchmarkFloor charges for, so
// this test keeps the floor honest when the pipeline changes.
func TestLevels(t *testing.T) {
	doc := testdocs.PDF("Avtale", 20_000)
	tests := []struct {
		level              pades.Level
		revisions          int // including the original
		seal, tsa, ocsp    int64
		signatures, stamps int
		// B-B and B-T carry no revocation data, so a validator must wait
		// for some (EN 319 102-1: INDETERMINATE/TRY_LATER).
		want validate.Indication
	}{
		{pades.BB, 2, 1, 0, 0, 1, 0, validate.Indeterminate},
		{pades.BT, 2, 1, 1, 0, 1, 0, validate.Indeterminate},
		// B-LT: one OCSP response for the seal and one for the TSA of the
		// signature time-stamp.
		{pades.BLT, 3, 1, 1, 2, 1, 0, validate.TotalPassed},
		// B-LTA: and a document time-stamp, then one more OCSP response
		// for its TSA, produced after it, in a last DSS update. The root
		// signs a CRL for the issuing CA in each DSS update (not counted).
		{pades.BLTA, 5, 1, 2, 3, 1, 1, validate.TotalPassed},
	}
	for _, tt := range tests {
		t.Run("ok/"+tt.level.String(), func(t *testing.T) {
			e := newEnv(t)
			out := e.sealDoc(t, doc, tt.level)
			if !bytes.HasPrefix(out, doc) {
				t.Fatal("the original is not kept byte for byte as the first revision")
			}
			r, err := pdf.Open(bytes.NewReader(out), int64(len(out)))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(r.RevisionEnds()); got != tt.revisions {
				t.Errorf("%d revisions, want %d", got, tt.revisions)
			}
			infos, err := r.Signatures()
			if err != nil {
				t.Fatal(err)
			}
			var sigs, stamps int
			for _, info := range infos {
				switch info.SubFilter {
				case pdf.SubFilterCAdES:
					sigs++
				case pdf.SubFilterRFC3161:
					stamps++
				}
			}
			if sigs != tt.signatures || stamps != tt.stamps {
				t.Errorf("%d signatures and %d document time-stamps, want %d and %d", sigs, stamps, tt.signatures, tt.stamps)
			}
			if seal, tsa, ocsp := e.signatures(); seal != tt.seal || tsa != tt.tsa || ocsp != tt.ocsp {
				t.Errorf("signatures made: seal %d, TSA %d, OCSP %d; want %d, %d, %d", seal, tsa, ocsp, tt.seal, tt.tsa, tt.ocsp)
			}
			rep, err := validate.PDF(bytes.NewReader(out), int64(len(out)), validate.Options{Roots: e.dev.Roots()})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Indication != tt.want {
				t.Fatalf("validation: %s, want %s: %+v", rep.Indication, tt.want, rep)
			}
		})
	}
}

// TestSealBLTAfterSignature checks that a B-LT seal of a file signed
// before gathers the validation data of every signature in it, not only
// of its own (which a seal of a fresh document, such as a receipt, takes
// from the signature as written): each has its /VRI entry with an OCSP
// response, and the file validates.
func TestSealBLTAfterSignature(t *testing.T) {
	e := newEnv(t)
	signed := e.sealDoc(t, testdocs.PDF("Avtale", 5_000), pades.BT)
	out := e.sealDoc(t, signed, pades.BLT)
	r, err := pdf.Open(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.Signatures()
	if err != nil || len(infos) != 2 {
		t.Fatalf("%d signatures, %v; want 2", len(infos), err)
	}
	dss, err := r.DSS()
	if err != nil || dss == nil {
		t.Fatalf("DSS: %v", err)
	}
	for _, info := range infos {
		if vri, ok := dss.VRI[pades.VRIKey(info)]; !ok || len(vri.OCSPs) == 0 {
			t.Errorf("signature %s: no /VRI entry with OCSP responses", info.Field)
		}
	}
	rep, err := validate.PDF(bytes.NewReader(out), int64(len(out)), validate.Options{Roots: e.dev.Roots()})
	if err != nil || rep.Indication != validate.TotalPassed {
		t.Fatalf("validation: %v %+v", err, rep)
	}
}

// TestMadeSignersGatherAsParsed checks that the validation data Seal
// gathers for the signature it has just made (its key's certificates and
// the time-stamp token it got) is what gathering from the signature parsed
// back gives: the same certificates in the same order, the same revocation
// data, the same VRI entry.
func TestMadeSignersGatherAsParsed(t *testing.T) {
	e := newEnv(t)
	// One second's revocation data, so that both gatherings get the same.
	at := time.Now()
	e.sealer.Now = func() time.Time { return at }
	e.sealer.OCSP = &pki.RevocationCache{Source: e.sealer.OCSP, Now: e.sealer.Now}
	signed := e.sealDoc(t, testdocs.PDF("Kvittering", 2_000), pades.BT)
	r, err := pdf.Open(bytes.NewReader(signed), int64(len(signed)))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.Signatures()
	if err != nil || len(infos) != 1 {
		t.Fatalf("%d signatures, %v", len(infos), err)
	}
	sd, err := cms.Parse(infos[0].DER)
	if err != nil || len(sd.Signers) != 1 || sd.Signers[0].TimeStampToken == nil {
		t.Fatalf("the seal's CMS: %v", err)
	}
	parsed, err := pades.ValidationData(context.Background(), e.sealer, infos[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	made, err := pades.ValidationData(context.Background(), e.sealer, infos[0], sd.Signers[0].TimeStampToken)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(made, parsed) {
		t.Errorf("validation data of the signature as made:\n%+v\nparsed back:\n%+v", made, parsed)
	}
	if vri := parsed.VRI[pades.VRIKey(infos[0])]; len(vri.Certs) == 0 || len(vri.OCSPs) != 2 {
		t.Errorf("VRI entry %+v: want the seal's and the TSA's certificates and OCSP responses", vri)
	}
}

// sealChecked seals doc with s and opts, checks the file with segl's
// validator and, as tools we did not write, qpdf and pdfsig (the seal
// valid and trusted: a /Contents sized to fit must still hold the CMS that
// /ByteRange leaves out), and returns its signatures and size.
func (e *env) sealChecked(t *testing.T, s *pades.Sealer, doc []byte, opts pades.Options) ([]pdf.SignatureInfo, int) {
	t.Helper()
	var out bytes.Buffer
	if err := s.Seal(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), opts); err != nil {
		t.Fatal(err)
	}
	rep, err := validate.PDF(bytes.NewReader(out.Bytes()), int64(out.Len()), validate.Options{Roots: e.dev.Roots()})
	if err != nil || rep.Indication != validate.TotalPassed {
		t.Fatalf("validation: %v %+v", err, rep)
	}
	r, err := pdf.Open(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"pdfsig", "certutil", "qpdf"} {
		if _, err := exec.LookPath(tool); err != nil {
			testtool.Missing(t, "%s not installed (Debian packages poppler-utils, libnss3-tools, qpdf)", tool)
		}
	}
	path := filepath.Join(t.TempDir(), "sealed.pdf")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("qpdf", "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, b)
	}
	b, _ := exec.Command("pdfsig", "-nssdir", trustOnly(t, e.dev.Root), path).CombinedOutput()
	first, _, _ := strings.Cut(string(b), "Signature #2")
	for _, want := range []string{"Signature is Valid.", "Certificate is Trusted."} {
		if !strings.Contains(first, want) {
			t.Errorf("pdfsig does not say %q of the seal:\n%s", want, b)
		}
	}
	return infos, out.Len()
}

// TestSealFitsContents checks Options.Fit: the first seal reserves the
// default room for its CMS, the next what the first needed and FitSlack,
// so the file is smaller by the zeros it no longer holds, and later ones
// fit in it, each signed once; a Fit that expects less than the CMS needs
// makes the signature again in the default room. Every file validates.
func TestSealFitsContents(t *testing.T) {
	e := newEnv(t)
	doc := testdocs.PDF("Kvittering", 5_000)
	seal := func(fit *pades.ContentsFit) (pdf.SignatureInfo, int) {
		t.Helper()
		infos, size := e.sealChecked(t, e.sealer, doc, pades.Options{Level: pades.BLT, Name: "segl TTP seal (development)", Fit: fit})
		if len(infos) != 1 {
			t.Fatalf("%d signatures, want 1", len(infos))
		}
		return infos[0], size
	}
	fit := &pades.ContentsFit{}
	first, firstSize := seal(fit)
	if len(first.Raw) != pdf.DefaultContentsSize {
		t.Fatalf("the first seal reserved %d bytes, want the default %d", len(first.Raw), pdf.DefaultContentsSize)
	}
	next, nextSize := seal(fit)
	if len(next.Raw) < len(next.DER) || len(next.Raw) > len(first.DER)+pades.FitSlack+64 {
		t.Errorf("the next seal reserved %d bytes for a CMS of %d, the first's %d", len(next.Raw), len(next.DER), len(first.DER))
	}
	if nextSize >= firstSize-2*(pdf.DefaultContentsSize-len(next.Raw))+64 {
		t.Errorf("the next seal is %d bytes, the first %d", nextSize, firstSize)
	}
	// The CMS varies by far less than FitSlack (ECDSA signatures' lengths,
	// the token's serial number and time): none is made twice.
	seals, _, _ := e.signatures()
	const more = 30
	for range more {
		if err := e.sealer.Seal(context.Background(), io.Discard, bytes.NewReader(doc), int64(len(doc)),
			pades.Options{Level: pades.BT, Name: "segl TTP seal (development)", Fit: fit}); err != nil {
			t.Fatal(err)
		}
	}
	if after, _, _ := e.signatures(); after-seals != more {
		t.Errorf("%d seals signed %d times, want once each", more, after-seals)
	}
	before, _, _ := e.signatures()
	again, _ := seal(pades.FitAfter(pades.BLT, 100))
	if len(again.Raw) != pdf.DefaultContentsSize {
		t.Errorf("a CMS larger than the fit was written in %d bytes, want the default %d", len(again.Raw), pdf.DefaultContentsSize)
	}
	if after, _, _ := e.signatures(); after-before != 2 {
		t.Errorf("the seal signed %d times, want twice (too large, then in the default room)", after-before)
	}
}

// TestDocumentTimeStampFits checks that a Sealer reserves for a document
// time-stamp what the tokens before it needed and FitSlack more, as
// Options.Fit does for signatures, that a token too large for that is made
// again in the default room, and that the files validate.
func TestDocumentTimeStampFits(t *testing.T) {
	e := newEnv(t)
	doc := testdocs.PDF("Avtale", 5_000)
	stamp := func(s *pades.Sealer) pdf.SignatureInfo {
		t.Helper()
		infos, _ := e.sealChecked(t, s, doc, pades.Options{Level: pades.BLTA, Name: "segl TTP seal (development)"})
		if len(infos) != 2 || infos[1].SubFilter != pdf.SubFilterRFC3161 {
			t.Fatalf("%d signatures; want a signature and a document time-stamp", len(infos))
		}
		return infos[1]
	}
	first := stamp(e.sealer)
	if len(first.Raw) != pdf.DefaultContentsSize {
		t.Fatalf("the first document time-stamp has %d bytes reserved, want the default %d", len(first.Raw), pdf.DefaultContentsSize)
	}
	if next := stamp(e.sealer); len(next.Raw) < len(next.DER) || len(next.Raw) > len(first.DER)+pades.FitSlack+64 {
		t.Errorf("the next document time-stamp has %d bytes reserved for a token of %d, the first's %d", len(next.Raw), len(next.DER), len(first.DER))
	}
	small := copySealer(e.sealer)
	pades.FitDocumentTimeStamps(small, 100)
	_, before, _ := e.signatures()
	if again := stamp(small); len(again.Raw) != pdf.DefaultContentsSize {
		t.Errorf("a token larger than the fit was written in %d bytes, want the default %d", len(again.Raw), pdf.DefaultContentsSize)
	}
	if _, after, _ := e.signatures(); after-before != 3 {
		t.Errorf("the TSA signed %d times, want three (the signature's time-stamp, the document time-stamp too large, then in the default room)", after-before)
	}
}

// TestSealNeedsServices checks that levels from B-T up refuse to start
// without the services they need, rather than writing a lower level.
func TestSealNeedsServices(t *testing.T) {
	e := newEnv(t)
	doc := testdocs.PDF("x", 1000)
	for _, tt := range []struct {
		name  string
		level pades.Level
		strip func(*pades.Sealer)
	}{
		{"fail/b-t-without-tsa", pades.BT, func(s *pades.Sealer) { s.TSA = nil }},
		{"fail/b-lt-without-ocsp", pades.BLT, func(s *pades.Sealer) { s.OCSP = nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := copySealer(e.sealer)
			tt.strip(s)
			var out bytes.Buffer
			err := s.Seal(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), pades.Options{Level: tt.level})
			if err == nil || out.Len() != 0 {
				t.Fatalf("err %v, %d bytes written; want an error and nothing written", err, out.Len())
			}
		})
	}
}

// countingTail is a blob.Tail that counts the bytes written to it.
type countingTail struct {
	*blob.Tail
	written int64
}

func (c *countingTail) Write(p []byte) (int, error) {
	c.written += int64(len(p))
	return c.Tail.Write(p)
}

// TestExtendIntoTail extends a signed file to B-LTA into the blob.Tail
// that keeps a completion or a renewal: the tail takes the signed file's
// SHA-256 in place of its bytes (it is hashed once, as it is copied, and
// the document time-stamp's digest goes on from it), receives only what
// Extend appends, proves that it extends the signed file, and the file
// it stands for validates.
func TestExtendIntoTail(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	signed := e.sealDoc(t, testdocs.PDF("Avtale", 20_000), pades.BT)
	base := int64(len(signed))
	tail, err := blob.NewTail(t.TempDir(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer tail.Close()
	dst := &countingTail{Tail: tail}
	if err := e.sealer.Extend(ctx, dst, bytes.NewReader(signed), base, true); err != nil {
		t.Fatal(err)
	}
	if dst.written != tail.Size()-base {
		t.Errorf("the tail received %d bytes of a %d-byte file that extends %d", dst.written, tail.Size(), base)
	}
	store, err := fs.Open(t.TempDir(), fs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(signed)
	ref, err := tail.Keep(ctx, store, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	o, err := store.Open(ctx, ref.Key)
	if err != nil {
		t.Fatal(err)
	}
	appended, err := io.ReadAll(io.NewSectionReader(o, 0, o.Size()))
	o.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := append(signed, appended...)
	if whole := sha256.Sum256(out); !bytes.Equal(tail.Sum(), whole[:]) {
		t.Error("the tail's SHA-256 is not the extended file's")
	}
	rep, err := validate.PDF(bytes.NewReader(out), int64(len(out)), validate.Options{Roots: e.dev.Roots()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indication != validate.TotalPassed {
		t.Fatalf("validation: %s: %+v", rep.Indication, rep)
	}
}

// TestExtendLargeNeedsNoTemporaryFile: a completion appends its three
// updates to the signed file in place (pdf.NewSpoolAfter), so a document
// larger than a spool keeps in memory (pdf.DefaultSpoolMemory) is not
// copied into temporary files on the way: with a TempDir that does not
// exist, extending a 3 MB file still works, and the result validates.
func TestExtendLargeNeedsNoTemporaryFile(t *testing.T) {
	e := newEnv(t)
	signed := e.sealDoc(t, testdocs.PDF("Avtale", 3<<20), pades.BT)
	if len(signed) <= pdf.DefaultSpoolMemory {
		t.Fatalf("a %d-byte document fits a spool's memory", len(signed))
	}
	s := copySealer(e.sealer)
	s.TempDir = filepath.Join(t.TempDir(), "missing")
	var out bytes.Buffer
	if err := s.Extend(context.Background(), &out, bytes.NewReader(signed), int64(len(signed)), true); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out.Bytes(), signed) {
		t.Fatal("the signed file is not kept byte for byte")
	}
	rep, err := validate.PDF(bytes.NewReader(out.Bytes()), int64(out.Len()), validate.Options{Roots: e.dev.Roots()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indication != validate.TotalPassed || len(rep.Signatures) != 2 {
		t.Fatalf("validation: %s with %d signatures: %+v", rep.Indication, len(rep.Signatures), rep)
	}
}

// copySealer is a Sealer with s's configuration and nothing it learnt
// (a Sealer is not copied: it sizes document time-stamps as it goes).
func copySealer(s *pades.Sealer) *pades.Sealer {
	return &pades.Sealer{Key: s.Key, Cert: s.Cert, Chain: s.Chain, Anchors: s.Anchors, TSA: s.TSA, OCSP: s.OCSP, TempDir: s.TempDir, Now: s.Now}
}
