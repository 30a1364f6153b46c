// Package store defines the storage port segl's use cases need. Every call
// that touches a tenant's data takes the organisation number first, so there
// is no way to fetch a job without saying whose it is; across tenants the
// answer is NotFound.
//
// Implementations (sqlite/, later postgres/) must pass storetest.Run.
package store

import (
	"context"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/job"
)

// Store is the whole storage port.
type Store interface {
	Orgs
	Jobs
	Feed
	// AuditRecords calls fn for every audit record after seq, in order.
	AuditRecords(ctx context.Context, after int64, fn func(audit.Record) error) error
	Close() error
}

// Org is an organisation allowed (or no longer allowed) to use the service.
type Org struct {
	Number         string
	Name           string
	Active         bool
	SignatureTypes []job.SignatureType // allowed signature types
	CreatedAt      time.Time
}

// Allows reports whether the organisation may create jobs of type t.
func (o Org) Allows(t job.SignatureType) bool {
	for _, a := range o.SignatureTypes {
		if a == t {
			return true
		}
	}
	return false
}

// Orgs holds the organisations (MISSION I4: the central administrator
// decides who may use the service).
type Orgs interface {
	PutOrg(ctx context.Context, o Org) error // insert or update
	Org(ctx context.Context, number string) (Org, error)
	ListOrgs(ctx context.Context) ([]Org, error)
}

// Jobs holds signature jobs.
type Jobs interface {
	// CreateJob stores a new job with its documents and signers, appends its
	// events to the feed and the audit log, and, when idem is not nil,
	// records the idempotency key, all in one transaction. A key already
	// used by the organisation gives a Conflict with code "idempotency-key-used".
	CreateJob(ctx context.Context, j *job.Job, events []job.Event, idem *Idempotency) error
	// Job returns one job of org with its documents and signers.
	Job(ctx context.Context, org, id string) (*job.Job, error)
	// ListJobs returns org's jobs newest first, without documents and
	// signers, and the cursor for the next page ("" at the end).
	ListJobs(ctx context.Context, org string, q JobQuery) ([]job.Job, string, error)
	// SaveJob writes the job's status, its signers' status, names and
	// evidence, and its documents' signed revisions if the stored version
	// still equals j.Version (compare-and-swap), appending events to the feed
	// and audit log in the same transaction. A lost race is a Conflict with
	// code "job-changed". On success j.Version is incremented.
	SaveJob(ctx context.Context, j *job.Job, events []job.Event) error
	// Idempotency returns the stored key of org, or NotFound.
	Idempotency(ctx context.Context, org, key string) (Idempotency, error)
	// SignerJob finds the organisation and job of a signer. It is the one
	// lookup not scoped by organisation, for signer links whose HMAC token
	// was checked first.
	SignerJob(ctx context.Context, signerID string) (org, jobID string, err error)
	// SignerTasks lists the unfinished signer entries of a person, across
	// organisations: the person's own view in the portal, scoped by their
	// verified identity number.
	SignerTasks(ctx context.Context, pid string) ([]SignerRef, error)
	// DueJobs lists up to limit jobs of any organisation whose time has
	// come: active or created jobs past their expiry, and created jobs past
	// their activation time. For the background sweep only.
	DueJobs(ctx context.Context, now time.Time, limit int) ([]JobRef, error)
}

// JobRef names one job.
type JobRef struct {
	Org, JobID string
}

// JobQuery selects a page of jobs.
type JobQuery struct {
	Status job.Status // optional filter
	Cursor string     // from a previous page
	Limit  int        // 1..100; 0 means 25
}

// Idempotency remembers the first request made with an Idempotency-Key.
type Idempotency struct {
	Key         string
	RequestHash string // of the JSON part and the documents' hashes
	JobID       string
	CreatedAt   time.Time
}

// Change is one entry of an organisation's status feed (MISSION I5).
type Change struct {
	Seq          int64
	JobID        string
	SignerID     string
	Type         string
	JobStatus    job.Status
	SignerStatus job.SignerStatus
	At           time.Time
}

// Feed is the sender's polling queue: each change is delivered until the
// sender acknowledges it.
type Feed interface {
	// Changes returns up to limit unacknowledged changes of org with
	// sequence numbers above after, oldest first.
	Changes(ctx context.Context, org string, after int64, limit int) ([]Change, error)
	// Ack acknowledges changes of org; unknown or foreign numbers are
	// ignored. It returns how many were newly acknowledged.
	Ack(ctx context.Context, org string, seqs []int64) (int, error)
}

// SignerRef names one signer entry of one job.
type SignerRef struct {
	Org, JobID, SignerID string
}
