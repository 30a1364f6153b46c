// Package mailbox is the port through which segl forwards a finished,
// all-party signed document to a signer's digital mailbox for citizens
// (Digipost or e-Boks, MISSION N3). The consumer decides whom to send to
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

// Document is one document to deliver.
type Document struct {
	// ID, when set, identifies the delivery so that a retry of the same
	// delivery is not delivered twice (Digipost's message-id). Use a
	// stable value such as a UUID derived from job, signer and document.
	ID        string
	Title     string // shown in the mailbox and in its notifications: must not be sensitive
	FileName  string
	MediaType string // application/pdf, text/plain, …
	Body      io.Reader
	Size      int64 // the exact length of Body
}

// Receipt is the mailbox's acknowledgement of a delivery.
type Receipt struct {
	ID          string    // the message id the delivery was made under
	Provider    string    // "digipost" or "eboks"
	DeliveredAt time.Time // as the mailbox reports it
	// Duplicate is set when the mailbox had already received this ID: the
	// document was delivered by an earlier attempt.
	Duplicate bool
}

// Mailbox delivers documents to a person's digital mailbox.
type Mailbox interface {
	// Deliver sends doc to the mailbox of the person pid. A person without a
	// digital mailbox (or unknown to the provider) gives ErrNoMailbox; a
	// failure worth retrying gives ErrTemporary (test both with errors.Is).
	Deliver(ctx context.Context, pid string, doc Document) (Receipt, error)
}

var (
	// ErrNoMailbox means the person has no digital mailbox this Mailbox can
	// reach. The signer downloads the document instead (N3).
	ErrNoMailbox = errors.New("mailbox: the person has no digital mailbox")
	// ErrTemporary marks a failure worth retrying later: the provider
	// answered 5xx or 429, or could not be reached.
	ErrTemporary = errors.New("mailbox: temporary failure")
)
