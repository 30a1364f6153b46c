// Package delivery does what follows a change to a job, in the background
// and never in the way of signing (MISSION N1–N3, I5): it completes signed
// jobs to PAdES B-LTA (ceremony.Service.Complete), tells portal signers that
// it is their turn and reminds them, tells the sender when a job ends,
// forwards the signed result to digital mailboxes, posts signed callbacks,
// and sends one-time codes.
//
// How nothing is lost and nothing is done twice:
//   - The feed table is the outbox. A job's change and its feed entry are
//     written in one transaction, so a change cannot happen without an
//     entry. Pump follows the feed from a cursor kept in the store, queues
//     the tasks each entry calls for on the durable queue (keyed by what
//     they do), then moves the cursor. A crash between the two queues the
//     tasks again, which their keys or the notice record absorb.
//   - Tasks run under a lease (queue.Runner) and are retried with backoff;
//     one that keeps failing ends in the dead letter for an operator.
//   - Every effect on the outside world (an e-mail, an SMS, a mailbox
//     delivery, a callback) is recorded under a key naming it (the notice
//     record, store.Notices) right after it succeeded, and skipped when
//     the record exists. A crash between the effect and the record can
//     repeat that one effect: at least once, never lost.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/mailbox"
	"github.com/segl/segl/internal/notify"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/store"
)

// Task kinds on the queue.
const (
	TaskNotifySigner = "notify-signer" // a request to sign, or a reminder
	TaskNotifySender = "notify-sender" // the job completed or ended otherwise
	TaskMailbox      = "mailbox"       // the signed result to the signers' digital mailboxes
	TaskCallback     = "callback"      // the sender's HMAC-signed callback
)

// Service delivers. Store, Queue, Svc, Clock and BaseURL are required; a
// nil channel (Mail, SMS, Contacts, Mailbox) is simply not used, and the
// notices it would have carried are recorded on the signer as missing.
type Service struct {
	Store    store.Store
	Queue    queue.Queue
	Svc      *ceremony.Service
	Mail     notify.Mailer
	SMS      notify.SMS
	Contacts registry.ContactRegister
	Mailbox  mailbox.Mailbox
	// HTTP posts callbacks; nil means CallbackClient(false): public
	// addresses only.
	HTTP *http.Client
	// BaseURL is segl's public URL, for the links in notices.
	BaseURL string
	// RemindAfter is when an unsigned portal signer is reminded; zero
	// sends no reminders.
	RemindAfter time.Duration
	Clock       clock.Clock
	Log         *slog.Logger
}

// Handlers registers the task handlers on r.
func (d *Service) Handlers(r *queue.Runner) {
	r.Handle(TaskNotifySigner, d.decode(d.notifySigner))
	r.Handle(TaskNotifySender, d.decode(d.notifySender))
	r.Handle(TaskMailbox, d.decode(d.deliverMailbox))
	r.Handle(TaskCallback, d.decode(d.callback))
	r.Handle(ceremony.TaskSendCode, d.decode(d.sendCode))
	r.Handle(ceremony.TaskComplete, d.decode(d.complete))
	r.Handle(ceremony.TaskDeleteJob, d.Svc.DeletionHandler)
}

// complete completes a signed job: the long-term revisions, then
// "job.completed", which queues the sender's notice, the mailbox
// deliveries and the callback like any other change. It is idempotent
// (ceremony.Service.Complete); a failure is retried with backoff and ends
// in the dead letter shown at /admin/tasks, with the job still signed.
func (d *Service) complete(ctx context.Context, t task) error {
	return d.Svc.Complete(ctx, t.Org, t.Job)
}

// task is every task's payload: the job it is about, and what else the
// kind needs.
type task struct {
	Org      string        `json:"org"`
	Job      string        `json:"job"`
	Signer   string        `json:"signer,omitempty"`
	Reminder bool          `json:"reminder,omitempty"`
	Change   *store.Change `json:"change,omitempty"`
}

func (d *Service) decode(h func(context.Context, task) error) queue.Handler {
	return func(ctx context.Context, j queue.Job) error {
		var t task
		if err := json.Unmarshal(j.Payload, &t); err != nil {
			return queue.Permanent(fmt.Errorf("delivery: %s payload: %w", j.Kind, err))
		}
		return h(ctx, t)
	}
}

// enqueue queues a task and returns once it is on the disk.
func (d *Service) enqueue(ctx context.Context, kind, key string, t task, at time.Time) error {
	if err := d.enqueueDeferred(ctx, kind, key, t, at); err != nil {
		return err
	}
	return queue.Sync(d.Queue)
}

// enqueueDeferred is enqueue without the wait for the disk, for the
// Pump, which syncs the queue once for a batch before it moves its cursor
// (queue.Deferred).
func (d *Service) enqueueDeferred(ctx context.Context, kind, key string, t task, at time.Time) error {
	payload, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return queue.EnqueueDeferred(ctx, d.Queue, kind, key, payload, at)
}

