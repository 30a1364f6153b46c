package ceremony

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/xades"
)

// SignerByLink checks a signer link (signer id and its HMAC token) and
// returns the signer's job. A wrong token is indistinguishable from an
// unknown signer; a link whose signer or job has finished is refused with a
// code the pages explain (used, expired, cancelled).
func (s *Service) SignerByLink(ctx context.Context, signerID, token string) (*job.Job, *job.Signer, error) {
	j, signer, err := s.SignerLink(ctx, signerID, token)
	if err != nil {
		return nil, nil, err
	}
	if err := linkUsable(j, signer); err != nil {
		if signer.Status == job.SignerFailed && NeedsCode(signer) {
			if c, cerr := s.Store.Code(ctx, signerID); cerr == nil && c.Locked() {
				return nil, nil, LinkLocked()
			}
		}
		return nil, nil, err
	}
	return j, signer, nil
}

// SignerLink checks a signer link like SignerByLink but also accepts the
// link of a signer who has finished or whose job has ended, so the pages
// can say which ("you have already signed") and let the signer log in to
// see their receipt. It gives no right to act: Sign and Reject check the
// state again.
func (s *Service) SignerLink(ctx context.Context, signerID, token string) (*job.Job, *job.Signer, error) {
	if !hmac.Equal([]byte(token), []byte(s.SignerToken(signerID))) {
		return nil, nil, errs.E(errs.NotFound, codeLinkInvalid, "this signing link is not valid")
	}
	return s.signerJob(ctx, signerID)
}

// linkUsable refuses links to finished signers and jobs.
func linkUsable(j *job.Job, signer *job.Signer) error {
	switch {
	case signer.Status == job.SignerSigned || signer.Status == job.SignerRejected:
		return errs.E(errs.Conflict, CodeLinkUsed, "you have already %s this job", signer.Status)
	case j.Status == job.StatusCancelled:
		return errs.E(errs.Conflict, CodeJobCancelled, "the sender has cancelled this job")
	case signer.Status.Final() || j.Status.Final():
		return errs.E(errs.Conflict, CodeLinkExpired, "this job is %s and can no longer be signed", j.Status)
	}
	return nil
}

// signerJob reads the job of a signer in one read of the store.
func (s *Service) signerJob(ctx context.Context, signerID string) (*job.Job, *job.Signer, error) {
	j, err := s.Store.SignerJob(ctx, signerID)
	if err != nil {
		return nil, nil, err
	}
	return signerOf(j, signerID)
}

// signerOf is j with its signer signerID.
func signerOf(j *job.Job, signerID string) (*job.Job, *job.Signer, error) {
	signer, ok := j.Signer(signerID)
	if !ok {
		return nil, nil, errs.E(errs.NotFound, job.CodeSignerNotFound, "no signer %s", signerID)
	}
	return j, signer, nil
}

// CheckIdentity decides whether a logged-in person may act as signer: the
// identity number must match when the sender addressed the signer by it,
// and the login must meet the job's level of assurance.
func CheckIdentity(j *job.Job, signer *job.Signer, id eid.Identity) error {
	if signer.PID != "" && signer.PID != id.PID {
		return errs.E(errs.Forbidden, CodeWrongPerson, "this job is for someone else: log in as the person it was sent to")
	}
	if j.Assurance == job.High && id.Assurance != eid.High {
		return errs.E(errs.Forbidden, CodeAssuranceTooLow,
			"this job needs a login on level high (for example BankID or Buypass); you logged in on level %s", id.Assurance)
	}
	return nil
}

// ForSigner returns the job of a signer for the logged-in person.
func (s *Service) ForSigner(ctx context.Context, signerID string, id eid.Identity) (*job.Job, *job.Signer, error) {
	j, signer, err := s.signerJob(ctx, signerID)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckIdentity(j, signer, id); err != nil {
		return nil, nil, err
	}
	return j, signer, nil
}

