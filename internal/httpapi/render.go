package httpapi

import (
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// renderJob maps the domain job to its wire form. Direct-flow signers get the
// URL the sender redirects them to.
func (a *API) renderJob(j *job.Job) client.Job {
	out := client.Job{
		ID: j.ID, Status: string(j.Status), Flow: string(j.Flow), SignatureType: string(j.SignatureType),
		LevelOfAssurance: string(j.Assurance), Title: j.Title, Description: j.Description, Reference: j.Reference,
		Identifier: string(j.Identifier), Language: j.Language(), CallbackURL: j.CallbackURL,
		Retention: client.Retention{Archive: j.Retention.Archive, Years: j.Retention.Years},
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, ActivatesAt: j.ActivatesAt, ExpiresAt: j.ExpiresAt,
	}
	out.EndedAt, out.DeleteAfter, out.DeletedAt = optTime(j.EndedAt), optTime(j.DeleteAfter()), optTime(j.DeletedAt)
	if j.ExitURLs != (job.ExitURLs{}) {
		out.ExitURLs = &client.ExitURLs{Completion: j.ExitURLs.Completion, Rejection: j.ExitURLs.Rejection, Error: j.ExitURLs.Error}
	}
	combined := j.Combined() != nil
	for _, d := range j.Documents {
		cd := client.Document{ID: d.ID, Title: d.Title, FileName: d.FileName,
			MediaType: d.MediaType, Size: d.Size, SHA256: d.SHA256, Pages: d.Pages}
		if combined {
			cd.Role = string(d.Role)
		}
		out.Documents = append(out.Documents, cd)
	}
	for _, s := range j.Signers {
		cs := client.Signer{ID: s.ID, PID: s.PID, Email: s.Email, Mobile: s.Mobile, Order: s.Order,
			OnBehalfOf: s.OnBehalfOf, Status: string(s.Status), UpdatedAt: s.UpdatedAt, RejectionReason: s.RejectionReason}
		if j.Flow == job.Direct && !s.Status.Final() {
			cs.SigningURL = a.BaseURL + a.Svc.SigningPath(s.ID)
		}
		out.Signers = append(out.Signers, cs)
	}
	return out
}

// optTime is nil for the zero time, which the wire leaves out.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func renderChange(c store.Change) client.Event {
	return client.Event{Seq: c.Seq, JobID: c.JobID, SignerID: c.SignerID, Type: c.Type,
		JobStatus: string(c.JobStatus), SignerStatus: string(c.SignerStatus), At: c.At, RejectionReason: c.RejectionReason}
}
