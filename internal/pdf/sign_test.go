package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/segl/segl/internal/testtool"
	"hash"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/tsp"
)

// The signatures written here are checked with tools we did not write:
// pdfsig (poppler, with NSS) for the byte ranges and the CMS, qpdf for the
// file structure, openssl ts for document time-stamps and pdfdetach for
// embedded files. The CMS itself comes from openssl, so these tests do not
// depend on segl's own CMS code.

func requireTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testtool.Missing(t, "%s not installed (apt-get install -y qpdf poppler-utils libnss3-tools openssl)", tool)
		}
	}
}

// testPKI is the development PKI with an NSS database that trusts its root,
// made once for the package's tests.
type testPKI struct {
	dev    *pki.Dev
	dir    string // DIR/pki: seal.pem, seal.key, root-ca.pem, tsa.pem
	nssdir string
}

var (
	pkiOnce sync.Once
	pkiBase string // removed by TestMain
	pkiVal  *testPKI
	pkiErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pkiBase != "" {
		os.RemoveAll(pkiBase)
	}
	os.Exit(code)
}

func devPKI(t testing.TB) *testPKI {
	t.Helper()
	requireTools(t, "openssl", "certutil", "pdfsig", "qpdf")
	pkiOnce.Do(func() {
		if pkiBase, pkiErr = os.MkdirTemp("", "segl-pdf-pki-"); pkiErr != nil {
			return
		}
		base := pkiBase
		var dev *pki.Dev
		if dev, pkiErr = pki.LoadOrCreateDev(base, pki.Options{}); pkiErr != nil {
			return
		}
		nss := filepath.Join(base, "nss")
		if pkiErr = os.MkdirAll(nss, 0o755); pkiErr != nil {
			return
		}
		for _, args := range [][]string{
			{"-N", "-d", nss, "--empty-password"},
			{"-A", "-d", nss, "-n", "segl-dev-root", "-t", "C,C,C", "-i", filepath.Join(dev.Dir, "root-ca.pem")},
		} {
			if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
				pkiErr = fmt.Errorf("certutil %v: %v\n%s", args, err, out)
				return
			}
		}
		pkiVal = &testPKI{dev: dev, dir: dev.Dir, nssdir: nss}
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

// signCMS makes a detached CMS signature with openssl over content, by the
// development seal.
func (p *testPKI) signCMS(t testing.TB, content []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "content.bin")
	out := filepath.Join(dir, "sig.der")
	if err := os.WriteFile(in, content, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("openssl", "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER",
		"-in", in, "-out", out,
		"-signer", filepath.Join(p.dir, "seal.pem"), "-inkey", filepath.Join(p.dir, "seal.key"),
		"-certfile", filepath.Join(p.dir, "issuing-ca.pem"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl cms -sign: %v\n%s", err, b)
	}
	der, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// contentOf reads the signed bytes of a prepared signature.
func contentOf(t testing.TB, p *Prepared) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := b.ReadFrom(p.Content()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sign adds a CAdES signature to data and returns the new file.
func (p *testPKI) sign(t testing.TB, data []byte, spec SignatureSpec) []byte {
	t.Helper()
	if spec.SubFilter == "" {
		spec.SubFilter = SubFilterCAdES
	}
	prep, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), spec)
	if err != nil {
		t.Fatalf("PrepareSignature: %v", err)
	}
	content := contentOf(t, prep)
	sum, err := prep.Digest(sha256.New())
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(content); !bytes.Equal(sum, want[:]) {
		t.Fatal("Digest differs from the SHA-256 of Content")
	}
	var out bytes.Buffer
	n, err := prep.WriteTo(&out, p.signCMS(t, content))
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if n != int64(out.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, out.Len())
	}
	br := prep.ByteRange()
	if got := br[2] + br[3]; got != int64(out.Len()) {
		t.Fatalf("byte range ends at %d, file is %d bytes", got, out.Len())
	}
	if !bytes.HasPrefix(out.Bytes(), data) {
		t.Fatal("the original bytes were changed")
	}
	return out.Bytes()
}

// pdfsigResult is one "Signature #N" block of pdfsig's output.
type pdfsigResult struct {
	text string
}

func (r pdfsigResult) has(s string) bool { return strings.Contains(r.text, s) }

// pdfsig runs pdfsig and splits its output per signature. Its exit code is
// 0 even for a digest mismatch, so only the text counts. It runs without
// -no-ocsp: poppler 22.12 then reports "Unknown issue with Certificate"
// for any chain (it reads a stale NSS error), and the development
// certificates carry no OCSP or CA Issuers URL, so nothing is fetched.
func (p *testPKI) pdfsig(t testing.TB, data []byte) []pdfsigResult {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("pdfsig", "-nssdir", p.nssdir, path).CombinedOutput()
	parts := regexp.MustCompile(`(?m)^Signature #\d+:`).Split(string(out), -1)
	var res []pdfsigResult
	for _, part := range parts[1:] {
		res = append(res, pdfsigResult{part})
	}
	if len(res) == 0 {
		t.Fatalf("pdfsig found no signatures:\n%s", out)
	}
	return res
}

// qpdfCheck fails the test unless qpdf --check exits 0 (no warnings).
func qpdfCheck(t testing.TB, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("qpdf", "--check", path).CombinedOutput()
	if err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
}

// signFixtures are the sources every signature test runs on.
func signFixtures(t testing.TB) map[string][]byte {
	t.Helper()
	m := map[string][]byte{"big-10MB": bigStreamPDF(10 << 20)}
	for _, name := range []string{"minimal", "object-streams", "incremental", "hybrid", "linearized", "incremental-xref-stream"} {
		data, err := os.ReadFile(filepath.Join("testdata", name+".pdf"))
		if err != nil {
			t.Fatal(err)
		}
		m[name] = data
	}
	return m
}

func mustOpen(t testing.TB, data []byte) *Reader {
	t.Helper()
	r, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return r
}

func TestSignValidatedByPdfsig(t *testing.T) {
	p := devPKI(t)
	when := time.Date(2026, 11, 23, 11, 41, 51, 0, time.UTC)
	for name, data := range signFixtures(t) {
		t.Run("ok/"+name, func(t *testing.T) {
			out := p.sign(t, data, SignatureSpec{SigningTime: when, Reason: "Godkjent av Åse", Location: "Oslo"})
			qpdfCheck(t, out)
			res := p.pdfsig(t, out)
			if len(res) != 1 || !res[0].has("Signature is Valid") || !res[0].has("Total document signed") ||
				!res[0].has("ETSI.CAdES.detached") || !res[0].has("Certificate is Trusted") {
				t.Fatalf("pdfsig:\n%+v", res)
			}

			r := mustOpen(t, out)
			sigs, err := r.Signatures()
			if err != nil {
				t.Fatal(err)
			}
			if len(sigs) != 1 {
				t.Fatalf("Signatures: %d, want 1", len(sigs))
			}
			s := sigs[0]
			if s.Field != "Signature1" || s.Type != "Sig" || s.Filter != "Adobe.PPKLite" || s.SubFilter != SubFilterCAdES ||
				!s.SigningTime.Equal(when) || s.Reason != "Godkjent av Åse" || s.Location != "Oslo" {
				t.Errorf("Signatures: %+v", s)
			}
			if len(s.Raw) != DefaultContentsSize || len(s.DER) >= len(s.Raw) || s.DER[0] != 0x30 {
				t.Errorf("Raw %d bytes, DER %d bytes", len(s.Raw), len(s.DER))
			}
			ends := r.RevisionEnds()
			if len(ends) != len(r.Revisions()) || ends[len(ends)-1] != int64(len(out)) || s.RevisionEnd != int64(len(out)) {
				t.Errorf("RevisionEnds %v, signature's %d, file %d", ends, s.RevisionEnd, len(out))
			}
			if len(ends) > 1 && ends[len(ends)-2] != int64(len(data)) && ends[len(ends)-2] != int64(len(data))-1 {
				t.Errorf("original revision ends at %d, file was %d bytes", ends[len(ends)-2], len(data))
			}
			if len(s.ByteRange) != 4 || s.ByteRange[0] != 0 || s.ByteRange[2]+s.ByteRange[3] != int64(len(out)) {
				t.Errorf("ByteRange %v", s.ByteRange)
			}
			if n, err := r.PageCount(); err != nil || n == 0 {
				t.Errorf("PageCount %d, %v", n, err)
			}
		})
	}
}

func TestChainedSignatures(t *testing.T) {
	p := devPKI(t)
	for _, name := range []string{"minimal", "object-streams", "linearized"} {
		t.Run("ok/"+name, func(t *testing.T) {
			data := signFixtures(t)[name]
			one := p.sign(t, data, SignatureSpec{SigningTime: time.Now()})
			two := p.sign(t, one, SignatureSpec{SigningTime: time.Now(), Attachments: []Attachment{{Name: "evidence-2.xml", Data: []byte("<x/>")}}})
			qpdfCheck(t, two)
			res := p.pdfsig(t, two)
			if len(res) != 2 {
				t.Fatalf("pdfsig: %d signatures", len(res))
			}
			for i, r := range res {
				if !r.has("Signature is Valid") {
					t.Errorf("signature %d:\n%s", i+1, r.text)
				}
			}
			// pdfsig lists signatures in field order: ours are appended.
			if !res[0].has("Not total document signed") || !res[1].has("Total document signed") || res[1].has("Not total") {
				t.Errorf("coverage:\n%s\n%s", res[0].text, res[1].text)
			}
			sigs, err := mustOpen(t, two).Signatures()
			if err != nil || len(sigs) != 2 {
				t.Fatalf("Signatures: %v, %v", sigs, err)
			}
			if sigs[0].Field != "Signature1" || sigs[1].Field != "Signature2" {
				t.Errorf("fields %q %q", sigs[0].Field, sigs[1].Field)
			}
			if br := sigs[0].ByteRange; br[2]+br[3] != sigs[0].RevisionEnd || sigs[0].RevisionEnd != int64(len(one)) {
				t.Errorf("first signature covers %v, its revision ends at %d, first file %d bytes", br, sigs[0].RevisionEnd, len(one))
			}
			if sigs[1].RevisionEnd != int64(len(two)) {
				t.Errorf("second revision ends at %d, want %d", sigs[1].RevisionEnd, len(two))
			}
		})
	}
}

func TestDigestMismatch(t *testing.T) {
	p := devPKI(t)
	out := p.sign(t, signFixtures(t)["minimal"], SignatureSpec{Reason: "Approved"})
	sigs, err := mustOpen(t, out).Signatures()
	if err != nil {
		t.Fatal(err)
	}
	// One byte of page text in the original, one of /Reason in the update
	// (after /Contents): both inside the byte range, neither structural.
	br := sigs[0].ByteRange
	text := int64(bytes.Index(out, []byte("Hello from segl")))
	reason := int64(bytes.LastIndex(out, []byte("(Approved)"))) + 1
	if text < 0 || text >= br[1] || reason < br[2] {
		t.Fatalf("bytes to flip at %d and %d, byte range %v", text, reason, br)
	}
	for _, at := range []int64{text, reason} {
		bad := bytes.Clone(out)
		bad[at] ^= 0x01
		res := p.pdfsig(t, bad)
		if !res[0].has("Digest Mismatch") {
			t.Errorf("byte %d flipped:\n%s", at, res[0].text)
		}
	}
}

func TestDocTimeStamp(t *testing.T) {
	p := devPKI(t)
	auth, err := tsp.NewAuthority(p.dev.TSA.Key, p.dev.TSA.Cert, p.dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	signed := p.sign(t, signFixtures(t)["object-streams"], SignatureSpec{})
	prep, err := PrepareSignature(bytes.NewReader(signed), int64(len(signed)), SignatureSpec{
		SubFilter: SubFilterRFC3161, SigningTime: time.Now(), ContentsSize: 8192,
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := prep.Digest(sha256.New())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.Stamp(context.Background(), crypto.SHA256, sum)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := prep.WriteTo(&out, tok); err != nil {
		t.Fatal(err)
	}
	qpdfCheck(t, out.Bytes())

	dir := t.TempDir()
	content := filepath.Join(dir, "content.bin")
	token := filepath.Join(dir, "token.der")
	if err := os.WriteFile(content, contentOf(t, prep), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(token, tok, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("openssl", "ts", "-verify", "-data", content, "-in", token, "-token_in",
		"-CAfile", filepath.Join(p.dir, "root-ca.pem"), "-untrusted", filepath.Join(p.dir, "tsa.pem"))
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "OK") {
		t.Fatalf("openssl ts -verify: %v\n%s", err, b)
	}

	r := mustOpen(t, out.Bytes())
	sigs, err := r.Signatures()
	if err != nil || len(sigs) != 2 {
		t.Fatalf("Signatures: %v, %v", sigs, err)
	}
	ts := sigs[1]
	if ts.Type != "DocTimeStamp" || ts.SubFilter != SubFilterRFC3161 || !bytes.Equal(ts.DER, tok) || !ts.SigningTime.IsZero() {
		t.Errorf("time-stamp: %+v", ts)
	}
	raw := string(out.Bytes()[len(signed):])
	if !strings.Contains(raw, "/Type /DocTimeStamp") || strings.Contains(raw, "/M (") {
		t.Errorf("time-stamp dictionary:\n%.400s", raw)
	}
	// The earlier signature is still intact.
	if res := p.pdfsig(t, out.Bytes()); !res[0].has("Signature is Valid") || !res[0].has("Not total document signed") {
		t.Errorf("pdfsig:\n%s", res[0].text)
	}
}

func TestAppendDSS(t *testing.T) {
	p := devPKI(t)
	for _, name := range []string{"minimal", "object-streams", "hybrid"} {
		t.Run("ok/"+name, func(t *testing.T) {
			signed := p.sign(t, signFixtures(t)[name], SignatureSpec{})
			sigs, err := mustOpen(t, signed).Signatures()
			if err != nil {
				t.Fatal(err)
			}
			h := sha1.Sum(sigs[0].DER)
			key := strings.ToUpper(hex.EncodeToString(h[:]))
			crl, err := p.dev.CRL(nil, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			seal, issuing, root := p.dev.Seal.Cert.Raw, p.dev.Issuing.Cert.Raw, p.dev.Root.Raw
			ocsp := []byte("\x30\x03\x0a\x01\x00") // any DER: the store does not parse it
			tu := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			dss := DSS{
				Certs: [][]byte{seal, issuing, root, seal},
				CRLs:  [][]byte{crl},
				VRI:   map[string]VRI{key: {Certs: [][]byte{seal, issuing}, OCSPs: [][]byte{ocsp}, TU: &tu}},
			}
			var out bytes.Buffer
			n, err := AppendDSS(&out, bytes.NewReader(signed), int64(len(signed)), dss)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(out.Len()) || !bytes.HasPrefix(out.Bytes(), signed) {
				t.Fatal("AppendDSS did not append")
			}
			qpdfCheck(t, out.Bytes())
			if got := blobStreams(out.String()[len(signed):]); got != 5 {
				t.Errorf("%d streams written, want 5 (seal, issuing, root, CRL, OCSP)", got)
			}
			got, err := mustOpen(t, out.Bytes()).DSS()
			if err != nil {
				t.Fatal(err)
			}
			want := &DSS{
				Certs: [][]byte{seal, issuing, root},
				OCSPs: [][]byte{ocsp},
				CRLs:  [][]byte{crl},
				VRI:   map[string]VRI{key: {Certs: [][]byte{seal, issuing}, OCSPs: [][]byte{ocsp}, TU: &tu}},
			}
			if !equalDSS(got, want) {
				t.Errorf("DSS() = %s, want %s", dssString(got), dssString(want))
			}
			res := p.pdfsig(t, out.Bytes())
			if !res[0].has("Signature is Valid") || !res[0].has("Not total document signed") {
				t.Errorf("pdfsig:\n%s", res[0].text)
			}

			// Merging: a second update adds an OCSP response and a VRI entry
			// and shares the streams already there.
			ocsp2 := []byte("\x30\x03\x0a\x01\x01")
			other := strings.Repeat("AB", 20)
			var out2 bytes.Buffer
			if _, err := AppendDSS(&out2, bytes.NewReader(out.Bytes()), int64(out.Len()), DSS{
				Certs: [][]byte{root},
				OCSPs: [][]byte{ocsp2},
				VRI:   map[string]VRI{key: {OCSPs: [][]byte{ocsp2}}, strings.ToLower(other): {Certs: [][]byte{root}}},
			}); err != nil {
				t.Fatal(err)
			}
			qpdfCheck(t, out2.Bytes())
			tail := out2.String()[out.Len():]
			if got := blobStreams(tail); got != 1 {
				t.Errorf("second update wrote %d streams, want 1", got)
			}
			got, err = mustOpen(t, out2.Bytes()).DSS()
			if err != nil {
				t.Fatal(err)
			}
			want.OCSPs = append(want.OCSPs, ocsp2)
			want.VRI[key] = VRI{Certs: [][]byte{seal, issuing}, OCSPs: [][]byte{ocsp, ocsp2}, TU: &tu}
			want.VRI[other] = VRI{Certs: [][]byte{root}}
			if !equalDSS(got, want) {
				t.Errorf("merged DSS() = %s, want %s", dssString(got), dssString(want))
			}
			if res := p.pdfsig(t, out2.Bytes()); !res[0].has("Signature is Valid") {
				t.Errorf("pdfsig:\n%s", res[0].text)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		d, err := mustOpen(t, signFixtures(t)["minimal"]).DSS()
		if d != nil || err != nil {
			t.Errorf("DSS() = %v, %v; want nil, nil", d, err)
		}
	})
	t.Run("fail/bad-vri-key", func(t *testing.T) {
		data := signFixtures(t)["minimal"]
		_, err := AppendDSS(&bytes.Buffer{}, bytes.NewReader(data), int64(len(data)), DSS{VRI: map[string]VRI{"xyz": {}}})
		if err == nil {
			t.Error("accepted a VRI key that is not a SHA-1")
		}
	})
}

// blobStreams counts the streams in an update other than its
// cross-reference stream.
func blobStreams(upd string) int {
	return strings.Count(upd, "\nstream\n") - strings.Count(upd, "/Type /XRef")
}

func equalDSS(a, b *DSS) bool {
	return dssString(a) == dssString(b)
}

func dssString(d *DSS) string {
	if d == nil {
		return "nil"
	}
	blobs := func(bs [][]byte) string {
		var s []string
		for _, b := range bs {
			h := sha256.Sum256(b)
			s = append(s, hex.EncodeToString(h[:4]))
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	s := fmt.Sprintf("certs %s ocsps %s crls %s", blobs(d.Certs), blobs(d.OCSPs), blobs(d.CRLs))
	keys := make([]string, 0, len(d.VRI))
	for k := range d.VRI {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := d.VRI[k]
		tu := "-"
		if v.TU != nil {
			tu = v.TU.UTC().Format(time.RFC3339)
		}
		s += fmt.Sprintf(" vri %s{certs %s ocsps %s crls %s tu %s}", k[:6], blobs(v.Certs), blobs(v.OCSPs), blobs(v.CRLs), tu)
	}
	return s
}

func TestAttachments(t *testing.T) {
	p := devPKI(t)
	requireTools(t, "pdfdetach")
	evidence := []byte(`<?xml version="1.0"?><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>`)
	for _, name := range []string{"minimal", "object-streams", "hybrid"} {
		t.Run("ok/"+name, func(t *testing.T) {
			out := p.sign(t, signFixtures(t)[name], SignatureSpec{Attachments: []Attachment{{
				Name: "signer-1-evidence.xml", Description: "XAdES evidence of signer 1", MediaType: "application/xml",
				Data: evidence, ModTime: time.Now(),
			}, {
				Name: "bevis-Ærlig.xml", Data: []byte("<b/>"),
			}}})
			qpdfCheck(t, out)
			if res := p.pdfsig(t, out); !res[0].has("Signature is Valid") || !res[0].has("Total document signed") {
				t.Fatalf("pdfsig:\n%s", res[0].text)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "f.pdf")
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			list, err := exec.Command("pdfdetach", "-list", path).CombinedOutput()
			if err != nil || !strings.Contains(string(list), "2 embedded files") || !strings.Contains(string(list), "signer-1-evidence.xml") {
				t.Fatalf("pdfdetach -list: %v\n%s", err, list)
			}
			// The name tree is sorted by the bytes of its keys: "signer…"
			// (ASCII) comes before "bevis-Ærlig" (UTF-16BE with a BOM).
			saved := filepath.Join(dir, "x")
			if b, err := exec.Command("pdfdetach", "-save", "1", "-o", saved, path).CombinedOutput(); err != nil {
				t.Fatalf("pdfdetach -save: %v\n%s", err, b)
			}
			got, err := os.ReadFile(saved)
			if err != nil || !bytes.Equal(got, evidence) {
				t.Errorf("pdfdetach -save gave %q, %v", got, err)
			}
			upd := string(out[len(signFixtures(t)[name]):])
			for _, want := range []string{"/AFRelationship /Supplement", "/AF [", "/EmbeddedFiles", "/Subtype /application#2Fxml"} {
				if !strings.Contains(upd, want) {
					t.Errorf("update lacks %q", want)
				}
			}
		})
	}
	t.Run("ok/deflated", func(t *testing.T) {
		// What the caller deflated is embedded as it is, decoded to Data by
		// readers we did not write, with Data's size in /Params.
		data := bytes.Repeat(evidence, 40)
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		in := signFixtures(t)["minimal"]
		out := p.sign(t, in, SignatureSpec{Attachments: []Attachment{{
			Name: "evidence.xml", MediaType: "application/xml", Data: data, DeflatedData: z.Bytes(),
		}}})
		qpdfCheck(t, out)
		if res := p.pdfsig(t, out); !res[0].has("Signature is Valid") {
			t.Fatalf("pdfsig:\n%s", res[0].text)
		}
		if !bytes.Contains(out[len(in):], z.Bytes()) || !bytes.Contains(out[len(in):], fmt.Appendf(nil, "/Size %d", len(data))) {
			t.Error("the update lacks the deflated data or the decoded size")
		}
		dir := t.TempDir()
		path, saved := filepath.Join(dir, "f.pdf"), filepath.Join(dir, "x")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command("pdfdetach", "-save", "1", "-o", saved, path).CombinedOutput(); err != nil {
			t.Fatalf("pdfdetach -save: %v\n%s", err, b)
		}
		if got, err := os.ReadFile(saved); err != nil || !bytes.Equal(got, data) {
			t.Errorf("pdfdetach -save gave %d bytes, %v; want %d", len(got), err, len(data))
		}
	})
	t.Run("ok/merged-into-existing-tree", func(t *testing.T) {
		one := p.sign(t, signFixtures(t)["minimal"], SignatureSpec{Attachments: []Attachment{{Name: "e.xml", Data: []byte("1")}}})
		two := p.sign(t, one, SignatureSpec{Attachments: []Attachment{{Name: "e.xml", Data: []byte("2")}, {Name: "a.xml", Data: []byte("3")}}})
		qpdfCheck(t, two)
		path := filepath.Join(t.TempDir(), "f.pdf")
		if err := os.WriteFile(path, two, 0o644); err != nil {
			t.Fatal(err)
		}
		list, err := exec.Command("pdfdetach", "-list", path).CombinedOutput()
		if err != nil || !strings.Contains(string(list), "3 embedded files") {
			t.Fatalf("pdfdetach -list: %v\n%s", err, list)
		}
		r := mustOpen(t, two)
		cat, _ := r.catalog()
		af, _ := r.Resolve(cat["AF"])
		if a, ok := af.(Array); !ok || len(a) != 3 {
			t.Errorf("/AF = %v", af)
		}
	})
}

// formPDF has an AcroForm with a text field, a page whose /Annots is an
// indirect array, a catalog /Version, and a font for appearances.
func formPDF() []byte {
	b := newBuilder("1.4")
	b.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 7 0 R /Version /1.7 >>")
	b.obj(2, "<< /Type /Pages /Kids [3 0 R 9 0 R] /Count 2 >>")
	b.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R /Annots 6 0 R >>")
	b.stream(4, "", []byte("BT /F1 24 Tf 72 720 Td (A form) Tj ET"))
	b.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	b.obj(6, "[8 0 R]")
	b.obj(7, "<< /Fields [8 0 R] /DA (/Helv 0 Tf 0 g) >>")
	b.obj(8, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Signature1) /Rect [72 600 300 620] /P 3 0 R >>")
	b.obj(9, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 10 0 R >>")
	b.stream(10, "", []byte("BT /F1 24 Tf 72 720 Td (Page 2) Tj ET"))
	b.xref("<< /Size 11 /Root 1 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>")
	return b.Bytes()
}

func TestSignatureStructure(t *testing.T) {
	p := devPKI(t)
	data := formPDF()
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	out := p.sign(t, data, SignatureSpec{
		SigningTime: when, Name: "Kari Nordmann",
		Appearance: &Appearance{Page: -1, Rect: [4]float64{300, 50, 72, 100},
			Stream: []byte("BT /F1 10 Tf 2 20 Td (Signed by Kari Nordmann) Tj ET"), Resources: "<< /Font << /F1 5 0 R >> >>"},
	})
	qpdfCheck(t, out)
	if res := p.pdfsig(t, out); !res[0].has("Signature is Valid") || !res[0].has("Total document signed") {
		t.Fatalf("pdfsig:\n%s", res[0].text)
	}
	upd := string(out[len(data):])
	for _, re := range []string{
		`/Type /Sig /Filter /Adobe\.PPKLite /SubFilter /ETSI\.CAdES\.detached /ByteRange \[0 \d+ \d+ \d+\] *`,
		`/M \(D:20260102020405\+00'00'\)`,
		`/F 132`, `/FT /Sig`, `/SigFlags 3`,
	} {
		if !regexp.MustCompile(re).MatchString(upd) {
			t.Errorf("update does not match %s", re)
		}
	}
	for _, bad := range []string{"/Cert ", "/Changes", "/ObjStm", "/FlateDecode"} {
		if strings.Contains(upd, bad) {
			t.Errorf("update contains %s", bad)
		}
	}

	r := mustOpen(t, out)
	if v := r.Version(); v != "1.7" {
		t.Errorf("Version %s, want the catalog's 1.7", v)
	}
	sigs, err := r.Signatures()
	if err != nil || len(sigs) != 1 {
		t.Fatalf("Signatures: %v, %v", sigs, err)
	}
	// "Signature1" is a text field already: the default name moves on.
	if sigs[0].Field != "Signature2" || sigs[0].Name != "Kari Nordmann" || !sigs[0].SigningTime.Equal(when) {
		t.Errorf("signature %+v", sigs[0])
	}
	cat, _ := r.catalog()
	form, _ := r.Resolve(cat["AcroForm"])
	fd := form.(Dict)
	fields, _ := r.Resolve(fd["Fields"])
	if fa := fields.(Array); len(fa) != 2 || fa[0] != (Ref{Num: 8}) {
		t.Errorf("/Fields = %v", fa)
	}
	if fd["DA"] == nil {
		t.Error("/DA of the form was lost")
	}
	widgetRef := fields.(Array)[1].(Ref)
	w, _ := r.Object(widgetRef)
	wd := w.(Dict)
	if wd["P"] != (Ref{Num: 9}) || wd["F"] != Int(132) {
		t.Errorf("widget %v", wd)
	}
	if rect := wd["Rect"].(Array); format(rect) != "[72 50 300 100]" {
		t.Errorf("/Rect %v", rect)
	}
	// Page 2 had no /Annots: it is rewritten. Page 1 keeps its indirect
	// array, untouched.
	p2, _ := r.Object(Ref{Num: 9})
	if a, _ := p2.(Dict)["Annots"].(Array); len(a) != 1 || a[0] != widgetRef {
		t.Errorf("page 2 /Annots = %v", p2.(Dict)["Annots"])
	}
	if strings.Contains(upd, "\n3 0 obj") || strings.Contains(upd, "\n6 0 obj") || strings.Contains(upd, "\n4 0 obj") {
		t.Error("the update rewrote an object it did not need to")
	}
	// The catalog (1 0 obj) is rewritten only to declare what a signature
	// needs: PDF 1.7 with ETSI's extension.
	if r.Version() != "1.7" || !strings.Contains(upd, "/ESIC") {
		t.Errorf("version %s after signing, update declares ESIC: %v", r.Version(), strings.Contains(upd, "/ESIC"))
	}
	if !strings.Contains(upd, "\n7 0 obj") {
		t.Error("the indirect AcroForm was not rewritten in place")
	}
	if id := r.Trailer()["ID"].(Array); !bytes.Equal(id[0].(String), mustHex("0123456789abcdef0123456789abcdef")) ||
		bytes.Equal(id[1].(String), id[0].(String)) {
		t.Errorf("/ID %v", id)
	}

	// A negative page counts from the end: -2 of two pages is the first.
	// Beyond the first page it is refused.
	t.Run("page-from-end", func(t *testing.T) {
		out := p.sign(t, data, SignatureSpec{FieldName: "Godkjenning", Appearance: &Appearance{Page: -2}})
		r := mustOpen(t, out)
		cat, _ := r.catalog()
		form, _ := r.Resolve(cat["AcroForm"])
		fields, _ := r.Resolve(form.(Dict)["Fields"])
		w, _ := r.Object(fields.(Array)[1].(Ref))
		if w.(Dict)["P"] != (Ref{Num: 3}) {
			t.Errorf("widget on %v, want the first page (3 0 R)", w.(Dict)["P"])
		}
		if _, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), SignatureSpec{Appearance: &Appearance{Page: -3}}); err == nil {
			t.Error("an appearance on page -3 of a 2-page document was accepted")
		}
	})
	t.Run("annots-indirect", func(t *testing.T) {
		out := p.sign(t, data, SignatureSpec{FieldName: "Godkjenning", Appearance: &Appearance{Page: 0}})
		qpdfCheck(t, out)
		upd := string(out[len(data):])
		if !strings.Contains(upd, "\n6 0 obj\n[8 0 R ") || strings.Contains(upd, "\n3 0 obj") {
			t.Errorf("the indirect /Annots array was not rewritten alone:\n%s", upd)
		}
	})
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestUpdateKeepsXrefForm(t *testing.T) {
	for name, data := range signFixtures(t) {
		t.Run(name, func(t *testing.T) {
			orig := mustOpen(t, data)
			prep, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), SignatureSpec{SubFilter: SubFilterCAdES})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if _, err := prep.WriteTo(&out, []byte{0x30, 0}); err != nil {
				t.Fatal(err)
			}
			r := mustOpen(t, out.Bytes())
			want := orig.newest.form
			if want == formHybrid {
				want = formTable
			}
			if r.newest.form != want {
				t.Errorf("update section form %d, original's %d", r.newest.form, orig.newest.form)
			}
			if r.Trailer()["Prev"] != Int(orig.newest.at) {
				t.Errorf("/Prev %v, want %d", r.Trailer()["Prev"], orig.newest.at)
			}
			if r.Trailer()["Root"] != orig.Trailer()["Root"] {
				t.Error("/Root changed")
			}
			if info, ok := orig.Trailer()["Info"]; ok && r.Trailer()["Info"] != info {
				t.Error("/Info was not carried over")
			}
			if oid, ok := orig.Trailer()["ID"].(Array); ok {
				if nid := r.Trailer()["ID"].(Array); !bytes.Equal(nid[0].(String), oid[0].(String)) {
					t.Error("/ID first string changed")
				}
			}
			if info, err := Check(bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil || info.Revisions != len(orig.Revisions())+1 {
				t.Errorf("Check: %+v, %v", info, err)
			}
		})
	}
}

func TestPrepareSignatureErrors(t *testing.T) {
	minimal := signFixtures(t)["minimal"]
	form := formPDF()
	encrypted, err := os.ReadFile(filepath.Join("testdata", "encrypted.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	locked := func() []byte {
		b := newBuilder("1.7")
		b.pageDoc(1, "/Perms << /DocMDP 7 0 R >>", "")
		b.obj(7, "<< /Type /Sig /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /P 1 /V /1.2 >> >>] >>")
		b.xref("<< /Size 8 /Root 1 0 R >>")
		return b.Bytes()
	}()
	for _, c := range []struct {
		name string
		data []byte
		spec SignatureSpec
		want error
	}{
		{"fail/sub-filter", minimal, SignatureSpec{SubFilter: "adbe.pkcs7.detached"}, nil},
		{"fail/field-with-period", minimal, SignatureSpec{SubFilter: SubFilterCAdES, FieldName: "a.b"}, nil},
		{"fail/field-exists", form, SignatureSpec{SubFilter: SubFilterCAdES, FieldName: "Signature1"}, nil},
		{"fail/page-out-of-range", minimal, SignatureSpec{SubFilter: SubFilterCAdES, Appearance: &Appearance{Page: 1}}, nil},
		{"fail/missing-resource", minimal, SignatureSpec{SubFilter: SubFilterCAdES, Appearance: &Appearance{Resources: "<< /Font << /F1 99 0 R >> >>"}}, nil},
		{"fail/resources-not-a-dict", minimal, SignatureSpec{SubFilter: SubFilterCAdES, Appearance: &Appearance{Resources: "<< >> junk"}}, nil},
		{"fail/attachment-without-name", minimal, SignatureSpec{SubFilter: SubFilterCAdES, Attachments: []Attachment{{}}}, nil},
		{"fail/contents-size", minimal, SignatureSpec{SubFilter: SubFilterCAdES, ContentsSize: 1 << 30}, nil},
		{"fail/encrypted", encrypted, SignatureSpec{SubFilter: SubFilterCAdES}, ErrEncrypted},
		{"fail/docmdp-no-changes", locked, SignatureSpec{SubFilter: SubFilterCAdES}, ErrLocked},
		{"fail/garbage", []byte("%PDF-1.4\nnothing"), SignatureSpec{SubFilter: SubFilterCAdES}, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := PrepareSignature(bytes.NewReader(c.data), int64(len(c.data)), c.spec)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) || !strings.HasPrefix(err.Error(), "pdf: ") {
				t.Errorf("err = %v, want %v", err, c.want)
			}
		})
	}
	t.Run("fail/der-too-large", func(t *testing.T) {
		prep, err := PrepareSignature(bytes.NewReader(minimal), int64(len(minimal)), SignatureSpec{SubFilter: SubFilterCAdES, ContentsSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := prep.WriteTo(&out, make([]byte, 101)); err == nil || out.Len() != 0 {
			t.Errorf("WriteTo with 101 bytes in 100: %v, wrote %d", err, out.Len())
		}
		if _, err := prep.WriteTo(&out, bytes.Repeat([]byte{0x30}, 100)); err != nil {
			t.Errorf("WriteTo with 100 bytes in 100: %v", err)
		}
	})
}

func TestWriterHelpers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"D:20261123114151+00'00'", time.Date(2026, 11, 23, 11, 41, 51, 0, time.UTC), true},
		{"D:20261123114151Z", time.Date(2026, 11, 23, 11, 41, 51, 0, time.UTC), true},
		{"D:20261123124151+01'00", time.Date(2026, 11, 23, 11, 41, 51, 0, time.UTC), true},
		{"D:20261123064151-05'00'", time.Date(2026, 11, 23, 11, 41, 51, 0, time.UTC), true},
		{"D:2026", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"20261123", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), true},
		{"D:20261323", time.Time{}, false},
		{"D:20260231", time.Time{}, false},
		{"D:20261123114151+0x", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := parseDate(c.in)
		if (err == nil) != c.ok || (c.ok && !got.Equal(c.want)) {
			t.Errorf("parseDate(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, s := range []string{"plain", "Åse Ærlig (ø)", "emoji 🙂", ""} {
		if got := textString(s).Text(); got != s {
			t.Errorf("text string round trip %q → %q", s, got)
		}
	}
	if got := String("\x80\x93 caf\xe9").Text(); got != "•ﬁ café" {
		t.Errorf("PDFDocEncoding: %q", got)
	}
	for _, o := range []Object{
		Dict{"A b": String("x(y)\\z"), "#": Name("a/b c"), "N": Null{}, "R": Real(1.5), "I": Int(-3), "B": Bool(true),
			"S": String("\x00\xff"), "Ar": Array{Ref{Num: 3, Gen: 1}, Array{}, Dict{}}},
	} {
		b, err := appendObject(nil, o, 0)
		if err != nil {
			t.Fatal(err)
		}
		back, err := newBytesScanner(b).object(0)
		if err != nil || format(back) != format(o) {
			t.Errorf("round trip %s → %s (%v)", b, format(back), err)
		}
	}
	der := []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00}
	if n := derLength(append(bytes.Clone(der), 0, 0, 0, 0)); n != len(der) {
		t.Errorf("derLength of indefinite BER = %d, want %d", n, len(der))
	}
	if n := derLength([]byte{0x30, 0x82, 0x00, 0x02, 0x05, 0x00, 0, 0}); n != 6 {
		t.Errorf("derLength of long form = %d, want 6", n)
	}
	if n := derLength([]byte{0x01, 0x05, 0, 0}); n != 2 {
		t.Errorf("derLength of junk = %d, want 2", n)
	}
}

func TestRevisionEnds(t *testing.T) {
	fixture := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	firstEOF := func(data []byte) int64 { return int64(bytes.Index(data, []byte("%%EOF\n")) + 6) }
	inc := fixture("incremental.pdf")
	junk := trailingJunk()
	for _, c := range []struct {
		name string
		data []byte
		want []int64
	}{
		{"minimal", fixture("minimal.pdf"), []int64{int64(len(fixture("minimal.pdf")))}},
		{"incremental", inc, []int64{firstEOF(inc), int64(len(inc))}},
		{"incremental-xref-stream", fixture("incremental-xref-stream.pdf"), []int64{int64(len(fixture("object-streams.pdf"))), int64(len(fixture("incremental-xref-stream.pdf")))}},
		{"linearized-one-revision", fixture("linearized.pdf"), []int64{int64(len(fixture("linearized.pdf")))}},
		{"hybrid", fixture("hybrid.pdf"), []int64{int64(len(fixture("hybrid.pdf")))}},
		{"trailing-junk", junk, []int64{firstEOF(junk)}},
		{"skewed-startxref", skewedStartxref(), []int64{int64(len(skewedStartxref()))}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := mustOpen(t, c.data).RevisionEnds(); !slices.Equal(got, c.want) {
				t.Errorf("RevisionEnds() = %v, want %v", got, c.want)
			}
		})
	}
	// A comment between the trailer and startxref puts the %%EOF further
	// from the section's end: before, across and after the end of the
	// first bytes revisionEnds reads (nearEOFWindow), and beyond eofWindow.
	one := fixture("incremental.pdf")
	at := bytes.LastIndex(one, []byte("startxref"))
	// The %%EOF is pad+18 bytes after the section's end.
	for _, pad := range []int{0, nearEOFWindow - 30, nearEOFWindow - 25, nearEOFWindow - 24, nearEOFWindow - 23, nearEOFWindow - 20, nearEOFWindow, eofWindow - 30, eofWindow + 10} {
		data := slices.Concat(one[:at], []byte("%"), bytes.Repeat([]byte(" "), pad), []byte("\r\n"), one[at:])
		data = append(data[:len(data)-1], "\r\n"...) // %%EOF CR LF
		t.Run(fmt.Sprintf("comment-%d", pad), func(t *testing.T) {
			want := []int64{firstEOF(one), int64(len(data))}
			if got := mustOpen(t, data).RevisionEnds(); !slices.Equal(got, want) {
				t.Errorf("RevisionEnds() = %v, want %v", got, want)
			}
		})
	}
}

// TestPreparedSignature checks that Prepared.Signature says of a new
// signature what Signatures reads from the written file, so that a caller
// gathering validation data for a signature it has just made (PAdES B-LTA's
// document time-stamp) may skip reading the file again.
func TestPreparedSignature(t *testing.T) {
	der := append([]byte{0x30, 0x82, 0x01, 0x00}, bytes.Repeat([]byte{0x04}, 0x100)...)
	specs := map[string]SignatureSpec{
		"cades": {FieldName: "Signer1", SubFilter: SubFilterCAdES, Name: "Åse Østby", Reason: "Signert / Signed (BankID)",
			Location: "Oslo", ContactInfo: "post@example.no", SigningTime: time.Date(2026, 12, 7, 2, 3, 4, 5, time.FixedZone("CET", 3600))},
		"doc-time-stamp": {SubFilter: SubFilterRFC3161},
	}
	for name, data := range signFixtures(t) {
		if name == "big-10MB" {
			continue
		}
		for kind, spec := range specs {
			t.Run(name+"/"+kind, func(t *testing.T) {
				p, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), spec)
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				if _, err := p.WriteTo(&out, der); err != nil {
					t.Fatal(err)
				}
				sigs, err := mustOpen(t, out.Bytes()).Signatures()
				if err != nil || len(sigs) == 0 {
					t.Fatalf("Signatures: %v, %v", sigs, err)
				}
				got, want := p.Signature(der), sigs[len(sigs)-1]
				if !got.SigningTime.Equal(want.SigningTime) {
					t.Errorf("SigningTime %v, read %v", got.SigningTime, want.SigningTime)
				}
				got.SigningTime, want.SigningTime = time.Time{}, time.Time{}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Signature:\n%+v\nread:\n%+v", got, want)
				}
			})
		}
	}
}

// testAppender keeps what follows the base and hashes the whole, as
// blob.Tail does.
type testAppender struct {
	h    hash.Hash
	base int64
	tail bytes.Buffer
}

func (a *testAppender) SkipBase(h hash.Hash, n int64) error {
	a.h, a.base = h, n
	return nil
}

func (a *testAppender) Write(p []byte) (int, error) {
	a.h.Write(p)
	return a.tail.Write(p)
}

// TestWriteToAppender checks that after DigestSHA256 an Appender gets the
// original's SHA-256 instead of its bytes, which are then read once per
// signature instead of twice, and ends with the file's SHA-256 and the
// update WriteTo writes after the original.
func TestWriteToAppender(t *testing.T) {
	der := append([]byte{0x30, 0x82, 0x01, 0x00}, bytes.Repeat([]byte{0x04}, 0x100)...)
	data := signFixtures(t)["object-streams"]
	src := &countingReaderAt{r: bytes.NewReader(data)}
	p, err := PrepareSignature(src, int64(len(data)), SignatureSpec{SubFilter: SubFilterCAdES, SigningTime: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	digest, err := p.DigestSHA256()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := p.Digest(sha256.New()); !bytes.Equal(digest, want) {
		t.Fatalf("DigestSHA256 %x, Digest %x", digest, want)
	}
	var whole bytes.Buffer
	if _, err := p.WriteTo(&whole, der); err != nil {
		t.Fatal(err)
	}
	reads := src.reads
	a := &testAppender{}
	n, err := p.WriteTo(a, der)
	if err != nil {
		t.Fatal(err)
	}
	if src.reads != reads {
		t.Errorf("WriteTo read the original again (%d reads)", src.reads-reads)
	}
	wholeSum := sha256.Sum256(whole.Bytes())
	switch {
	case n != int64(whole.Len()):
		t.Errorf("WriteTo reported %d bytes, the file has %d", n, whole.Len())
	case a.base != int64(len(data)) || !bytes.Equal(a.tail.Bytes(), whole.Bytes()[len(data):]):
		t.Errorf("the appender took %d bytes as the base and %d after, want %d and the update", a.base, a.tail.Len(), len(data))
	case !bytes.Equal(a.h.Sum(nil), wholeSum[:]):
		t.Errorf("the appender's SHA-256 is not the file's")
	}
}

// TestSignatureIDLeavesOutThePlaceholder: a signature's update names its
// version (/ID, §14.4) by the SHA-256 of where it is appended and of its
// bytes but the /Contents placeholder, whose zeros the signature replaces
// and which are half of what was hashed. So two updates that differ only
// in the room they reserve get the same /ID, and two that differ in
// anything else do not.
func TestSignatureIDLeavesOutThePlaceholder(t *testing.T) {
	data := formPDF()
	id := func(spec SignatureSpec) String {
		t.Helper()
		spec.SubFilter = SubFilterCAdES
		p, err := PrepareSignature(bytes.NewReader(data), int64(len(data)), spec)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := p.WriteTo(&out, []byte{0x30, 0x03, 0x02, 0x01, 0x01}); err != nil {
			t.Fatal(err)
		}
		a, _ := mustOpen(t, out.Bytes()).Trailer()["ID"].(Array)
		if len(a) != 2 {
			t.Fatalf("/ID %v", a)
		}
		return a[1].(String)
	}
	small, large := id(SignatureSpec{ContentsSize: 8192}), id(SignatureSpec{ContentsSize: 16384})
	if !bytes.Equal(small, large) {
		t.Errorf("/ID %x with 8 KB reserved, %x with 16 KB: the placeholder is hashed", small, large)
	}
	if other := id(SignatureSpec{ContentsSize: 8192, FieldName: "Other"}); bytes.Equal(other, small) {
		t.Error("updates that differ in a field name have the same /ID")
	}
}
