package delivery

import (
	"bytes"
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/mailbox"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/store"
)

// mailboxIDs names deliveries: the same job, signer and document always
// give the same message id, so the mailbox itself refuses a repeat.
var mailboxIDs = uuid.MustParse("6f0d3a52-1b1e-4c57-9a55-5e6a8e0c2f10")

// errSkip ends a delivery that has nothing to deliver, without recording
// a notice.
var errSkip = errors.New("delivery: nothing to deliver")

// deliverMailbox forwards a completed job's signed documents to a signer's
// digital mailbox (MISSION N3): only a person signing for themselves, who
// has a mailbox and has not reserved themselves against digital contact.
// Their receipt follows the documents, in the language they chose in KRR
// (issue 14). Anyone else downloads the documents and the receipt.
func (d *Service) deliverMailbox(ctx context.Context, t task) error {
	if d.Mailbox == nil || d.Contacts == nil {
		return nil
	}
	j, s, ok, err := d.load(ctx, t)
	if err != nil || !ok || j.Status != job.StatusCompleted || s.PID == "" || s.OnBehalfOf != "" {
		return err
	}
	k, err := d.lookup(ctx, s.PID)
	if err != nil || k.Reserved || k.Status != registry.StatusActive || k.Mailbox == "" {
		return err
	}
	for _, doc := range j.Documents {
		if !j.Signs(&doc) {
			continue // an original, kept unsigned: the combined document is what was signed
		}
		key := j.ID + "/" + s.ID + "/" + doc.ID + "/mailbox"
		n := store.Notice{Key: key, Org: j.Org, JobID: j.ID, SignerID: s.ID, Channel: store.ChannelMailbox, Template: "signed-document"}
		err := d.once(ctx, n, func() error { return d.deliverDocument(ctx, j, doc, s.PID, key) })
		if errors.Is(err, errSkip) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if d.Svc.Engine == nil || s.Evidence == "" {
		return nil // no receipt without the act's evidence and the seal
	}
	key := j.ID + "/" + s.ID + "/receipt/mailbox"
	n := store.Notice{Key: key, Org: j.Org, JobID: j.ID, SignerID: s.ID, Channel: store.ChannelMailbox, Template: "receipt"}
	err = d.once(ctx, n, func() error { return d.deliverReceipt(ctx, j, s, receiptLang(k.Language), key) })
	if errors.Is(err, errSkip) {
		return nil
	}
	return err
}

// receiptLang is the language of a receipt for a person whose KRR entry
// chose lang: theirs when receipts exist in it, else bokmål.
func receiptLang(lang string) string {
	if slices.Contains(signing.ReceiptLangs, lang) {
		return lang
	}
	return "nb"
}

// deliverReceipt puts a signer's receipt in their digital mailbox.
func (d *Service) deliverReceipt(ctx context.Context, j *job.Job, s *job.Signer, lang, key string) error {
	var b bytes.Buffer
	if err := d.Svc.Receipt(ctx, &b, j, s, lang); err != nil {
		return err
	}
	title, name := signing.ReceiptName(lang)
	_, err := d.Mailbox.Deliver(ctx, s.PID, mailbox.Document{ID: uuid.NewSHA1(mailboxIDs, []byte(key)).String(),
		Title: title + ": " + j.Title, FileName: name, MediaType: "application/pdf",
		Body: bytes.NewReader(b.Bytes()), Size: int64(b.Len())})
	if errors.Is(err, mailbox.ErrNoMailbox) {
		return errSkip
	}
	return err
}

func (d *Service) deliverDocument(ctx context.Context, j *job.Job, doc job.Document, pid, key string) error {
	_, o, err := d.Svc.SignedDocument(ctx, ceremony.Caller{Org: j.Org}, j.ID, doc.ID)
	if err != nil {
		return err
	}
	defer o.Close()
	title := j.Title
	if len(j.Documents) > 1 && j.Combined() == nil {
		title += ": " + doc.Title
	}
	_, err = d.Mailbox.Deliver(ctx, pid, mailbox.Document{ID: uuid.NewSHA1(mailboxIDs, []byte(key)).String(),
		Title: title, FileName: doc.SignedFileName(), MediaType: "application/pdf", Body: o, Size: o.Size()})
	if errors.Is(err, mailbox.ErrNoMailbox) {
		return errSkip
	}
	return err
}
