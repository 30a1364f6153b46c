// Package job is segl's domain: signature jobs, their documents and signers,
// the state machines they move through, and the validation of a sender's
// request. It does no I/O; time comes in as arguments.
package job

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/doctext"
	"github.com/segl/segl/internal/errs"
)

// Flow says how the signer reaches the job (MISSION S3).
type Flow string

const (
	Direct Flow = "direct" // the sender's web app redirects the signer to segl and back
	Portal Flow = "portal" // the signer is notified and signs later in segl's portal
)

// SignatureType says who seals the signing act (MISSION S2).
type SignatureType string

const (
	Authenticated SignatureType = "authenticated" // eID login; segl seals as trusted third party
	Advanced      SignatureType = "advanced"      // the signer's own PKI key signs
)

// Assurance is the eID level of assurance the job requires (eIDAS
// substantial = ID-porten level 3, high = level 4).
type Assurance string

const (
	Substantial Assurance = "substantial"
	High        Assurance = "high"
)

// Identifier says how signers are identified in the signed output (MISSION S4).
type Identifier string

const (
	ShowPID              Identifier = "pid"
	ShowBirthDateAndName Identifier = "birth_date_and_name"
	ShowName             Identifier = "name"
)

// Languages are the languages a job can be in (Job.Lang): those the
// signature page and the receipt have texts in (internal/doctext's
// catalogues), so a translator's new catalogue makes a new job language.
var Languages = doctext.Languages()

// Language is the job's language, "nb" for a job that has none.
func (j *Job) Language() string {
	if j.Lang == "" {
		return "nb"
	}
	return j.Lang
}

// DefaultIdentifier is what a job shows when the sender does not say: the
// signer's name and birth date. The national identity number then stays
// out of the signed file, which every co-signer and every later reader
// sees (the data minimisation of GDPR art. 5(1)(c)); a sender who needs
// it asks for ShowPID.
const DefaultIdentifier = ShowBirthDateAndName

// Retention says how long the signed result is kept (MISSION L1).
type Retention struct {
	Archive bool `json:"archive"`         // keep long-term with preservation
	Years   int  `json:"years,omitempty"` // when archived
}

