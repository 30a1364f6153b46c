package postenapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
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
// 204; polling before it is 429 with the time. A job delivered is leased
// for redeliverAfter, so concurrent pollers do not both get it; confirming
// ends the lease and acknowledges the changes that delivery covered.
//
// The queue itself is segl's feed of unacknowledged changes (shared with
// /api/v1/events), filtered to the jobs created here with this polling
// queue: the store passes over the other jobs' changes
// (store.PolledChanges), which /api/v1's reader or another queue's
// poller may never acknowledge, so that any number of them cannot crowd
// out a poll's scan of scanPages pages. The poll times and leases are kept in the store (store.Polls),
// so that every node behind a balancer answers alike: one node's 204 makes
// the others answer 429, and a job leased on one is not delivered by
// another. Only the DoS filter's count of calls is kept per node
// (rateLimit): it guards each node's own capacity, and an organisation
// spreading its calls over n nodes gets at most n times the rate.

const (
	// nextPollHeader is the header both clients read (Java
	// ClientHelper.NEXT_PERMITTED_POLL_TIME_HEADER), ISO 8601 with offset.
	nextPollHeader = "X-Next-permitted-poll-time"
	redeliverAfter = 10 * time.Minute
	blockFor       = 30 * time.Second
	scanPage       = 500
	scanPages      = 20
	// maxQueues bounds the queues of an organisation whose next poll
	// time is kept (Posten recommends one queue per application); beyond
	// it the waits that end first are forgotten (store.Polls.SetNextPoll).
	maxQueues = 100
)

// queueKey names an organisation's queue of a flow in the store: the
// flow and a digest of the name the sender chose, so a key has a fixed
// size whatever the sender sends.
func queueKey(flow job.Flow, name string) string {
	sum := sha256.Sum256([]byte(name))
	return string(flow) + "/" + hex.EncodeToString(sum[:16])
}

// rateLimit is Posten's DoS filter, per node: more than perSecond calls of
// an organisation in one second blocks it for 30 seconds.
type rateLimit struct {
	mu   sync.Mutex
	rate map[string]*window
}

type window struct {
	second  int64
	n       int
	blocked time.Time
}

// allow counts a call of org and reports whether it is blocked.
func (p *rateLimit) allow(org string, now time.Time, perSecond int) (blocked bool) {
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
	// To what the store keeps, so a 429 names the time the 204 did.
	now := a.Svc.Clock.Now().UTC().Truncate(time.Microsecond)
	queue := pollingQueue(r.URL.RawQuery)
	key := queueKey(flow, queue)
	next, err := a.Polls.NextPoll(r.Context(), c.Org, key)
	if err != nil {
		return err
	}
	if now.Before(next) {
		w.Header().Set(nextPollHeader, next.Format(time.RFC3339Nano))
		writeXML(w, http.StatusTooManyRequests, errorResponse{Code: codeTooEagerPolling, Type: "CLIENT",
			Message: "polled before " + nextPollHeader + "; wait until " + next.Format(time.RFC3339)})
		return nil
	}
	j, err := a.nextChanged(r, c, flow, queue, now)
	if err != nil {
		return err
	}
	if j == nil {
		next := now.Add(a.emptyQueueWait())
		if err := a.Polls.SetNextPoll(r.Context(), c.Org, key, next, now, maxQueues); err != nil {
			return err
		}
		w.Header().Set(nextPollHeader, next.Format(time.RFC3339Nano))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	// After a 200 the next poll may come at once: a wait recorded
	// before has passed, so nothing is written.
	w.Header().Set(nextPollHeader, now.Format(time.RFC3339Nano))
	if flow == job.Direct {
		writeXML(w, http.StatusOK, a.directStatusResponse(j))
	} else {
		writeXML(w, http.StatusOK, a.portalStatusResponse(j))
	}
	return nil
}

// pollingQueue reads the polling_queue parameter of a raw query as both
// clients write it: Java percent-encodes the name (Apache URIBuilder, a
// space as %20 and "+" as %2B), .NET puts it in the URL as it is
// (BaseClient.RelativeUrl), and System.Uri escapes only what may not
// stand in a query, so a "+" arrives as itself. A "+" is therefore a plus,
// not the space form encoding (url.ParseQuery) would make of it, which
// would poll another queue than the job's polling-queue names.
func pollingQueue(rawQuery string) string {
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k != "polling_queue" {
			continue
		}
		if s, err := url.PathUnescape(v); err == nil {
			return s
		}
		return v
	}
	return ""
}

func (a *API) emptyQueueWait() time.Duration {
	if a.EmptyQueueWait == 0 {
		return 10 * time.Minute
	}
	return a.EmptyQueueWait
}

