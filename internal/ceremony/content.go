package ceremony

import (
	"bufio"
	"context"
	"errors"
	"io"
	"mime"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/signing"
)

// Media types accepted as documents (MISSION S8).
const (
	MediaPDF  = "application/pdf"
	MediaText = "text/plain"
)

// checkDocument decides an upload's media type and checks its content by
// reading its staged file: a PDF must pass signing.CheckPDF, the check
// the first signing act makes again (JavaScript that normalisation removes
// is accepted and reported: pdf.Info.Findings); text must be UTF-8.
func (s *Service) checkDocument(ctx context.Context, u Upload) (job.Document, error) {
	o, err := u.open()
	if err != nil {
		return job.Document{}, err
	}
	defer o.Close()
	doc := job.Document{FileName: path.Base(u.FileName), Size: u.Ref.Size, SHA256: u.Ref.Key}
	if doc.FileName == "." || doc.FileName == "/" {
		doc.FileName = u.Part
	}
	head := make([]byte, 1024)
	n, _ := o.ReadAt(head, 0)
	head = head[:n]
	declared, _, _ := mime.ParseMediaType(u.ContentType)

	switch {
	case n == 0:
		return doc, errs.E(errs.Invalid, codeEmptyDocument, "document %q is empty", u.Part)
	case strings.Contains(string(head), "%PDF-"):
		info, err := signing.CheckPDF(o, u.Ref.Size, strconv.Quote(u.Part))
		if err != nil {
			return doc, err
		}
		if u.staged != nil {
			u.staged.findings = info.Findings
		}
		doc.MediaType, doc.Pages = MediaPDF, info.Pages
	case declared == MediaPDF:
		return doc, errs.E(errs.Invalid, signing.CodeInvalidPDF, "document %q is declared as PDF but is not one", u.Part)
	case declared == MediaText || (declared == "" || declared == "application/octet-stream") && strings.HasSuffix(doc.FileName, ".txt"):
		if err := checkText(o); err != nil {
			return doc, errs.E(errs.Invalid, codeInvalidTextDocument, "document %q: %s", u.Part, err)
		}
		doc.MediaType = MediaText
	default:
		return doc, errs.E(errs.Invalid, errs.CodeUnsupportedMediaType,
			"document %q must be a PDF or plain UTF-8 text (got %q)", u.Part, u.ContentType)
	}
	return doc, nil
}

// checkText streams the document and refuses invalid UTF-8 and binary
// control characters.
func checkText(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		c, size, err := br.ReadRune()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if c == utf8.RuneError && size == 1 {
			return errors.New("not valid UTF-8 text")
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			return errors.New("contains binary control characters")
		}
	}
}