// ExitURLs are where a direct-flow signer is sent back to.
type ExitURLs struct {
	Completion string `json:"completion,omitempty"`
	Rejection  string `json:"rejection,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Polling says that the sender follows a job by polling a named queue
// (MISSION I5) rather than by the feed or callbacks: Posten's signature API
// (status-retrieval-method POLLING and polling-queue). Queue "" is the
// default queue.
type Polling struct {
	Queue string `json:"queue"`
}

// Job is one signature job of one organisation.
type Job struct {
	ID            string
	Org           string // organisation number of the sender
	Creator       string // who created it: "cert:<serial>" for the API, "pid:<...>" for the portal
	Flow          Flow
	SignatureType SignatureType
	Assurance     Assurance
	Title         string
	Description   string // non-sensitive text for notifications
	Reference     string // the sender's own reference
	Identifier    Identifier
	// Lang is the job's language, one of Languages: the signature page
	// is in it and English side by side (an English job's in bokmål and
	// English), and a text document is rendered with it. Empty (a job
	// from before languages) is "nb".
	Lang        string
	CallbackURL string
	ExitURLs    ExitURLs
	Retention   Retention
	// Polling, when set, puts the job's changes in a polling queue of
	// Posten's signature API; nil for jobs followed otherwise.
	Polling     *Polling
	Status      Status
	ActivatesAt time.Time
	ExpiresAt   time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// EndedAt is when the job reached a final status; zero before.
	EndedAt time.Time
	// RetainDays is how long after its end a job that is not archived is
	// kept: the organisation's default when the job was created, so what
	// the sender was promised does not change under it.
	RetainDays int
	// DeletedAt is when the job's documents, evidence and signers'
	// personal data were deleted (DeleteAfter or the sender's request);
	// zero while they are kept.
	DeletedAt time.Time
	// AuditKey is the job's own key for the pseudonyms of its signers'
	// identity numbers in the audit log (audit.Pseudonym). It is destroyed
	// with the job's personal data, after which the pseudonyms link to
	// nobody (docs/architecture.md, "Retention").
	AuditKey  []byte
	Version   int // compare-and-swap counter, bumped by every saved change
	Documents []Document
	Signers   []Signer
}

// DocumentRole says where a document of a job comes from, and so whether
// the signers sign it (Job.Signs).
type DocumentRole string

const (
	// Original is a document as the sender uploaded it.
	Original DocumentRole = "original"
	// Combined is the one PDF segl made of a job's originals when the
	// sender asked for one signed document per job (Posten's signature
	// API: one PAdES per job, docs/posten-api.md): a front page naming
	// every original by its SHA-256, followed by their pages in order.
	// A job has at most one, and its signers sign it alone.
	Combined DocumentRole = "combined"
)

// Document is one input document of a job. Its bytes live in the blob store
// under BlobKey, the hex SHA-256 of the content.
type Document struct {
	ID        string
	Title     string
	FileName  string
	MediaType string // application/pdf or text/plain
	Size      int64
	SHA256    string // hex
	Pages     int    // for PDFs
	// Role is Original for what the sender uploaded (New sets it when
	// empty) or Combined for the document segl made of them.
	Role DocumentRole
	// Signed is the newest revision of the document as segl signs it
	// (prepared, then one revision per signer, then the long-term one); zero
	// until the first signing act.
	Signed Revision
}

// Revision is one stored version of a signed document. Each signing act,
// the completion to B-LTA and each archive renewal only append an
// incremental update to the file (ISO 32000-1 §7.5.6), so a revision is
// stored as the spans of its parent followed by one blob holding what was
// appended (blob.Tail): a document signed by ten signers is kept about
// once, not eleven times.
type Revision struct {
	// SHA256 is the hex SHA-256 of the whole file: what the audit trail,
	// the evidence and the API name, and the download's ETag.
	SHA256 string
	Size   int64
	// Parts are the stored spans whose concatenation is the file, in
	// order. Nil means the file is stored whole as the blob SHA256, as
	// every revision was before revisions were stored in parts.
	Parts []blob.Span
}

// Spans are the stored spans that make up the file.
func (r Revision) Spans() []blob.Span {
	if r.Parts == nil {
		return []blob.Span{{Key: r.SHA256, Size: r.Size}}
	}
	return r.Parts
}

// Blobs lists the blobs the revision is made of: every one of them must be
// kept while the revision is.
func (r Revision) Blobs() []string { return blob.Keys(r.Spans()) }

// Append returns the revision that is r followed by the span tail: the
// revision whose whole file has SHA-256 sum and size bytes. r's spans of
// content not stored before (an empty Key: a prepared document's own
// bytes, blob.NewTailAfter) are in tail's blob, ahead of tail.
func (r Revision) Append(sum string, size int64, tail blob.Span) Revision {
	parts := slices.Clone(r.Spans())
	for i := range parts {
		if parts[i].Key == "" {
			parts[i].Key = tail.Key
		}
	}
	return Revision{SHA256: sum, Size: size, Parts: append(parts, tail)}
}

// SignedFileName names the signed file: kontrakt.txt → kontrakt-signed.pdf
// (signed output is always PDF).
func (d Document) SignedFileName() string {
	return strings.TrimSuffix(d.FileName, path.Ext(d.FileName)) + "-signed.pdf"
}

// BlobKey is the content address of the document's bytes.
func (d Document) BlobKey() string { return d.SHA256 }

// Signer is one person asked to sign.
type Signer struct {
	ID         string
	PID        string // national identity number, when addressed by it
	Email      string
	Mobile     string
	Order      int    // signers with lower order sign first; equal order signs in parallel
	OnBehalfOf string // organisation number, empty when signing for oneself
	// Ref is the sender's own name for a direct-flow signer addressed by
	// nothing else (Posten's signer-identifier): whoever the sender sends
	// to the link and logs in signs. For a portal signer of Posten's API
	// addressed by a mobile number, it is that number as the sender wrote
	// it, which its client matches statuses by.
	Ref       string
	Status    SignerStatus
	UpdatedAt time.Time
	// Name is the signer's name as the eID gave it, once they signed.
	Name string
	// Evidence is the blob key of the blob that holds the signer's XAdES
	// evidence, once they signed: what references to the evidence count.
	// For an evidence stored alone (every one recorded before migration 21
	// of SQLite, 16 of PostgreSQL, and one the act's update did not embed
	// as it is) that is its SHA-256.
	Evidence string
	// EvidenceAt and EvidenceSize are where in the blob Evidence the
	// evidence is: usually the blob of what the signing act appended to a
	// document, whose update embeds it (deflated since migration 22
	// (SQLite) or 17 (PostgreSQL), as it is before; signing.OpenEvidence
	// reads both), or the whole of a blob of its own
	// (signing.Signed.Evidence). EvidenceSHA256 is the evidence's own
	// SHA-256 (hex). All zero for an evidence recorded before migration
	// 21 (SQLite) or 16 (PostgreSQL).
	EvidenceAt, EvidenceSize int64
	EvidenceSHA256           string
	// Notice says how the signer was (or why they were not) notified of a
	// portal job: "email", "sms", "email+sms", or a reason such as
	// "reserved", "no-contact", "inactive". Empty until the first notice.
	Notice string
	// RejectionReason is what the signer wrote to the sender when they
	// rejected the job; empty when they wrote nothing or did not reject.
	// It is the signer's personal data, kept and deleted with the job.
	RejectionReason string
}

// EvidenceSpans are the stored span of the signer's evidence, for
// blob.OpenSpans; nil for one recorded before migration 21 (SQLite) or 16
// (PostgreSQL), which is the whole blob Evidence (its size not recorded).
func (s Signer) EvidenceSpans() []blob.Span {
	if s.EvidenceSize == 0 {
		return nil
	}
	return []blob.Span{{Key: s.Evidence, Offset: s.EvidenceAt, Size: s.EvidenceSize}}
}

// EvidenceSum is the hex SHA-256 of the signer's evidence.
func (s Signer) EvidenceSum() string {
	if s.EvidenceSHA256 == "" {
		return s.Evidence // recorded before the span: stored alone, under its SHA-256
	}
	return s.EvidenceSHA256
}

// Sequential reports whether the signers sign in more than one round.
func (j *Job) Sequential() bool {
	for _, s := range j.Signers[1:] {
		if s.Order != j.Signers[0].Order {
			return true
		}
	}
	return false
}

// Signer returns the signer with the given id.
func (j *Job) Signer(id string) (*Signer, bool) {
	for i := range j.Signers {
		if j.Signers[i].ID == id {
			return &j.Signers[i], true
		}
	}
	return nil, false
}

// Combined returns the job's combined document, or nil when it has none.
func (j *Job) Combined() *Document {
	for i := range j.Documents {
		if j.Documents[i].Role == Combined {
			return &j.Documents[i]
		}
	}
	return nil
}

// Signs reports whether the signers sign d, a document of j: the combined
// document alone when j has one (the originals are kept as uploaded and
// named, by their SHA-256, on its front page and in every signer's
// evidence), else every document.
func (j *Job) Signs(d *Document) bool {
	return d.Role == Combined || j.Combined() == nil
}

// Document returns the document with the given id, or a NotFound error.
func (j *Job) Document(id string) (*Document, error) {
	for i := range j.Documents {
		if j.Documents[i].ID == id {
			return &j.Documents[i], nil
		}
	}
	return nil, errs.E(errs.NotFound, CodeDocumentNotFound, "no document %s in job %s", id, j.ID)
}

// SearchText is what a search of the portal's list looks in: the title,
// the reference and the signers' names, folded by SearchKey and one per
// line, so a search never matches across two of them. Stores keep it
// beside the job and update it when a signer's name becomes known; a
// deleted job's is empty, like its title.
func (j *Job) SearchText() string {
	if j.Deleted() {
		return ""
	}
	parts := []string{j.Title, j.Reference}
	for _, s := range j.Signers {
		if s.Name != "" {
			parts = append(parts, s.Name)
		}
	}
	return SearchKey(strings.Join(parts, "\n"))
}

// SearchKey folds text for a case-insensitive substring search that
// reads the same in every store: Unicode lower case ("Ærlig Øvre Ås" and
// "ærlig øvre ås" are one), spaces collapsed. The databases compare the
// folded bytes only, so neither's collation or case rules matter.
func SearchKey(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(strings.ToLower(l)), " ")
	}
	return strings.Join(lines, "\n")
}
