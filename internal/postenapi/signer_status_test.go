package postenapi

import (
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
)

// TestSignerStatusWhenTheJobEnds: the signers a job's end leaves behind
// get the status Posten gives them. portal.xsd's CANCELLED is "the job
// owner cancelled the job"; when a signer rejects, "any remaining
// (previously WAITING) signatures are marked as NOT_APPLICABLE", in both
// flows. A portal integration told CANCELLED would believe the sender
// cancelled.
func TestSignerStatusWhenTheJobEnds(t *testing.T) {
	a := &API{BaseURL: "https://segl.example"}
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	signers := []job.SignerRequest{{PID: "12345678910"}, {PID: "10987654321"}}
	for _, tc := range []struct {
		name     string
		flow     job.Flow
		end      func(j *job.Job) ([]job.Event, error)
		job      string
		statuses [2]string
	}{
		{"portal/rejected", job.Portal, func(j *job.Job) ([]job.Event, error) { return j.RejectBy(j.Signers[0].ID, "person", "", now) },
			"FAILED", [2]string{"REJECTED", "NOT_APPLICABLE"}},
		{"portal/cancelled", job.Portal, func(j *job.Job) ([]job.Event, error) { return j.Cancel("sender", now) },
			"FAILED", [2]string{"CANCELLED", "CANCELLED"}},
		{"portal/expired", job.Portal, func(j *job.Job) ([]job.Event, error) { return j.Expire(j.ExpiresAt) },
			"FAILED", [2]string{"EXPIRED", "EXPIRED"}},
		{"direct/rejected", job.Direct, func(j *job.Job) ([]job.Event, error) { return j.RejectBy(j.Signers[0].ID, "person", "", now) },
			"FAILED", [2]string{"REJECTED", "NOT_APPLICABLE"}},
		{"direct/cancelled", job.Direct, func(j *job.Job) ([]job.Event, error) { return j.Cancel("sender", now) },
			"FAILED", [2]string{"NOT_APPLICABLE", "NOT_APPLICABLE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := exampleJob(tc.flow, job.StatusActive, signers, false)
			j.ExpiresAt = now.Add(time.Hour)
			if _, err := tc.end(j); err != nil {
				t.Fatal(err)
			}
			var status string
			var got [2]string
			if tc.flow == job.Portal {
				r := a.portalStatusResponse(j)
				status = r.Status
				for i, s := range r.Signatures.Signature {
					got[i] = s.Status.Value
				}
			} else {
				r := a.directStatusResponse(j)
				status = r.Status
				for i, s := range r.Signers {
					got[i] = s.Value
				}
			}
			if status != tc.job || got != tc.statuses {
				t.Fatalf("job %s, signers %v; want %s, %v", status, got, tc.job, tc.statuses)
			}
		})
	}
}
