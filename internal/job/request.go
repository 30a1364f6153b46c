package job

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/segl/segl/internal/errs"
)

// Limits bound what one job may hold. The zero value is not useful; start
// from DefaultLimits.
type Limits struct {
	MaxDocuments     int           // documents per job (MISSION S1: at least 20)
	MaxSigners       int           // signers per job (at least 10)
	MaxDocumentBytes int64         // per document (at least 10 MB)
	MaxExpiry        time.Duration // latest expiry after creation
	DefaultExpiry    time.Duration // expiry when the request gives none
}

// MaxUploadBytes is the largest request body that can create a job: every
// document at its limit, plus 1 MiB for the job's JSON and the multipart
// framing. The API and the portal's upload form both refuse more.
func (l Limits) MaxUploadBytes() int64 {
	return int64(l.MaxDocuments)*l.MaxDocumentBytes + 1<<20
}

// DefaultLimits are the procurement's minimums, met exactly.
var DefaultLimits = Limits{
	MaxDocuments:     20,
	MaxSigners:       10,
	MaxDocumentBytes: 10 << 20,
	MaxExpiry:        90 * 24 * time.Hour,
	DefaultExpiry:    30 * 24 * time.Hour,
}

// Request is what a sender asks for, whichever edge it came through: the
// API (built from the public client package's wire type, client.JobRequest,
// by httpapi), Posten's signature API or the portal's form. It has no wire
// form of its own.
type Request struct {
	Title            string
	Description      string
	Flow             Flow
	SignatureType    SignatureType
	LevelOfAssurance Assurance
	Reference        string
	Identifier       Identifier
	// Language is the job's language (Job.Lang); empty is "nb".
	Language    string
	CallbackURL string
	ExitURLs    ExitURLs
	Retention   Retention
	// Polling is set by Posten's signature API only (see Job.Polling).
	Polling *Polling
	// Combine asks for one signed document per job: a job of several
	// documents then gets a Combined one (the ceremony makes it at
	// creation), which the signers sign alone. Set by Posten's signature
	// API only, whose clients download one PAdES per job.
	Combine     bool
	ActivatesAt *time.Time
	ExpiresAt   *time.Time
	Documents   []DocumentRequest
	Signers     []SignerRequest
}

// MaxListEntries is the most documents or signers an edge decodes a
// request with (httpapi): decoding stops one entry past it, which is
// enough for Validate to refuse the list as too long, so a request of
// 340,000 signers costs no more to refuse than one of 1,001. The
// configured limits must not exceed it (config checks that); a signature
// page holds 500 slots anyway.
const MaxListEntries = 1000

// DocumentRequest names a document part of the upload.
type DocumentRequest struct {
	Title    string
	File     string // the multipart part name holding the bytes
	FileName string // shown to the signer; defaults to the part's file name
}

// SignerRequest addresses one signer.
type SignerRequest struct {
	PID        string
	Email      string
	Mobile     string
	Order      int
	OnBehalfOf string
	// Ref is the sender's own name for a direct-flow signer it does not
	// address otherwise (Posten's signer-identifier), or a portal
	// signer's mobile number as the sender wrote it; set by Posten's
	// signature API only.
	Ref string
}

// Validate checks everything about the request that needs no I/O and returns
// every problem found (an *errs.Error with Details), or nil.
func (r *Request) Validate(now time.Time, lim Limits) error {
	var v validator
	v.text("title", r.Title, 1, 200)
	v.text("description", r.Description, 0, 2000)
	v.text("reference", r.Reference, 0, 200)
	v.oneOf("flow", codeInvalidFlow, string(r.Flow), Direct, Portal)
	v.oneOf("signature_type", codeInvalidSignatureType, string(r.SignatureType), Authenticated, Advanced)
	if r.LevelOfAssurance != "" {
		v.oneOf("level_of_assurance", codeInvalidLevelOfAssurance, string(r.LevelOfAssurance), Substantial, High)
	}
	if r.Identifier != "" {
		v.oneOf("identifier", codeInvalidIdentifier, string(r.Identifier), ShowPID, ShowBirthDateAndName, ShowName)
	}
	if r.Language != "" {
		langs := make([]any, len(Languages))
		for i, l := range Languages {
			langs[i] = l
		}
		v.oneOf("language", codeInvalidLanguage, r.Language, langs...)
	}
	if r.CallbackURL != "" {
		v.url("callback_url", r.CallbackURL)
	}
	if r.Flow == Direct {
		v.url("exit_urls.completion", r.ExitURLs.Completion)
		v.url("exit_urls.rejection", r.ExitURLs.Rejection)
		v.url("exit_urls.error", r.ExitURLs.Error)
	} else if r.ExitURLs != (ExitURLs{}) {
		v.add("exit_urls", codeInvalidExitURLs, "exit URLs belong to direct jobs only")
	}
	if r.Retention.Archive && (r.Retention.Years < 1 || r.Retention.Years > 50) {
		v.add("retention.years", CodeInvalidRetention, "archive retention is 1 to 50 years")
	}
	v.times(r, now, lim)
	v.documents(r.Documents, lim)
	v.signers(r.Signers, r.Flow, lim)
	return errs.Join(v.list)
}

