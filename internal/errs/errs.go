// Package errs is segl's one error type: a stable kind that the edges map to
// HTTP statuses or pages, and a stable code that clients can switch on.
//
// Domain code returns *Error; anything else reaching an edge is a bug, logged
// in full and shown to nobody (see httpapi).
package errs

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"syscall"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

const (
	Internal        Kind = iota // a bug or an unexpected failure: never shown in detail
	Invalid                     // the request is wrong; fix it and retry
	NotFound                    // no such thing for this tenant (also across tenants)
	Conflict                    // the state changed or forbids this; reload and decide
	Forbidden                   // authenticated, but not allowed
	Unauthenticated             // who are you?
	TooLarge                    // a size limit was exceeded
	Unavailable                 // a dependency is down; retry later
	// InsufficientStorage: a disk, quota or database is full. Nothing was
	// stored; retry once space has been freed (code CodeStorageFull).
	InsufficientStorage
)

var kindNames = [...]string{"internal", "invalid", "not_found", "conflict", "forbidden", "unauthenticated", "too_large", "unavailable", "insufficient_storage"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error carries a kind, a stable machine-readable code (for example
// "invalid-pid") and a human-readable message. Field names the offending input
// when there is one; Details lists further problems found in the same request.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
	Details []*Error
	// Document is the id of the job's document the problem points the
	// client to instead of the one it asked for (the combined document
	// that was signed for an original that was not), shown as the
	// problem's "document" member. Empty for most problems.
	Document string
	Err      error // the cause, for logs; never shown to clients
}

// E builds an error of the given kind and code.
func E(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field builds an Invalid error about one input field.
func Field(field, code, format string, args ...any) *Error {
	e := E(Invalid, code, format, args...)
	e.Field = field
	return e
}

// Wrap attaches a cause to a new error of the given kind and code.
func Wrap(err error, kind Kind, code, format string, args ...any) *Error {
	e := E(kind, code, format, args...)
	e.Err = err
	return e
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf reports the kind of err (see From), Internal when it has none.
func KindOf(err error) Kind {
	if e := From(err); e != nil {
		return e.Kind
	}
	return Internal
}

// From returns the *Error that err is or wraps, for the edges that render
// it. A write that ran out of space is InsufficientStorage wherever it
// happened: an error that says so (NoSpace) without a kind of its own, or
// only with kind Internal, becomes StorageFull, so a temporary file that
// fills the disk deep in the PDF writer is answered like a full blob store.
// Any other error without an *Error gives nil.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return e
	}
	if NoSpace(err) {
		return StorageFull(err)
	}
	return e
}

// StorageTrouble reports whether err is segl's own storage being full or
// out of reach, rather than a failure of the request or of a service
// outside segl: the edges ask people to try again later instead of ending
// what they were doing.
func StorageTrouble(err error) bool {
	e := From(err)
	if e == nil {
		return false
	}
	return e.Kind == InsufficientStorage ||
		e.Kind == Unavailable && (e.Code == CodeDatabaseUnavailable || e.Code == CodeBlobStoreUnavailable)
}

// StorageFull is the error for a write that failed because storage is
// exhausted; cause is kept for the log.
func StorageFull(cause error) *Error {
	return Wrap(cause, InsufficientStorage, CodeStorageFull, "storage is full; nothing was stored, try again later")
}

// NoSpace reports whether err, however wrapped, comes from a file system
// that is out of space (ENOSPC) or out of the user's quota (EDQUOT).
func NoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// HasCode reports whether err is, or wraps, an *Error with the given code.
// It is how a caller checks for a code: a type assertion would miss the
// code as soon as someone wraps the error.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// Is reports whether err is an *Error of the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// MaxDetails bounds the problems one error lists. A request with a hundred
// thousand broken entries must not make the server build, and send, an
// answer a hundred thousand problems long: the first ones are enough to
// act on.
const MaxDetails = 50

// Join combines several invalid-field errors into one whose code and message
// are the first's, so a client sees the problems of a request at once. At
// most MaxDetails are listed; when there are more, the list ends with one
// of code codeMoreProblems that says how many were left out.
func Join(list []*Error) error {
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	first := *list[0]
	first.Details = list
	if more := len(list) - MaxDetails; more > 0 {
		first.Details = append(list[:MaxDetails:MaxDetails], E(Invalid, codeMoreProblems, "%d more problems are not listed", more))
	}
	return &first
}

// Kinds lists every kind, for tables that must cover them all.
var Kinds = []Kind{Internal, Invalid, NotFound, Conflict, Forbidden, Unauthenticated, TooLarge, Unavailable, InsufficientStorage}

// RetryAfter is the Retry-After header (RFC 9110 §10.2.3) every edge (the
// APIs' errors, the pages) sends with a kind, or "" for none:
//   - Unavailable (503): a dependency (the database, the object store, an
//     external service) is down or restarting, which usually ends within
//     seconds; clients that honour it spread their retries instead of
//     hammering the service as it comes back;
//   - InsufficientStorage (507): freeing space is an operator's task, so a
//     client should not retry at once, nor wait as long as a human might
//     take. RFC 9110 defines the header for 503; a client that honours it
//     on any status waits here as it would there.
func (k Kind) RetryAfter() string {
	switch k {
	case Unavailable:
		return "10"
	case InsufficientStorage:
		return "60"
	}
	return ""
}

// HTTPStatus is the status both edges, the API's problems and the pages,
// answer a kind with.
func (k Kind) HTTPStatus() int {
	switch k {
	case Invalid:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Forbidden:
		return http.StatusForbidden
	case Unauthenticated:
		return http.StatusUnauthorized
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case Unavailable:
		return http.StatusServiceUnavailable
	case InsufficientStorage:
		// RFC 4918 section 11.5: the server is unable to store what is
		// needed to complete the request. Unlike 500 it says that the
		// request was fine and may be repeated as it is.
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

// Redact returns err with every occurrence of each of words in its text
// (letter case aside) replaced by "[redacted]"; errors.Is, errors.As and
// KindOf still see err's chain. For what a peer's answer may quote back
// (a recipient's e-mail address or mobile number, an identity number):
// an error's text reaches the logs and a failed task's record, which
// outlive the person's data (docs/operations.md, "Personal data and
// retention"). Empty words are ignored; a nil err stays nil.
func Redact(err error, words ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, w := range words {
		if w != "" {
			msg = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(w)).ReplaceAllLiteralString(msg, "[redacted]")
		}
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
