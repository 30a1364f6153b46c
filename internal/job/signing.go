package job

import (
	"time"

	"github.com/segl/segl/internal/errs"
)

// Turn reports whether signer s may act now: the job is active and not
// expired, the signer has not finished, and with sequential order every
// signer of a lower order has signed (MISSION S5; equal order signs in
// parallel).
func (j *Job) Turn(s *Signer, now time.Time) error {
	switch {
	case j.Status != StatusActive:
		return errs.E(errs.Conflict, CodeJobNotActive, "the job is %s", j.Status)
	case !now.Before(j.ExpiresAt):
		return errs.E(errs.Conflict, CodeJobExpired, "the job expired at %s", j.ExpiresAt.Format(time.RFC3339))
	case s.Status.Final():
		return errs.E(errs.Conflict, CodeSignerDone, "this signer has already %s", s.Status)
	}
	for _, other := range j.Signers {
		if other.Order < s.Order && other.Status != SignerSigned {
			return errs.E(errs.Conflict, CodeNotYourTurn, "earlier signers have not signed yet")
		}
	}
	return nil
}

// SignBy records that signer id signed, with the facts the audit log keeps
// (document hashes, eID, level of assurance). After the last signer the job
// is signed (event "job.signed"): it completes only when the long-term
// revisions exist (Complete), which happens in the background.
func (j *Job) SignBy(id, actor string, now time.Time, details map[string]any) ([]Event, error) {
	s, ok := j.Signer(id)
	if !ok {
		return nil, errs.E(errs.NotFound, CodeSignerNotFound, "no signer %s", id)
	}
	if err := j.Turn(s, now); err != nil {
		return nil, err
	}
	ev, err := j.applySigner(s, Sign, actor, now, details)
	if err != nil {
		return nil, err
	}
	events := []Event{ev}
	if j.AllSigned() {
		jev, err := j.apply(Sign, "system", now, nil)
		if err != nil {
			return nil, err
		}
		events = append(events, jev)
	}
	return events, nil
}

// AllSigned reports whether every signer has signed.
func (j *Job) AllSigned() bool {
	for _, s := range j.Signers {
		if s.Status != SignerSigned {
			return false
		}
	}
	return true
}

// RejectBy ends the job for everyone because one signer said no.
func (j *Job) RejectBy(id, actor, reason string, now time.Time) ([]Event, error) {
	s, ok := j.Signer(id)
	if !ok {
		return nil, errs.E(errs.NotFound, CodeSignerNotFound, "no signer %s", id)
	}
	if err := j.Turn(s, now); err != nil {
		return nil, err
	}
	details := map[string]any{}
	if reason != "" {
		details["reason"] = reason
	}
	sev, err := j.applySigner(s, Reject, actor, now, details)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		sev.Written = "reason"
	}
	s.RejectionReason = reason
	jev, err := j.apply(Reject, actor, now, nil)
	if err != nil {
		return nil, err
	}
	// The others are cancelled: the job has ended for them too.
	rest, err := j.endSigners(Cancel, "system", now)
	if err != nil {
		return nil, err
	}
	return append([]Event{sev, jev}, rest...), nil
}

// Complete marks a signed job completed, once its signed documents are
// final (PAdES B-LTA).
func (j *Job) Complete(now time.Time, details map[string]any) ([]Event, error) {
	if !j.AllSigned() {
		return nil, errs.E(errs.Conflict, codeJobNotSigned, "not every signer has signed")
	}
	ev, err := j.apply(Complete, "system", now, details)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

// Notice records how signer id was told that it is their turn, or why they
// were not (MISSION N1): notice is e.g. "email+sms", or a reason such as
// "no-contact". A waiting signer who was reached becomes notified; one
// the contact register reports as reserved becomes reserved. A later
// notice (a reminder) only updates the text. It returns no events when
// the status did not change.
func (j *Job) Notice(id, notice string, reached, reserved bool, now time.Time) ([]Event, error) {
	s, ok := j.Signer(id)
	if !ok {
		return nil, errs.E(errs.NotFound, CodeSignerNotFound, "no signer %s", id)
	}
	if s.Status.Final() {
		return nil, nil
	}
	s.Notice = notice
	if s.Status != SignerWaiting || !reached && !reserved {
		return nil, nil
	}
	a := Notify
	if reserved {
		a = Reserve
	}
	ev, err := j.applySigner(s, a, "system", now, map[string]any{"notice": notice})
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

// SignerLocked is the type of the event that says a signer's link was
// locked (LockOut). The signer's status is then failed: the type tells the
// sender why.
const SignerLocked = "signer.locked"

// LockOut ends the job because signer id can no longer open their link: it
// was locked when the allowance of one-time codes or guesses ran out
// (ceremony.CheckCode), so the signer cannot sign and the job cannot
// complete. As with a rejection, the job ends at once rather than waiting
// for its expiry: the signer fails (event SignerLocked), the job fails, and
// every other unfinished signer is cancelled; the sender hears of it by
// the feed, the callback and the notice of a failed job, and can send a
// new job. A signer or job already finished is left as it is, without
// events.
func (j *Job) LockOut(id string, now time.Time) ([]Event, error) {
	s, ok := j.Signer(id)
	if !ok {
		return nil, errs.E(errs.NotFound, CodeSignerNotFound, "no signer %s", id)
	}
	if s.Status.Final() || j.Status.Final() {
		return nil, nil
	}
	details := map[string]any{"reason": CodeLinkLocked}
	sev, err := j.applySigner(s, Fail, "system", now, details)
	if err != nil {
		return nil, err
	}
	sev.Type = SignerLocked
	jev, err := j.apply(Fail, "system", now, map[string]any{"reason": CodeLinkLocked, "signer": id})
	if err != nil {
		return nil, err
	}
	// The others are cancelled: the job has ended for them too.
	rest, err := j.endSigners(Cancel, "system", now)
	if err != nil {
		return nil, err
	}
	return append([]Event{sev, jev}, rest...), nil
}
