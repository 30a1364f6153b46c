package job

import (
	"fmt"
	"time"

	"github.com/segl/segl/internal/errs"
)

// Status is a job's state: created → active → signed → completed, or from
// created or active to rejected | expired | cancelled | failed. A job is
// created inactive when it has a later activation time. A job is signed
// when its last signer has signed, and completed once its documents' long-
// term (B-LTA) revisions are made and stored, in the background
// (ceremony.Complete): only then are the final documents downloadable.
type Status string

const (
	StatusCreated   Status = "created"
	StatusActive    Status = "active"
	StatusSigned    Status = "signed"
	StatusCompleted Status = "completed"
	StatusRejected  Status = "rejected"
	StatusExpired   Status = "expired"
	StatusCancelled Status = "cancelled"
	StatusFailed    Status = "failed"
)

// SignerStatus is one signer's state: waiting → notified → signed | rejected
// | expired | cancelled | failed, plus reserved when the contact register says
// the person opted out of digital contact.
type SignerStatus string

const (
	SignerWaiting   SignerStatus = "waiting"
	SignerNotified  SignerStatus = "notified"
	SignerReserved  SignerStatus = "reserved"
	SignerSigned    SignerStatus = "signed"
	SignerRejected  SignerStatus = "rejected"
	SignerExpired   SignerStatus = "expired"
	SignerCancelled SignerStatus = "cancelled"
	SignerFailed    SignerStatus = "failed"
)

// Action is something that happens to a job or a signer.
type Action string

const (
	Activate Action = "activate"
	Notify   Action = "notify"
	Reserve  Action = "reserve"
	Sign     Action = "sign"
	Complete Action = "complete"
	Reject   Action = "reject"
	Expire   Action = "expire"
	Cancel   Action = "cancel"
	Fail     Action = "fail"
)

var jobTransitions = map[Status]map[Action]Status{
	StatusCreated: {Activate: StatusActive, Cancel: StatusCancelled, Expire: StatusExpired, Fail: StatusFailed},
	StatusActive: {Sign: StatusSigned, Reject: StatusRejected, Expire: StatusExpired,
		Cancel: StatusCancelled, Fail: StatusFailed},
	// Every signer has signed: nothing but completion can follow, which
	// the durable queue retries until it succeeds.
	StatusSigned: {Complete: StatusCompleted},
}

var signerTransitions = map[SignerStatus]map[Action]SignerStatus{
	SignerWaiting: {Notify: SignerNotified, Reserve: SignerReserved, Sign: SignerSigned, Reject: SignerRejected,
		Expire: SignerExpired, Cancel: SignerCancelled, Fail: SignerFailed},
	SignerNotified: {Sign: SignerSigned, Reject: SignerRejected, Expire: SignerExpired,
		Cancel: SignerCancelled, Fail: SignerFailed},
	SignerReserved: {Sign: SignerSigned, Reject: SignerRejected, Expire: SignerExpired,
		Cancel: SignerCancelled, Fail: SignerFailed},
}

// Next is the job state machine: the status after a, or a Conflict error when
// a is not allowed in s.
func (s Status) Next(a Action) (Status, error) {
	if next, ok := jobTransitions[s][a]; ok {
		return next, nil
	}
	return s, errs.E(errs.Conflict, codeJobState, "a %s job cannot %s", s, a)
}

// Final reports whether no action can change s any more.
func (s Status) Final() bool { return len(jobTransitions[s]) == 0 }

// Allows reports whether a is allowed in s, for offering it (a cancel
// button, a cancellation URL) only where Next would accept it.
func (s Status) Allows(a Action) bool {
	_, ok := jobTransitions[s][a]
	return ok
}

// Next is the signer state machine.
func (s SignerStatus) Next(a Action) (SignerStatus, error) {
	if next, ok := signerTransitions[s][a]; ok {
		return next, nil
	}
	return s, errs.E(errs.Conflict, codeSignerState, "a %s signer cannot %s", s, a)
}

// Final reports whether no action can change s any more.
func (s SignerStatus) Final() bool { return len(signerTransitions[s]) == 0 }

