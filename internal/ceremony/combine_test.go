package ceremony

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
)

// The combined document of a PDF and a text document, in Nynorsk, for a
// job that shows birth dates: the front page names both documents by
// SHA-256 and the signers as addressed (the birth date, not the identity
// number), the PDF's text and then the rendered text follow, qpdf finds
// the file clean, and nothing is left in the temporary directory once the
// upload is released.
func TestCombine(t *testing.T) {
	for _, tool := range []string{"pdftotext", "qpdf"} {
		if _, err := exec.LookPath(tool); err != nil {
			testtool.Missing(t, "%s not installed", tool)
		}
	}
	ctx := context.Background()
	s := &Service{TempDir: t.TempDir(), Clock: clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)), Limits: job.DefaultLimits}
	pdfDoc, textDoc := testdocs.PDF("Avtale om leige", 5_000), []byte("Vedlegg om husorden\n\nRo etter klokka 23.\n")
	var uploads []Upload
	var docs []job.Document
	for _, in := range []struct {
		part, name, title string
		body              []byte
	}{{"a", "avtale.pdf", "Avtale", pdfDoc}, {"b", "vedlegg.txt", "Vedlegg", textDoc}} {
		u, err := s.StageDocument(ctx, in.part, in.name, "", bytes.NewReader(in.body))
		if err != nil {
			t.Fatal(err)
		}
		uploads = append(uploads, u)
		d, err := s.checkDocument(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		d.Title = in.title
		docs = append(docs, d)
	}
	defer ReleaseUploads(uploads)
	req := &job.Request{Title: "Leige", Language: "nn", Identifier: job.ShowBirthDateAndName,
		Signers: []job.SignerRequest{{PID: pid}, {Email: "kari@example.test"}}}

	u, doc, _, err := s.combine(ctx, req, docs, uploads)
	if err != nil {
		t.Fatal(err)
	}
	combined, err := os.ReadFile(u.staged.path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(combined)
	if doc.Role != job.Combined || doc.MediaType != MediaPDF || doc.FileName != "samla-dokument.pdf" ||
		doc.SHA256 != hex.EncodeToString(sum[:]) || u.Ref.Key != doc.SHA256 || doc.Size != int64(len(combined)) || doc.Pages < 3 {
		t.Fatalf("combined document %+v, upload %+v (%d bytes)", doc, u.Ref, len(combined))
	}
	if out, err := exec.Command("qpdf", "--check", u.staged.path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	front, err := exec.Command("pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", u.staged.path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	born, _ := job.BirthDate(pid)
	for _, want := range []string{"Dette dokumentet samlar", "avtale.pdf", "vedlegg.txt", docs[0].SHA256, docs[1].SHA256,
		"Fødselsdato: " + born, "E-post: kari@example.test"} {
		if !strings.Contains(string(front), want) {
			t.Errorf("the front page does not show %q:\n%s", want, front)
		}
	}
	// Each document's page count is listed, the text document's as
	// rendered (one page), and the front page numbers its page as the
	// combined document's, not as a document of one page.
	if n := strings.Count(string(front), "Sider: "); n != 2 || !strings.Contains(string(front), "Sider: 1\n") {
		t.Errorf("the front page lists %d page counts, want both documents':\n%s", n, front)
	}
	if want := fmt.Sprintf("Side 1 av %d / Page 1 of %d", doc.Pages, doc.Pages); !strings.Contains(string(front), want) {
		t.Errorf("the front page's footer is not %q:\n%s", want, front)
	}
	if strings.Contains(string(front), pid) {
		t.Errorf("the front page shows the identity number the job's identifier hides:\n%s", front)
	}
	rest, err := exec.Command("pdftotext", "-enc", "UTF-8", "-f", "2", u.staged.path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Index(string(rest), "Avtale om leige"), strings.Index(string(rest), "Ro etter klokka 23.")
	if a < 0 || b < a {
		t.Fatalf("after the front page, want the PDF's text and then the text document's:\n%s", rest)
	}

	ReleaseUploads(append(uploads, u))
	left, err := os.ReadDir(s.TempDir)
	if err != nil || len(left) != 0 {
		t.Fatalf("left in the temporary directory: %v, %v", left, err)
	}
}

// Everything pdf.Combine refuses of the sender's documents is the
// sender's problem with a kind and a code (every error pdf.DocumentFault
// knows, JavaScript included); a full disk is a 507 as anywhere; anything
// else stays segl's own (a 500).
func TestCombineError(t *testing.T) {
	docs := []job.Document{{FileName: "avtale.pdf"}, {FileName: "vedlegg.pdf"}, {FileName: "plan.pdf"}}
	for _, tc := range []struct {
		name string
		err  error
		kind errs.Kind
		code string
	}{
		{"fail/too-large-together", fmt.Errorf("%w: more than 5000 pages to combine", pdf.ErrTooLarge), errs.TooLarge, codeDocumentsTooLargeToCombine},
		{"fail/malformed", fmt.Errorf("pdf: combine: source 2: %w", pdf.ErrMalformed), errs.Invalid, codeDocumentsNotCombinable},
		{"fail/signed", fmt.Errorf("%w: it carries 1 signature", pdf.ErrSigned), errs.Invalid, codeDocumentsNotCombinable},
		{"fail/javascript", &pdf.SourceError{Source: 2, Err: pdf.ErrJavaScript}, errs.Invalid, codeDocumentsNotCombinable},
		{"fail/encrypted", &pdf.SourceError{Source: 2, Err: pdf.ErrEncrypted}, errs.Invalid, codeDocumentsNotCombinable},
		{"fail/dynamic-xfa", &pdf.SourceError{Source: 3, Err: pdf.ErrDynamicXFA}, errs.Invalid, codeDocumentsNotCombinable},
		{"fail/external-stream", &pdf.SourceError{Source: 2, Err: pdf.ErrUnsupportedFilter}, errs.Invalid, codeDocumentsNotCombinable},
		{"fail/locked", &pdf.SourceError{Source: 2, Err: pdf.ErrLocked}, errs.Invalid, codeDocumentsNotCombinable},
		{"fail/ours", errors.New("pdf: document 2: field prefix \"a.b\" contains a period"), errs.Internal, ""},
		{"fail/read", fmt.Errorf("pdf: read at offset 0: %w", os.ErrClosed), errs.Internal, ""},
		{"fail/disk-full", fmt.Errorf("pdf: write: %w", &os.PathError{Op: "write", Path: "/tmp/x", Err: syscall.ENOSPC}), errs.InsufficientStorage, errs.CodeStorageFull},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// What the HTTP edge answers (errs.From): nil is a 500.
			err := combineError(tc.err, docs)
			kind, code := errs.Internal, ""
			if e := errs.From(err); e != nil {
				kind, code = e.Kind, e.Code
			}
			if kind != tc.kind || code != tc.code || !errors.Is(err, tc.err) {
				t.Fatalf("combineError(%v) = %v (%v %q), want %v %q", tc.err, err, kind, code, tc.kind, tc.code)
			}
			// Source 0 is the front page: the sender's first document
			// is source 1, and the message names it as they know it.
			var se *pdf.SourceError
			if errors.As(tc.err, &se) && code != "" {
				want := fmt.Sprintf("document %d (%s)", se.Source, docs[se.Source-1].FileName)
				if !strings.Contains(errs.From(err).Message, want) {
					t.Errorf("message %q does not name %s", errs.From(err).Message, want)
				}
			}
		})
	}
}
