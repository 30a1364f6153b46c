// Package signing is what the signing ceremony calls to make signed
// output (DESIGN.md §4): it prepares each document of a job for signing,
// makes one signer's evidence and the next PDF revision of every document
// for each signing act, and completes each document to PAdES B-LTA.
//
// # The documents
//
// Prepare turns an upload into the PDF everyone signs: a PDF is rewritten
// into one clean revision (pdf.Normalize), a plain-text document is
// rendered to PDF/A-3b (pdfa.RenderText), and either way the document ends
// with segl's signature page: "Signaturer / Signatures", the document's
// title, file name and SHA-256 as uploaded, the job and the sender's
// reference, a short explanation in Norwegian and English, and one empty,
// numbered slot per signer. The page is there before the first signature
// because no page may be added or changed after one: a PAdES validator
// (internal/validate among them, EN 319 142-1 §5.4) fails a signature
// whose document later gained pages or content. For a PDF the page is an
// incremental update after the normalised revision; for text it is part of
// the one revision RenderText writes.
//
// Each signing act (Sign) appends to every document of the job one
// incremental update with its own PAdES signature (ETSI.CAdES.detached,
// signing-certificate-v2, no signingTime, a signature time-stamp: B-T),
// the signer's evidence as an associated file, and a visible signature
// widget that fills the signer's slot: its appearance lists the signer's
// name, identity number or birth date as the job allows, the time, the eID
// and its level of assurance and the document's SHA-256, with labels in
// Norwegian and English. The appearance carries its own small font subset,
// since the signer's name is not known when the page is made. Each
// signature covers every earlier one (chained); what a later act adds (a
// signature field with its widget, the form, an attachment) is what
// validators accept after a signature.
//
// Complete adds a document security store with every certificate and the
// revocation data of every certificate but the root (OCSP for end
// entities, the root's CRL for the issuing CA), and a document time-stamp
// over it all (PAdES B-LTA), followed by that time-stamp's own data.
//
// # The evidence
//
// A signing act's evidence is one XAdES signature (internal/xades, B-LT)
// over facts that name the SHA-256 of every document of the job as
// uploaded, the signer's identity as the job allows, the eID and its level
// of assurance, and the signing time; signed by segl's TTP seal for an
// authenticated signature, or by the signer's own key for an advanced one,
// and time-stamped by segl's TSA. The same XML is attached to every
// document of the job.
//
// # Streaming
//
// Every document is read from the blob store through io.ReaderAt and
// written through a blob.Tail, so a 10 MB document is never held whole in
// memory: intermediate revisions stay in memory up to
// pdf.DefaultSpoolMemory and go to a file in Config.TempDir beyond.
//
// # Storage
//
// Each revision is stored once (job.Revision): what an act, the
// completion or a renewal appends goes into one new blob, and the revision
// is its parent's parts followed by that blob. The prepared document keeps
// the stream data that normalisation copied unchanged as references into
// the upload (pdf.NormalizeResult.Copied). A document of 10 MB signed by
// ten signers so costs about its upload, its rewritten objects and what
// the acts appended, not twelve copies.
//
// # One engine
//
// Engine owns a signing act from start to end: the ceremony calls Sign once
// per act with the job, the signer's verified identity and the documents'
// newest revisions, and gets back the new revisions and the blob key of
// the evidence. The engine holds segl's seal, the TSA, the
// OCSP source, the trust anchors and the source of signers' own keys; no
// key ever leaves it, and the edges never see one.
package signing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"mime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/doctext"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pdfa"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/xades"
)

// Job is what signing needs to know about a signature job.
type Job struct {
	ID        string
	Title     string
	Reference string // the sender's own reference; optional
	SenderOrg string // organisation number of the sender
	// SenderName is the sending organisation's name, which the signature
	// page shows with SenderOrg; optional.
	SenderName string
	// Identifier says what identifies a signer on the signature page and
	// in the evidence besides the name (MISSION S4): the national identity
	// number, the birth date, or nothing.
	Identifier job.Identifier
	// Signers is the number of signers, and of slots on the signature
	// page: 1 to pdfa.MaxSlots. It must not change after the first act.
	Signers int
	// Lang is the language of rendered text documents, one with a
	// catalogue (internal/doctext: "nb", "nn", "en", and any a translator
	// adds); empty means "nb". The signature page and the slots are in
	// Lang and English side by side, an English job's in bokmål and
	// English.
	Lang string
}

// Document is one document of the job as it was uploaded, and where its
// revisions are.
type Document struct {
	ID        string
	Title     string
	FileName  string
	MediaType string // application/pdf or text/plain (UTF-8)
	SHA256    []byte // of the upload, 32 bytes
	Size      int64  // of the upload
	// Upload is the blob key of the upload.
	Upload string
	// Revision is the newest signed revision: what the next act signs on
	// top of. Zero before the first act, which prepares the upload first.
	Revision job.Revision
	// Unsigned documents are named in each act's evidence but not signed:
	// the originals of a job whose signers sign its combined document
	// (job.Job.Signs). At least one document of an act is signed.
	Unsigned bool
}

// KeySource obtains a signer's own signing key from a remote signing
// service (CSC API v2 in production, dev/csc in development), authorised
// by the ID token of their verified login and good for n signatures.
type KeySource func(ctx context.Context, idToken string, n int) (*pki.KeyPair, error)

// CertifiedStamper is an optional capability of a TSA: one whose
// certificates are known before it answers (segl's own, tsp.Authority).
// The evidence then carries the TSA's path and revocation data too
// (validationData); for another TSA they come with its tokens and go into
// the PDFs' DSS at completion.
type CertifiedStamper interface {
	cms.Stamper
	// Certificates returns the TSA's certificate followed by its
	// intermediates.
	Certificates() []*x509.Certificate
}

// Config is what an Engine is built from. Seal, TSA, OCSP and Blobs are
// required; the other fields have safe zero values.
type Config struct {
	// Seal is segl's TTP organisation seal: it signs the PDFs and the
	// evidence of authenticated signing acts.
	Seal pki.KeyPair
	// TSA time-stamps every signature and the evidence (also of advanced
	// acts) and makes the document time-stamp of completion.
	TSA cms.Stamper
	// OCSP gives the revocation data of B-LT and B-LTA: OCSP responses
	// for end entities, CRLs for CAs.
	OCSP pki.RevocationSource
	// Anchors are the roots embedded with the certificate paths.
	Anchors []*x509.Certificate
	// Keys gives signers' own keys for advanced signatures; nil refuses
	// them (errs.Unavailable, CodeAdvancedUnavailable).
	Keys KeySource
	// Blobs keeps the revisions and the evidence.
	Blobs blob.Store
	// Clock gives the creation date of rendered text documents and the
	// time of an act without one; nil means the system clock.
	Clock clock.Clock
	// Location is the time zone of the times shown on signature pages,
	// for example Europe/Oslo; nil means UTC.
	Location *time.Location
	// TempDir holds intermediate files; empty means os.TempDir().
	TempDir string

	// catalogues holds the texts of the signature page, the slots and the
	// receipt (i18n/LANG.json, see internal/doctext); nil means the
	// built-in ones. Tests give their own, to add a language as a
	// translator would.
	catalogues fs.FS
}

