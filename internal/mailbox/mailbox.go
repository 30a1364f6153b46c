// Package mailbox is the port through which segl forwards a finished,
// all-party signed document, with the signer's receipt, to a signer's
// digital mailbox for citizens (Digipost or e-Boks, MISSION N3). The consumer decides whom to send to
// (never when signing in a role; registry.Contact tells whether the person
// has a mailbox); implementations only deliver.
//
// mailbox/digipost speaks Digipost's REST API; dev/mailbox serves that
// protocol in development and tests and keeps what it receives in memory.
package mailbox

import (
	"context"
	"errors"
	"io"
	"time"
)

// Message is what a person receives at once: one primary document, the
// one the mailbox shows and names the message by, and its attachments, in
// order (Digipost's message model). A signer gets one message: the signed
// document, with the receipt attached.
type Message struct {
	// ID identifies the message so that a retry of it is not delivered
	// twice (Digipost's message-id). Use a stable value such as a UUID
	// derived from job and signer.
	ID          string
	Primary     Document
	Attachments []Document
}

// Document is one document of a message.
type Document struct {
	Title     string // shown in the mailbox and in its notifications: must not be sensitive
	FileName  string
	MediaType string // application/pdf, text/plain, …
	Body      io.Reader
	Size      int64 // the exact length of Body
}

// Documents returns the primary document and then the attachments.
func (m *Message) Documents() []Document {
	return append([]Document{m.Primary}, m.Attachments...)
}

// Receipt is the mailbox's acknowledgement of a delivery.
type Receipt struct {
	ID          string    // the message id the delivery was made under
	Provider    string    // "digipost" or "eboks"
	DeliveredAt time.Time // as the mailbox reports it
	// Duplicate is set when the mailbox had already received this ID: the
	// message was delivered by an earlier attempt.
	Duplicate bool
}

// Mailbox delivers messages to a person's digital mailbox.
type Mailbox interface {
	// Deliver sends msg, all its documents in one delivery, to the mailbox
	// of the person pid. A person without a digital mailbox (or unknown to
	// the provider) gives ErrNoMailbox; a failure worth retrying gives
	// ErrTemporary (test both with errors.Is). It is done with the
	// documents' bodies when it returns: the caller closes or reuses them.
	Deliver(ctx context.Context, pid string, msg Message) (Receipt, error)
}

var (
	// ErrNoMailbox means the person has no digital mailbox this Mailbox can
	// reach. The signer downloads the document instead (N3).
	ErrNoMailbox = errors.New("mailbox: the person has no digital mailbox")
	// ErrTemporary marks a failure worth retrying later: the provider
	// answered 5xx or 429, or could not be reached.
	ErrTemporary = errors.New("mailbox: temporary failure")
)