// Event records one change for the audit log and the sender's status feed.
type Event struct {
	Type         string // "job.created", "job.cancelled", "signer.cancelled", …
	JobID        string
	SignerID     string // empty for job-level events
	JobStatus    Status
	SignerStatus SignerStatus // for signer events
	Actor        string
	At           time.Time
	Details      map[string]any // extra facts for the audit log, e.g. document hashes
	// Written names the member of Details that holds what a person wrote
	// (a rejecting signer's reason): the audit log, which is never
	// edited, keeps it only as a keyed hash that the job's deletion makes
	// meaningless (store.AuditDetails).
	Written string
}

// apply moves the job by a and records the event.
func (j *Job) apply(a Action, actor string, now time.Time, details map[string]any) (Event, error) {
	next, err := j.Status.Next(a)
	if err != nil {
		return Event{}, err
	}
	j.Status = next
	j.UpdatedAt = now
	if next.Final() {
		j.EndedAt = now
	}
	return Event{Type: "job." + string(next), JobID: j.ID, JobStatus: next, Actor: actor, At: now, Details: details}, nil
}

// applySigner moves one signer by a and records the event.
func (j *Job) applySigner(s *Signer, a Action, actor string, now time.Time, details map[string]any) (Event, error) {
	next, err := s.Status.Next(a)
	if err != nil {
		return Event{}, err
	}
	s.Status = next
	s.UpdatedAt = now
	j.UpdatedAt = now
	return Event{Type: "signer." + string(next), JobID: j.ID, SignerID: s.ID, JobStatus: j.Status,
		SignerStatus: next, Actor: actor, At: now, Details: details}, nil
}

// Cancel ends the job for everyone on the sender's request.
func (j *Job) Cancel(actor string, now time.Time) ([]Event, error) {
	return j.end(Cancel, actor, now, nil)
}

// Fail ends a job that can never complete, for everyone, so that its
// sender hears of it now (the job.failed event and what follows it)
// rather than at expiry. reason is the stable code of why, for example
// "signed-upload"; it is recorded with the event.
func (j *Job) Fail(reason string, now time.Time) ([]Event, error) {
	return j.end(Fail, "system", now, map[string]any{"reason": reason})
}

// Expire ends a job that was not finished before its expiry time.
func (j *Job) Expire(now time.Time) ([]Event, error) {
	if now.Before(j.ExpiresAt) {
		return nil, errs.E(errs.Conflict, codeJobNotExpired, "job expires at %s", j.ExpiresAt.Format(time.RFC3339))
	}
	return j.end(Expire, "system", now, nil)
}

// end moves the job to a final state and every unfinished signer with it;
// details go with the job's event.
func (j *Job) end(a Action, actor string, now time.Time, details map[string]any) ([]Event, error) {
	ev, err := j.apply(a, actor, now, details)
	if err != nil {
		return nil, err
	}
	rest, err := j.endSigners(a, actor, now)
	if err != nil {
		return nil, err
	}
	return append([]Event{ev}, rest...), nil
}

// endSigners applies a to every signer not yet finished and returns their
// events: when a job ends, whoever had not signed or rejected ends with it.
func (j *Job) endSigners(a Action, actor string, now time.Time) ([]Event, error) {
	var events []Event
	for i := range j.Signers {
		s := &j.Signers[i]
		if s.Status.Final() {
			continue
		}
		sev, err := j.applySigner(s, a, actor, now, nil)
		if err != nil {
			return nil, fmt.Errorf("job: signer %s: %w", s.ID, err)
		}
		events = append(events, sev)
	}
	return events, nil
}

// Activate opens a created job for signing once its activation time has come.
func (j *Job) Activate(now time.Time) ([]Event, error) {
	if now.Before(j.ActivatesAt) {
		return nil, errs.E(errs.Conflict, codeJobNotDue, "job activates at %s", j.ActivatesAt.Format(time.RFC3339))
	}
	ev, err := j.apply(Activate, "system", now, nil)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}