// validator collects the problems of a request. Their number is bounded
// by the limits: lists longer than allowed are refused as a whole, not
// entry by entry; errs.Join lists the first errs.MaxDetails.
type validator struct{ list []*errs.Error }

func (v *validator) add(field, code, format string, args ...any) {
	v.list = append(v.list, errs.Field(field, code, format, args...))
}

func (v *validator) text(field, s string, minLen, maxLen int) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		v.add(field, CodeInvalidText, "must be UTF-8")
	case n < minLen:
		v.add(field, codeMissingField, "is required")
	case n > maxLen:
		v.add(field, CodeTooLong, "must be at most %d characters", maxLen)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
		v.add(field, CodeInvalidText, "must not contain control characters")
	case strings.IndexFunc(s, IsBidiControl) >= 0:
		v.add(field, CodeInvalidText, "must not contain bidirectional embedding, override or isolate characters")
	}
}

// IsBidiControl reports whether r is one of the explicit directional
// formatting characters of Unicode's bidirectional algorithm (UAX #9
// §2.1-2.4): embeddings, overrides, isolates and their terminators. They
// make a browser show text in another order than it is stored ("Trojan
// Source", CVE-2021-42574): a title or file name "kontrakt" U+202E
// "fdp.exe" shows as "kontraktexe.pdf" to the signer. Text in
// right-to-left scripts needs none of them; the marks U+200E and U+200F
// stay allowed.
func IsBidiControl(r rune) bool {
	return '\u202a' <= r && r <= '\u202e' || '\u2066' <= r && r <= '\u2069'
}

// oneOf requires got to be one of allowed, and says invalid when it is not.
func (v *validator) oneOf(field, invalid, got string, allowed ...any) {
	for _, a := range allowed {
		if fmt.Sprint(a) == got {
			return
		}
	}
	if got == "" {
		v.add(field, codeMissingField, "is required")
		return
	}
	v.add(field, invalid, "must be one of %v", allowed)
}