// Engine makes signed output with segl's keys. Build it with New; one
// engine serves concurrent acts.
//
// Security: Engine signs only what it builds itself (the facts of a
// signing act and the PDF revisions that carry them), with the TTP seal or
// with the signer's own key that it obtains for the act, so it cannot be
// used as a signing oracle for arbitrary data. The ceremony must only call
// Sign for an authenticated signer and facts it vouches for, after
// recording its intent (STYLE.md).
type Engine struct {
	cfg    Config
	sealer *pades.Sealer // one for every act: an act's key and time go in pades.Options
	texts  *doctext.Catalogues
	hashes hashes // of the revisions the acts wrote, for the next act and the completion
	// receiptFonts are the characters a receipt is written with, and
	// pageFonts those of a signature page and of every slot's appearance
	// on it, one repertoire so that the slots refer to the page's font
	// (pdfa.AppearanceText), by language (repertoire).
	receiptFonts, pageFonts map[string]string
	// receiptFit sizes the receipts' signatures (pades.Options.Fit), and
	// sealFit the seal's signatures of authenticated acts.
	receiptFit, sealFit pades.ContentsFit
	// sealPath and tsaPath are the certification paths of the seal's
	// certificate and of the in-process TSA's, which validationData finds
	// at every act (each step hashes both certificates for pki.SignedBy's
	// cache) and which do not change while the engine runs.
	sealPath, tsaPath knownPath
}

// knownPath keeps the certification path found last for one certificate
// and its chain (validationData), as long as they are the same
// certificates (the same pointers: the engine's configuration).
type knownPath struct {
	last atomic.Pointer[foundPath]
}

type foundPath struct {
	leaf  *x509.Certificate
	chain []*x509.Certificate
	path  []*x509.Certificate
}

// of returns the path of leaf with chain, found by find unless found last.
func (k *knownPath) of(leaf *x509.Certificate, chain []*x509.Certificate, find func() []*x509.Certificate) []*x509.Certificate {
	if f := k.last.Load(); f != nil && f.leaf == leaf && slices.Equal(f.chain, chain) {
		return f.path
	}
	path := find()
	k.last.Store(&foundPath{leaf: leaf, chain: slices.Clone(chain), path: path})
	return path
}

// New checks cfg and returns the engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Seal.Key == nil || cfg.Seal.Cert == nil || cfg.TSA == nil || cfg.OCSP == nil || cfg.Blobs == nil {
		return nil, errors.New("signing: the engine needs the seal's key and certificate, a TSA, an OCSP source and a blob store")
	}
	cfg.TSA, cfg.OCSP = watchTSA(cfg.TSA), revocationOutages{cfg.OCSP}
	texts, err := doctext.Embedded()
	if cfg.catalogues != nil {
		texts, err = doctext.Load(cfg.catalogues)
	}
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	fonts, pageFonts := map[string]string{}, map[string]string{}
	for _, lang := range texts.Languages() {
		fonts[lang] = repertoire(texts.Texts(lang).Receipt)
		first, en := texts.SignaturePage(lang)
		pageFonts[lang] = repertoire(first.Page, en.Page, first.Slot, en.Slot, "…") // … ends a line cut short
	}
	return &Engine{cfg: cfg, texts: texts, receiptFonts: fonts, pageFonts: pageFonts, sealer: &pades.Sealer{Key: cfg.Seal.Key, Cert: cfg.Seal.Cert, Chain: cfg.Seal.Chain,
		Anchors: cfg.Anchors, TSA: cfg.TSA, OCSP: cfg.OCSP, TempDir: cfg.TempDir, Now: nowFunc(cfg.Clock)}}, nil
}

// Sealer is the engine's one pades.Sealer: the seal with its TSA and
// revocation sources. The renewal of archived documents (internal/renewal)
// extends them with it outside any signing act, adding validation data and
// document time-stamps only.
func (e *Engine) Sealer() *pades.Sealer { return e.sealer }

func nowFunc(c clock.Clock) func() time.Time {
	if c == nil {
		return time.Now
	}
	return c.Now
}

func (e *Engine) now() time.Time { return nowFunc(e.cfg.Clock)() }

// Media types prepare accepts.
const (
	MediaPDF  = "application/pdf"
	MediaText = "text/plain"
)

// Prepared says what prepare wrote.
type Prepared struct {
	// Size is the number of bytes written.
	Size int64
	// Dropped lists, for the audit trail, what normalising a PDF left out
	// (see pdf.NormalizeResult) and a PDF/A claim it changed; empty for
	// text.
	Dropped []string
	// Copied lists the runs of the output that are the upload's bytes
	// (pdf.NormalizeResult.Copied; the updates after the normalised
	// revision only append), which are stored as references into the
	// upload (preparedRevision); empty for text.
	Copied []pdf.Run
}

