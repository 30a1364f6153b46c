package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/notify"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/store"
)

// Reasons a signer was not notified, as job.Signer.Notice says them.
const (
	NoticeReserved  = "reserved"   // opted out of digital contact in KRR
	NoticeInactive  = "inactive"   // KRR's entry is deleted (e.g. deceased)
	NoticeNoContact = "no-contact" // no usable e-mail or mobile
)

// load returns the job and signer a task is about; ok is false when either
// is gone, which ends the task.
func (d *Service) load(ctx context.Context, t task) (*job.Job, *job.Signer, bool, error) {
	j, err := d.Store.Job(ctx, t.Org, t.Job)
	if errs.Is(err, errs.NotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if t.Signer == "" {
		return j, nil, true, nil
	}
	s, ok := j.Signer(t.Signer)
	return j, s, ok, nil
}

// contact is where a notice to a signer goes, and in which language.
type contact struct{ email, mobile, lang string }

// contactOf finds where to notify a signer (MISSION N1): a person signing
// for themselves at the contact data in KRR, unless KRR says not to; a
// person signing in a role, or addressed only by e-mail or mobile, at the
// contact data the sender gave (KRR must not be consulted for a role,
// eForvaltningsforskriften § 8). A reason is returned instead when there
// is nowhere to send.
func (d *Service) contactOf(ctx context.Context, s *job.Signer) (c contact, reason string, err error) {
	if s.PID == "" || s.OnBehalfOf != "" {
		if s.Email == "" && s.Mobile == "" {
			return c, NoticeNoContact, nil
		}
		return contact{email: s.Email, mobile: s.Mobile}, "", nil
	}
	if d.Contacts == nil {
		return c, NoticeNoContact, nil
	}
	k, err := d.lookup(ctx, s.PID)
	if err != nil {
		return c, "", err
	}
	switch {
	case k.Reserved:
		return c, NoticeReserved, nil
	case k.Status == registry.StatusInactive:
		return c, NoticeInactive, nil
	case !k.Notifiable():
		return c, NoticeNoContact, nil
	}
	// The register's language when there are notices in it (nb, nn, en),
	// else bokmål.
	return contact{email: k.Email, mobile: k.Mobile, lang: notify.Language(k.Language)}, "", nil
}

// lookup asks KRR about one person.
func (d *Service) lookup(ctx context.Context, pid string) (registry.Contact, error) {
	found, err := d.Contacts.Lookup(ctx, []string{pid})
	if err != nil {
		return registry.Contact{}, err
	}
	if len(found) != 1 {
		return registry.Contact{}, fmt.Errorf("delivery: contact register answered %d entries for one person", len(found))
	}
	return found[0], nil
}

// notifySigner tells a portal signer that it is their turn, or reminds
// them, by e-mail and SMS where they can be reached, and records how on
// the signer. A signer whose turn has passed is left alone.
func (d *Service) notifySigner(ctx context.Context, t task) error {
	j, s, ok, err := d.load(ctx, t)
	if err != nil || !ok {
		return err
	}
	now := d.Clock.Now()
	if j.Turn(s, now) != nil || t.Reminder && s.Status != job.SignerNotified {
		return nil
	}
	to, reason, err := d.contactOf(ctx, s)
	if err != nil {
		return err
	}
	ref := ceremony.SignerTask{Org: j.Org, Job: j.ID, Signer: s.ID}
	if reason != "" {
		_, err := d.Svc.Notice(ctx, ref, reason, false, reason == NoticeReserved)
		return err
	}
	sender, err := d.Svc.SenderName(ctx, j)
	if err != nil {
		return err
	}
	template, kind := notify.SignRequest, "request"
	if t.Reminder {
		template, kind = notify.Reminder, "reminder"
	}
	data := map[string]any{"Sender": oneLine(sender), "Title": oneLine(j.Title), "Link": d.signerLink(j, s), "Deadline": j.ExpiresAt}
	if j.Description != "" {
		data["Note"] = j.Description
	}
	msg := notify.Message{Template: template, Data: data, Lang: to.lang}
	notice := store.Notice{Org: j.Org, JobID: j.ID, SignerID: s.ID, Template: template}
	// Each channel on its own: a relay that is down must not hold back the
	// SMS. A failed channel fails the task, whose retry skips what was sent.
	var used []string
	var failed error
	for _, ch := range d.channels(to) {
		notice.Key, notice.Channel, msg.To = s.ID+"/"+kind+"/"+ch.name, ch.name, ch.to
		err := d.once(ctx, notice, func() error { return ch.send(ctx, msg) })
		if errors.Is(err, notify.ErrPermanent) {
			continue // the address will never take it: as if there were none
		}
		if err != nil {
			failed = errors.Join(failed, err)
			continue
		}
		used = append(used, ch.name)
	}
	switch {
	case len(used) == 0 && failed != nil:
		return failed
	case len(used) == 0:
		_, err := d.Svc.Notice(ctx, ref, NoticeNoContact, false, false)
		return err
	}
	if _, err := d.Svc.Notice(ctx, ref, strings.Join(used, "+"), true, false); err != nil {
		return err
	}
	if failed != nil {
		return failed
	}
	if t.Reminder || d.RemindAfter <= 0 {
		return nil
	}
	reminder := task{Org: j.Org, Job: j.ID, Signer: s.ID, Reminder: true}
	return d.enqueue(ctx, TaskNotifySigner, s.ID+"/reminder", reminder, now.Add(d.RemindAfter))
}

// signerLink is where a notice sends a signer: their own link when they
// have no identity number (it leads to the one-time code), else the login
// of the signer pages, which opens this task afterwards (on the level the
// job needs) next to every other task waiting for them.
func (d *Service) signerLink(j *job.Job, s *job.Signer) string {
	if ceremony.NeedsCode(s) {
		return d.BaseURL + d.Svc.SigningPath(s.ID)
	}
	q := url.Values{"task": {s.ID}}
	if j.Assurance == job.High || j.SignatureType == job.Advanced {
		q.Set("level", "high")
	}
	return d.BaseURL + "/sign/login?" + q.Encode()
}

// channel is one way to a person.
type channel struct {
	name, to string
	send     func(context.Context, notify.Message) error
}

// channels lists the configured channels to c, e-mail first.
func (d *Service) channels(c contact) []channel {
	var out []channel
	if c.email != "" && d.Mail != nil {
		out = append(out, channel{store.ChannelEmail, c.email, d.Mail.Send})
	}
	if c.mobile != "" && d.SMS != nil {
		out = append(out, channel{store.ChannelSMS, c.mobile, d.SMS.Send})
	}
	return out
}

// notifySender tells the sender that a job ended (MISSION N2): its
// creator, if a portal user with an e-mail address, or the organisation's
// contact address.
func (d *Service) notifySender(ctx context.Context, t task) error {
	j, _, ok, err := d.load(ctx, t)
	if err != nil || !ok || !j.Status.Final() || d.Mail == nil {
		return err
	}
	to, err := d.senderAddress(ctx, j)
	if err != nil || to == "" {
		return err
	}
	msg := notify.Message{To: to, Template: notify.JobCompleted,
		Data: map[string]any{"Title": oneLine(j.Title), "Link": d.BaseURL + "/portal/jobs/" + j.ID}}
	if j.Status != job.StatusCompleted {
		msg.Template, msg.Data["Outcome"] = notify.JobEnded, string(j.Status)
	}
	for _, s := range j.Signers {
		if s.Status == job.SignerRejected && s.RejectionReason != "" {
			msg.Data["Reason"] = s.RejectionReason
		}
	}
	n := store.Notice{Key: j.ID + "/sender", Org: j.Org, JobID: j.ID, Channel: store.ChannelEmail, Template: msg.Template}
	return retryable(d.once(ctx, n, func() error { return d.Mail.Send(ctx, msg) }))
}

func (d *Service) senderAddress(ctx context.Context, j *job.Job) (string, error) {
	if pid, ok := strings.CutPrefix(j.Creator, "pid:"); ok {
		u, err := d.Store.User(ctx, j.Org, pid)
		if err == nil && u.Email != "" {
			return u.Email, nil
		}
		if err != nil && !errs.Is(err, errs.NotFound) {
			return "", err
		}
	}
	o, err := d.Store.Org(ctx, j.Org)
	if errs.Is(err, errs.NotFound) {
		return "", nil
	}
	return o.ContactEmail, err
}

// errNoChannel: a code cannot reach a signer; retrying will not help.
var errNoChannel = errors.New("delivery: no channel reaches the signer")

// sendCode makes a one-time code and sends it to the address the sender
// gave: by SMS when there is a mobile number, else by e-mail.
func (d *Service) sendCode(ctx context.Context, t task) error {
	j, s, ok, err := d.load(ctx, t)
	if err != nil || !ok || !ceremony.NeedsCode(s) || s.Status.Final() || j.Status.Final() {
		return err
	}
	chans := d.channels(contact{email: s.Email, mobile: s.Mobile})
	if len(chans) == 0 {
		return queue.Permanent(errNoChannel)
	}
	ch := chans[len(chans)-1] // SMS when there is one: the code then comes to another device
	code, err := d.Svc.NewCode(ctx, s.ID)
	if errs.Is(err, errs.Conflict) {
		return nil // the signer has had all their codes; the next request locks the link
	}
	if err != nil {
		return err
	}
	msg := notify.Message{To: ch.to, Template: notify.OneTimeCode,
		Data: map[string]any{"Code": code, "Minutes": ceremony.CodeMinutes}}
	if err := ch.send(ctx, msg); err != nil {
		return retryable(err)
	}
	now := d.Clock.Now()
	_, err = d.Store.RecordNotice(ctx, store.Notice{Key: "code/" + s.ID + "/" + strconv.FormatInt(now.UnixMicro(), 10),
		Org: j.Org, JobID: j.ID, SignerID: s.ID, Channel: ch.name, Template: notify.OneTimeCode, At: now})
	return err
}

// oneLine puts a job title or a sender's name on one line for a notice,
// whose subject is an e-mail header: a title may hold line breaks
// (job.Request.Validate allows them as it does in a description), a name
// stored before names were checked any control character, and notify
// refuses them in a header, for good, so the notice would never go out.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
