// Package notify tells signers and senders about portal jobs by e-mail and SMS
// (MISSION N1, N2): a request to sign, a reminder, a one-time code, and the
// sender's "job completed". Messages are rendered from embedded templates,
// one directory per language (bokmål, nynorsk, English); SMTP and an HTTP
// SMS gateway deliver them.
//
// Delivery errors are classified for the caller's retry queue: errors.Is(err,
// ErrTemporary) means "try again later" (a 4xx reply, a refused connection, a
// timeout), errors.Is(err, ErrPermanent) means "this message will never be
// accepted" (a 5xx reply, an invalid address, a header injection attempt).
package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/segl/segl/internal/errs"
)

// Languages named in code: bokmål, the default (an empty Message.Lang
// means LangNB), and English. The languages there are templates in are
// the directories of templates/ (Languages).
const (
	LangNB = "nb"
	LangEN = "en"
)

// Template names, one per kind of notification.
const (
	SignRequest  = "sign-request"  // Data: Sender, Title, Link, Deadline (time.Time); optional Note
	Reminder     = "reminder"      // Data: Sender, Title, Link, Deadline (time.Time)
	JobCompleted = "job-completed" // Data: Title, Link; sent to the sender (N2)
	JobEnded     = "job-ended"     // Data: Title, Link, Outcome ("rejected", "expired" or "failed"), optional Reason (the rejecting signer's); to the sender
	OneTimeCode  = "one-time-code" // Data: Code, Minutes
)

// Message is one notification to one recipient. To is an e-mail address for a
// Mailer and an E.164 mobile number ("+4791234567") for an SMS sender.
type Message struct {
	To       string
	Lang     string
	Template string
	Data     map[string]any
}

// Mailer delivers a message by e-mail.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// SMS delivers a message as a text message.
type SMS interface {
	Send(ctx context.Context, m Message) error
}

var (
	// ErrTemporary marks a failure worth retrying later.
	ErrTemporary = errors.New("temporary failure")
	// ErrPermanent marks a failure that retrying will not fix.
	ErrPermanent = errors.New("permanent failure")
	// ErrInvalid marks a message refused before sending (bad address, CR/LF
	// in a header, unknown template, missing data). It is also ErrPermanent.
	ErrInvalid = errors.New("invalid message")
)

// withoutRecipient keeps the recipient's address out of err's text
// (errs.Redact): a mail server's or gateway's refusal often quotes it, and
// the text goes to the log and to the failed task's record, which the
// deletion of the job does not reach. A Norwegian mobile number is also
// taken out as written without "+" or without "+47".
func withoutRecipient(err error, to string) error {
	words := []string{to}
	if n, ok := strings.CutPrefix(to, "+"); ok {
		words = append(words, n)
		if national, ok := strings.CutPrefix(n, "47"); ok {
			words = append(words, national)
		}
	}
	return errs.Redact(err, words...)
}

func temporary(prefix string, err error) error {
	return fmt.Errorf("%s: %w: %w", prefix, ErrTemporary, err)
}

func permanent(prefix string, err error) error {
	return fmt.Errorf("%s: %w: %w", prefix, ErrPermanent, err)
}

// invalidError is ErrInvalid and ErrPermanent at once.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

func (e *invalidError) Is(target error) bool {
	return target == ErrInvalid || target == ErrPermanent
}

func invalid(format string, args ...any) error {
	return &invalidError{msg: "notify: " + fmt.Sprintf(format, args...)}
}

// checkHeader refuses a header value that could end the header early or smuggle
// another one in (RFC 5322 2.2: a field is one logical line; CR and LF only
// appear as folding, which we do ourselves). NUL and other C0 controls except
// TAB are refused too.
func checkHeader(field, v string) error {
	if i := strings.IndexFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }); i >= 0 {
		return invalid("%s: control character %q not allowed in a header", field, v[i])
	}
	return nil
}
