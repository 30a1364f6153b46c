package server_test

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/store"
)

// jobReads counts the reads of whole jobs (Job, SignerJob) from the real
// store it wraps.
type jobReads struct {
	store.Store
	n atomic.Int64
}

func (r *jobReads) Job(ctx context.Context, org, id string) (*job.Job, error) {
	r.n.Add(1)
	return r.Store.Job(ctx, org, id)
}

func (r *jobReads) SignerJob(ctx context.Context, signerID string) (*job.Job, error) {
	r.n.Add(1)
	return r.Store.SignerJob(ctx, signerID)
}

// TestSigningActReadsTheJobOnce: the signer's page reads the job once
// (ForSigner) and the act signs on that read (SignRead) without reading it
// again, as web's sign handler does; the act's result is the job the store
// then holds.
func TestSigningActReadsTheJobOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	req := directRequest()
	req.Signers = req.Signers[:1]
	j := e.mustCreate(e.client(orgA), req)
	svc := *e.srv.Svc
	reads := &jobReads{Store: e.srv.Store}
	svc.Store = reads

	read, _, err := svc.ForSigner(ctx, j.Signers[0].ID, ola)
	if err != nil {
		t.Fatal(err)
	}
	if n := reads.n.Load(); n != 1 {
		t.Fatalf("the signer's job took %d reads, want 1", n)
	}
	before := *read
	done, err := svc.SignRead(ctx, read, j.Signers[0].ID, ola)
	if err != nil {
		t.Fatal(err)
	}
	if n := reads.n.Load(); n != 1 {
		t.Fatalf("the act read the job %d more times, want none", n-1)
	}
	if done.Status != job.StatusSigned || read.Version != before.Version || read.Signers[0].Status == job.SignerSigned {
		t.Fatalf("after the act: %s; the caller's read changed: version %d → %d, signer %s",
			done.Status, before.Version, read.Version, read.Signers[0].Status)
	}
	stored, err := e.srv.Store.Job(ctx, orgA, j.ID)
	if err != nil || stored.Version != done.Version || stored.Signers[0].Status != job.SignerSigned {
		t.Fatalf("stored after the act: %v %+v", err, stored)
	}
}

// TestSigningActOnAStaleRead: a read of the job that another change has
// overtaken by the time the act starts is caught by the store's
// compare-and-swap, as a job read inside the act would be: a job
// cancelled meanwhile is not signed, and a parallel signer's act saved
// meanwhile is signed on top of, never over.
func TestSigningActOnAStaleRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	svc := e.srv.Svc

	t.Run("cancelled", func(t *testing.T) {
		j := e.mustCreate(c, directRequest())
		stale, _, err := svc.ForSigner(ctx, j.Signers[0].ID, ola)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CancelJob(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SignRead(ctx, stale, j.Signers[0].ID, ola); errCode(err) != job.CodeJobNotActive {
			t.Fatalf("signing a cancelled job on a stale read: %v, want %s", err, job.CodeJobNotActive)
		}
		got, err := e.srv.Store.Job(ctx, orgA, j.ID)
		if err != nil || got.Status != job.StatusCancelled || got.Documents[0].Signed.SHA256 != "" {
			t.Fatalf("after the refused act: %v %+v", err, got)
		}
	})

	t.Run("parallel signer", func(t *testing.T) {
		req := directRequest()
		req.Signers[1].Order = req.Signers[0].Order // both may sign now
		j := e.mustCreate(c, req)
		stale, _, err := svc.ForSigner(ctx, j.Signers[1].ID, kari)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sign(ctx, j.Signers[0].ID, ola); err != nil {
			t.Fatal(err)
		}
		done, err := svc.SignRead(ctx, stale, j.Signers[1].ID, kari)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != job.StatusSigned || done.Signers[0].Status != job.SignerSigned {
			t.Fatalf("after both acts: %s, first signer %s", done.Status, done.Signers[0].Status)
		}
		if n := signaturesIn(t, e, j.Signers[1].ID, j.Documents[0].ID); n != 2 {
			t.Fatalf("the last revision has %d signatures, want 2: the second act signed over the first", n)
		}
	})
}

// signaturesIn counts the signatures in the newest revision of a
// document as its signer reads it (Kari's here).
func signaturesIn(t *testing.T, e *env, signerID, docID string) int {
	t.Helper()
	_, o, err := e.srv.Svc.SignerDocument(context.Background(), signerID, docID, kari)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	file, err := io.ReadAll(io.NewSectionReader(o, 0, o.Size()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := r.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	return len(sigs)
}
