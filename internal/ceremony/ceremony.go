// Package ceremony holds segl's use cases: create a job, read it, cancel it,
// follow its changes; later open it for a signer, sign, reject, expire and
// complete. It knows the storage ports, never their implementations, and
// returns *errs.Error kinds that the edges render.
package ceremony

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/publicip"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/store"
)

// Service runs the use cases. All fields are required except Log.
type Service struct {
	Store  store.Store
	Blobs  blob.Store
	Clock  clock.Clock
	Limits job.Limits
	// LinkKey derives signers' access tokens (HMAC), so a link can be
	// recomputed on any node and no secret is stored next to the job.
	LinkKey []byte
	// Engine makes the signed output of signing acts and completes
	// signed jobs; nil refuses both.
	Engine *signing.Engine
	// TempDir holds temporary files of the edges (an uploaded bundle);
	// "" = os.TempDir().
	TempDir string
	// DeletionNotice is how long before a job's deletion its sender is
	// told (event job.deletion-due); zero means DefaultDeletionNotice.
	DeletionNotice time.Duration
	// Queue takes background tasks the use cases start (sending a
	// one-time code, completing a signed job); nil refuses codes and
	// leaves completion to the feed (delivery.Service.Pump).
	Queue queue.Queue
	// Roles is the business register, asked about a signer who signs for
	// an organisation; nil leaves that unchecked.
	Roles registry.Roles
	// PrivateCallbacks lets callback URLs name loopback and private
	// addresses: development and tests only, whose receivers run there.
	// Otherwise CreateJob refuses them, as the callback dialler would.
	PrivateCallbacks bool
	// ClientCerts asks whether an API client's certificate is revoked
	// (checkNotRevoked); nil leaves that unchecked.
	ClientCerts *CertRevocation
	Log         *slog.Logger
}

// now is the clock truncated to what storage keeps, so what is returned
// equals what is read back later.
func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

// newID returns a random, time-ordered identifier (UUIDv7): ids sort by
// creation, which makes them usable as a paging cursor.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Caller is who acts: an organisation's API client or portal user.
type Caller struct {
	Org   string // organisation number, from the verified certificate or login
	Actor string // "cert:<serial>" or "pid:<number>", for the audit log
	// PID is the person's identity number for a portal user, "" for an
	// API client: who the staff use cases look up as the organisation's
	// administrator.
	PID string
	// OwnOnly limits the caller to the jobs it created: a portal user with
	// the sender role (MISSION I4). Other jobs of the organisation are
	// NotFound to it, as another organisation's are.
	OwnOnly bool
	// Broker is the organisation number of a broker acting for Org
	// through Posten's signature API (ActFor), "" for an organisation
	// acting for itself.
	Broker string
	org    *store.Org // as Authorize found it, so one request reads it once
}

