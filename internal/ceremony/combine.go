package ceremony

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/doctext"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pdfa"
)

// combine makes the combined document of a job whose request asks for one
// signed document (job.Request.Combine) and has several: one PDF of a
// front page, which names the job, each document by title, file name and
// SHA-256 as uploaded, and the signers as the sender addressed them,
// followed by the pages of each document in request order (pdf.Combine; a
// text document is rendered as the engine renders one, without its
// signature page). The front page's footer numbers its pages as the
// combined document's ("Side 1 av N"), so that a reader of the signed or
// printed copy can tell that every page is there; the documents behind it
// keep their own page numbers, if any. docs are the checked documents and uploads their staged
// files, in the same order.
//
// The result is staged like an upload, so it enters the blob store with
// the others once the job is accepted and is prepared and signed at the
// first act like any document: one signing path for every document. It
// returns the staged file, its document (Role Combined, without an id),
// and what the merge left out of the originals (outlines, actions, …) for
// the job's audit trail. The caller must release the upload
// (ReleaseUploads) as it does its own.
func (s *Service) combine(ctx context.Context, req *job.Request, docs []job.Document, uploads []Upload) (Upload, job.Document, []string, error) {
	cat, err := doctext.Embedded()
	if err != nil {
		return Upload{}, job.Document{}, nil, fmt.Errorf("ceremony: combine: %w", err)
	}
	lang := req.Language
	if lang == "" {
		lang = doctext.Bokmal
	}
	texts := cat.Texts(lang)
	// Every file opened or written here is closed, and every temporary
	// one removed, when the merge is done.
	var files []*os.File
	var temps []string
	defer func() {
		for _, f := range files {
			f.Close()
		}
		for _, name := range temps {
			os.Remove(name)
		}
	}()
	// render writes a rendered text to a temporary PDF, the source of the
	// merge it returns, and says how many pages it has.
	render := func(text io.Reader, meta pdfa.Meta) (pdf.CombineSource, int, error) {
		f, err := os.CreateTemp(s.TempDir, "combine-*.pdf")
		if err != nil {
			return pdf.CombineSource{}, 0, err
		}
		files, temps = append(files, f), append(temps, f.Name())
		info, err := pdfa.RenderText(f, text, meta)
		if err != nil {
			return pdf.CombineSource{}, 0, err
		}
		return pdf.CombineSource{R: f, Size: info.Size}, info.Pages, nil
	}
	// The documents come first, so that the front page's footer can
	// number its pages as the combined document's: "Side 1 av N", N
	// counting every page behind it (pdfa.Meta.PagesAfter), each PDF's as
	// the upload check counted them (the page tree's leaves, the pages
	// Combine copies), each text document's as rendered, which the front
	// page lists too.
	now := s.now()
	srcs := make([]pdf.CombineSource, 1, 1+len(docs))
	listed := slices.Clone(docs)
	after := 0
	for i, d := range docs {
		var src pdf.CombineSource
		f, err := uploads[i].open()
		if err != nil {
			return Upload{}, job.Document{}, nil, err
		}
		files = append(files, f)
		pages := d.Pages
		if d.MediaType == MediaText {
			if src, pages, err = render(f, pdfa.Meta{Title: d.Title, Lang: lang, Created: now}); err != nil {
				return Upload{}, job.Document{}, nil, fmt.Errorf("ceremony: combine: render document %d: %w", i+1, err)
			}
		} else {
			src = pdf.CombineSource{R: f, Size: uploads[i].Ref.Size}
		}
		src.Prefix = "d" + strconv.Itoa(i+1)
		srcs = append(srcs, src)
		listed[i].Pages = pages
		after += pages
	}
	front, frontPages, err := render(strings.NewReader(frontPage(req, listed, texts)),
		pdfa.Meta{Title: req.Title, Lang: lang, Created: now, PagesAfter: after})
	if err != nil {
		return Upload{}, job.Document{}, nil, fmt.Errorf("ceremony: combine: front page: %w", err)
	}
	front.Prefix = "front"
	srcs[0] = front

	out, err := os.CreateTemp(s.TempDir, "upload-*")
	if err != nil {
		return Upload{}, job.Document{}, nil, fmt.Errorf("ceremony: combine: %w", err)
	}
	h := sha256.New()
	res, err := pdf.Combine(io.MultiWriter(out, h), srcs)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return Upload{}, job.Document{}, nil, combineError(err, docs)
	}
	u := Upload{FileName: texts.Front.File, ContentType: MediaPDF,
		Ref: blob.Ref{Key: hex.EncodeToString(h.Sum(nil)), Size: res.Size}, staged: &staged{path: out.Name()}}
	pages := 0
	for _, n := range res.Pages {
		pages += n
	}
	if pages != frontPages+after {
		os.Remove(out.Name())
		return Upload{}, job.Document{}, nil, fmt.Errorf("ceremony: combine: the front page numbers %d pages, the combined document has %d", frontPages+after, pages)
	}
	doc := job.Document{Title: req.Title, FileName: texts.Front.File, MediaType: MediaPDF, Size: res.Size,
		SHA256: u.Ref.Key, Pages: pages, Role: job.Combined}
	return u, doc, res.Dropped, ctx.Err()
}