// SignerDocument opens a document for the signer to read before signing:
// the newest signed revision once there is one (what they will sign on
// top of), else the upload.
func (s *Service) SignerDocument(ctx context.Context, signerID, docID string, id eid.Identity) (job.Document, blob.Object, error) {
	j, _, err := s.ForSigner(ctx, signerID, id)
	if err != nil {
		return job.Document{}, nil, err
	}
	return s.openDocument(ctx, j, docID, newestRevision)
}

// SignerSignedDocument opens the newest signed revision of a document for
// the logged-in signer who signed it (their receipt): final (PAdES B-LTA)
// once the job is completed, else the revision with their signature and
// those before it. Scoped like ForSigner: only the person the signer entry
// is for, at the job's level of assurance.
func (s *Service) SignerSignedDocument(ctx context.Context, signerID, docID string, id eid.Identity) (job.Document, blob.Object, error) {
	j, signer, err := s.ForSigner(ctx, signerID, id)
	if err != nil {
		return job.Document{}, nil, err
	}
	if signer.Status != job.SignerSigned {
		return job.Document{}, nil, errs.E(errs.Conflict, codeNotSignedYet, "signer %s has not signed", signerID)
	}
	return s.openDocument(ctx, j, docID, signedRevision)
}

// SenderName is the name of the organisation that sent a job, for the
// signer to see who asks them to sign.
func (s *Service) SenderName(ctx context.Context, j *job.Job) (string, error) {
	name, _, err := s.Sender(ctx, j)
	return name, err
}

// Sender is the organisation that sent a job as its signer's pages show
// it: its name and the name of its logo (zero when it has none), in one
// read that leaves the logo's bytes in the database; the browser asks for
// them once (OrgLogo), then keeps them.
func (s *Service) Sender(ctx context.Context, j *job.Job) (name string, logo store.LogoRef, err error) {
	o, err := s.Store.Org(ctx, j.Org)
	if err != nil {
		return "", store.LogoRef{}, err
	}
	return o.Name, o.Logo, nil
}

// OrgLogo is an organisation's logo, which anyone may see: it is shown
// on the signer's pages before login. ok is false when it has none.
func (s *Service) OrgLogo(ctx context.Context, org string) (l store.Logo, ok bool, err error) {
	l, err = s.Store.OrgLogo(ctx, org)
	if errs.KindOf(err) == errs.NotFound {
		return l, false, nil
	}
	return l, err == nil, err
}

