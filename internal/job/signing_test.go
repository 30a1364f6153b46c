package job

import (
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
)

func sequentialJob() *Job {
	return &Job{ID: "j", Status: StatusActive, ExpiresAt: now.Add(time.Hour), Signers: []Signer{
		{ID: "a", Order: 1, Status: SignerWaiting}, {ID: "b", Order: 2, Status: SignerWaiting},
		{ID: "c", Order: 2, Status: SignerNotified},
	}}
}

func code(err error) string {
	if e := errs.From(err); e != nil {
		return e.Code
	}
	return ""
}

func TestTurnsAndCompletion(t *testing.T) {
	j := sequentialJob()
	if _, err := j.SignBy("b", "pid:2", now, nil); code(err) != "not-your-turn" {
		t.Fatalf("b before a: %v", err)
	}
	if _, err := j.SignBy("a", "pid:1", now, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := j.SignBy("a", "pid:1", now, nil); code(err) != "signer-done" {
		t.Fatalf("a twice: %v", err)
	}
	// b and c share order 2: parallel.
	if _, err := j.SignBy("c", "pid:3", now, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Complete(now, nil); code(err) != "job-not-signed" {
		t.Fatalf("complete early: %v", err)
	}
	if _, err := j.SignBy("b", "pid:2", now, nil); err != nil {
		t.Fatal(err)
	}
	if !j.AllSigned() || j.Status != StatusSigned {
		t.Fatalf("after all signed: %s", j.Status)
	}
	if _, err := j.Complete(now, nil); err != nil || j.Status != StatusCompleted {
		t.Fatalf("complete: %v %s", err, j.Status)
	}
}

func TestRejectEndsJobForEveryone(t *testing.T) {
	j := sequentialJob()
	j.SignBy("a", "pid:1", now, nil)
	events, err := j.RejectBy("b", "pid:2", "wrong salary", now)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusRejected || j.Signers[1].Status != SignerRejected || j.Signers[2].Status != SignerCancelled ||
		j.Signers[0].Status != SignerSigned {
		t.Fatalf("after reject: %s %v", j.Status, j.Signers)
	}
	if j.Signers[1].RejectionReason != "wrong salary" || j.Signers[2].RejectionReason != "" {
		t.Fatalf("rejection reasons %q, %q", j.Signers[1].RejectionReason, j.Signers[2].RejectionReason)
	}
	if len(events) != 3 || events[0].Details["reason"] != "wrong salary" {
		t.Fatalf("events %+v", events)
	}
	if _, err := j.SignBy("c", "pid:3", now, nil); code(err) != "job-not-active" {
		t.Fatalf("sign after reject: %v", err)
	}
}

func TestTurnAfterExpiry(t *testing.T) {
	j := sequentialJob()
	if err := j.Turn(&j.Signers[0], j.ExpiresAt); code(err) != "job-expired" {
		t.Fatalf("at expiry: %v", err)
	}
}

// TestLockOutFailsJob: a locked link fails its signer, whose turn need not
// have come, and the job, and cancels the others; the sender's events say
// why. A second lock, or a lock after the job ended, changes nothing.
func TestLockOutFailsJob(t *testing.T) {
	j := sequentialJob()
	j.SignBy("a", "pid:1", now, nil)
	events, err := j.LockOut("b", now)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusFailed || j.Signers[1].Status != SignerFailed || j.Signers[2].Status != SignerCancelled ||
		j.Signers[0].Status != SignerSigned {
		t.Fatalf("after lock-out: %s %v", j.Status, j.Signers)
	}
	if len(events) != 3 || events[0].Type != SignerLocked || events[0].SignerStatus != SignerFailed ||
		events[1].Type != "job.failed" || events[1].Details["signer"] != "b" || events[2].Type != "signer.cancelled" {
		t.Fatalf("events %+v", events)
	}
	if events, err := j.LockOut("b", now); err != nil || events != nil {
		t.Fatalf("second lock-out: %v %v", events, err)
	}
	done := sequentialJob()
	done.Cancel("cert:1", now)
	if events, err := done.LockOut("a", now); err != nil || events != nil || done.Signers[0].Status != SignerCancelled {
		t.Fatalf("lock-out after cancel: %v %v %s", events, err, done.Signers[0].Status)
	}
}
