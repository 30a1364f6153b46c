package signing

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pdfa"
	"github.com/segl/segl/internal/xades"
)

// Receipt is what a signer's receipt says: one signing act as its evidence
// records it, which is what makes the receipt true (the facts are read
// from the XAdES the act produced, not from the job as it is now).
type Receipt struct {
	// Act is the act's facts, from its verified evidence: the job, the
	// documents with their SHA-256 as uploaded, the signer as the job
	// allows them to be shown, the eID and level of assurance, the time.
	Act xades.Facts
	// SenderName is the sending organisation's name; Act.SenderOrg is its
	// number.
	SenderName string
	// Reference is the sender's own reference for the job; optional.
	Reference string
	// Advanced says the signer signed with their own key, not by segl's
	// seal on their behalf.
	Advanced bool
	// Lang is the receipt's language: "nb", "nn" or "en"; empty is "nb".
	Lang string
}

// receiptText is the fixed text of a receipt in one language.
type receiptText struct {
	Title, Lead, Job, Sender, Ref, JobID, Signer, BirthDate, PID, OnBehalfOf,
	Signed, Kind, Authenticated, Advanced, EID, Level, Documents, File, Digest, Footer string
	Levels map[string]string
	// Short and FileName name the receipt in a mailbox or a download.
	Short, FileName string
}

// receiptTexts are the receipt's texts: bokmål, Nynorsk and English.
var receiptTexts = map[string]receiptText{
	"nb": {
		Title: "Kvittering for signering", Lead: "Denne kvitteringen viser hva du signerte elektronisk, og når.",
		Job: "Oppdrag", Sender: "Avsender", Ref: "Referanse", JobID: "Oppdrags-ID",
		Signer: "Undertegner", BirthDate: "Fødselsdato", PID: "Fødselsnummer", OnBehalfOf: "På vegne av",
		Signed: "Signert", Kind: "Signatur", Authenticated: "autentisert (tjenesten forseglet signeringen etter at du logget inn)",
		Advanced: "avansert (med din egen signeringsnøkkel)", EID: "eID", Level: "Sikkerhetsnivå",
		Documents: "Dokumenter du signerte", File: "Fil", Digest: "SHA-256 (som lastet opp)",
		Footer: "Kvitteringen er forseglet med tjenestens elektroniske segl. Beviset for signeringen (XAdES) er lagt ved hvert signerte dokument, " +
			"og SHA-256-verdiene over er de samme som beviset og signatursiden i dokumentet viser.",
		Levels: map[string]string{string(job.Substantial): "betydelig", string(job.High): "høyt"},
		Short:  "Kvittering", FileName: "kvittering.pdf",
	},
	"nn": {
		Title: "Kvittering for signering", Lead: "Denne kvitteringa viser kva du signerte elektronisk, og når.",
		Job: "Oppdrag", Sender: "Avsendar", Ref: "Referanse", JobID: "Oppdrags-ID",
		Signer: "Underteiknar", BirthDate: "Fødselsdato", PID: "Fødselsnummer", OnBehalfOf: "På vegner av",
		Signed: "Signert", Kind: "Signatur", Authenticated: "autentisert (tenesta forsegla signeringa etter at du logga inn)",
		Advanced: "avansert (med din eigen signeringsnøkkel)", EID: "eID", Level: "Sikkerheitsnivå",
		Documents: "Dokument du signerte", File: "Fil", Digest: "SHA-256 (som lasta opp)",
		Footer: "Kvitteringa er forsegla med det elektroniske seglet til tenesta. Provet for signeringa (XAdES) er lagt ved kvart signerte dokument, " +
			"og SHA-256-verdiane over er dei same som provet og signatursida i dokumentet viser.",
		Levels: map[string]string{string(job.Substantial): "betydeleg", string(job.High): "høgt"},
		Short:  "Kvittering", FileName: "kvittering.pdf",
	},
	"en": {
		Title: "Signing receipt", Lead: "This receipt shows what you signed electronically, and when.",
		Job: "Job", Sender: "Sender", Ref: "Reference", JobID: "Job ID",
		Signer: "Signer", BirthDate: "Date of birth", PID: "National identity number", OnBehalfOf: "On behalf of",
		Signed: "Signed", Kind: "Signature", Authenticated: "authenticated (the service sealed the signing after you logged in)",
		Advanced: "advanced (with your own signing key)", EID: "eID", Level: "Level of assurance",
		Documents: "Documents you signed", File: "File", Digest: "SHA-256 (as uploaded)",
		Footer: "This receipt is sealed with the service's electronic seal. The evidence of the signing (XAdES) is attached to each signed document, " +
			"and the SHA-256 values above are the ones the evidence and the document's signature page show.",
		Levels: map[string]string{string(job.Substantial): "substantial", string(job.High): "high"},
		Short:  "Receipt", FileName: "receipt.pdf",
	},
}