// Tasks lists the jobs a person is asked to sign now (the portal flow):
// active jobs where they are a signer whose turn it is.
func (s *Service) Tasks(ctx context.Context, id eid.Identity) ([]*job.Job, error) {
	refs, err := s.Store.SignerTasks(ctx, id.PID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []*job.Job
	for _, ref := range refs {
		j, err := s.Store.Job(ctx, ref.Org, ref.JobID)
		if err != nil {
			return nil, err
		}
		signer, ok := j.Signer(ref.SignerID)
		if ok && j.Flow == job.Portal && j.Turn(signer, now) == nil {
			out = append(out, j)
		}
	}
	return out, nil
}

// Sign performs one signing act for a logged-in signer: intent recorded,
// then one call to the signing engine (documents prepared on the first
// act, every document signed on top of its newest revision, the signer's
// evidence, all kept in the blob store), then the act recorded. After the
// last signer the job is signed, and its completion to PAdES B-LTA is
// queued (Complete): the signer does not wait for it. For an advanced job
// the engine obtains the signer's own key with the login's ID token.
func (s *Service) Sign(ctx context.Context, signerID string, id eid.Identity) (*job.Job, error) {
	return s.SignRead(ctx, nil, signerID, id)
}

// SignRead is Sign for a caller that has just read the signer's job in
// the same request (ForSigner): the act starts from read instead of
// reading the job again; nil reads it here. read is not trusted to be
// current: the act's first write, its intent, is a compare-and-swap on
// the job's version, so a job changed since it was read loses it, and the
// act starts again on a fresh read, as after any lost race. read itself is
// left as it was.
func (s *Service) SignRead(ctx context.Context, read *job.Job, signerID string, id eid.Identity) (*job.Job, error) {
	if s.Engine == nil {
		return nil, errs.E(errs.Unavailable, codeSigningUnavailable, "signing is not configured on this server")
	}
	for attempt := 0; ; attempt++ {
		j, err := s.signOnce(ctx, read, signerID, id)
		read = nil // a retry reads the job again
		if changed(err) && attempt < 3 {
			continue // a parallel signer saved first: sign again on top of their revision
		}
		if err != nil {
			return nil, err
		}
		if j.Status == job.StatusSigned {
			s.queueCompletion(ctx, j)
		}
		return j, nil
	}
}

// unprepared reports whether a document of j that its signers sign has
// no signed revision yet: the act then prepares it (signing.Engine.Sign),
// and only then needs the sender's name (signing.Job.SenderName, on the
// signature page). It mirrors the engine's rule; should the two differ,
// a prepared signature page would show no sender.
func unprepared(j *job.Job) bool {
	for i := range j.Documents {
		if d := &j.Documents[i]; j.Signs(d) && d.Signed.SHA256 == "" {
			return true
		}
	}
	return false
}

// changed reports whether err is the store's lost compare-and-swap.
func changed(err error) bool {
	return errs.HasCode(err, store.CodeJobChanged)
}

// revisions lists the newest revision of each of j's documents.
func revisions(j *job.Job) []job.Revision {
	out := make([]job.Revision, len(j.Documents))
	for i, d := range j.Documents {
		out[i] = d.Signed
	}
	return out
}

// sameRevisions reports whether a and b are the same files.
func sameRevisions(a, b []job.Revision) bool {
	return slices.EqualFunc(a, b, func(x, y job.Revision) bool { return x.SHA256 == y.SHA256 })
}

// recordAct puts a signing act's results on j: the documents' new
// revisions, the signer's name and evidence; after the last signer the
// job is signed.
func recordAct(j *job.Job, signerID, actor string, now time.Time, id eid.Identity,
	signed signing.Signed, role map[string]any) ([]job.Event, error) {
	var hashes []string
	for i, rev := range signed.Revisions {
		if rev.SHA256 == "" {
			continue // an original of a job whose signers sign its combined document
		}
		j.Documents[i].Signed = rev
		hashes = append(hashes, rev.SHA256)
	}
	details := map[string]any{"eid": id.Method, "level_of_assurance": string(id.Assurance),
		"auth_time": id.AuthTime.UTC(), "signed_sha256": hashes, "evidence_sha256": signed.EvidenceSHA256}
	for k, v := range role {
		details[k] = v
	}
	events, err := j.SignBy(signerID, actor, now, details)
	if err != nil {
		return nil, err
	}
	signer, _ := j.Signer(signerID)
	signer.Name, signer.Evidence = id.Name, signed.Evidence.Key
	signer.EvidenceAt, signer.EvidenceSize, signer.EvidenceSHA256 = signed.Evidence.Offset, signed.Evidence.Size, signed.EvidenceSHA256
	return events, nil
}

// actingSigner is ForSigner on a copy of read, the job as the caller read
// it, or on a fresh read when read is nil.
func (s *Service) actingSigner(ctx context.Context, read *job.Job, signerID string, id eid.Identity) (*job.Job, *job.Signer, error) {
	if read == nil {
		return s.ForSigner(ctx, signerID, id)
	}
	c := *read // the act changes its job: the caller's stays as read
	c.Documents, c.Signers = slices.Clone(read.Documents), slices.Clone(read.Signers)
	j, signer, err := signerOf(&c, signerID)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckIdentity(j, signer, id); err != nil {
		return nil, nil, err
	}
	return j, signer, nil
}

func (s *Service) signOnce(ctx context.Context, read *job.Job, signerID string, id eid.Identity) (*job.Job, error) {
	j, signer, err := s.actingSigner(ctx, read, signerID, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := j.Turn(signer, now); err != nil {
		return nil, err
	}
	advanced := j.SignatureType == job.Advanced
	if err := s.Engine.Ready(advanced); err != nil {
		return nil, err
	}
	actor := "pid:" + id.PID
	// Record the intent before any key is used (STYLE: a crash never
	// leaves a signature without a record).
	intent := job.Event{Type: "signer.signing", JobID: j.ID, SignerID: signerID, JobStatus: j.Status,
		SignerStatus: signer.Status, Actor: actor, At: now,
		Details: map[string]any{"eid": id.Method, "level_of_assurance": string(id.Assurance)}}
	if err := s.Store.SaveJob(ctx, j, []job.Event{intent}); err != nil {
		return nil, err
	}
	base := revisions(j) // what this act signs on top of
	// The sender's name goes on the signature page, which only the
	// preparation of a document before its first act makes.
	var sender string
	if unprepared(j) {
		if sender, err = s.SenderName(ctx, j); err != nil {
			return nil, err
		}
	}
	facts := xades.SignerFacts{Name: id.Name, PID: id.PID, EIDMethod: id.Method, LevelOfAssurance: string(id.Assurance),
		AuthTime: id.AuthTime, IDToken: id.IDToken, OnBehalfOf: signer.OnBehalfOf}
	facts.BirthDate, _ = job.BirthDate(id.PID)
	signed, err := s.Engine.Sign(ctx, signing.Act{Job: signingJob(j, sender), Documents: signingDocuments(j), Slot: slotOf(j, signerID),
		Signer: facts, SignedAt: now, Advanced: advanced})
	if err != nil {
		if signing.Unsignable(err) {
			s.fail(ctx, j, err)
		}
		return nil, err
	}
	// Record the act. When somebody else saved the job meanwhile (a
	// notice to another signer, most likely), the act still stands as
	// long as no document got a new revision: record it on the fresh job
	// rather than sign again, which an own key, good for this one act,
	// could not.
	var role map[string]any
	if signer.OnBehalfOf != "" {
		role = s.Authority(ctx, signer.OnBehalfOf, id.PID).details()
		role["on_behalf_of"] = signer.OnBehalfOf
	}
	for attempt := 0; ; attempt++ {
		events, err := recordAct(j, signerID, actor, now, id, signed, role)
		if err == nil {
			err = s.Store.SaveJob(ctx, j, events)
		}
		if !changed(err) || attempt == 3 {
			if err != nil {
				return nil, err
			}
			break
		}
		if j, err = s.Store.Job(ctx, j.Org, j.ID); err != nil {
			return nil, err
		}
		if !sameRevisions(revisions(j), base) {
			return nil, errs.E(errs.Conflict, store.CodeJobChanged, "another signer signed meanwhile")
		}
	}
	s.log().Info("signed", "org", j.Org, "job", j.ID, "signer", signerID, "status", j.Status)
	return j, nil
}

// fail ends a job that can never be signed (cause says why, an
// errs.Invalid from signing.Engine.Sign), so that its sender is told now,
// by the job.failed event and the notices and callbacks that follow it,
// rather than finding out at expiry. A job that another change ended
// meanwhile stays as it is. The signer is answered with cause whatever
// happens here, so a failure to save is only logged.
func (s *Service) fail(ctx context.Context, j *job.Job, cause error) {
	code := codeUnsignableDocument
	var e *errs.Error
	if errors.As(cause, &e) {
		code = e.Code
	}
	for attempt := 0; attempt < 4; attempt++ {
		if j.Status.Final() {
			return
		}
		events, err := j.Fail(code, s.now())
		if err == nil {
			err = s.Store.SaveJob(ctx, j, events)
		}
		if err == nil {
			s.log().Warn("job failed: its documents cannot be signed", "org", j.Org, "job", j.ID, "reason", code, "err", cause)
			return
		}
		if !changed(err) {
			s.log().Error("failing an unsignable job", "org", j.Org, "job", j.ID, "err", err)
			return
		}
		fresh, err := s.Store.Job(ctx, j.Org, j.ID)
		if err != nil {
			s.log().Error("failing an unsignable job", "org", j.Org, "job", j.ID, "err", err)
			return
		}
		j = fresh
	}
}

// CheckReason checks a rejection reason before the signer is asked to
// confirm the rejection, so that the confirmation never leads to an error.
// It is text as a browser's text area sends it: UTF-8 (what is not would
// be stored other than the events and callbacks show it, and PostgreSQL
// refuses it, as it does NUL), with line breaks and tabs but no other
// control characters (a terminal escape in the sender's log or console)
// and no bidirectional overrides (job.IsBidiControl).
func CheckReason(reason string) error {
	switch {
	case utf8.RuneCountInString(reason) > 1000: // characters, as the page counts them, not bytes
		return errs.Field("reason", job.CodeTooLong, "must be at most 1000 characters")
	case !utf8.ValidString(reason) || strings.IndexFunc(reason, notReasonText) >= 0:
		return errs.Field("reason", job.CodeInvalidText, "must be text without control characters")
	}
	return nil
}

func notReasonText(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' || job.IsBidiControl(r)
}

// Reject ends the job for everyone on the signer's word.
func (s *Service) Reject(ctx context.Context, signerID string, id eid.Identity, reason string) (*job.Job, error) {
	if err := CheckReason(reason); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		j, _, err := s.ForSigner(ctx, signerID, id)
		if err != nil {
			return nil, err
		}
		events, err := j.RejectBy(signerID, "pid:"+id.PID, reason, s.now())
		if err != nil {
			return nil, err
		}
		err = s.Store.SaveJob(ctx, j, events)
		if changed(err) && attempt < 3 {
			continue
		}
		return j, err
	}
}

// StatusToken is what a direct-flow signer carries back to the sender's
// exit URL: the job and signer ids with an HMAC, so the sender can ask for
// the status it stands for (Posten's status_query_token).
func (s *Service) StatusToken(jobID, signerID string) string {
	return jobID + "." + signerID + "." + s.mac("status", jobID+"\x00"+signerID)
}

// StatusByToken returns the caller's job a status token stands for.
func (s *Service) StatusByToken(ctx context.Context, c Caller, token string) (*job.Job, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !hmac.Equal([]byte(parts[2]), []byte(s.mac("status", parts[0]+"\x00"+parts[1]))) {
		return nil, errs.E(errs.NotFound, CodeStatusTokenInvalid, "the status query token is not valid")
	}
	return s.Store.Job(ctx, c.Org, parts[0])
}

func (s *Service) mac(purpose, msg string) string {
	m := hmac.New(sha256.New, s.LinkKey)
	m.Write([]byte(purpose + "\x00" + msg))
	return hex.EncodeToString(m.Sum(nil)[:20])
}

func slotOf(j *job.Job, signerID string) int {
	for i, s := range j.Signers {
		if s.ID == signerID {
			return i
		}
	}
	return -1
}

func signingJob(j *job.Job, senderName string) signing.Job {
	return signing.Job{ID: j.ID, Title: j.Title, Reference: j.Reference, SenderOrg: j.Org, SenderName: senderName, Identifier: j.Identifier,
		Signers: len(j.Signers), Lang: j.Language()}
}

func signingDocuments(j *job.Job) []signing.Document {
	out := make([]signing.Document, len(j.Documents))
	for i, d := range j.Documents {
		sum, _ := hex.DecodeString(d.SHA256)
		out[i] = signing.Document{ID: d.ID, Title: d.Title, FileName: d.FileName, MediaType: d.MediaType, SHA256: sum, Size: d.Size,
			Upload: d.BlobKey(), Revision: d.Signed, Unsigned: !j.Signs(&d)}
	}
	return out
}