// cursorName is the Pump's cursor in the store.
const cursorName = "delivery"

// Pump moves new feed entries onto the queue, every interval, until ctx
// ends; failures are logged once per outage (health.Failing). Several nodes may pump at once: the queue's keys keep an entry from
// being queued twice while it waits.
func (d *Service) Pump(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	pumps := &health.Failing{What: "delivery: pump", Log: d.Log}
	for {
		if _, err := d.PumpOnce(ctx); ctx.Err() == nil {
			pumps.Note(err, d.Clock.Now())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PumpOnce queues the tasks of every feed entry after the cursor and
// returns how many entries it read.
func (d *Service) PumpOnce(ctx context.Context) (int, error) {
	after, err := d.Store.Cursor(ctx, cursorName)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		changes, err := d.Store.ChangesAfter(ctx, after, 500)
		if err != nil || len(changes) == 0 {
			return total, err
		}
		// A job has several entries in a batch (a signing act alone writes
		// two), so read each job once per batch: every read happens after
		// the batch was read, so it shows at least every change in it.
		jobs := make(map[[2]string]*job.Job)
		for _, c := range changes {
			if err := d.route(ctx, c, jobs); err != nil {
				return total, err
			}
		}
		// The batch's tasks are on the disk before the cursor passes the
		// entries that called for them: one fsync for all of them.
		if err := queue.Sync(d.Queue); err != nil {
			return total, err
		}
		after = changes[len(changes)-1].Seq
		if err := d.Store.SetCursor(ctx, cursorName, after); err != nil {
			return total, err
		}
		total += len(changes)
	}
}

// route queues what follows one feed entry, deferred: PumpOnce syncs
// the queue before it moves its cursor. jobs holds the jobs read for the
// entries before it (nil for a job not found).
func (d *Service) route(ctx context.Context, c store.Change, jobs map[[2]string]*job.Job) error {
	key := [2]string{c.Org, c.JobID}
	j, seen := jobs[key]
	if !seen {
		var err error
		j, err = d.Store.Job(ctx, c.Org, c.JobID)
		switch {
		case errs.Is(err, errs.NotFound):
			j = nil
		case err != nil:
			return err
		}
		jobs[key] = j
	}
	if j == nil {
		return nil
	}
	now := d.Clock.Now()
	if j.CallbackURL != "" {
		t := task{Org: j.Org, Job: j.ID, Change: &c}
		if err := d.enqueueDeferred(ctx, TaskCallback, "cb/"+strconv.FormatInt(c.Seq, 10), t, now); err != nil {
			return err
		}
	}
	ref := task{Org: j.Org, Job: j.ID}
	switch c.Type {
	case "job.active", "signer.signed":
		// Somebody's turn may have come.
		if j.Flow != job.Portal {
			return nil
		}
		for i := range j.Signers {
			s := &j.Signers[i]
			if s.Status == job.SignerWaiting && s.Notice == "" && j.Turn(s, now) == nil {
				ref.Signer = s.ID
				if err := d.enqueueDeferred(ctx, TaskNotifySigner, s.ID+"/request", ref, now); err != nil {
					return err
				}
			}
		}
	case "job.signed":
		// The last signer signed: complete the job. The signer's request
		// queued this already, unless it crashed first; the key makes it
		// once while it waits. A job read here as no longer signed was
		// completed (or ended) meanwhile, so a task now would only find
		// that out again: a durable enqueue, a claim and a read wasted.
		if j.Status != job.StatusSigned {
			return nil
		}
		return d.enqueueDeferred(ctx, ceremony.TaskComplete, j.ID, ref, now)
	case "job.completed":
		if err := d.enqueueDeferred(ctx, TaskNotifySender, j.ID, ref, now); err != nil {
			return err
		}
		// One mailbox task for the job, whoever of its signers gets a
		// message (deliverMailbox).
		for i := range j.Signers {
			if forwardsTo(&j.Signers[i]) {
				return d.enqueueDeferred(ctx, TaskMailbox, j.ID, ref, now)
			}
		}
	case "job.rejected", "job.expired", "job.failed":
		return d.enqueueDeferred(ctx, TaskNotifySender, j.ID, ref, now)
	}
	return nil
}

// once runs send unless the notice n was recorded, and records it after.
func (d *Service) once(ctx context.Context, n store.Notice, send func() error) error {
	done, err := d.Store.HasNotice(ctx, n.Key)
	if err != nil || done {
		return err
	}
	if err := send(); err != nil {
		return err
	}
	n.At = d.Clock.Now()
	_, err = d.Store.RecordNotice(ctx, n)
	return err
}

// retryable turns a delivery error into what the queue should do with it:
// a permanent failure goes to the dead letter at once.
func retryable(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, notify.ErrPermanent) {
		return queue.Permanent(err)
	}
	return err
}