// ReceiptLangs are the languages a receipt can be written in.
var ReceiptLangs = []string{"nb", "nn", "en"}

// ReceiptName is how a receipt in lang is named where it is kept: a short
// title for a mailbox ("Kvittering") and a file name. A language without
// receipts gets bokmål.
func ReceiptName(lang string) (title, fileName string) {
	t, ok := receiptTexts[lang]
	if !ok {
		t = receiptTexts["nb"]
	}
	return t.Short, t.FileName
}

// text is the receipt as plain text, for pdfa.RenderText: the lines of a
// small form, then one block per document.
func (r Receipt) text(loc *time.Location) (title, body string) {
	t, ok := receiptTexts[r.Lang]
	if !ok {
		t = receiptTexts["nb"]
	}
	var b strings.Builder
	row := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", label, value)
		}
	}
	a, s := r.Act, r.Act.Signer
	b.WriteString(t.Lead + "\n\n")
	row(t.Job, a.JobTitle)
	sender := r.SenderName
	if a.SenderOrg != "" {
		sender = strings.TrimSpace(sender + " (" + a.SenderOrg + ")")
	}
	row(t.Sender, sender)
	row(t.Ref, r.Reference)
	row(t.JobID, a.JobID)
	b.WriteString("\n")
	row(t.Signer, s.Name)
	row(t.PID, s.PID)
	if s.PID == "" {
		row(t.BirthDate, s.BirthDate)
	}
	row(t.OnBehalfOf, s.OnBehalfOf)
	row(t.Signed, a.SignedAt.In(loc).Format("2006-01-02 15:04:05 MST"))
	kind := t.Authenticated
	if r.Advanced {
		kind = t.Advanced
	}
	row(t.Kind, kind)
	row(t.EID, eid.Name(s.EIDMethod))
	level := t.Levels[s.LevelOfAssurance]
	if level == "" {
		level = s.LevelOfAssurance
	}
	row(t.Level, level)
	b.WriteString("\n" + t.Documents + ":\n")
	for i, d := range a.Documents {
		fmt.Fprintf(&b, "\n%d. %s\n", i+1, d.Title)
		fmt.Fprintf(&b, "   %s: %s\n", t.File, d.FileName)
		fmt.Fprintf(&b, "   %s:\n   %s\n", t.Digest, hex.EncodeToString(d.SHA256))
	}
	b.WriteString("\n" + t.Footer + "\n")
	return t.Title, b.String()
}

// Receipt writes a signer's receipt to w: a PDF/A-3b document
// (pdfa.RenderText) that says what was signed (titles and SHA-256), by
// whom, when, with which eID and level of assurance, sealed with segl's
// seal as a PAdES B-LT signature (EN 319 142-1 §5.4: the seal's
// certificates and revocation data are in the file, so it can be checked
// without segl). The receipt is made anew on each call; its facts come
// from the act's evidence, so every copy says the same.
func (e *Engine) Receipt(ctx context.Context, w io.Writer, r Receipt) error {
	if r.Act.Action != "signed" || len(r.Act.Documents) == 0 {
		return errs.E(errs.Invalid, "bad-receipt", "a receipt is for a signing act with documents")
	}
	loc := e.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	lang := r.Lang
	if _, ok := receiptTexts[lang]; !ok {
		lang = "nb"
	}
	title, body := r.text(loc)
	tmp := pdf.NewSpool(e.cfg.TempDir, 0)
	defer tmp.Close()
	now := e.now()
	info, err := pdfa.RenderText(tmp, strings.NewReader(body), pdfa.Meta{Title: title, Lang: lang, Created: now, Author: r.SenderName})
	if err != nil {
		return fmt.Errorf("signing: render receipt: %w", err)
	}
	err = e.sealer.Seal(ctx, w, tmp, info.Size, pades.Options{
		Level: pades.BLT, FieldName: "Seal", Name: e.cfg.Seal.Cert.Subject.CommonName,
		Reason: title, Time: now,
	})
	if err != nil {
		return fmt.Errorf("signing: seal receipt: %w", err)
	}
	return nil
}