// CreateJob validates the request against the uploaded documents and stores
// the new job. With an idempotency key, a repeat of the same request returns
// the first job, and a different request with the same key is a Conflict.
// The uploads come from StageDocument; only an accepted request moves them
// into the blob store, and the caller releases them either way. A request
// that asks for one signed document (job.Request.Combine) with several
// documents gets one more, the combined document (see combine), which the
// signers sign alone.
func (s *Service) CreateJob(ctx context.Context, c Caller, req *job.Request, uploads []Upload, idemKey string) (*job.Job, error) {
	now := s.now()
	if err := req.Validate(now, s.Limits); err != nil {
		return nil, err
	}
	if err := s.checkCallback(req.CallbackURL); err != nil {
		return nil, err
	}
	org, err := s.callerOrg(ctx, c)
	if err != nil {
		return nil, err
	}
	if !org.Allows(req.SignatureType) {
		return nil, errs.Field("signature_type", codeSignatureTypeNotAllowed,
			"your organisation may not use %s signatures", req.SignatureType)
	}
	byPart := map[string]Upload{}
	for _, u := range uploads {
		byPart[u.Part] = u
	}
	used := map[string]bool{}
	docs := make([]job.Document, len(req.Documents))
	docUploads := make([]Upload, len(req.Documents))
	for i, d := range req.Documents {
		u, ok := byPart[d.File]
		if !ok {
			return nil, errs.Field(fmt.Sprintf("documents[%d].file", i), codeMissingDocumentPart,
				"no part named %q in the upload", d.File)
		}
		used[d.File] = true
		docUploads[i] = u
		doc, err := s.checkDocument(ctx, u)
		if err != nil {
			var e *errs.Error
			if errors.As(err, &e) && e.Field == "" {
				e.Field = fmt.Sprintf("documents[%d]", i)
			}
			return nil, err
		}
		doc.ID, doc.Title = newID(), d.Title
		if d.FileName != "" {
			doc.FileName = d.FileName
		}
		docs[i] = doc
	}
	for _, u := range uploads {
		if !used[u.Part] {
			return nil, errs.Field(u.Part, codeUnreferencedDocumentPart, "part %q is not named by any document", u.Part)
		}
	}

	var idem *store.Idempotency
	if idemKey != "" {
		idem = &store.Idempotency{Key: idemKey, RequestHash: requestHash(req, docs)}
		if first, done, err := s.replay(ctx, c.Org, idem); done {
			return first, err
		}
	}
	var dropped []string
	if req.Combine && len(docs) > 1 {
		u, doc, d, err := s.combine(ctx, req, docs, docUploads)
		defer ReleaseUploads([]Upload{u})
		if err != nil {
			return nil, err
		}
		doc.ID, dropped = newID(), d
		docs, uploads = append(docs, doc), append(slices.Clip(uploads), u)
	}
	// Accepted: only now do the documents enter the blob store. Should
	// storing the job fail after this, the blobs stay unreferenced (they
	// may be another job's too, so they are not deleted here).
	if err := s.storeUploads(ctx, uploads); err != nil {
		return nil, err
	}
	j, events := job.New(req, c.Org, c.Actor, docs, newID, now, s.Limits)
	if dropped != nil {
		// What the combined document left out of the originals, for the
		// audit trail (the originals are kept whole).
		events[0].Details["combined_dropped"] = dropped
	}
	j.RetainDays = org.Retention()
	j.AuditKey = make([]byte, 32)
	rand.Read(j.AuditKey) // never fails (crypto/rand, Go 1.24)
	err = s.Store.CreateJob(ctx, j, events, idem)
	if errs.HasCode(err, store.CodeIdempotencyKeyUsed) {
		// A concurrent request with the same key won the race.
		first, _, err := s.replay(ctx, c.Org, idem)
		return first, err
	}
	if err != nil {
		return nil, err
	}
	s.log().Info("job created", "org", c.Org, "job", j.ID, "documents", len(docs), "signers", len(j.Signers))
	return j, nil
}

// checkCallback refuses, when a job is created, a callback URL whose host
// is certain not to be public: a literal address in the IANA
// special-purpose registries, or localhost (publicip.CheckHost). A name
// that resolves to such an address is caught when it is dialled
// (delivery), since what it resolves to may change.
func (s *Service) checkCallback(raw string) error {
	if raw == "" || s.PrivateCallbacks {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil // Validate has refused it
	}
	if err := publicip.CheckHost(u.Hostname()); err != nil {
		e := errs.Wrap(err, errs.Invalid, codeCallbackNotPublic, "must name a public address, not %s", u.Hostname())
		e.Field = "callback_url"
		return e
	}
	return nil
}