// nextChanged finds the oldest unacknowledged change of a job of this
// flow and queue that no other delivery holds, leases the job, and
// returns it as it is now. The lease notes the sequence number up to which
// its changes are reflected: the job is read after the page of changes,
// and each change is written in the same transaction as the job, so the
// status read covers the whole page.
//
// A job of this flow and queue whose documents were deleted (by the sender
// or by retention) is not delivered: its signers' addresses are gone with
// them, and with them what a status names each signature by, and Posten's
// API no longer shows such a job. Its changes are acknowledged as the scan
// meets them, as a confirmation would, so that they do not pile up ahead of
// the queue's others: every job's documents are deleted in the end.
func (a *API) nextChanged(r *http.Request, c ceremony.Caller, flow job.Flow, queue string, now time.Time) (*job.Job, error) {
	// Jobs held by a delivery are passed over unread.
	held, err := a.Polls.Leased(r.Context(), c.Org, now)
	if err != nil {
		return nil, err
	}
	skip := make(map[string]bool, len(held))
	for _, id := range held {
		skip[id] = true
	}
	gone := map[string]bool{}
	var done []int64 // changes of deleted jobs
	defer func() {
		for len(done) > 0 {
			n := min(len(done), scanPage)
			if _, err := a.Svc.Store.Ack(r.Context(), c.Org, done[:n]); err != nil {
				a.log().Warn("posten api: acknowledging a deleted job's changes", "org", c.Org, "err", err)
				return // the next poll tries again
			}
			done = done[n:]
		}
	}()
	var after int64
	for range scanPages {
		page, err := a.Svc.Store.PolledChanges(r.Context(), c.Org, flow, queue, after, scanPage)
		if err != nil {
			return nil, err
		}
		for _, ch := range page {
			if gone[ch.JobID] {
				done = append(done, ch.Seq)
			}
			if skip[ch.JobID] {
				continue
			}
			skip[ch.JobID] = true
			j, err := a.Svc.Job(r.Context(), c, ch.JobID)
			if errs.Is(err, errs.NotFound) {
				continue // gone since (retention): nothing to report
			}
			if err != nil {
				return nil, err
			}
			if j.Flow != flow || j.Polling == nil || j.Polling.Queue != queue {
				continue
			}
			if j.Deleted() {
				gone[j.ID] = true
				done = append(done, ch.Seq)
				continue
			}
			through := page[len(page)-1].Seq
			leased, err := a.Polls.LeaseDelivery(r.Context(), c.Org, j.ID, through, now, now.Add(redeliverAfter))
			if err != nil {
				return nil, err
			}
			if leased {
				return j, nil
			}
		}
		if len(page) < scanPage {
			break
		}
		after = page[len(page)-1].Seq
	}
	return nil, nil
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

// signerStatusValue maps a signer's status in job j onto the schema's
// open lists of direct and portal signer statuses.
func signerStatusValue(j *job.Job, s *job.Signer) string {
	flow := j.Flow
	switch s.Status {
	case job.SignerSigned:
		return "SIGNED"
	case job.SignerRejected:
		return "REJECTED"
	case job.SignerExpired:
		return "EXPIRED"
	case job.SignerCancelled:
		// CANCELLED is "the job owner cancelled the job" (portal.xsd); a
		// signer whose job ended because another rejected it is
		// NOT_APPLICABLE ("any remaining (previously WAITING) signatures").
		if flow == job.Portal && j.Status == job.StatusCancelled {
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

// smsAsSent is a portal signer's mobile number as the sender wrote it in
// the manifest, which the clients compare with what they sent: kept in
// Ref when segl's E.164 form differs (portalRequest).
func smsAsSent(s *job.Signer) string {
	if s.Ref != "" {
		return s.Ref
	}
	return s.Mobile
}

func since(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// padesURL is given once someone has signed the job's one PAdES
// (padesDocument).
func (a *API) padesURL(j *job.Job) string {
	d := padesDocument(j)
	if d == nil || d.Signed.SHA256 == "" {
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
			Value: signerStatusValue(j, s)})
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
		sig := portalSignature{Status: signerStatus{Since: since(s.UpdatedAt), Value: signerStatusValue(j, s)},
			PID: s.PID}
		if s.PID == "" {
			sig.Identifier = &notificationsOut{}
			if s.Email != "" {
				sig.Identifier.Email = &emailOut{Address: s.Email}
			}
			if s.Mobile != "" {
				sig.Identifier.SMS = &smsOut{Number: smsAsSent(s)}
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
