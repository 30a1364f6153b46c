package client

import "time"

// JobRequest is the JSON part of a create-job request (DESIGN §6).
type JobRequest struct {
	Title            string          `json:"title"`
	Description      string          `json:"description,omitempty"`
	Flow             string          `json:"flow"`           // "direct" or "portal"
	SignatureType    string          `json:"signature_type"` // "authenticated" or "advanced"
	LevelOfAssurance string          `json:"level_of_assurance,omitempty"`
	Reference        string          `json:"reference,omitempty"`
	Identifier       string          `json:"identifier,omitempty"` // "pid", "birth_date_and_name" (the default) or "name"
	Language         string          `json:"language,omitempty"`   // "nb" (the default), "nn" or "en": the signature page's and rendered text's
	CallbackURL      string          `json:"callback_url,omitempty"`
	ExitURLs         *ExitURLs       `json:"exit_urls,omitempty"`
	Retention        *Retention      `json:"retention,omitempty"`
	ActivatesAt      *time.Time      `json:"activates_at,omitempty"`
	ExpiresAt        *time.Time      `json:"expires_at,omitempty"`
	Documents        []DocumentRef   `json:"documents"`
	Signers          []SignerRequest `json:"signers"`
}

// DocumentRef names the multipart part holding a document.
type DocumentRef struct {
	Title    string `json:"title"`
	File     string `json:"file"`
	FileName string `json:"file_name,omitempty"`
}

// SignerRequest addresses a signer by identity number, e-mail and/or mobile.
type SignerRequest struct {
	PID        string `json:"pid,omitempty"`
	Email      string `json:"email,omitempty"`
	Mobile     string `json:"mobile,omitempty"`
	Order      int    `json:"order,omitempty"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
}

// ExitURLs are where a direct-flow signer returns to.
type ExitURLs struct {
	Completion string `json:"completion,omitempty"`
	Rejection  string `json:"rejection,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Retention asks for long-term archiving.
type Retention struct {
	Archive bool `json:"archive"`
	Years   int  `json:"years,omitempty"`
}

// Job statuses (Job.Status, Event.JobStatus). A job is signed when every
// signer has signed: its long-term revisions (PAdES B-LTA) are then being
// made in the background, and each signed document downloads as the
// revision with every signature. It is completed once they are stored: the
// signed documents are final. A job ends completed, rejected, expired,
// cancelled or failed.
const (
	JobCreated   = "created"
	JobActive    = "active"
	JobSigned    = "signed"
	JobCompleted = "completed"
	JobRejected  = "rejected"
	JobExpired   = "expired"
	JobCancelled = "cancelled"
	JobFailed    = "failed"
)

// Job is a signature job as the API returns it.
type Job struct {
	ID               string    `json:"id"`
	Status           string    `json:"status"`
	Flow             string    `json:"flow"`
	SignatureType    string    `json:"signature_type"`
	LevelOfAssurance string    `json:"level_of_assurance"`
	Title            string    `json:"title"`
	Description      string    `json:"description,omitempty"`
	Reference        string    `json:"reference,omitempty"`
	Identifier       string    `json:"identifier"`
	Language         string    `json:"language"`
	CallbackURL      string    `json:"callback_url,omitempty"`
	ExitURLs         *ExitURLs `json:"exit_urls,omitempty"`
	Retention        Retention `json:"retention"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	ActivatesAt      time.Time `json:"activates_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	// EndedAt is when the job reached a final status.
	EndedAt *time.Time `json:"ended_at,omitempty"`
	// DeleteAfter is when the documents, evidence and signers' personal
	// data will be deleted (MISSION L1); set once the job has ended.
	DeleteAfter *time.Time `json:"delete_after,omitempty"`
	// DeletedAt is when they were deleted: the job is a tombstone and
	// its downloads answer 410 Gone.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	Documents []Document `json:"documents,omitempty"`
	Signers   []Signer   `json:"signers,omitempty"`
	// Warnings, only in the answer that creates the job (and its
	// idempotent replays), say what segl removes from a document before
	// signing it, such as JavaScript in form actions.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is something segl removes from an accepted document before it
// is signed; the document is signed without it.
type Warning struct {
	Document string `json:"document"` // the document's id
	Code     string `json:"code"`     // stable, e.g. "javascript-removed"
	Detail   string `json:"detail,omitempty"`
}

// Document is one input document of a job.
type Document struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	FileName  string `json:"file_name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Pages     int    `json:"pages,omitempty"`
	// Role is given for the documents of a job whose signers sign one
	// combined document (a job of Posten's signature API with several
	// documents): "combined" for that document, "original" for the
	// documents as uploaded, which are not signed. Empty for every other
	// job, whose documents are all originals and all signed.
	Role string `json:"role,omitempty"`
}

// Signer is one signer of a job and their status.
type Signer struct {
	ID         string    `json:"id"`
	PID        string    `json:"pid,omitempty"`
	Email      string    `json:"email,omitempty"`
	Mobile     string    `json:"mobile,omitempty"`
	Order      int       `json:"order"`
	OnBehalfOf string    `json:"on_behalf_of,omitempty"`
	Status     string    `json:"status"`
	UpdatedAt  time.Time `json:"updated_at"`
	SigningURL string    `json:"signing_url,omitempty"` // direct flow: where to send the signer
	// RejectionReason is what the signer wrote to the sender when they
	// rejected the job, if anything.
	RejectionReason string `json:"rejection_reason,omitempty"`
}

// JobList is one page of jobs.
type JobList struct {
	Jobs       []Job  `json:"jobs"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Event is one status change in the organisation's feed.
type Event struct {
	Seq          int64     `json:"seq"`
	JobID        string    `json:"job_id"`
	SignerID     string    `json:"signer_id,omitempty"`
	Type         string    `json:"type"`
	JobStatus    string    `json:"job_status"`
	SignerStatus string    `json:"signer_status,omitempty"`
	At           time.Time `json:"at"`
	// RejectionReason is, for signer.rejected, what the signer wrote to
	// the sender, if anything.
	RejectionReason string `json:"rejection_reason,omitempty"`
}

// EventList is a batch of unacknowledged events.
type EventList struct {
	Events []Event `json:"events"`
}

// Ack acknowledges events by sequence number.
type Ack struct {
	Seqs []int64 `json:"seqs"`
}

// AckResult says how many events were newly acknowledged.
type AckResult struct {
	Acknowledged int `json:"acknowledged"`
}