// prepare writes to w the PDF everyone signs: the upload src, normalised
// or rendered, with the signature page and its job.Signers empty slots
// (see the package documentation). doc describes the upload: its SHA-256
// and size are checked against src, since the page shows the digest.
//
// A PDF is checked as at upload (CheckPDF): one that already
// carries signatures is refused (errs.Invalid, "signed-upload"), since
// rewriting it would break them and a signature page appended to it would
// make them fail validation, and so is a dynamic XFA form ("dynamic-xfa").
// Any errs.Invalid means the job can never be signed. Text must be valid
// UTF-8, as the ceremony checks on upload. On error, w may hold part of
// the output.
func (e *Engine) prepare(ctx context.Context, w io.Writer, j Job, doc Document, src io.ReaderAt, size int64) (Prepared, error) {
	if err := ctx.Err(); err != nil {
		return Prepared{}, err
	}
	if err := e.checkJob(j); err != nil {
		return Prepared{}, err
	}
	if len(doc.SHA256) != sha256.Size || size != doc.Size {
		return Prepared{}, errs.E(errs.Invalid, codeBadDocument, "document %s: want its 32-byte SHA-256 and its size (%d, not %d)", doc.ID, size, doc.Size)
	}
	sum := sha256.New()
	if err := copyPooled(sum, io.NewSectionReader(src, 0, size)); err != nil {
		return Prepared{}, fmt.Errorf("signing: read document %s: %w", doc.ID, err)
	}
	if !bytes.Equal(sum.Sum(nil), doc.SHA256) {
		return Prepared{}, fmt.Errorf("signing: document %s does not have the SHA-256 it was uploaded with", doc.ID)
	}
	first, en := e.texts.SignaturePage(j.Lang)
	slots := pdfa.Slots{Text: first.Page, English: en.Page, Sender: sender(j), JobTitle: j.Title, Title: doc.Title, FileName: doc.FileName, SHA256: doc.SHA256,
		Job: j.ID, Reference: j.Reference, Signers: j.Signers}
	mt, params, err := mime.ParseMediaType(doc.MediaType)
	if err != nil {
		return Prepared{}, errs.E(errs.Invalid, errs.CodeUnsupportedMediaType, "document %s: media type %q", doc.ID, doc.MediaType)
	}
	switch mt {
	case MediaText:
		if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
			return Prepared{}, errs.E(errs.Invalid, codeUnsupportedCharset, "document %s: text in %q, want UTF-8", doc.ID, cs)
		}
		info, err := pdfa.RenderText(w, io.NewSectionReader(src, 0, size), pdfa.Meta{
			Title: doc.Title, Lang: j.Lang, Created: e.now(), SignaturePage: &slots,
		})
		if err != nil {
			return Prepared{}, fmt.Errorf("signing: render document %s: %w", doc.ID, err)
		}
		return Prepared{Size: info.Size}, nil
	case MediaPDF:
		return e.preparePDF(w, doc, slots, e.pageFonts[fontLang(j)], src, size)
	}
	return Prepared{}, errs.E(errs.Invalid, errs.CodeUnsupportedMediaType, "document %s: media type %q", doc.ID, doc.MediaType)
}

func (e *Engine) preparePDF(w io.Writer, doc Document, slots pdfa.Slots, fonts string, src io.ReaderAt, size int64) (Prepared, error) {
	tmp := pdf.NewSpool(e.cfg.TempDir, 0)
	defer tmp.Close()
	// The copy's /ID is the upload's SHA-256, which prepare has checked,
	// rather than a digest of the copy made for it alone.
	norm, err := pdf.NormalizeWithID(tmp, src, size, doc.SHA256)
	// Normalize repeats every check of CheckPDF (pdf.Check and
	// Info.Signable) and fails, or does not rewrite, where one fails; only
	// then is CheckPDF asked, for the code the upload would have got.
	if err != nil || !norm.Rewritten {
		if _, err := CheckPDF(src, size, doc.ID); err != nil {
			return Prepared{}, err
		}
	}
	if err != nil {
		if pdf.DocumentFault(err) {
			return Prepared{}, errs.Wrap(err, errs.Invalid, codeBadPDF, "document %s cannot be prepared for signing", doc.ID)
		}
		return Prepared{}, fmt.Errorf("signing: normalise document %s: %w", doc.ID, err)
	}
	if !norm.Rewritten {
		return Prepared{}, errs.E(errs.Invalid, codeSignedUpload, "document %s: %s", doc.ID, norm.Reason)
	}
	var src2 io.ReaderAt = tmp
	size2 := tmp.Size()
	claimed, err := claimPDFA3(tmp, size2, e.cfg.TempDir)
	if err != nil {
		return Prepared{}, fmt.Errorf("signing: PDF/A claim of document %s: %w", doc.ID, err)
	}
	if claimed != nil {
		defer claimed.Close()
		src2, size2 = claimed, claimed.Size()
		norm.Dropped = append(norm.Dropped, "the PDF/A-1 or PDF/A-2 claim (now PDF/A-3, which allows the attached evidence)")
	}
	written, err := pdf.AppendPages(w, src2, size2, func(parent pdf.Ref, alloc func() (pdf.Ref, error)) ([]pdf.Ref, []pdf.RawObject, error) {
		po, err := pdfa.SignaturePage(slots, parent, fonts, alloc)
		return po.Pages, po.Objects, err
	})
	if err != nil {
		return Prepared{}, fmt.Errorf("signing: signature page of document %s: %w", doc.ID, err)
	}
	return Prepared{Size: written, Dropped: norm.Dropped, Copied: norm.Copied}, nil
}

// claimPDFA3 keeps a PDF/A-1 or PDF/A-2 upload's claim true: each signing
// act attaches evidence that only PDF/A-3 allows (pdf.ClaimPDFA3), so
// the XMP metadata is rewritten to claim PDF/A-3 at the same level, in an
// incremental update before the first signature (metadata may not change
// after one). It returns nil when the upload claims neither.
func claimPDFA3(src io.ReaderAt, size int64, tempDir string) (*pdf.Spool, error) {
	r, err := pdf.Open(src, size)
	if err != nil {
		return nil, err
	}
	xmp, err := r.Metadata()
	if err != nil || xmp == nil {
		return nil, err
	}
	xmp, changed := pdf.ClaimPDFA3(xmp)
	if !changed {
		return nil, nil
	}
	out := pdf.NewSpool(tempDir, 0)
	if _, err := pdf.AppendMetadata(out, src, size, xmp); err != nil {
		out.Close()
		return nil, err
	}
	return out, nil
}

// Act is one signer's signing act over every document of the job.
type Act struct {
	Job       Job
	Documents []Document // every document of the job, with its newest revision
	// Slot is the signer's 0-based index among the job's signers: the
	// slot of the signature page the act fills. Each slot is filled once.
	Slot int
	// Signer is the signer's identity as the eID provider verified it,
	// PID, birth date and ID token included when known: Sign leaves out
	// what the job's Identifier does not allow (and then records the ID
	// token, which carries the identity number, by its digest only).
	Signer xades.SignerFacts
	// SignedAt is the time of the act: the evidence's signing time, the
	// signatures' /M and the time shown. Zero means now.
	SignedAt time.Time
	// Advanced makes an advanced signature with the signer's own key,
	// which the engine obtains from Config.Keys with the ID token of
	// Signer; otherwise segl's TTP seal makes an authenticated signature.
	Advanced bool
}

// Signed is what a signing act kept in the blob store.
type Signed struct {
	// Revisions are the documents' new revisions, in Act.Documents order:
	// each its parent (the prepared document for the first act) followed
	// by one blob with what the act appended; zero for an Unsigned
	// document.
	Revisions []job.Revision
	// Evidence is where the signer's evidence (XAdES B-LT) is stored: a
	// span of the first signed document's new blob, whose update embeds
	// it deflated as its attachment (the stream's data, which
	// OpenEvidence inflates), so that an act stores one file per document
	// and none more; or, when it is not found there (a tail too large to
	// be searched in memory), the whole of a blob of its own, as it is.
	Evidence blob.Span
	// EvidenceSHA256 is the hex SHA-256 of the evidence itself, which the
	// audit trail names and a receipt checks what it reads against.
	EvidenceSHA256 string
}

