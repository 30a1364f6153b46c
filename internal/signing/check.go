package signing

import (
	"errors"
	"io"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pdf"
)

// CheckPDF is the one check of an uploaded PDF, made when its job is
// created and again when the first signing act cannot prepare it (which
// repeats these checks), so that a document refused for signing is
// refused at upload with the same code:
// "encrypted-pdf", "pdf-javascript", "signed-upload" (it carries
// signatures), "dynamic-xfa" (ISO 32000-1 §12.7.8) or "invalid-pdf"
// (unreadable), each errs.Invalid. name says which document, in messages.
func CheckPDF(src io.ReaderAt, size int64, name string) (pdf.Info, error) {
	info, err := pdf.Check(src, size)
	if err == nil {
		err = info.Signable()
	}
	switch {
	case err == nil:
		return info, nil
	case errors.Is(err, pdf.ErrEncrypted):
		return info, errs.Wrap(err, errs.Invalid, codeEncryptedPDF, "document %s is encrypted; upload it without a password", name)
	case errors.Is(err, pdf.ErrJavaScript):
		return info, errs.Wrap(err, errs.Invalid, codePDFJavaScript, "document %s contains JavaScript, which cannot be signed safely", name)
	case errors.Is(err, pdf.ErrSigned):
		return info, errs.Wrap(err, errs.Invalid, codeSignedUpload,
			"document %s is already signed; a new signature would make its signatures fail validation", name)
	case errors.Is(err, pdf.ErrDynamicXFA):
		return info, errs.Wrap(err, errs.Invalid, codeDynamicXFA,
			"document %s is a dynamic XFA form, whose pages only XFA software can show; upload it as a flat PDF", name)
	}
	return info, errs.Wrap(err, errs.Invalid, CodeInvalidPDF, "document %s is not a readable PDF", name)
}

// Unsignable reports whether err, from Engine.Sign (or prepare), says that
// a job can never be signed: they return errs.Invalid only for what is in
// the job's documents or the job itself, which no retry changes.
func Unsignable(err error) bool {
	return errs.Is(err, errs.Invalid)
}
