package ceremony

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/signing"
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
		return nil, nil, errs.E(errs.NotFound, "link-invalid", "this signing link is not valid")
	}
	return s.signerJob(ctx, signerID)
}

// CodeJobCancelled is the error code of a signer's link to a job its sender
// cancelled: the signer is told so, not that the link expired.
const CodeJobCancelled = "job-cancelled"

// linkUsable refuses links to finished signers and jobs.
func linkUsable(j *job.Job, signer *job.Signer) error {
	switch {
	case signer.Status == job.SignerSigned || signer.Status == job.SignerRejected:
		return errs.E(errs.Conflict, "link-used", "you have already %s this job", signer.Status)
	case j.Status == job.StatusCancelled:
		return errs.E(errs.Conflict, CodeJobCancelled, "the sender has cancelled this job")
	case signer.Status.Final() || j.Status.Final():
		return errs.E(errs.Conflict, "link-expired", "this job is %s and can no longer be signed", j.Status)
	}
	return nil
}

func (s *Service) signerJob(ctx context.Context, signerID string) (*job.Job, *job.Signer, error) {
	org, jobID, err := s.Store.SignerJob(ctx, signerID)
	if err != nil {
		return nil, nil, err
	}
	j, err := s.Store.Job(ctx, org, jobID)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := j.Signer(signerID)
	if !ok {
		return nil, nil, errs.E(errs.NotFound, "signer-not-found", "no signer %s", signerID)
	}
	return j, signer, nil
}

