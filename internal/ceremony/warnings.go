package ceremony

import (
	"context"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pdf"
)

// Warning tells the sender what segl removes from an accepted document
// before it is signed: a pdf.Finding, named by the job's document id.
type Warning struct {
	Document string // job.Document.ID
	Code     string // a pdf.Finding* code
	Detail   string
}

// Warnings reports what normalisation will remove from the job's uploaded
// PDFs. It reads the stored originals again rather than remembering what
// CreateJob saw, so an idempotent replay of the request answers the same
// warnings as the request that created the job, and nothing about them
// needs to be stored.
func (s *Service) Warnings(ctx context.Context, j *job.Job) ([]Warning, error) {
	var out []Warning
	for _, d := range j.Documents {
		if d.MediaType != MediaPDF {
			continue
		}
		o, err := s.Blobs.Open(ctx, d.SHA256)
		if err != nil {
			return nil, err
		}
		info, err := pdf.Check(o, o.Size())
		o.Close()
		if err != nil {
			return nil, err
		}
		for _, f := range info.Findings {
			out = append(out, Warning{Document: d.ID, Code: f.Code, Detail: f.Detail})
		}
	}
	return out, nil
}