// replay answers a request whose idempotency key was seen before: the same
// request gets the first job back, a different one a Conflict.
func (s *Service) replay(ctx context.Context, org string, idem *store.Idempotency) (*job.Job, bool, error) {
	prior, err := s.Store.Idempotency(ctx, org, idem.Key)
	if errs.Is(err, errs.NotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	if prior.RequestHash != idem.RequestHash {
		return nil, true, errs.E(errs.Conflict, codeIdempotencyKeyReused,
			"the Idempotency-Key %q was used for a different request", idem.Key)
	}
	j, err := s.Store.Job(ctx, org, prior.JobID)
	return j, true, err
}

// requestHash identifies a create request by its meaning, not its bytes:
// a client retrying with a new multipart boundary is the same request.
func requestHash(req *job.Request, docs []job.Document) string {
	h := sha256.New()
	// JSON, not %#v: it encodes values behind pointers, in field order.
	canonical, _ := json.Marshal(req)
	h.Write(canonical)
	h.Write([]byte("\n"))
	for _, d := range docs {
		fmt.Fprintf(h, "%s %s\n", d.SHA256, d.FileName)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Service) activeOrg(ctx context.Context, number string) (store.Org, error) {
	o, err := s.Store.Org(ctx, number)
	if errs.Is(err, errs.NotFound) {
		return o, errs.E(errs.Forbidden, CodeOrganisationUnknown, "organisation %s is not onboarded", number)
	}
	if err != nil {
		return o, err
	}
	if !o.Active {
		return o, errs.E(errs.Forbidden, CodeOrganisationInactive, "organisation %s is deactivated", number)
	}
	return o, nil
}

// Authorize checks that an organisation may use the service at all and
// returns the caller to act as.
func (s *Service) Authorize(ctx context.Context, org, actor string) (Caller, error) {
	o, err := s.activeOrg(ctx, org)
	if err != nil {
		return Caller{}, err
	}
	return Caller{Org: org, Actor: actor, org: &o}, nil
}

// AuthorizeCert is Authorize for an API client certificate with the given
// subject (RFC 2253): an organisation that registered its certificate's
// subject accepts no other certificate, however valid.
func (s *Service) AuthorizeCert(ctx context.Context, org, actor, subject string) (Caller, error) {
	c, err := s.Authorize(ctx, org, actor)
	if err != nil {
		return c, err
	}
	if want := strings.TrimSpace(c.org.CertSubject); want != "" && !strings.EqualFold(want, subject) {
		return Caller{}, errs.E(errs.Forbidden, codeCertificateNotRegistered,
			"this certificate is not the one organisation %s registered for the API", org)
	}
	return c, nil
}

func (s *Service) callerOrg(ctx context.Context, c Caller) (store.Org, error) {
	if c.org != nil {
		return *c.org, nil
	}
	return s.activeOrg(ctx, c.Org)
}

// PortalCaller is the caller for a person logged in to the sender portal
// on behalf of org: an active organisation and a user of it, limited to
// their own jobs unless they are its administrator.
func (s *Service) PortalCaller(ctx context.Context, org, pid string) (Caller, store.User, error) {
	u, err := s.Store.User(ctx, org, pid)
	if errs.Is(err, errs.NotFound) {
		return Caller{}, u, errs.E(errs.Forbidden, CodeNotAUser, "no access to the portal for organisation %s", org)
	}
	if err != nil {
		return Caller{}, u, err
	}
	c, err := s.Authorize(ctx, org, "pid:"+pid)
	c.PID, c.OwnOnly = pid, u.Role != store.RoleAdmin
	return c, u, err
}

// Job returns one of the caller's jobs.
func (s *Service) Job(ctx context.Context, c Caller, id string) (*job.Job, error) {
	j, err := s.Store.Job(ctx, c.Org, id)
	if err != nil {
		return nil, err
	}
	if c.OwnOnly && j.Creator != c.Actor {
		return nil, errs.E(errs.NotFound, store.CodeJobNotFound, "no job %s", id)
	}
	return j, nil
}

// ListJobs pages through the caller's jobs.
func (s *Service) ListJobs(ctx context.Context, c Caller, q store.JobQuery) ([]job.Job, string, error) {
	if c.OwnOnly {
		q.Creator = c.Actor
	}
	return s.Store.ListJobs(ctx, c.Org, q)
}

// JobTable reads a page of the caller's jobs as the portal lists them: a
// sender's own, all of the organisation's for an administrator.
func (s *Service) JobTable(ctx context.Context, c Caller, q store.TableQuery) (store.JobTable, error) {
	if c.OwnOnly {
		q.Creator = c.Actor
	}
	return s.Store.JobTable(ctx, c.Org, q)
}

// Cancel ends one of the caller's jobs for every signer.
func (s *Service) Cancel(ctx context.Context, c Caller, id string) (*job.Job, error) {
	if _, err := s.Job(ctx, c, id); err != nil {
		return nil, err
	}
	return s.update(ctx, c.Org, id, func(j *job.Job) ([]job.Event, error) {
		return j.Cancel(c.Actor, s.now())
	})
}

// update applies change to a fresh copy of the job and saves it with
// compare-and-swap, retrying when someone else changed the job meanwhile.
func (s *Service) update(ctx context.Context, org, id string, change func(*job.Job) ([]job.Event, error)) (*job.Job, error) {
	for attempt := 0; ; attempt++ {
		j, err := s.Store.Job(ctx, org, id)
		if err != nil {
			return nil, err
		}
		events, err := change(j)
		if err != nil {
			return nil, err
		}
		err = s.Store.SaveJob(ctx, j, events)
		if changed(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return j, nil
	}
}

// Document opens one input document of the caller's job.
func (s *Service) Document(ctx context.Context, c Caller, jobID, docID string) (job.Document, blob.Object, error) {
	j, err := s.Job(ctx, c, jobID)
	if err != nil {
		return job.Document{}, nil, err
	}
	return s.openDocument(ctx, j, docID, upload)
}

// SignedDocument opens the newest signed revision of a document: final
// (PAdES B-LTA) once the job is completed.
func (s *Service) SignedDocument(ctx context.Context, c Caller, jobID, docID string) (job.Document, blob.Object, error) {
	j, err := s.Job(ctx, c, jobID)
	if err != nil {
		return job.Document{}, nil, err
	}
	return s.OpenSigned(ctx, j, docID)
}

// OpenSigned is SignedDocument of a job the caller has read already and
// may read (the mailbox forwarding of a completed job, which reads the job
// once for all its signers and documents).
func (s *Service) OpenSigned(ctx context.Context, j *job.Job, docID string) (job.Document, blob.Object, error) {
	return s.openDocument(ctx, j, docID, signedRevision)
}

// Which revisions of a document of j openDocument opens: the spans of
// the stored file (a signed revision is stored in parts, job.Revision).
func upload(_ *job.Job, d *job.Document) ([]blob.Span, error) {
	return []blob.Span{{Key: d.BlobKey(), Size: d.Size}}, nil
}

// signedRevision refuses a document without a signed revision with 409:
// not yet signed, or, for an original of a job whose signers sign its
// combined document (job.Job.Signs), never signed on its own, naming the
// combined document whose signed PDF holds it, so that a client is not
// left waiting for a signature that will not come.
func signedRevision(j *job.Job, d *job.Document) ([]blob.Span, error) {
	switch {
	case !j.Signs(d):
		e := errs.E(errs.Conflict, codeSignedInCombined,
			"document %s is kept as uploaded and is not signed on its own: the signers sign the combined document %s, which holds it",
			d.ID, j.Combined().ID)
		e.Document = j.Combined().ID
		return nil, e
	case d.Signed.SHA256 == "":
		return nil, errs.E(errs.Conflict, codeNotSignedYet, "nobody has signed document %s yet", d.ID)
	}
	return d.Signed.Spans(), nil
}

func newestRevision(j *job.Job, d *job.Document) ([]blob.Span, error) {
	if d.Signed.SHA256 != "" {
		return d.Signed.Spans(), nil
	}
	return upload(j, d)
}

// openDocument opens the revision of a document of j that pick chooses,
// read from its parts as one file (blob.OpenSpans).
func (s *Service) openDocument(ctx context.Context, j *job.Job, docID string, pick func(*job.Job, *job.Document) ([]blob.Span, error)) (job.Document, blob.Object, error) {
	if j.Deleted() {
		return job.Document{}, nil, ErrDeleted(j.ID)
	}
	d, err := j.Document(docID)
	if err != nil {
		return job.Document{}, nil, err
	}
	spans, err := pick(j, d)
	if err != nil {
		return *d, nil, err
	}
	o, err := blob.OpenSpans(ctx, s.Blobs, spans)
	return *d, o, err
}

// Evidence opens a signer's XAdES evidence.
func (s *Service) Evidence(ctx context.Context, c Caller, jobID, signerID string) (blob.Object, error) {
	j, err := s.Job(ctx, c, jobID)
	if err != nil {
		return nil, err
	}
	signer, ok := j.Signer(signerID)
	if !ok {
		return nil, errs.E(errs.NotFound, job.CodeSignerNotFound, "no signer %s in job %s", signerID, jobID)
	}
	if j.Deleted() {
		return nil, ErrDeleted(jobID)
	}
	if signer.Evidence == "" {
		return nil, errs.E(errs.Conflict, codeNotSignedYet, "signer %s has not signed", signerID)
	}
	return s.openEvidence(ctx, signer)
}

// openEvidence opens a signer's evidence where their act kept it: a span
// of the blob of what the act appended (deflated there, as the PDF embeds
// it: signing.OpenEvidence), or a blob of its own.
func (s *Service) openEvidence(ctx context.Context, signer *job.Signer) (blob.Object, error) {
	if spans := signer.EvidenceSpans(); spans != nil {
		o, err := blob.OpenSpans(ctx, s.Blobs, spans)
		if err != nil {
			return nil, err
		}
		return signing.OpenEvidence(o)
	}
	return s.Blobs.Open(ctx, signer.Evidence)
}

// Changes returns the caller's unacknowledged status changes.
func (s *Service) Changes(ctx context.Context, c Caller, after int64, limit int) ([]store.Change, error) {
	changes, err := s.Store.Changes(ctx, c.Org, after, limit)
	if err != nil {
		return nil, err
	}
	for i := range changes {
		if changes[i].Type != EventSignerRejected {
			continue
		}
		j, err := s.Store.Job(ctx, c.Org, changes[i].JobID)
		if err != nil {
			return nil, err
		}
		changes[i].RejectionReason = RejectionReason(j, changes[i].SignerID)
	}
	return changes, nil
}

// EventSignerRejected is the feed type of a signer's rejection, the one
// change that carries a reason.
const EventSignerRejected = "signer.rejected"

// RejectionReason is what the signer wrote when rejecting the job, empty
// when they wrote nothing (or are unknown to it).
func RejectionReason(j *job.Job, signerID string) string {
	if s, ok := j.Signer(signerID); ok {
		return s.RejectionReason
	}
	return ""
}

// Ack acknowledges status changes.
func (s *Service) Ack(ctx context.Context, c Caller, seqs []int64) (int, error) {
	if len(seqs) > 500 {
		return 0, errs.Field("seqs", job.CodeTooMany, "acknowledge at most 500 changes at once")
	}
	return s.Store.Ack(ctx, c.Org, seqs)
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
