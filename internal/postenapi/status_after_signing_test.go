package postenapi

import (
	"context"
	"encoding/xml"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// completedAfterRead is a store of one job, signed, that is completed as
// soon as it has first been read: the background completion finishing
// while the status query is under way.
type completedAfterRead struct {
	store.Store // only Job is used
	mu          sync.Mutex
	j           job.Job
	read        chan struct{}
	once        sync.Once
}

func (s *completedAfterRead) Job(ctx context.Context, org, id string) (*job.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.j
	j.Signers = slices.Clone(j.Signers)
	s.once.Do(func() { close(s.read) })
	return &j, nil
}

func (s *completedAfterRead) complete() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.j.Status = job.StatusCompleted
}

// TestDirectStatusAwaitsCompletion: the status query a sender makes when
// the last signer comes back to its completion URL answers
// COMPLETED_SUCCESSFULLY once the background completion (PAdES B-LTA)
// is done, rather than IN_PROGRESS with every signer SIGNED: a Posten
// integration waiting for no callback reads the status then only, and
// would confirm without downloading the final documents.
func TestDirectStatusAwaitsCompletion(t *testing.T) {
	j := exampleJob(job.Direct, job.StatusSigned, []job.SignerRequest{{PID: "12345678910"}}, true)
	st := &completedAfterRead{j: *j, read: make(chan struct{})}
	a := &API{Svc: &ceremony.Service{LinkKey: []byte("test key"), Store: st}, BaseURL: "https://segl.example"}
	go func() {
		<-st.read
		st.complete()
	}()
	token := a.Svc.StatusToken(j.ID, j.Signers[0].ID)
	r := httptest.NewRequest("GET", "/api/123456789/direct/signature-jobs/"+j.ID+"/status?status_query_token="+url.QueryEscape(token), nil)
	r.SetPathValue("job", j.ID)
	w := httptest.NewRecorder()
	if err := a.directStatus(w, r, ceremony.Caller{Org: j.Org}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Status string `xml:"signature-job-status"`
		PAdES  string `xml:"pades-url"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "COMPLETED_SUCCESSFULLY" || got.PAdES == "" {
		t.Fatalf("answered %+v\n%s", got, w.Body.Bytes())
	}
}
