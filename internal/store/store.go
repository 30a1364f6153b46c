// Package store defines the storage port segl's use cases need. Every call
// that touches a tenant's data takes the organisation number first, so there
// is no way to fetch a job without saying whose it is; across tenants the
// answer is NotFound.
//
// Implementations (sqlite/, postgres/) must pass storetest.Run.
package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/job"
)

// Store is the whole storage port.
type Store interface {
	Orgs
	Users
	Jobs
	Feed
	Outbox
	Notices
	Codes
	Usage
	Renewals
	Retention
	Polls
	// AuditRecords calls fn for every audit record after seq, in order.
	AuditRecords(ctx context.Context, after int64, fn func(audit.Record) error) error
	// The chain's RFC 3161 anchors (audit.AnchorHead stores them).
	audit.Anchors
	// AuditAnchors calls fn for every anchor, in seq order.
	AuditAnchors(ctx context.Context, fn func(audit.Anchor) error) error
	Close() error
}

// Org is an organisation allowed (or no longer allowed) to use the service.
type Org struct {
	Number         string
	Name           string
	Active         bool
	SignatureTypes []job.SignatureType // allowed signature types
	CreatedAt      time.Time
	// ContactEmail receives the sender's notices (job completed or failed)
	// for jobs made through the API; portal jobs notify their creator.
	ContactEmail string
	// CertSubject, when set, is the one API client certificate subject
	// (RFC 2253 string) the organisation may use; empty accepts any valid
	// enterprise certificate naming the organisation.
	CertSubject string
	// RetentionDays is how long a job that is not archived is kept after
	// it ends (MISSION L1: 30 to 40 days), set by the central
	// administrator; zero means job.DefaultRetentionDays.
	RetentionDays int
	// Brokers are the organisation numbers of the brokers (data
	// processors) the organisation lets act on its behalf through Posten's
	// signature API, each with its own enterprise certificate, in the
	// order the central administrator gave them. A broker must itself be
	// onboarded: its certificate authenticates it as itself first.
	Brokers []string
	// Logo names the organisation's logo, read with it so that a signer's
	// page links to the logo without reading its bytes; zero when it has
	// none. Only PutOrgLogo changes it: writes of an Org ignore it.
	Logo LogoRef
}

// AllowsBroker reports whether broker may act on the organisation's
// behalf.
func (o Org) AllowsBroker(broker string) bool {
	return broker != "" && slices.Contains(o.Brokers, broker)
}

// BrokerList is Brokers comma-separated, as the stores keep it.
func (o Org) BrokerList() string { return strings.Join(o.Brokers, ",") }