// url accepts absolute https URLs, and http only for loopback hosts so
// development senders work.
func (v *validator) url(field, s string) {
	if s == "" {
		v.add(field, codeMissingField, "is required")
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || len(s) > 2000 || u.User != nil {
		v.add(field, codeInvalidURL, "must be an absolute https URL")
		return
	}
	loopback := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"
	if u.Scheme != "https" && (u.Scheme != "http" || !loopback) {
		v.add(field, codeInvalidURL, "must be an absolute https URL")
	}
}

func (v *validator) times(r *Request, now time.Time, lim Limits) {
	if r.ExpiresAt != nil {
		switch {
		case !r.ExpiresAt.After(now):
			v.add("expires_at", codeInvalidExpiry, "must be in the future")
		case r.ExpiresAt.Sub(now) > lim.MaxExpiry:
			v.add("expires_at", codeInvalidExpiry, "must be within %d days", int(lim.MaxExpiry.Hours()/24))
		}
	}
	if r.ActivatesAt != nil {
		expires := now.Add(lim.DefaultExpiry)
		if r.ExpiresAt != nil {
			expires = *r.ExpiresAt
		}
		if !r.ActivatesAt.Before(expires) {
			v.add("activates_at", codeInvalidActivation, "must be before the expiry time")
		}
	}
}

// documents checks the documents; more than the limit are refused as a
// whole, without looking at each (nor reporting each one's problems).
func (v *validator) documents(docs []DocumentRequest, lim Limits) {
	switch {
	case len(docs) == 0:
		v.add("documents", codeMissingField, "at least one document is required")
	case len(docs) > lim.MaxDocuments:
		v.add("documents", CodeTooManyDocuments, "at most %d documents per job", lim.MaxDocuments)
		return
	}
	seen := map[string]bool{}
	for i, d := range docs {
		field := fmt.Sprintf("documents[%d]", i)
		v.text(field+".title", d.Title, 1, 200)
		v.text(field+".file_name", d.FileName, 0, 200)
		switch {
		case d.File == "":
			v.add(field+".file", codeMissingField, "must name the multipart part holding the document")
		case d.File == "job":
			v.add(field+".file", codeInvalidFileReference, `the part "job" holds the request itself`)
		case seen[d.File]:
			v.add(field+".file", codeDuplicateDocument, "part %q is used twice", d.File)
		}
		seen[d.File] = true
	}
}

// signers checks the signers; more than the limit are refused as a whole,
// like documents.
func (v *validator) signers(signers []SignerRequest, flow Flow, lim Limits) {
	switch {
	case len(signers) == 0:
		v.add("signers", codeMissingField, "at least one signer is required")
	case len(signers) > lim.MaxSigners:
		v.add("signers", CodeTooManySigners, "at most %d signers per job", lim.MaxSigners)
		return
	}
	seen := map[string]bool{}
	for i, s := range signers {
		field := fmt.Sprintf("signers[%d]", i)
		// A direct-flow signer may be only the sender's reference: the
		// sender's own site sends that person to the signing link, and
		// whoever logs in with an eID there signs.
		if s.PID == "" && s.Email == "" && s.Mobile == "" && (s.Ref == "" || flow != Direct) {
			v.add(field, codeMissingSignerAddress, "needs a pid, an email or a mobile number")
		}
		v.text(field+".ref", s.Ref, 0, 80)
		if s.PID != "" && !ValidPID(s.PID) {
			v.add(field+".pid", codeInvalidPID, "is not a valid national identity number")
		}
		if s.Email != "" && !ValidEmail(s.Email) {
			v.add(field+".email", codeInvalidEmail, "is not a valid e-mail address")
		}
		if s.Mobile != "" && !ValidMobile(s.Mobile) {
			v.add(field+".mobile", codeInvalidMobile, "must be in E.164 form, like +4791234567")
		}
		if s.OnBehalfOf != "" && !ValidOrgNumber(s.OnBehalfOf) {
			v.add(field+".on_behalf_of", CodeInvalidOrgnr, "is not a valid organisation number")
		}
		if s.Order < 0 || s.Order > 100 {
			v.add(field+".order", codeInvalidOrder, "must be between 0 and 100")
		}
		key := s.PID
		if key == "" {
			key = emailKey(s.Email) + "|" + s.Mobile + "|" + s.Ref
		}
		if seen[key+"|"+s.OnBehalfOf] {
			v.add(field, codeDuplicateSigner, "the same signer is listed twice")
		}
		seen[key+"|"+s.OnBehalfOf] = true
	}
}

// emailKey is what makes two e-mail addresses the same signer: the whole
// address compared without case. The domain is case-insensitive by
// definition (RFC 5321 §2.4, DNS); the local part may in principle be
// case-sensitive, but no mail system in use treats Kari@ and kari@ as two
// people, and listing one person twice as two signers is the mistake to
// catch. Mobile numbers need no such key: they are E.164 (+4791234567),
// which has one notation.
func emailKey(addr string) string { return strings.ToLower(addr) }

// IDs makes identifiers for new objects; the caller decides their form.
type IDs func() string

// New builds an active (or, with a later activation time, created) job from a
// validated request and its stored documents, in request order (a
// document without a Role is an Original).
func New(r *Request, org, creator string, docs []Document, newID IDs, now time.Time, lim Limits) (*Job, []Event) {
	j := &Job{
		ID: newID(), Org: org, Creator: creator, Flow: r.Flow, SignatureType: r.SignatureType,
		Assurance: r.LevelOfAssurance, Title: r.Title, Description: r.Description, Reference: r.Reference,
		Identifier: r.Identifier, Lang: r.Language, CallbackURL: r.CallbackURL, ExitURLs: r.ExitURLs, Retention: r.Retention, Polling: r.Polling,
		Status: StatusCreated, ActivatesAt: now, ExpiresAt: now.Add(lim.DefaultExpiry),
		CreatedAt: now, UpdatedAt: now, Documents: docs,
	}
	if j.Assurance == "" {
		j.Assurance = Substantial
	}
	if j.Identifier == "" {
		j.Identifier = DefaultIdentifier
	}
	if r.ExpiresAt != nil {
		j.ExpiresAt = r.ExpiresAt.UTC()
	}
	if r.ActivatesAt != nil && r.ActivatesAt.After(now) {
		j.ActivatesAt = r.ActivatesAt.UTC()
	}
	for _, s := range r.Signers {
		j.Signers = append(j.Signers, Signer{ID: newID(), PID: s.PID, Email: s.Email, Mobile: s.Mobile, Ref: s.Ref,
			Order: s.Order, OnBehalfOf: s.OnBehalfOf, Status: SignerWaiting, UpdatedAt: now})
	}
	hashes := make([]string, len(docs))
	for i, d := range docs {
		if d.Role == "" {
			docs[i].Role = Original
		}
		hashes[i] = d.SHA256
	}
	events := []Event{{Type: "job.created", JobID: j.ID, JobStatus: StatusCreated, Actor: creator, At: now,
		Details: map[string]any{"documents_sha256": hashes, "signers": len(j.Signers)}}}
	if !j.ActivatesAt.After(now) {
		ev, _ := j.apply(Activate, "system", now, nil) // created → active is always allowed
		events = append(events, ev)
	}
	return j, events
}