// frontPage is the text of the combined document's front page in the
// job's language: what the document holds, each document by title, file
// name, SHA-256 (as uploaded, what every signer's evidence names too) and
// page count, and the signers in order as the sender addressed them, an
// identity number shown only as the job's identifier allows
// (job.Identifier: the number, the birth date, or the signer's place).
func frontPage(req *job.Request, docs []job.Document, t doctext.Texts) string {
	var b strings.Builder
	b.WriteString(t.Front.Lead + "\n\n" + t.Front.Documents + "\n")
	for i, d := range docs {
		fmt.Fprintf(&b, "\n%d. %s\n   %s: %s\n   %s: %s\n", i+1, d.Title, t.Front.FileName, d.FileName, t.Front.Digest, d.SHA256)
		if d.Pages > 0 {
			fmt.Fprintf(&b, "   %s: %d\n", t.Front.Pages, d.Pages)
		}
	}
	b.WriteString("\n" + t.Front.Signers + "\n\n")
	identifier := req.Identifier
	if identifier == "" {
		identifier = job.DefaultIdentifier
	}
	for i, sr := range req.Signers {
		var parts []string
		switch {
		case sr.PID != "" && identifier == job.ShowPID:
			parts = append(parts, t.Slot.PID+": "+sr.PID)
		case sr.PID != "" && identifier == job.ShowBirthDateAndName:
			if born, ok := job.BirthDate(sr.PID); ok {
				parts = append(parts, t.Slot.BirthDate+": "+born)
			}
		}
		if sr.Email != "" {
			parts = append(parts, t.Front.Email+": "+sr.Email)
		}
		if sr.Mobile != "" {
			parts = append(parts, t.Front.Mobile+": "+sr.Mobile)
		}
		if sr.Ref != "" {
			parts = append(parts, t.Front.Ref+": "+sr.Ref)
		}
		if sr.OnBehalfOf != "" {
			parts = append(parts, t.Slot.OnBehalfOf+": "+sr.OnBehalfOf)
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf(t.Front.Signer, i+1))
		}
		fmt.Fprintf(&b, "%d. %s\n", i+1, strings.Join(parts, ", "))
	}
	return b.String()
}

// combineError gives pdf.Combine's refusal of the sender's documents its
// kind: they passed the upload check one by one (checkDocument), so what
// is left is their size together (413), or anything else the merge finds
// wrong in one of them (pdf.DocumentFault: 400), JavaScript in what is
// copied included. Anything else (a failed read of a staged file, a
// field prefix segl chose) is segl's own failure, a 500, but for a full
// disk, which the HTTP edge answers 507 wherever it happens (errs.From).
func combineError(err error, docs []job.Document) error {
	// The merge numbers its sources, the front page first; the sender
	// knows their documents by number and file name.
	what, cause := "the documents", err
	var se *pdf.SourceError
	if errors.As(err, &se) && se.Source >= 1 && se.Source <= len(docs) {
		what, cause = fmt.Sprintf("document %d (%s)", se.Source, docs[se.Source-1].FileName), se.Err
	}
	switch {
	case errors.Is(err, pdf.ErrTooLarge):
		return errs.Wrap(err, errs.TooLarge, codeDocumentsTooLargeToCombine,
			"%s: too large to be signed as one combined document: %v", what, cause)
	case pdf.DocumentFault(err):
		return errs.Wrap(err, errs.Invalid, codeDocumentsNotCombinable,
			"%s: cannot be combined into one document to sign: %v", what, cause)
	}
	return fmt.Errorf("ceremony: combine: %w", err)
}
