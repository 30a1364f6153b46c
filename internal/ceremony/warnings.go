package ceremony

import "github.com/segl/segl/internal/job"

// Warning tells the sender what segl removes from an accepted document
// before it is signed: a pdf.Finding, named by the job's document id.
type Warning struct {
	Document string // job.Document.ID
	Code     string // a pdf.Finding* code
	Detail   string
}

// Warnings reports what normalisation will remove from the job's PDFs, from
// what CreateJob's check found in the uploads it was given. CreateJob checks
// the uploads before an idempotent replay too, so a replay answers the same
// warnings as the request that created the job. Documents are matched by
// content, which also decides the findings.
func Warnings(j *job.Job, uploads []Upload) []Warning {
	var out []Warning
	for _, d := range j.Documents {
		for _, u := range uploads {
			if u.Ref.Key != d.SHA256 || u.staged == nil {
				continue
			}
			for _, f := range u.staged.findings {
				out = append(out, Warning{Document: d.ID, Code: f.Code, Detail: f.Detail})
			}
			break
		}
	}
	return out
}
