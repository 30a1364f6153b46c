package server_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// actSaveRefused is a store that refuses the first save of a signing
// act's result, as Boulder's test makes a database trigger refuse one
// INSERT after signing.
type actSaveRefused struct {
	store.Store
	once sync.Once
}

var errTrigger = errors.New("trigger: insert refused")

func (f *actSaveRefused) SaveJob(ctx context.Context, j *job.Job, events []job.Event) error {
	for _, ev := range events {
		refuse := false
		if ev.Type == "signer.signed" {
			f.once.Do(func() { refuse = true })
		}
		if refuse {
			return errTrigger
		}
	}
	return f.Store.SaveJob(ctx, j, events)
}

// TestActLostAfterSigning: the store refuses to record a signing act after
// its signatures were made and stored. The act is not acknowledged, the
// job keeps the intent recorded before the key was used and nothing of the
// act (the signer and documents are as before it), the blobs the act
// stored are deleted by the blob sweep once their grace has passed, and
// the signer signs again, the job completing as any other.
func TestActLostAfterSigning(t *testing.T) {
	t.Parallel()
	clk := &movableClock{}
	e := newEnvOnClock(t, clk)
	ctx := context.Background()
	c := e.client(orgA)
	req := directRequest()
	req.Signers = req.Signers[:1]
	j := e.mustCreate(c, req)
	svc := *e.srv.Svc
	svc.Store = &actSaveRefused{Store: e.srv.Store}
	if _, err := svc.Sign(ctx, j.Signers[0].ID, ola); !errors.Is(err, errTrigger) {
		t.Fatalf("sign: %v, want the refused save", err)
	}
	got, err := e.srv.Store.Job(ctx, orgA, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != job.StatusActive || got.Signers[0].Status == job.SignerSigned || got.Documents[0].Signed.SHA256 != "" {
		t.Fatalf("after the refused save: job %s, signer %s, revision %q", got.Status, got.Signers[0].Status, got.Documents[0].Signed.SHA256)
	}
	intents := 0
	changes, err := e.srv.Store.ChangesAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		if ch.JobID == j.ID && ch.Type == "signer.signing" {
			intents++
		}
	}
	if intents != 1 {
		t.Fatalf("%d signing intents recorded, want the one before the key was used", intents)
	}

	clk.moveTo(time.Now().Add(25 * time.Hour)) // past the blob grace
	swept, err := e.srv.Svc.SweepBlobs(ctx)
	if err != nil || swept == 0 {
		t.Fatalf("blob sweep: %d, %v; the act's blobs stay for ever", swept, err)
	}

	if _, err := e.srv.Svc.Sign(ctx, j.Signers[0].ID, ola); err != nil {
		t.Fatalf("signing again: %v", err)
	}
	if done := e.completed(c, j.ID); done.Status != client.JobCompleted {
		t.Fatalf("job %s", done.Status)
	}
}
