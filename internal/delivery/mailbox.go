package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/mailbox"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/store"
)

// mailboxIDs names mailbox messages: the same job and signer always give
// the same message id, so the mailbox itself refuses a repeat.
var mailboxIDs = uuid.MustParse("6f0d3a52-1b1e-4c57-9a55-5e6a8e0c2f10")

// errSkip ends a delivery that has nothing to deliver, without recording
// a notice.
var errSkip = errors.New("delivery: nothing to deliver")

// deliverMailbox forwards a completed job's signed documents to its
// signers' digital mailboxes (MISSION N3): only a person signing for
// themselves, who has a mailbox and has not reserved themselves against
// digital contact. Their receipt is attached, in the language they chose
// in KRR (issue 14): one message per signer, one request signed for
// Digipost and one notice recorded. Anyone else downloads the documents and
// the receipt.
//
// One task serves the whole job: one read of it and of its notices, one
// KRR lookup and one commit of the notices for all its signers. A signer
// whose delivery fails does not hold back the others; the task's retry
// skips whoever got their message (the notice record). A task queued for
// one signer (t.Signer, as before December 2026) serves that signer alone.
func (d *Service) deliverMailbox(ctx context.Context, t task) error {
	if d.Mailbox == nil || d.Contacts == nil {
		return nil
	}
	j, _, ok, err := d.load(ctx, task{Org: t.Org, Job: t.Job})
	if err != nil || !ok || j.Status != job.StatusCompleted {
		return err
	}
	var signers []*job.Signer
	var pids []string
	for i := range j.Signers {
		if s := &j.Signers[i]; forwardsTo(s) && (t.Signer == "" || s.ID == t.Signer) {
			signers, pids = append(signers, s), append(pids, s.PID)
		}
	}
	if len(signers) == 0 {
		return nil
	}
	found, err := d.Contacts.Lookup(ctx, pids)
	if err != nil {
		return err
	}
	if len(found) != len(pids) {
		return fmt.Errorf("delivery: contact register answered %d entries for %d persons", len(found), len(pids))
	}
	sent, err := d.mailboxNotices(ctx, j)
	if err != nil {
		return err
	}
	var delivered []store.Notice
	var failed error
	for i, s := range signers {
		n, err := d.deliverTo(ctx, j, s, found[i], sent)
		if n != nil {
			delivered = append(delivered, *n)
		}
		failed = errors.Join(failed, err)
	}
	// The notices of what went, in one commit, also when another signer's
	// delivery failed, so that the retry skips them. Should the commit not
	// happen (a crash, a full disk), nobody gets a message twice: the
	// retry sends the same message ids, and the mailbox refuses a message
	// id it has had (mailbox.Receipt.Duplicate), as when its answer is lost.
	// The commit runs to its end also when the task's context ends (its
	// lease's deadline, a shutdown) after the messages went out: recording
	// what was delivered spares each retry asking the mailbox again.
	return errors.Join(failed, d.Store.RecordNotices(context.WithoutCancel(ctx), delivered))
}

// forwardsTo reports whether s's result may go to their digital mailbox:
// a person identified by their identity number, signing for themselves.
func forwardsTo(s *job.Signer) bool { return s.PID != "" && s.OnBehalfOf == "" }

// mailboxNotices returns the keys of the mailbox notices recorded for j:
// the messages its signers got, and those of the old kind (see message).
func (d *Service) mailboxNotices(ctx context.Context, j *job.Job) (map[string]bool, error) {
	notices, err := d.Store.JobNotices(ctx, j.Org, j.ID)
	if err != nil {
		return nil, err
	}
	sent := map[string]bool{}
	for _, n := range notices {
		if n.Channel == store.ChannelMailbox {
			sent[n.Key] = true
		}
	}
	return sent, nil
}

// deliverTo sends s their message, unless KRR (k) says they have no
// mailbox or must not be contacted, or its notice (in sent) says it went
// before. It returns the notice to record for a message delivered, nil
// when none was.
func (d *Service) deliverTo(ctx context.Context, j *job.Job, s *job.Signer, k registry.Contact, sent map[string]bool) (*store.Notice, error) {
	if k.Reserved || k.Status != registry.StatusActive || k.Mailbox == "" {
		return nil, nil
	}
	key := j.ID + "/" + s.ID + "/mailbox"
	if sent[key] {
		return nil, nil
	}
	m, closeAll, err := d.message(ctx, j, s, receiptLang(k.Language), key, sent)
	defer closeAll()
	if errors.Is(err, errSkip) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := d.Mailbox.Deliver(ctx, s.PID, m); errors.Is(err, mailbox.ErrNoMailbox) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &store.Notice{Key: key, Org: j.Org, JobID: j.ID, SignerID: s.ID, Channel: store.ChannelMailbox,
		Template: "signed-document", At: d.Clock.Now()}, nil
}