// Sign performs one signing act: it prepares each document to be signed
// that has no signed revision yet (see prepare), makes the signer's
// evidence over every document, writes the next revision of every
// document to be signed (not Unsigned) on top of its newest one (see
// signRevisions) and keeps the revisions and the evidence in the blob
// store. For an advanced act it first obtains the signer's own key, good
// for one signature per document and one for the evidence.
//
// The outputs belong together: nothing is recorded here, and when Sign
// fails the caller records nothing (what was stored is unreferenced). An
// errs.Invalid from Sign (Unsignable) says the act can never succeed: a
// document of the job cannot be prepared, or the job's rules cannot be
// met (a slot, the identifier it shows); the ceremony then fails the job.
func (e *Engine) Sign(ctx context.Context, act Act) (Signed, error) {
	if err := e.checkJob(act.Job); err != nil {
		return Signed{}, err
	}
	signs := 0
	for _, d := range act.Documents {
		if !d.Unsigned {
			signs++
		}
	}
	var key *pki.KeyPair
	if act.Advanced {
		var err error
		if key, err = e.ownKey(ctx, act.Signer.IDToken, signs+1); err != nil {
			return Signed{}, err
		}
	}
	parents := make([]job.Revision, len(act.Documents))
	tails := make([]*blob.Tail, len(act.Documents))
	defer func() {
		for _, t := range tails {
			if t != nil {
				t.Close()
			}
		}
	}()
	revs := make([]Revision, 0, signs)
	for i, d := range act.Documents {
		if d.Unsigned {
			continue
		}
		parent, src, own, hashed, err := e.current(ctx, act.Job, d)
		if err != nil {
			return Signed{}, err
		}
		defer src.Close()
		if own != nil {
			tails[i] = blob.NewTailAfter(own, parent.Size)
		} else if tails[i], err = blob.NewTail(e.cfg.TempDir, parent.Size); err != nil {
			return Signed{}, fmt.Errorf("signing: %w", err)
		}
		parents[i] = parent
		revs = append(revs, Revision{Document: d.ID, Src: src, Size: src.Size(), Out: tails[i], Hashed: hashed})
	}
	evidence, deflated, err := e.signRevisions(ctx, act, key, revs)
	if err != nil {
		return Signed{}, err
	}
	evidenceSum := sha256.Sum256(evidence)
	out := Signed{Revisions: make([]job.Revision, len(act.Documents)), EvidenceSHA256: hex.EncodeToString(evidenceSum[:])}
	in, at := -1, int64(-1) // the document whose tail holds the evidence, and where
	for i, t := range tails {
		if t == nil {
			continue // Unsigned
		}
		if in < 0 {
			// Searched before Keep, which hands the tail's memory on. The
			// bytes found are the stored bytes: Keep stores what was searched.
			in, at = i, t.Index(deflated)
		}
		if out.Revisions[i], err = appended(ctx, e.cfg.Blobs, parents[i], t); err != nil {
			return Signed{}, err
		}
		if h, err := t.Hash(); err == nil {
			e.hashes.put(out.Revisions[i].SHA256, h)
		}
	}
	if at >= 0 {
		parts := out.Revisions[in].Parts
		out.Evidence = blob.Span{Key: parts[len(parts)-1].Key, Offset: at, Size: int64(len(deflated))}
		return out, nil
	}
	// The evidence is in memory: staged, it is hashed as it is copied into
	// a pooled buffer and written once by the store, with no copy buffer.
	st := blob.NewStager(e.cfg.TempDir)
	if _, err := st.Write(evidence); err != nil {
		st.Close()
		return Signed{}, err
	}
	ref, err := st.Keep(ctx, e.cfg.Blobs)
	if err != nil {
		return Signed{}, err
	}
	out.Evidence = blob.Whole(ref)
	return out, nil
}

// Ready reports whether the engine can make an act's kind of signature:
// an advanced one needs a remote signing service (Config.Keys). The
// ceremony asks before it records a signer's intent.
func (e *Engine) Ready(advanced bool) error {
	if advanced && e.cfg.Keys == nil {
		return errs.E(errs.Unavailable, CodeAdvancedUnavailable, "no remote signing service for advanced signatures")
	}
	return nil
}

// ownKey obtains the signer's own key for n signatures. The service's
// refusals become codes the signer's pages explain: a refused login can be
// fixed by logging in again, a missing key cannot.
func (e *Engine) ownKey(ctx context.Context, idToken string, n int) (*pki.KeyPair, error) {
	if err := e.Ready(true); err != nil {
		return nil, err
	}
	key, err := e.cfg.Keys(ctx, idToken, n)
	switch kind := errs.KindOf(err); {
	case err == nil:
		return key, nil
	case kind == errs.Unauthenticated || kind == errs.Forbidden:
		return nil, errs.Wrap(err, kind, CodeOwnKeyLogin, "the remote signing service refused the login")
	case kind == errs.NotFound:
		return nil, errs.Wrap(err, kind, CodeNoOwnKey, "no signing key at the remote signing service")
	}
	return nil, fmt.Errorf("signing: the signer's own key: %w", err)
}

// current opens d's newest signed revision, read from its parts without
// putting them together. Before the first act it prepares the upload
// (preparedRevision): the prepared document's own bytes are then in own,
// not stored yet, and its spans of them have an empty Key; the act keeps
// them and what it appends as one blob (blob.NewTailAfter), so that the
// first act's revision, like every later one, is its parent followed by
// what the act appends, and costs one file, not two.
//
// hashed, when not nil, has hashed the revision whole (see hashes): the
// prepared document as it was written, or a revision an act of this
// process wrote; the act's signature and tail go on from it.
func (e *Engine) current(ctx context.Context, j Job, d Document) (rev job.Revision, o blob.Object, own *blob.Stager, hashed hash.Hash, err error) {
	rev = d.Revision
	if rev.SHA256 == "" {
		if rev, own, hashed, err = e.preparedRevision(ctx, j, d); err != nil {
			return job.Revision{}, nil, nil, nil, err
		}
	} else {
		hashed = e.hashes.get(rev.SHA256)
	}
	if o, err = blob.OpenPending(ctx, e.cfg.Blobs, rev.Spans(), own); err != nil {
		if own != nil {
			own.Close()
		}
		return job.Revision{}, nil, nil, nil, fmt.Errorf("signing: document %s: %w", d.ID, err)
	}
	return rev, o, own, hashed, nil
}

