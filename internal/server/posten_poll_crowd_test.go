package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/segl/segl/internal/job"
)

// TestPostenPollNotCrowdedOut: changes no poll delivers (a /api/v1 job's,
// whose feed reader never acknowledges them) do not hide a Posten job
// from its queue's poll, however many there are. A poll reads a bounded
// number of changes, and it read every change of the organisation: after
// ten thousand of another API's, it answered 204 for good.
func TestPostenPollNotCrowdedOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	other := e.mustCreate(e.client(orgA), directRequest())
	j, err := e.srv.Store.Job(ctx, orgA, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Straight into the store, in one transaction: ten thousand API calls
	// would take minutes.
	events := make([]job.Event, 10_001)
	for i := range events {
		events[i] = job.Event{Type: "job.deletion-due", JobID: j.ID, JobStatus: j.Status, Actor: "segl", At: j.UpdatedAt}
	}
	if err := e.srv.Store.SaveJob(ctx, j, events); err != nil {
		t.Fatal(err)
	}

	p := e.posten(t, orgA, javaStyle)
	p.create("portal", portalJobXML("saksbehandling"), p.bundle(portalManifestXML(orgA, "Husleie"), postenDocs())).
		want(t, http.StatusOK)
	var st struct {
		Status string `xml:"status"`
	}
	p.poll("portal", "saksbehandling").want(t, http.StatusOK).decode(t, &st)
	if st.Status != "IN_PROGRESS" {
		t.Fatalf("polled status %q, want the new job IN_PROGRESS", st.Status)
	}
}