// message builds a signer's message: the signed document first (the
// combined document for a combined job; for a job of several documents
// signed one by one the first, the others attached), then the receipt.
// Titles are the job's, never anything sensitive. closeAll closes the
// documents' readers; it is never nil.
//
// Until December 2026 a signer got a message per signed document and
// another for the receipt, each recorded under its own notice key. A task
// queued then may have delivered some of them and not the rest: what a
// notice of its own records was delivered (in sent, the job's mailbox
// notices) is left out, so that the signer gets what is missing and
// nothing twice. With nothing missing there is no message (errSkip).
func (d *Service) message(ctx context.Context, j *job.Job, s *job.Signer, lang, key string, sent map[string]bool) (m mailbox.Message, closeAll func(), err error) {
	var closers []func() error
	closeAll = func() {
		for _, c := range closers {
			c()
		}
	}
	var docs []mailbox.Document
	for _, doc := range j.Documents {
		if !j.Signs(&doc) || sent[j.ID+"/"+s.ID+"/"+doc.ID+"/mailbox"] {
			continue // an original, kept unsigned (the combined document is what was signed), or sent before
		}
		_, o, err := d.Svc.OpenSigned(ctx, j, doc.ID)
		if err != nil {
			return m, closeAll, err
		}
		closers = append(closers, o.Close)
		title := j.Title
		if len(j.Documents) > 1 && j.Combined() == nil {
			title += ": " + doc.Title
		}
		docs = append(docs, mailbox.Document{Title: title, FileName: doc.SignedFileName(), MediaType: "application/pdf",
			Body: o, Size: o.Size()})
	}
	if !sent[j.ID+"/"+s.ID+"/receipt/mailbox"] {
		receipt, release, err := d.receipt(ctx, j, s, lang)
		if err != nil {
			return m, closeAll, err
		}
		if receipt != nil {
			closers = append(closers, release)
			docs = append(docs, *receipt)
		}
	}
	if len(docs) == 0 {
		return m, closeAll, errSkip
	}
	return mailbox.Message{ID: uuid.NewSHA1(mailboxIDs, []byte(key)).String(), Primary: docs[0], Attachments: docs[1:]}, closeAll, nil
}

// receipt is the signer's receipt as a document of their message: nil
// without the act's evidence or a seal to make it with. release returns
// its buffer to receiptBuffers once the message went.
func (d *Service) receipt(ctx context.Context, j *job.Job, s *job.Signer, lang string) (doc *mailbox.Document, release func() error, err error) {
	if d.Svc.Engine == nil || s.Evidence == "" {
		return nil, nil, nil
	}
	b := receiptBuffers.Get().(*bytes.Buffer)
	release = func() error {
		if b.Cap() <= maxReceiptBuffer {
			b.Reset()
			receiptBuffers.Put(b)
		}
		return nil
	}
	if err := d.Svc.Receipt(ctx, b, j, s, lang); err != nil {
		release()
		return nil, nil, err
	}
	title, name := signing.ReceiptName(lang)
	return &mailbox.Document{Title: title + ": " + j.Title, FileName: name, MediaType: "application/pdf",
		Body: bytes.NewReader(b.Bytes()), Size: int64(b.Len())}, release, nil
}

// receiptBuffers holds the buffers receipts were written into, for the
// next ones: a receipt is about 60 KB, which a buffer of its own reaches by
// doubling, allocating and copying about twice that.
var receiptBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxReceiptBuffer is the largest buffer kept in receiptBuffers.
const maxReceiptBuffer = 1 << 20

// receiptLang is the language of a receipt for a person whose KRR entry
// chose lang: theirs when receipts exist in it, else bokmål.
func receiptLang(lang string) string {
	if slices.Contains(signing.ReceiptLangs, lang) {
		return lang
	}
	return "nb"
}