// preparedRevision prepares d's upload (see prepare) through a spool
// (memory, or a temporary file when large) and returns it as a revision
// without a second copy of the upload: the runs that normalisation copied
// unchanged (Prepared.Copied) stay references into the upload's blob, and
// the rest (the rewritten objects, the signature page) goes into own, to
// be stored with the first act's output (see current). The prepared
// document is not recorded on its own: the first act's revision begins
// with it, and a failed act stores none of it. It also returns the
// SHA-256 that hashed the prepared document as it was written, for the
// act to go on from.
func (e *Engine) preparedRevision(ctx context.Context, j Job, d Document) (job.Revision, *blob.Stager, hash.Hash, error) {
	src, err := e.cfg.Blobs.Open(ctx, d.Upload)
	if err != nil {
		return job.Revision{}, nil, nil, err
	}
	defer src.Close()
	spool := pdf.NewSpool(e.cfg.TempDir, 0)
	defer spool.Close()
	sum := sha256.New()
	prep, err := e.prepare(ctx, io.MultiWriter(spool, sum), j, d, src, src.Size())
	if err != nil {
		return job.Revision{}, nil, nil, err
	}
	// sum is of every byte written; the revision and the signature's digest
	// go on from it as of prep.Size bytes, so the two must be the same.
	if spool.Size() != prep.Size {
		return job.Revision{}, nil, nil, fmt.Errorf("signing: prepared %d bytes, wrote %d", prep.Size, spool.Size())
	}
	rev, own, err := e.preparedRuns(spool, prep.Size, hex.EncodeToString(sum.Sum(nil)), src, d.Upload, prep.Copied)
	return rev, own, sum, err
}

// preparedRuns makes the size bytes of f, whose SHA-256 is sum, a revision in
// parts: each of runs (in order, not overlapping) a span of the blob key,
// read as upload, whose bytes they are, and the bytes between them spans
// of one new blob, which they are copied into: own, not stored yet, its
// spans with an empty Key. Each run is compared with upload byte for
// byte, so the parts rebuild f exactly and sum is theirs: a wrong run is
// refused here, and the act signs on from sum without reading the
// revision back to hash it again.
func (e *Engine) preparedRuns(f io.ReaderAt, size int64, sum string, upload io.ReaderAt, key string, runs []pdf.Run) (job.Revision, *blob.Stager, error) {
	own := blob.NewStager(e.cfg.TempDir) // in memory unless large: written once, by the store
	var spans []blob.Span                // Key "" is own's, known once it is stored
	var at int64
	rest := func(to int64) error {
		if to == at {
			return nil
		}
		spans = append(spans, blob.Span{Offset: own.Size(), Size: to - at})
		if err := copyPooled(own, io.NewSectionReader(f, at, to-at)); err != nil {
			return fmt.Errorf("signing: %w", err)
		}
		return nil
	}
	for _, r := range append(runs, pdf.Run{At: size}) {
		var err error
		if r.At < at || r.At+r.Size > size {
			err = fmt.Errorf("signing: copied run %+v outside the prepared document's %d bytes", r, size)
		} else if err = sameBytes(io.NewSectionReader(f, r.At, r.Size), io.NewSectionReader(upload, r.Offset, r.Size), r.Size); err != nil {
			err = fmt.Errorf("signing: copied run %+v: %w", r, err)
		} else {
			err = rest(r.At)
		}
		if err != nil {
			own.Close()
			return job.Revision{}, nil, err
		}
		if r.Size > 0 {
			spans = append(spans, blob.Span{Key: key, Offset: r.Offset, Size: r.Size})
			at = r.At + r.Size
		}
	}
	return job.Revision{SHA256: sum, Size: size, Parts: spans}, own, nil
}

// compareBuffers hold sameBytes' two buffers between calls.
var compareBuffers = sync.Pool{New: func() any { return &[2][]byte{make([]byte, 32<<10), make([]byte, 32<<10)} }}

// copyPooled copies src to dst through one of compareBuffers' buffers:
// neither side has a ReadFrom or WriteTo, and io.Copy would make a fresh
// 32 KB buffer each time (two or three per first act).
func copyPooled(dst io.Writer, src io.Reader) error {
	bufs := compareBuffers.Get().(*[2][]byte)
	defer compareBuffers.Put(bufs)
	_, err := io.CopyBuffer(dst, src, bufs[0])
	return err
}

// sameBytes reports an error unless a and b both read the same n bytes.
func sameBytes(a, b io.Reader, n int64) error {
	bufs := compareBuffers.Get().(*[2][]byte)
	defer compareBuffers.Put(bufs)
	bufA, bufB := bufs[0], bufs[1]
	size := len(bufA)
	for n > 0 {
		k := int(min(n, int64(size)))
		if _, err := io.ReadFull(a, bufA[:k]); err != nil {
			return err
		}
		if _, err := io.ReadFull(b, bufB[:k]); err != nil {
			return err
		}
		if !bytes.Equal(bufA[:k], bufB[:k]) {
			return errors.New("not the upload's bytes")
		}
		n -= int64(k)
	}
	return nil
}

// appended stores what t holds past parent's bytes and returns the
// revision that is parent followed by it. What t received must begin with
// parent's file, which its SHA-256 proves, or nothing is stored: signed
// output never rests on bytes other than those it was made from.
func appended(ctx context.Context, blobs blob.Store, parent job.Revision, t *blob.Tail) (job.Revision, error) {
	sum, err := hex.DecodeString(parent.SHA256)
	if err != nil {
		return job.Revision{}, fmt.Errorf("signing: revision %q: %w", parent.SHA256, err)
	}
	ref, err := t.Keep(ctx, blobs, sum)
	if err != nil {
		return job.Revision{}, fmt.Errorf("signing: %w", err)
	}
	return parent.Append(hex.EncodeToString(t.Sum()), t.Size(), blob.Span{Key: ref.Key, Offset: t.At(), Size: ref.Size - t.At()}), nil
}

// Append stores the revision that write makes on top of rev, and returns
// it: write gets rev's file and must write it to w whole, followed by what
// it appends, as an incremental update does (ISO 32000-1 §7.5.6); only
// what follows rev's bytes is stored. Completion and the renewal of
// archived documents (internal/renewal) extend documents with it.
func Append(ctx context.Context, blobs blob.Store, tempDir string, rev job.Revision, write func(w io.Writer, src blob.Object) error) (job.Revision, error) {
	src, err := blob.OpenSpans(ctx, blobs, rev.Spans())
	if err != nil {
		return job.Revision{}, err
	}
	defer src.Close()
	t, err := blob.NewTail(tempDir, rev.Size)
	if err != nil {
		return job.Revision{}, err
	}
	defer t.Close()
	if err := write(t, src); err != nil {
		return job.Revision{}, err
	}
	return appended(ctx, blobs, rev, t)
}