// CheckIdentity decides whether a logged-in person may act as signer: the
// identity number must match when the sender addressed the signer by it,
// and the login must meet the job's level of assurance.
func CheckIdentity(j *job.Job, signer *job.Signer, id eid.Identity) error {
	if signer.PID != "" && signer.PID != id.PID {
		return errs.E(errs.Forbidden, "wrong-person", "this job is for someone else: log in as the person it was sent to")
	}
	if j.Assurance == job.High && id.Assurance != eid.High {
		return errs.E(errs.Forbidden, "assurance-too-low",
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
		return job.Document{}, nil, errs.E(errs.Conflict, "not-signed-yet", "signer %s has not signed", signerID)
	}
	return s.openDocument(ctx, j, docID, signedRevision)
}

// SenderName is the name of the organisation that sent a job, for the
// signer to see who asks them to sign.
func (s *Service) SenderName(ctx context.Context, j *job.Job) (string, error) {
	o, err := s.Store.Org(ctx, j.Org)
	if err != nil {
		return "", err
	}
	return o.Name, nil
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
// documents prepared on the first act, every document signed on top of its
// newest revision together with the signer's evidence, and after the last
// signer the long-term revisions and completion. key is the signer's own
// key for advanced jobs (nil for authenticated ones, which segl seals).
func (s *Service) Sign(ctx context.Context, signerID string, id eid.Identity, key *pki.KeyPair) (*job.Job, error) {
	if s.Engine == nil {
		return nil, errs.E(errs.Unavailable, "signing-unavailable", "signing is not configured on this server")
	}
	for attempt := 0; ; attempt++ {
		j, err := s.signOnce(ctx, signerID, id, key)
		if changed(err) && attempt < 3 {
			continue // a parallel signer saved first: sign again on top of their revision
		}
		return j, err
	}
}

// changed reports whether err is the store's lost compare-and-swap.
func changed(err error) bool {
	e, ok := err.(*errs.Error)
	return ok && e.Code == "job-changed"
}

// revisions lists the newest revision of each of j's documents.
func revisions(j *job.Job) []string {
	out := make([]string, len(j.Documents))
	for i, d := range j.Documents {
		out[i] = d.Signed.SHA256
	}
	return out
}

// recordAct puts a signing act's results on j: the documents' new
// revisions, the signer's name and evidence, and, after the last signer,
// the completion.
func (s *Service) recordAct(ctx context.Context, j *job.Job, signerID, actor string, now time.Time, id eid.Identity,
	next []blob.Ref, evidence blob.Ref, role map[string]any) ([]job.Event, error) {
	hashes := make([]string, len(next))
	for i, ref := range next {
		j.Documents[i].Signed = job.Revision{SHA256: ref.Key, Size: ref.Size}
		hashes[i] = ref.Key
	}
	details := map[string]any{"eid": id.Method, "level_of_assurance": string(id.Assurance),
		"auth_time": id.AuthTime.UTC(), "signed_sha256": hashes, "evidence_sha256": evidence.Key}
	for k, v := range role {
		details[k] = v
	}
	events, err := j.SignBy(signerID, actor, now, details)
	if err != nil {
		return nil, err
	}
	signer, _ := j.Signer(signerID)
	signer.Name, signer.Evidence = id.Name, evidence.Key
	if j.AllSigned() {
		done, err := s.complete(ctx, j)
		if err != nil {
			return nil, err
		}
		events = append(events, done...)
	}
	return events, nil
}

func (s *Service) signOnce(ctx context.Context, signerID string, id eid.Identity, key *pki.KeyPair) (*job.Job, error) {
	j, signer, err := s.ForSigner(ctx, signerID, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := j.Turn(signer, now); err != nil {
		return nil, err
	}
	if j.SignatureType == job.Advanced && key == nil {
		return nil, errs.E(errs.Invalid, "own-key-required", "this job needs a signature with your own key")
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
	sj := signingJob(j)
	docs := signingDocuments(j)
	base := revisions(j) // what this act signs on top of
	// The first act prepares the documents. A prepared document is not
	// stored: the act's revision holds it whole (an incremental update
	// appends to it), and nothing refers to it on its own.
	prepared := make([]*pdf.Spool, len(j.Documents))
	defer func() {
		for _, p := range prepared {
			if p != nil {
				p.Close()
			}
		}
	}()
	for i := range j.Documents {
		if j.Documents[i].Signed.SHA256 == "" {
			if prepared[i], err = s.prepare(ctx, sj, docs[i], j.Documents[i]); err != nil {
				if signing.Unsignable(err) {
					s.fail(ctx, j, err)
				}
				return nil, err
			}
		}
	}
	facts := xades.SignerFacts{Name: id.Name, PID: id.PID, EIDMethod: id.Method, LevelOfAssurance: string(id.Assurance),
		AuthTime: id.AuthTime, IDToken: id.IDToken, OnBehalfOf: signer.OnBehalfOf}
	facts.BirthDate, _ = job.BirthDate(id.PID)
	act := signing.Act{Job: sj, Documents: docs, Slot: slotOf(j, signerID), Signer: facts, SignedAt: now, Key: key}
	next, evidence, err := s.signDocuments(ctx, j, act, prepared)
	if err != nil {
		return nil, err
	}
	evRef, err := s.Blobs.Put(ctx, bytes.NewReader(evidence), int64(len(evidence)))
	if err != nil {
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
		events, err := s.recordAct(ctx, j, signerID, actor, now, id, next, evRef, role)
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
		if !slices.Equal(revisions(j), base) {
			return nil, errs.E(errs.Conflict, "job-changed", "another signer signed meanwhile")
		}
	}
	s.log().Info("signed", "org", j.Org, "job", j.ID, "signer", signerID, "status", j.Status)
	return j, nil
}

// fail ends a job that can never be signed (cause says why, an
// errs.Invalid from signing.Prepare), so that its sender is told now, by
// the job.failed event and the notices and callbacks that follow it,
// rather than finding out at expiry. A job that another change ended
// meanwhile stays as it is. The signer is answered with cause whatever
// happens here, so a failure to save is only logged.
func (s *Service) fail(ctx context.Context, j *job.Job, cause error) {
	code := "unsignable-document"
	if e, ok := cause.(*errs.Error); ok {
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

// prepare makes the PDF everyone signs from an upload (normalised PDF or
// PDF/A from text, with the signature page), in memory or, when large, in
// a temporary file; the caller closes it.
func (s *Service) prepare(ctx context.Context, sj signing.Job, doc signing.Document, d job.Document) (*pdf.Spool, error) {
	src, err := s.Blobs.Open(ctx, d.SHA256)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	out := pdf.NewSpool(s.TempDir, 0)
	if _, err := s.Engine.Prepare(ctx, out, sj, doc, src, src.Size()); err != nil {
		out.Close()
		return nil, err
	}
	return out, nil
}

// signDocuments signs every document on top of its newest revision (or of
// prepared[i], made by this act) and stores the new revisions; nothing is
// saved to the job here.
func (s *Service) signDocuments(ctx context.Context, j *job.Job, act signing.Act, prepared []*pdf.Spool) ([]blob.Ref, []byte, error) {
	revs := make([]signing.Revision, len(j.Documents))
	outs := make([]*os.File, len(j.Documents))
	defer func() {
		for _, f := range outs {
			if f != nil {
				f.Close()
				os.Remove(f.Name())
			}
		}
	}()
	for i, d := range j.Documents {
		var src interface {
			io.ReaderAt
			Size() int64
		}
		if prepared[i] != nil {
			src = prepared[i]
		} else {
			o, err := s.Blobs.Open(ctx, d.Signed.SHA256)
			if err != nil {
				return nil, nil, err
			}
			defer o.Close()
			src = o
		}
		var err error
		if outs[i], err = os.CreateTemp(s.TempDir, "segl-sign-*.pdf"); err != nil {
			return nil, nil, fmt.Errorf("ceremony: %w", err)
		}
		revs[i] = signing.Revision{Document: d.ID, Src: src, Size: src.Size(), Out: outs[i]}
	}
	evidence, err := s.Engine.Sign(ctx, act, revs)
	if err != nil {
		return nil, nil, err
	}
	refs := make([]blob.Ref, len(outs))
	for i, f := range outs {
		outs[i] = nil // keep owns the file from here, whatever happens
		if refs[i], err = s.keep(ctx, f); err != nil {
			return nil, nil, err
		}
	}
	return refs, evidence, nil
}

// complete makes the long-term (B-LTA) revision of every document and
// completes the job.
func (s *Service) complete(ctx context.Context, j *job.Job) ([]job.Event, error) {
	final := make([]string, len(j.Documents))
	for i := range j.Documents {
		d := &j.Documents[i]
		src, err := s.Blobs.Open(ctx, d.Signed.SHA256)
		if err != nil {
			return nil, err
		}
		ref, err := s.spool(ctx, func(w io.Writer) error { return s.Engine.Complete(ctx, w, src, src.Size()) })
		src.Close()
		if err != nil {
			return nil, err
		}
		d.Signed = job.Revision{SHA256: ref.Key, Size: ref.Size}
		final[i] = ref.Key
	}
	return j.Complete(s.now(), map[string]any{"final_sha256": final})
}

// spool runs write into a temporary file and stores the result.
func (s *Service) spool(ctx context.Context, write func(io.Writer) error) (blob.Ref, error) {
	f, err := os.CreateTemp(s.TempDir, "segl-spool-*.pdf")
	if err != nil {
		return blob.Ref{}, fmt.Errorf("ceremony: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return blob.Ref{}, err
	}
	return s.keep(ctx, f)
}

// keep stores a finished temporary file and removes it: moved into place
// when the blob store can take files (no second copy), copied otherwise.
func (s *Service) keep(ctx context.Context, f *os.File) (blob.Ref, error) {
	if fp, ok := s.Blobs.(blob.FilePutter); ok {
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return blob.Ref{}, fmt.Errorf("ceremony: %w", err)
		}
		return fp.PutFile(ctx, f.Name(), 1<<40)
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return blob.Ref{}, err
	}
	return s.Blobs.Put(ctx, f, 1<<40)
}

// Reject ends the job for everyone on the signer's word.
func (s *Service) Reject(ctx context.Context, signerID string, id eid.Identity, reason string) (*job.Job, error) {
	if utf8.RuneCountInString(reason) > 1000 { // characters, as the page counts them, not bytes
		return nil, errs.Field("reason", "too-long", "must be at most 1000 characters")
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
		if e, ok := err.(*errs.Error); ok && e.Code == "job-changed" && attempt < 3 {
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
		return nil, errs.E(errs.NotFound, "status-token-invalid", "the status query token is not valid")
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

func signingJob(j *job.Job) signing.Job {
	return signing.Job{ID: j.ID, Title: j.Title, Reference: j.Reference, SenderOrg: j.Org, Identifier: j.Identifier,
		Signers: len(j.Signers), Lang: "nb"}
}

func signingDocuments(j *job.Job) []signing.Document {
	out := make([]signing.Document, len(j.Documents))
	for i, d := range j.Documents {
		sum, _ := hex.DecodeString(d.SHA256)
		out[i] = signing.Document{ID: d.ID, Title: d.Title, FileName: d.FileName, MediaType: d.MediaType, SHA256: sum, Size: d.Size}
	}
	return out
}
