package ceremony

import (
	"context"
	"io"

	"github.com/segl/segl/internal/errs"
)

// PutDocument streams one uploaded document into the blob store, at most
// Limits.MaxDocumentBytes of it, and returns it as an Upload for CreateJob.
// Both edges (the API's multipart parts, the portal's form files) store
// documents this way, so the limit and its error are the same everywhere.
// Content is checked later, by CreateJob, reading the stored blob back.
//
// Over the limit it returns a TooLarge error with code
// "document-too-large" and Field set to part; a failure to read body comes
// back as the blob store reports it, for the caller to tell its client's
// fault from its own.
func (s *Service) PutDocument(ctx context.Context, part, fileName, contentType string, body io.Reader) (Upload, error) {
	ref, err := s.Blobs.Put(ctx, body, s.Limits.MaxDocumentBytes)
	if errs.Is(err, errs.TooLarge) {
		e := errs.E(errs.TooLarge, "document-too-large", "documents may be at most %d bytes", s.Limits.MaxDocumentBytes)
		e.Field = part
		return Upload{}, e
	}
	if err != nil {
		return Upload{}, err
	}
	return Upload{Part: part, FileName: fileName, ContentType: contentType, Ref: ref}, nil
}
