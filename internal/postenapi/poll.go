package postenapi

import (
	"net/http"
	"sync"
	"time"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
)

// Polling (F3, F4; Posten's portal-flow documentation): one GET returns
// the current status of one job of the queue that has unconfirmed changes
// (200), or 204 when there is none. Every answer carries
// X-Next-permitted-poll-time: now after a 200, EmptyQueueWait later after a
// 204; polling before it is 429 with the time. A job delivered is not
// delivered again for redeliverAfter unless it changes, so concurrent
// pollers do not both get it; confirming acknowledges the changes that
// delivery covered.
//
// The queue itself is segl's feed of unacknowledged changes (shared with
// /api/v1/events), filtered to the jobs created here with this polling
// queue. The poll times, leases and the rate limit are kept in this
// process: on several nodes behind a balancer each node keeps its own,
// which can only make a sender wait less or see a job twice, both of which
// the clients tolerate.

const (
	// nextPollHeader is the header both clients read (Java
	// ClientHelper.NEXT_PERMITTED_POLL_TIME_HEADER), ISO 8601 with offset.
	nextPollHeader = "X-Next-permitted-poll-time"
	redeliverAfter = 10 * time.Minute
	blockFor       = 30 * time.Second
	scanPage       = 500
	scanPages      = 20
)

type pollState struct {
	mu     sync.Mutex
	next   map[queueKey]time.Time
	leases map[jobKey]lease
	rate   map[string]*window
}

type queueKey struct{ org, queue string }
type jobKey struct{ org, job string }

// lease is one delivery of a job: until when it is hidden from other
// polls, and the last change sequence number the delivered status covers.
type lease struct {
	until   time.Time
	through int64
}

type window struct {
	second  int64
	n       int
	blocked time.Time
}

// allow counts a call of org and reports whether it is blocked: more than
// perSecond calls in one second blocks the organisation for 30 seconds.
func (p *pollState) allow(org string, now time.Time, perSecond int) (blocked bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rate == nil {
		p.rate = map[string]*window{}
	}
	w := p.rate[org]
	if w == nil {
		if len(p.rate) > 100_000 { // forget idle organisations rather than grow
			clear(p.rate)
		}
		w = &window{}
		p.rate[org] = w
	}
	if now.Before(w.blocked) {
		return true
	}
	if s := now.Unix(); s != w.second {
		w.second, w.n = s, 0
	}
	w.n++
	if w.n > perSecond {
		w.blocked = now.Add(blockFor)
		return true
	}
	return false
}

// mayPoll reports when the queue may next be polled, and whether now is
// that time or later.
func (p *pollState) mayPoll(k queueKey, now time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	next := p.next[k]
	return next, !now.Before(next)
}

func (p *pollState) setNext(k queueKey, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == nil {
		p.next = map[queueKey]time.Time{}
	}
	p.next[k] = t
}

// leased reports whether a job is hidden by an earlier delivery.
func (p *pollState) leased(k jobKey, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.leases[k]
	return ok && now.Before(l.until)
}

func (p *pollState) lease(k jobKey, l lease) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.leases == nil {
		p.leases = map[jobKey]lease{}
	}
	if len(p.leases) > 100_000 {
		for key, old := range p.leases {
			if l.until.Sub(old.until) > redeliverAfter {
				delete(p.leases, key)
			}
		}
	}
	p.leases[k] = l
}

// release ends a job's lease and returns the sequence number its delivery
// covered (0 when there was none: confirm then covers every change).
func (p *pollState) release(org, jobID string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := jobKey{org, jobID}
	l := p.leases[k]
	delete(p.leases, k)
	return l.through
}

func (a *API) pollDirect(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	return a.poll(w, r, c, job.Direct)
}

func (a *API) pollPortal(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	return a.poll(w, r, c, job.Portal)
}