// Revision is one document's current revision and where its next one goes.
type Revision struct {
	Document string      // Document.ID
	Src      io.ReaderAt // the current revision: prepare's output, or the previous act's
	Size     int64
	Out      io.Writer // receives the next revision
	// Hashed, when set, is a SHA-256 that has hashed Src whole (see
	// hashes): the signature's digest goes on from it.
	Hashed hash.Hash
}

// signRevisions makes act's evidence and writes the next revision of each
// document to its Out: the current revision with one incremental update
// holding a PAdES B-T signature by key (the signer's own), or by the TTP
// seal when key is nil, the evidence as the associated file
// "evidence-signer-N.xml", and the widget that fills slot act.Slot. revs
// holds every document of act to be signed (not Unsigned) once; the
// evidence names every document of act. It returns the evidence (XAdES
// B-LT) and the embedded file stream's data: the evidence deflated, a
// third of its size (XML), which every later act, the completion and both
// mailbox copies would otherwise carry and hash.
//
// The outputs belong together: when it fails, what it wrote to any Out
// must be discarded, and a retry starts again from the same revisions.
func (e *Engine) signRevisions(ctx context.Context, act Act, key *pki.KeyPair, revs []Revision) (evidence, deflated []byte, err error) {
	if err := e.checkJob(act.Job); err != nil {
		return nil, nil, err
	}
	if act.Slot < 0 || act.Slot >= act.Job.Signers {
		return nil, nil, errs.E(errs.Invalid, codeBadSlot, "slot %d of a job with %d signers", act.Slot, act.Job.Signers)
	}
	docs := map[string]Document{}
	for _, d := range act.Documents {
		if len(d.SHA256) != sha256.Size {
			return nil, nil, errs.E(errs.Invalid, codeBadDocument, "document %s: want its 32-byte SHA-256", d.ID)
		}
		if !d.Unsigned {
			docs[d.ID] = d
		}
	}
	if len(docs) == 0 || len(revs) != len(docs) {
		return nil, nil, errs.E(errs.Invalid, codeBadDocuments, "%d documents to sign, %d revisions", len(docs), len(revs))
	}
	for _, r := range revs {
		if _, ok := docs[r.Document]; !ok {
			return nil, nil, errs.E(errs.Invalid, codeBadDocuments, "revision of unknown document %q", r.Document)
		}
		delete(docs, r.Document) // each once
	}
	if key != nil && (key.Key == nil || key.Cert == nil) {
		return nil, nil, errs.E(errs.Unavailable, codeBadKey, "the remote signing service gave a key without its certificate")
	}
	signer, err := shown(act.Job.Identifier, act.Signer)
	if err != nil {
		return nil, nil, err
	}
	if act.SignedAt.IsZero() {
		act.SignedAt = e.now()
	}
	act.Signer = signer
	if evidence, err = e.evidence(ctx, act, key); err != nil {
		return nil, nil, err
	}
	if deflated, err = pdfa.Deflate(evidence); err != nil {
		return nil, nil, fmt.Errorf("signing: %w", err)
	}
	byID := map[string]Document{}
	for _, d := range act.Documents {
		byID[d.ID] = d
	}
	for _, r := range revs {
		if err := e.signDocument(ctx, act, key, byID[r.Document], r, evidence, deflated); err != nil {
			return nil, nil, err
		}
	}
	return evidence, deflated, nil
}

// evidence makes the act's XAdES B-LT evidence, signed with key, or with
// the TTP seal when key is nil.
func (e *Engine) evidence(ctx context.Context, act Act, key *pki.KeyPair) ([]byte, error) {
	if key == nil {
		key = &e.cfg.Seal
	}
	facts := xades.Facts{
		JobID: act.Job.ID, JobTitle: act.Job.Title, SenderOrg: act.Job.SenderOrg,
		Signer: act.Signer, SignedAt: act.SignedAt, Action: "signed",
	}
	for _, d := range act.Documents {
		facts.Documents = append(facts.Documents, xades.Document{
			ID: d.ID, Title: d.Title, FileName: d.FileName, MediaType: d.MediaType, Size: d.Size, SHA256: d.SHA256,
		})
	}
	// The validation data is gathered before the key is used, so that a
	// responder that is down stops the act before anything is signed (a
	// signer's own key allows one signature per document and the
	// evidence); and again once the time-stamp is made only if a second
	// has begun since, because revocation data must be no older than the
	// time-stamp (xades.SignOptions.Gather) and its times are whole seconds.
	// Both clocks are watched: the engine's, which tests may fix, and the
	// wall clock, which a responder or TSA elsewhere may follow.
	at, wallAt := e.now().Unix(), time.Now().Unix()
	vd, err := e.validationData(ctx, key.Cert, key.Chain)
	if err != nil {
		return nil, err
	}
	ev, err := xades.Sign(ctx, facts, xades.SignOptions{
		Signer: key.Key, Certificate: key.Cert, Chain: key.Chain, Stamper: e.cfg.TSA,
		Gather: func(ctx context.Context) (*xades.ValidationData, error) {
			if e.now().Unix() == at && time.Now().Unix() == wallAt {
				return vd, nil
			}
			return e.validationData(ctx, key.Cert, key.Chain)
		},
	})
	if err != nil {
		if errors.Is(err, xades.ErrInvalidFacts) {
			return nil, errs.Wrap(err, errs.Invalid, codeBadFacts, "the signer's facts cannot be signed")
		}
		return nil, fmt.Errorf("signing: evidence: %w", err)
	}
	return ev, nil
}