// SplitList is the inverse of TypeList and BrokerList: "" is none.
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Retention returns the organisation's retention in days, the default
// when none was set.
func (o Org) Retention() int {
	if o.RetentionDays == 0 {
		return job.DefaultRetentionDays
	}
	return o.RetentionDays
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

// TypeList is SignatureTypes comma-separated, as the stores keep it.
func (o Org) TypeList() string {
	types := make([]string, len(o.SignatureTypes))
	for i, t := range o.SignatureTypes {
		types[i] = string(t)
	}
	return strings.Join(types, ",")
}

// AuditDetails are the facts the audit record of a change to o carries
// ("org.saved", "org.onboarded"), the same whichever store writes it.
func (o Org) AuditDetails() map[string]any {
	return map[string]any{"name": o.Name, "active": o.Active, "signature_types": o.TypeList(),
		"contact_email": o.ContactEmail, "cert_subject": o.CertSubject, "retention_days": o.Retention(),
		"brokers": o.BrokerList()}
}

// By says who makes a change to organisations or users, and when. Each
// such change is written together with its record in the audit log, in one
// transaction, as job changes are.
type By struct {
	Actor string // "admin:<pid>", "pid:<pid>" (a portal administrator), "dev", …
	At    time.Time
}

// Orgs holds the organisations (MISSION I4: the central administrator
// decides who may use the service).
type Orgs interface {
	// PutOrg inserts or updates an organisation.
	PutOrg(ctx context.Context, by By, o Org) error
	// Onboard adds a new organisation together with its first portal
	// administrator; an existing number is a Conflict with code
	// "org-exists" and changes nothing.
	Onboard(ctx context.Context, by By, o Org, admin User) error
	Org(ctx context.Context, number string) (Org, error)
	ListOrgs(ctx context.Context) ([]Org, error)
	// OrgLogo returns an organisation's logo: NotFound (code
	// "logo-not-found") when it has none.
	OrgLogo(ctx context.Context, number string) (Logo, error)
	// PutOrgLogo sets an organisation's logo, or removes it when l is
	// nil, with its audit record.
	PutOrgLogo(ctx context.Context, by By, number string, l *Logo) error
}

// Logo is an organisation's logo, which its signers see beside its name
// (issue 14). It is small (staff.MaxLogoSize) and kept in the database:
// the blob store keeps only what jobs refer to, and its sweep would take
// it.
type Logo struct {
	MediaType string // image/png or image/jpeg
	Data      []byte
	SHA256    string // hex, of Data: the logo's URL names it, so a new logo is never an old cached one
	UpdatedAt time.Time
}

// LogoRef names a logo without its bytes: what a page needs to link to it.
type LogoRef struct {
	MediaType string
	SHA256    string
}

// Ref is the name of l.
func (l Logo) Ref() LogoRef { return LogoRef{MediaType: l.MediaType, SHA256: l.SHA256} }

// AuditDetails is what the audit log records of a logo: never its bytes.
func (l Logo) AuditDetails() map[string]any {
	return map[string]any{"media_type": l.MediaType, "sha256": l.SHA256, "size": len(l.Data)}
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
	// JobTable returns a page of org's jobs as the portal lists them:
	// filtered, searched, sorted and paged by the database, each job with
	// its signers in order.
	JobTable(ctx context.Context, org string, q TableQuery) (JobTable, error)
	// SaveJob writes the job's status, its signers' status, names and
	// evidence, and its documents' signed revisions if the stored version
	// still equals j.Version (compare-and-swap), appending events to the feed
	// and audit log in the same transaction. A lost race is a Conflict with
	// code "job-changed". On success j.Version is incremented.
	SaveJob(ctx context.Context, j *job.Job, events []job.Event) error
	// Idempotency returns the stored key of org, or NotFound.
	Idempotency(ctx context.Context, org, key string) (Idempotency, error)
	// SignerJob returns the job of a signer, with its documents and
	// signers, read in one transaction as Job reads it; an unknown signer
	// is NotFound with code "signer-not-found". It is the one lookup not
	// scoped by organisation, for signer links whose HMAC token was checked
	// first, and for the pages of a signer whose session names them.
	SignerJob(ctx context.Context, signerID string) (*job.Job, error)
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
	Status  job.Status // optional filter
	Creator string     // optional filter: only jobs of this creator ("pid:…", "cert:…")
	Cursor  string     // from a previous page
	Limit   int        // 1..100; 0 means 25
}

// TableQuery selects one page of the portal's list of jobs (JobTable).
// Its zero value is the first page of every job, newest first.
type TableQuery struct {
	Creator string     // optional filter: only jobs of this creator ("pid:…")
	Status  job.Status // optional filter
	// Search, when not empty, keeps the jobs whose title, reference or a
	// signer's name holds it, in any case (job.SearchKey folds both
	// sides); an 11-digit search is also a signer's identity number,
	// matched whole.
	Search string
	Sort   Sort // "" is SortCreated descending: the newest first
	Desc   bool // descending; ties fall to the newest first
	Offset int  // jobs to skip: (page-1) × Limit
	Limit  int  // 1..MaxTableLimit; 0 means 25
}

// MaxTableLimit bounds a page of JobTable, whatever the caller asks.
const MaxTableLimit = 100

// TableLimit is q's page size within its bounds.
func (q TableQuery) TableLimit() int {
	switch {
	case q.Limit <= 0:
		return 25
	case q.Limit > MaxTableLimit:
		return MaxTableLimit
	}
	return q.Limit
}

// Sort is a column the portal's list of jobs sorts by.
type Sort string

const (
	SortCreated  Sort = "created" // the default
	SortDeadline Sort = "deadline"
	SortTitle    Sort = "title"
	// SortStatus orders by the job's life, not the spelling of its
	// status: waiting first, then the ends (StatusRank).
	SortStatus Sort = "status"
)

// Valid reports whether s is a known sort column.
func (s Sort) Valid() bool {
	return s == SortCreated || s == SortDeadline || s == SortTitle || s == SortStatus
}

// StatusRank is the order SortStatus lists statuses in, the same in
// every store (they write it as a CASE expression).
var StatusRank = []job.Status{job.StatusCreated, job.StatusActive, job.StatusSigned, job.StatusCompleted,
	job.StatusRejected, job.StatusExpired, job.StatusCancelled, job.StatusFailed}

// StatusRankSQL is StatusRank as an SQL expression over the status column,
// for an ORDER BY that every store writes alike.
func StatusRankSQL() string {
	var b strings.Builder
	b.WriteString("CASE status")
	for i, st := range StatusRank {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", st, i)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(StatusRank))
	return b.String()
}

// TableOrder is the ORDER BY list of q in SQL both stores speak. A title
// sorts by its folded form (the search column begins with it), so case
// and the database's collation do not move it; ties, and the default,
// fall to the newest first.
func TableOrder(q TableQuery) string {
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	switch q.Sort {
	case SortDeadline:
		return "expires_at" + dir + ", id DESC"
	case SortTitle:
		return "search" + dir + ", id DESC"
	case SortStatus:
		return StatusRankSQL() + dir + ", id DESC"
	case SortCreated:
		return "created_at" + dir + ", id" + dir
	}
	return "created_at DESC, id DESC"
}

// SearchPID reports whether a search is an identity number, to be
// matched whole against the signers' (never as a substring).
func SearchPID(search string) bool {
	return len(search) == 11 && strings.Trim(search, "0123456789") == ""
}

// JobTable is one page of the portal's list and how many jobs match in
// all, for "page 2 of 7".
type JobTable struct {
	Jobs  []TableRow
	Total int
}

// TableRow is one job of the list: what the table shows, no documents.
type TableRow struct {
	ID, Title, Reference, Creator string
	Status                        job.Status
	CreatedAt, ExpiresAt          time.Time
	Deleted                       bool
	Signers                       []TableSigner
}

// TableSigner is what the list shows of a signer. PID is there to derive
// a birth date from when no name is known yet; it is never shown.
type TableSigner struct {
	Name, PID, Email, Mobile string
	Status                   job.SignerStatus
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
	Org          string
	JobID        string
	SignerID     string
	Type         string
	JobStatus    job.Status
	SignerStatus job.SignerStatus
	At           time.Time
	// RejectionReason is what the signer wrote when rejecting, for a
	// signer.rejected change. The feed does not store it: it is read from
	// the job (job.Signer.RejectionReason) when the change is delivered,
	// so it is deleted with the job's personal data.
	RejectionReason string `json:"-"`
}

// Renewals is the schedule of archive renewals (MISSION L2): when each
// signed document of a completed, archived job next needs a new document
// time-stamp (internal/renewal).
type Renewals interface {
	// DueRenewals lists up to limit signed documents of completed archived
	// jobs not deleted whose renewal is due at or before until, soonest
	// first; documents never scheduled (a zero time) come first.
	DueRenewals(ctx context.Context, until time.Time, limit int) ([]DocRef, error)
	// ScheduleRenewal sets when the document's renewal is next due. A
	// document that no longer exists is NotFound.
	ScheduleRenewal(ctx context.Context, org, jobID, docID string, at time.Time) error
}

// DocRef names one document and when its renewal is due (zero: never
// scheduled yet).
type DocRef struct {
	Org, JobID, DocID string
	RenewAt           time.Time
}

// Feed is the sender's polling queue: each change is delivered until the
// sender acknowledges it.
type Feed interface {
	// Changes returns up to limit unacknowledged changes of org with
	// sequence numbers above after, oldest first.
	Changes(ctx context.Context, org string, after int64, limit int) ([]Change, error)
	// PolledChanges is Changes of the jobs of one flow followed by
	// polling one queue (job.Polling: Posten's signature API), so that
	// the changes that poll does not deliver (the /api/v1 feed's, which
	// its reader may never acknowledge; another queue's nobody confirms)
	// cannot crowd its scan out.
	PolledChanges(ctx context.Context, org string, flow job.Flow, queue string, after int64, limit int) ([]Change, error)
	// Ack acknowledges changes of org; unknown or foreign numbers are
	// ignored. It returns how many were newly acknowledged.
	Ack(ctx context.Context, org string, seqs []int64) (int, error)
}

// Polls is the state of polling Posten's signature API that every node
// behind a load balancer must see alike (internal/postenapi): when each
// polling queue may next be polled, and which jobs a poll delivered and
// the sender has not confirmed yet. Both are bounded whatever a sender
// sends: an organisation has at most the limit it is given of queues with
// a time to wait for, and a lease per job it has; what has passed is
// forgotten as new state is written.
type Polls interface {
	// NextPoll returns when org's queue may next be polled: the zero time
	// when no wait is recorded, or one that has passed.
	NextPoll(ctx context.Context, org, queue string) (time.Time, error)
	// SetNextPoll records that org's queue may not be polled before at.
	// In the same transaction it forgets org's queues whose time is not
	// after now and, when limit queues of org are still waiting, the one
	// whose wait ends first, so at most limit are kept.
	SetNextPoll(ctx context.Context, org, queue string, at, now time.Time, limit int) error
	// LeaseDelivery hides org's job from other polls until until, noting
	// the feed sequence number through which the delivered status covers
	// its changes. It reports false, and changes nothing, when a lease
	// that has not ended at now holds the job: of concurrent polls on any
	// node, only one delivers it. An ended lease keeps its number for a
	// confirmation that comes late, until LeaseMemory after its end, when
	// a later lease of the organisation forgets it.
	LeaseDelivery(ctx context.Context, org, jobID string, through int64, now, until time.Time) (bool, error)
	// Leased lists org's jobs whose lease has not ended at now, so that a
	// poll passes over them without trying each: a sender that does not
	// confirm can have a delivered job for every poll of ten minutes.
	Leased(ctx context.Context, org string, now time.Time) ([]string, error)
	// EndDelivery ends the lease of org's job, ended or not, and returns
	// the sequence number its delivery covered; 0 when there is none.
	EndDelivery(ctx context.Context, org, jobID string) (int64, error)
}

// LeaseMemory is how long after its end a delivery's lease is kept
// (Polls.LeaseDelivery): a sender confirming later acknowledges every
// change of the job, delivered or not.
const LeaseMemory = 24 * time.Hour

// SignerRef names one signer entry of one job.
type SignerRef struct {
	Org, JobID, SignerID string
}

// Role is what a portal user may do in their organisation (MISSION I4).
type Role string

const (
	RoleAdmin  Role = "admin"  // sees all the organisation's jobs, grants access
	RoleSender Role = "sender" // sees only their own jobs
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleSender }

// User is a person allowed into the sender portal for one organisation.
type User struct {
	Org       string
	PID       string // national identity number, as ID-porten gives it
	Name      string // as the granting administrator wrote it, or the eID gave it
	Email     string // for the sender's notices; may be empty
	Role      Role
	CreatedAt time.Time
	CreatedBy string // "pid:<…>" of the granting user or "admin:<…>"
}

// Users holds the sender portal's users.
type Users interface {
	// PutUser inserts or updates a user of an organisation.
	PutUser(ctx context.Context, by By, u User) error
	// User returns one user of org, or NotFound.
	User(ctx context.Context, org, pid string) (User, error)
	// UserOrgs lists the memberships of a person, across organisations,
	// ordered by organisation number: who they may act for after login.
	UserOrgs(ctx context.Context, pid string) ([]User, error)
	// ListUsers lists org's users ordered by name.
	ListUsers(ctx context.Context, org string) ([]User, error)
	// DeleteUser removes a user; NotFound when there is none. In the same
	// transaction the organisation's jobs they created (tombstones too)
	// and the users they granted access name them as FormerUser from then
	// on: no row of org keeps their identity number once their role there
	// is gone (MISSION L1).
	DeleteUser(ctx context.Context, by By, org, pid string) error
}

// AuditDetails encodes ev's details for the audit log of a job whose key
// is key: what a person wrote (ev.Written) only as audit.Said, since no
// record is ever edited and the text may name anybody.
func AuditDetails(key []byte, ev job.Event) []byte {
	details := ev.Details
	if text, ok := details[ev.Written].(string); ok && ev.Written != "" {
		details = maps.Clone(details)
		details[ev.Written] = audit.Said(key, text)
	}
	return audit.Details(details)
}

// FormerUser stands for a removed user as a job's creator and a user's
// granter (Users.DeleteUser): the portal shows "a former user", and no
// caller's actor ever equals it.
const FormerUser = "former-user"

// Outbox lets background workers follow every organisation's changes
// (the feed table is written in the same transaction as the change, so
// nothing that happened can be missed) from a cursor they keep here.
type Outbox interface {
	// ChangesAfter returns up to limit changes of all organisations with
	// sequence numbers above after, oldest first, acknowledged or not.
	ChangesAfter(ctx context.Context, after int64, limit int) ([]Change, error)
	// Cursor returns the named cursor, 0 when never set.
	Cursor(ctx context.Context, name string) (int64, error)
	// SetCursor moves the named cursor forward (never back). The move
	// need not outlive a power failure by itself (the SQLite store does
	// not wait for the disk; any later write that does makes it durable):
	// a worker must take the changes after its cursor again without harm
	// anyway, as after a crash between its work and the move.
	SetCursor(ctx context.Context, name string, seq int64) error
	// DeleteCursor removes the named cursor, which Cursor then reads as
	// 0; none by that name is no error. It waits for the disk.
	DeleteCursor(ctx context.Context, name string) error
}

// Channels a notice goes out on; usage is metered per channel.
const (
	ChannelEmail    = "email"
	ChannelSMS      = "sms"
	ChannelMailbox  = "mailbox"
	ChannelCallback = "callback"
)

// Notice records one effect delivered to the outside world: an e-mail, an
// SMS, a mailbox delivery or a callback. Its Key names the effect (e.g.
// "sign-request/<signer>/sms"), so a retried task that finds it recorded
// does not deliver twice.
type Notice struct {
	Key      string
	Org      string
	JobID    string
	SignerID string // empty for notices to the sender
	Channel  string
	Template string // notify template or callback event type
	At       time.Time
}

// Notices holds the record of delivered notices.
type Notices interface {
	// RecordNotice stores n; false (and no error) when its key exists.
	RecordNotice(ctx context.Context, n Notice) (bool, error)
	// RecordNotices stores the notices ns in one transaction, each whose
	// key exists left as it is: what one task delivered, durable with one
	// commit rather than one per notice.
	RecordNotices(ctx context.Context, ns []Notice) error
	// HasNotice reports whether a notice with this key was recorded.
	HasNotice(ctx context.Context, key string) (bool, error)
	// JobNotices lists a job's notices, oldest first.
	JobNotices(ctx context.Context, org, jobID string) ([]Notice, error)
}

// Code is a signer's one-time code, sent to an address the sender gave
// and kept only as a hash, together with what the signer has used of their
// allowance over the whole life of the job: the codes made and the guesses
// at them. The allowance bounds an attacker who has the link to a chance
// of Guesses in a million (docs/architecture.md, "One-time codes").
type Code struct {
	SignerID  string
	Hash      []byte
	ExpiresAt time.Time // the code is live before this; zero once spent
	SentAt    time.Time
	Attempts  int       // guesses at this code, right or wrong
	Sent      int       // codes made for the signer, this one included
	Guesses   int       // guesses at any of the signer's codes, right or wrong
	LockedAt  time.Time // when the allowance ran out and the link was locked; zero while usable
}

// Locked reports whether the signer's link is locked for good.
func (c Code) Locked() bool { return !c.LockedAt.IsZero() }

// Codes holds signers' one-time codes. The counting methods check and
// count in one step, so that concurrent requests can never together take
// more than the limit: a check followed by a separate increment lets every
// request that read the old count through.
type Codes interface {
	// PutCode replaces the signer's code with c's hash and times, starts
	// its count of attempts at zero and counts one more code made. It
	// refuses with Conflict ("code-limit") when maxCodes codes have been
	// made for the signer or their link is locked; c's counts are ignored.
	PutCode(ctx context.Context, c Code, maxCodes int) error
	// Code returns the signer's code and counts, or NotFound.
	Code(ctx context.Context, signerID string) (Code, error)
	// GuessCode counts one guess at the signer's code, only if the code is
	// live at now, has had fewer than perCode guesses, the signer fewer than
	// total guesses in all, and the link is not locked; it returns the code
	// with the guess counted, for the caller to compare. Otherwise nothing
	// is counted and the answer is Conflict ("code-used-up"), or NotFound
	// when the signer has no code.
	GuessCode(ctx context.Context, signerID string, now time.Time, perCode, total int) (Code, error)
	// SpendCode ends the signer's code whose hash is hash, after a right
	// guess. Only one caller can spend a code: the others, and any caller
	// after the code was replaced, get Conflict ("code-used-up").
	SpendCode(ctx context.Context, signerID string, hash []byte) error
	// LockCode locks the signer's link for good and ends any live code; a
	// link already locked keeps its first time.
	LockCode(ctx context.Context, signerID string, at time.Time) error
}

// UsageRow counts one billable item of one organisation in one month.
type UsageRow struct {
	Org   string
	Month string // "2026-11", in the zone UsageRows was given
	Item  string // job.Authenticated, job.Advanced, or a Channel
	Count int64
}

// Usage reads what the organisations used (MISSION P1), derived from the
// signers' acts and the notice record rather than counted separately.
type Usage interface {
	// UsageRows returns the counts with from <= time < to, by month in
	// loc (the months an invoice names are Norwegian months: a signature
	// at 00:30 on 1 December in Oslo counts in December), ordered by
	// organisation, month and item.
	UsageRows(ctx context.Context, from, to time.Time, loc *time.Location) ([]UsageRow, error)
}

// Retention deletes what a job must not keep beyond its time (MISSION L1):
// its documents' references, its signers' identity numbers and contact
// data, its notices and one-time codes, and its audit key. The job row
// stays as a tombstone.
type Retention interface {
	// DueDeletions lists up to limit jobs of any organisation whose
	// DeleteAfter is at or before now and that are not deleted yet. For the
	// background sweep only.
	DueDeletions(ctx context.Context, now time.Time, limit int) ([]JobRef, error)
	// JobBlobs lists the blob keys a job refers to: its uploaded
	// documents, every blob of every signed revision saved for them (a
	// revision stored in parts refers to each, job.Revision.Blobs), and
	// its signers' evidence; empty once the job is deleted.
	JobBlobs(ctx context.Context, org, id string) ([]string, error)
	// BlobReferenced reports whether a job other than org's id refers to
	// key, as JobBlobs would list it.
	BlobReferenced(ctx context.Context, key, org, id string) (bool, error)
	// DeletionsToNotice lists up to limit jobs, not deleted and whose
	// sender was not told yet, with DeleteAfter at or before before.
	DeletionsToNotice(ctx context.Context, before time.Time, limit int) ([]JobRef, error)
	// NoticeDeletion appends the event "job.deletion-due" to the job's
	// feed and the audit log and marks the sender told, once: a job
	// already told or deleted is left as it is.
	NoticeDeletion(ctx context.Context, org, id string, at time.Time) error
	// DeleteJob makes the job a tombstone at by.At and appends the event
	// "job.deleted" (reason and the hashes of every document and revision)
	// to the feed and the audit log, in one transaction; the audit record
	// names a person acting (by.Actor "pid:…") by their pseudonym under
	// the job's key (audit.Pseudonym), read before the tombstone drops
	// the key, as every other record of theirs on the job. The same
	// transaction records every blob the job referred to (JobBlobs) as
	// its deleted blobs, for the blob store's deletion to follow. A job
	// already deleted is left as it is, without a second event.
	DeleteJob(ctx context.Context, by By, org, id, reason string) error
	// DeletedBlobs lists the blobs DeleteJob recorded for the job and
	// ForgetDeletedBlobs has not forgotten yet; no job refers to them
	// through this one any more.
	DeletedBlobs(ctx context.Context, org, id string) ([]string, error)
	// ForgetDeletedBlobs forgets keys of the job's deleted blobs, once
	// they are deleted from the blob store or referred to by another job.
	ForgetDeletedBlobs(ctx context.Context, org, id string, keys []string) error
	// DeletedBlobJobs lists up to limit deleted jobs with deleted blobs
	// not forgotten yet, for the blob sweep.
	DeletedBlobJobs(ctx context.Context, limit int) ([]JobRef, error)
}