// poll answers F3/F4. The queue is the polling_queue parameter; missing,
// empty and valueless (the Java client's bare "?polling_queue") all mean
// the default queue.
func (a *API) poll(w http.ResponseWriter, r *http.Request, c ceremony.Caller, flow job.Flow) error {
	now := a.Svc.Clock.Now()
	k := queueKey{c.Org + "/" + string(flow), r.URL.Query().Get("polling_queue")}
	if next, ok := a.polls.mayPoll(k, now); !ok {
		w.Header().Set(nextPollHeader, next.Format(time.RFC3339Nano))
		writeXML(w, http.StatusTooManyRequests, errorResponse{Code: "TOO_EAGER_POLLING", Type: "CLIENT",
			Message: "polled before " + nextPollHeader + "; wait until " + next.Format(time.RFC3339)})
		return nil
	}
	j, through, err := a.nextChanged(r, c, flow, k.queue, now)
	if err != nil {
		return err
	}
	if j == nil {
		next := now.Add(a.emptyQueueWait())
		a.polls.setNext(k, next)
		w.Header().Set(nextPollHeader, next.Format(time.RFC3339Nano))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	a.polls.lease(jobKey{c.Org, j.ID}, lease{until: now.Add(redeliverAfter), through: through})
	a.polls.setNext(k, now)
	w.Header().Set(nextPollHeader, now.Format(time.RFC3339Nano))
	if flow == job.Direct {
		writeXML(w, http.StatusOK, a.directStatusResponse(j))
	} else {
		writeXML(w, http.StatusOK, a.portalStatusResponse(j))
	}
	return nil
}

func (a *API) emptyQueueWait() time.Duration {
	if a.EmptyQueueWait == 0 {
		return 10 * time.Minute
	}
	return a.EmptyQueueWait
}

// nextChanged finds the oldest unacknowledged change of a job of this
// flow and queue that is not leased, and returns the job as it is now
// with the sequence number up to which its changes are reflected: the job
// is read after the page of changes, and each change is written in the
// same transaction as the job, so the status read covers the whole page.
func (a *API) nextChanged(r *http.Request, c ceremony.Caller, flow job.Flow, queue string, now time.Time) (*job.Job, int64, error) {
	skip := map[string]bool{}
	var after int64
	for range scanPages {
		page, err := a.Svc.Changes(r.Context(), c, after, scanPage)
		if err != nil {
			return nil, 0, err
		}
		for _, ch := range page {
			if skip[ch.JobID] {
				continue
			}
			skip[ch.JobID] = true
			if a.polls.leased(jobKey{c.Org, ch.JobID}, now) {
				continue
			}
			j, err := a.Svc.Job(r.Context(), c, ch.JobID)
			if errs.Is(err, errs.NotFound) {
				continue // gone since (retention): nothing to report
			}
			if err != nil {
				return nil, 0, err
			}
			if j.Flow != flow || j.Polling == nil || j.Polling.Queue != queue {
				continue
			}
			return j, page[len(page)-1].Seq, nil
		}
		if len(page) < scanPage {
			break
		}
		after = page[len(page)-1].Seq
	}
	return nil, 0, nil
}

// jobStatus maps segl's job status onto the schema's three, which the
// clients' enums close: no job status may be added.
func jobStatus(s job.Status) string {
	switch s {
	case job.StatusCompleted:
		return "COMPLETED_SUCCESSFULLY"
	case job.StatusRejected, job.StatusExpired, job.StatusCancelled, job.StatusFailed:
		return "FAILED"
	}
	return "IN_PROGRESS"
}

// signerStatusValue maps a signer's status onto the schema's open lists of
// direct and portal signer statuses.
func signerStatusValue(flow job.Flow, s *job.Signer) string {
	switch s.Status {
	case job.SignerSigned:
		return "SIGNED"
	case job.SignerRejected:
		return "REJECTED"
	case job.SignerExpired:
		return "EXPIRED"
	case job.SignerCancelled:
		if flow == job.Portal {
			return "CANCELLED"
		}
		return "NOT_APPLICABLE"
	case job.SignerFailed:
		if flow == job.Direct {
			return "FAILED"
		}
		return "NOT_APPLICABLE"
	case job.SignerReserved:
		if flow == job.Portal {
			return "RESERVED"
		}
	}
	if flow == job.Portal && s.Notice == "no-contact" {
		return "CONTACT_INFORMATION_MISSING"
	}
	return "WAITING"
}

func since(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// padesURL is given for a job of one document once someone has signed it.
func (a *API) padesURL(j *job.Job) string {
	if len(j.Documents) != 1 || j.Documents[0].Signed.SHA256 == "" {
		return ""
	}
	return a.jobURL(j) + "/pades"
}

// deleteURL is given once the job has ended, until its documents are gone.
func (a *API) deleteURL(j *job.Job) string {
	if !j.Status.Final() || !j.DeletedAt.IsZero() {
		return ""
	}
	return a.jobURL(j) + "/documents"
}

func (a *API) directStatusResponse(j *job.Job) directStatusResponse {
	out := directStatusResponse{Reference: j.Reference, ID: jobNumber(j.ID), Status: jobStatus(j.Status),
		ConfirmationURL: a.jobURL(j) + "/complete", PAdESURL: a.padesURL(j), DeleteDocumentsURL: a.deleteURL(j)}
	for i := range j.Signers {
		s := &j.Signers[i]
		// Both clients match xades-url to status by the signer attribute and
		// fail without it.
		out.Signers = append(out.Signers, signerStatus{Signer: signerName(s), Since: since(s.UpdatedAt),
			Value: signerStatusValue(job.Direct, s)})
		if s.Evidence != "" {
			out.XAdESURLs = append(out.XAdESURLs, signerURL{Signer: signerName(s), URL: a.jobURL(j) + "/xades/" + s.ID})
		}
	}
	return out
}

func (a *API) portalStatusResponse(j *job.Job) portalStatusResponse {
	out := portalStatusResponse{Reference: j.Reference, ID: jobNumber(j.ID), Status: jobStatus(j.Status),
		ConfirmationURL: a.jobURL(j) + "/complete", DeleteDocumentsURL: a.deleteURL(j)}
	if j.Status.Allows(job.Cancel) {
		out.CancellationURL = a.jobURL(j) + "/cancel"
	}
	for i := range j.Signers {
		s := &j.Signers[i]
		sig := portalSignature{Status: signerStatus{Since: since(s.UpdatedAt), Value: signerStatusValue(job.Portal, s)},
			PID: s.PID}
		if s.PID == "" {
			sig.Identifier = &notificationsOut{}
			if s.Email != "" {
				sig.Identifier.Email = &emailOut{Address: s.Email}
			}
			if s.Mobile != "" {
				sig.Identifier.SMS = &smsOut{Number: s.Mobile}
			}
		}
		if s.Evidence != "" {
			sig.XAdESURL = a.jobURL(j) + "/xades/" + s.ID
		}
		out.Signatures.Signature = append(out.Signatures.Signature, sig)
	}
	out.Signatures.PAdESURL = a.padesURL(j)
	return out
}