// validationData is what XAdES B-LT embeds (EN 319 132-1 §5.4): the
// certificates of the signer's path up to the seal's anchors and the
// revocation data of every certificate on it but the anchor (pki.Gatherer:
// OCSP for the signer, the root's CRL for the issuing CA); and, when the
// TSA's certificates are known before it answers (CertifiedStamper), the
// same for the TSA. The PDFs get all of it, for every signature, in the
// DSS of Complete.
func (e *Engine) validationData(ctx context.Context, cert *x509.Certificate, chain []*x509.Certificate) (*xades.ValidationData, error) {
	vd := &xades.ValidationData{}
	seen := map[string]bool{}
	addCert := func(c *x509.Certificate) {
		if c != nil && !seen[string(c.Raw)] {
			seen[string(c.Raw)] = true
			vd.Certs = append(vd.Certs, c.Raw)
		}
	}
	g := &pki.Gatherer{Source: e.cfg.OCSP}
	gather := func(known *knownPath, leaf *x509.Certificate, chain []*x509.Certificate) error {
		find := func() []*x509.Certificate {
			path := []*x509.Certificate{leaf}
			for c := e.issuerOf(leaf, chain); c != nil && len(path) <= len(chain)+len(e.cfg.Seal.Chain)+len(e.cfg.Anchors); c = e.issuerOf(c, chain) {
				path = append(path, c)
			}
			return path
		}
		var path []*x509.Certificate
		if known != nil {
			path = known.of(leaf, chain, find)
		} else {
			path = find()
		}
		if err := refuseOutsideValidity(path, e.now()); err != nil {
			return err
		}
		ocsps, crls, err := g.Path(ctx, path)
		if err != nil {
			return fmt.Errorf("signing: %w", err)
		}
		if err := refuseRevoked(path, ocsps, crls); err != nil {
			return err
		}
		for _, c := range path {
			addCert(c)
		}
		return nil
	}
	var known *knownPath // nil: a signer's own key, new at every act
	if cert == e.cfg.Seal.Cert {
		known = &e.sealPath
	}
	if err := gather(known, cert, chain); err != nil {
		return nil, err
	}
	if a, ok := e.cfg.TSA.(CertifiedStamper); ok {
		if certs := a.Certificates(); len(certs) > 0 && certs[0] != nil {
			if err := gather(&e.tsaPath, certs[0], certs[1:]); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range e.cfg.Anchors {
		addCert(c)
	}
	vd.OCSPs, vd.CRLs = g.OCSPs, g.CRLs
	return vd, nil
}

// refuseRevoked stops an act whose signing or time-stamping certificate,
// or a CA above it, the revocation data just gathered says is revoked:
// its signature or evidence would carry the proof that it is worthless
// (EN 319 102-1 REVOKED). The act is refused before a key is used, as an
// outage: nothing can be signed until the operator (for the seal or the
// TSA) or the remote signing service (for a signer's own key) replaces it.
// The data was gathered for an act made now, so any revocation it reports
// has happened.
func refuseRevoked(path []*x509.Certificate, ocsps, crls [][]byte) error {
	for i, c := range path {
		for _, der := range ocsps {
			if i+1 == len(path) {
				break // a root has no issuer to name in a CertID
			}
			if at, ok := pki.RevokedIn(der, c, path[i+1]); ok {
				return errs.E(errs.Unavailable, CodeCertificateRevoked, "%s was revoked at %v", pki.CertName(c), at.UTC())
			}
		}
		for _, der := range crls {
			if at, ok := pki.RevokedInCRL(der, c); ok {
				return errs.E(errs.Unavailable, CodeCertificateRevoked, "%s was revoked at %v", pki.CertName(c), at.UTC())
			}
		}
	}
	return nil
}

// refuseOutsideValidity stops an act whose signing or time-stamping
// certificate, or a CA above it, is not valid at now (expired, or not yet
// valid): a validator would find the signature made outside its
// certificate's validity (EN 319 102-1 OUT_OF_BOUNDS), so it is refused
// before a key is used, as an outage, until the operator installs a
// current certificate (or the remote signing service issues one). The
// self-issued trust anchor ends the check: a validator takes its name and
// key, not its validity (RFC 5280 §6.1.1(d)), and a root may end before
// the CAs it certified.
func refuseOutsideValidity(path []*x509.Certificate, now time.Time) error {
	for _, c := range path {
		if pki.SelfIssued(c) {
			break
		}
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return errs.E(errs.Unavailable, CodeCertificateExpired, "%s is valid from %v to %v, not at %v",
				pki.CertName(c), c.NotBefore.UTC(), c.NotAfter.UTC(), now.UTC())
		}
	}
	return nil
}

// issuerOf finds the certificate that issued leaf among chain and the
// seal's chain and anchors; nil for a self-signed root.
func (e *Engine) issuerOf(leaf *x509.Certificate, chain []*x509.Certificate) *x509.Certificate {
	if pki.SelfIssued(leaf) {
		return nil
	}
	for _, set := range [][]*x509.Certificate{chain, e.cfg.Seal.Chain, e.cfg.Anchors} {
		for _, c := range set {
			if bytes.Equal(c.RawSubject, leaf.RawIssuer) && pki.SignedBy(leaf, c) {
				return c
			}
		}
	}
	return nil
}

// signDocument writes one document's next revision, signed with key (nil:
// the TTP seal).
func (e *Engine) signDocument(ctx context.Context, act Act, key *pki.KeyPair, doc Document, rev Revision, evidence, deflated []byte) error {
	slots, sigPages := pdfa.SlotLayout(act.Job.Signers)
	slot := slots[act.Slot]
	width, height := slot.Rect[2]-slot.Rect[0], slot.Rect[3]-slot.Rect[1]
	lines := e.slotLines(act, key != nil, doc)
	n := act.Slot + 1
	err := e.sealer.Seal(ctx, rev.Out, rev.Src, rev.Size, pades.Options{
		Level:     pades.BT,
		Signer:    key,
		Time:      act.SignedAt,
		FieldName: fmt.Sprintf("Signer%d", n),
		Name:      act.Signer.Name,
		Reason:    "Signert / Signed (" + act.Signer.EIDMethod + ")",
		Attachments: []pdf.Attachment{{
			Name:         fmt.Sprintf("evidence-signer-%d.xml", n),
			Description:  fmt.Sprintf("Bevis for signatur %d / Evidence of signature %d (XAdES)", n, n),
			MediaType:    "application/xml",
			Data:         evidence,
			DeflatedData: deflated,
			ModTime:      act.SignedAt,
		}},
		Hashed: rev.Hashed,
		Fit:    e.fit(key),
		Appearance: &pdf.Appearance{
			// The signature pages are the document's last (prepare), so
			// the slot's page is counted from the end, without opening
			// the document to count its pages first.
			Page: slot.Page - sigPages,
			Rect: slot.Rect,
			Draw: func(d *pdf.Drawing) ([]byte, string, []pdf.RawObject, error) {
				stream, res, objs, err := pdfa.AppearanceText(lines, width, height, e.pageFonts[fontLang(act.Job)], d)
				if err != nil {
					return nil, "", nil, err
				}
				z, err := pdfa.Deflate(stream)
				return z, res, objs, err
			},
			Deflated: true,
		},
	})
	if err != nil {
		return fmt.Errorf("signing: sign document %s: %w", doc.ID, err)
	}
	return nil
}

// fontLang is the language whose prepared fonts (pageFonts) a
// job's signature pages and slots are written with.
func fontLang(j Job) string {
	if j.Lang == "" {
		return doctext.Bokmal
	}
	return j.Lang
}

// fit is the pades.Options.Fit of an act's signatures by key (nil: the
// seal): the seal's are sized to what they needed before, so that a
// document does not carry 24 KB of zeros per act in /Contents (and every
// act and the completion hash, copy and decode them). A signer's own key
// gets the default room: a CMS that does not fit is made again, and the
// remote signing service authorised one signature per document.
func (e *Engine) fit(key *pki.KeyPair) *pades.ContentsFit {
	if key != nil {
		return nil
	}
	return &e.sealFit
}

// slotLines are what the signer's slot shows, labels in the page's two
// languages (doctext.Catalogues.SignaturePage): name; identity number or birth
// date as the job allows; time and kind of signature; eID and level of
// assurance; on whose behalf; the document's SHA-256 as uploaded, which
// the evidence names.
func (e *Engine) slotLines(act Act, advanced bool, doc Document) []string {
	s := act.Signer
	first, english := e.texts.SignaturePage(act.Job.Lang)
	no, en := first.Slot, english.Slot
	label := func(pick func(doctext.Slot) string) string {
		if pick(no) == pick(en) {
			return pick(no)
		}
		return pick(no) + " / " + pick(en)
	}
	lines := []string{s.Name}
	switch {
	case s.PID != "":
		lines = append(lines, label(func(t doctext.Slot) string { return t.PID })+": "+s.PID)
	case s.BirthDate != "":
		lines = append(lines, label(func(t doctext.Slot) string { return t.BirthDate })+": "+s.BirthDate)
	}
	loc := e.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	kind := label(func(t doctext.Slot) string { return t.Authenticated })
	if advanced {
		kind = label(func(t doctext.Slot) string { return t.Advanced })
	}
	level := label(func(t doctext.Slot) string { return t.Level[s.LevelOfAssurance] })
	if no.Level[s.LevelOfAssurance] == "" {
		level = label(func(t doctext.Slot) string { return t.Level[""] }) + " " + s.LevelOfAssurance
	}
	lines = append(lines,
		label(func(t doctext.Slot) string { return t.Signed })+": "+act.SignedAt.In(loc).Format("2006-01-02 15:04:05 MST")+" ("+kind+")",
		"eID: "+eid.Name(s.EIDMethod)+", "+level)
	if s.OnBehalfOf != "" {
		lines = append(lines, label(func(t doctext.Slot) string { return t.OnBehalfOf })+": "+s.OnBehalfOf)
	}
	return append(lines, label(func(t doctext.Slot) string { return t.Digest })+":", hex.EncodeToString(doc.SHA256))
}

// sender is how the signature page names the sending organisation: its
// name and organisation number, or the number alone when the name is not
// known.
func sender(j Job) string {
	if j.SenderName == "" {
		return j.SenderOrg
	}
	if j.SenderOrg == "" {
		return j.SenderName
	}
	return j.SenderName + " (" + j.SenderOrg + ")"
}

// shown returns the signer's facts as the job allows them to be shown
// (MISSION S4): with "pid" as given (the identity number is required);
// with "birth_date_and_name" without the identity number (the birth date
// is required); with "name" without either. When the identity number is
// left out, so is the ID token, which carries it: the evidence names the
// token by its SHA-256 ("sha256:" and base64url), which ties it to the
// token segl keeps without showing it.
func shown(id job.Identifier, s xades.SignerFacts) (xades.SignerFacts, error) {
	switch id {
	case job.ShowPID:
		if s.PID == "" {
			return s, errs.E(errs.Invalid, codeNoPID, "the job shows the national identity number, and the signer has none")
		}
		return s, nil
	case job.ShowBirthDateAndName:
		if s.BirthDate == "" {
			return s, errs.E(errs.Invalid, codeNoBirthDate, "the job shows the birth date, and the signer has none")
		}
		s.PID = ""
	case job.ShowName:
		s.PID, s.BirthDate = "", ""
	default:
		return s, errs.E(errs.Invalid, codeBadIdentifier, "unknown identifier %q", id)
	}
	if s.IDToken != "" {
		sum := sha256.Sum256([]byte(s.IDToken))
		s.IDToken = "sha256:" + base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return s, nil
}

// Complete makes the final revision of each signed document, given by
// their newest revisions (zero for a document not signed, whose final
// revision is zero too), and keeps them in the blob store (Append: only
// what it adds is stored): a DSS with the certificates and revocation data of every
// signature and time-stamp, and a document time-stamp over it all (PAdES
// B-LTA, EN 319 142-1 §5.4-5.5), followed by a DSS update with the
// document time-stamp's own data. Each call asks the TSA and the OCSP
// responder anew, so the caller runs it once per job and records the
// result.
func (e *Engine) Complete(ctx context.Context, revisions []job.Revision) ([]job.Revision, error) {
	out := make([]job.Revision, len(revisions))
	for i, rev := range revisions {
		if rev.SHA256 == "" {
			continue
		}
		hashed := e.hashes.get(rev.SHA256)
		final, err := Append(ctx, e.cfg.Blobs, e.cfg.TempDir, rev, func(w io.Writer, src blob.Object) error {
			return e.completeTo(ctx, w, src, src.Size(), hashed)
		})
		if err != nil {
			return nil, err
		}
		out[i] = final
	}
	return out, nil
}

// completeTo writes the final revision of one signed document to w;
// hashed, when set, has hashed src whole (see hashes).
func (e *Engine) completeTo(ctx context.Context, w io.Writer, src io.ReaderAt, size int64, hashed hash.Hash) error {
	err := e.sealer.ExtendHashed(ctx, w, src, size, true, hashed)
	switch {
	case errors.Is(err, pades.ErrUnsigned):
		return errs.E(errs.Conflict, codeNotSigned, "a document without signatures cannot be completed")
	case err != nil:
		return fmt.Errorf("signing: complete: %w", err)
	}
	return nil
}

// checkJob checks what the engine relies on in j: the number of slots,
// and a language it has texts in (empty is bokmål).
func (e *Engine) checkJob(j Job) error {
	if j.Signers < 1 || j.Signers > pdfa.MaxSlots {
		return errs.E(errs.Invalid, codeBadSigners, "%d signers, want 1 to %d", j.Signers, pdfa.MaxSlots)
	}
	if j.Lang != "" && !e.texts.Has(j.Lang) {
		return errs.E(errs.Invalid, codeBadLang, "language %q, want one of %s", j.Lang, strings.Join(e.texts.Languages(), ", "))
	}
	return nil
}
