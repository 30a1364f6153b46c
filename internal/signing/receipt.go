package signing

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/segl/segl/internal/doctext"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
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
	// Lang is the receipt's language, one with a catalogue
	// (internal/doctext); another, or none, is "nb".
	Lang string
}

// ReceiptLangs are the languages a receipt can be written in: those
// with a built-in catalogue (internal/doctext).
var ReceiptLangs = doctext.Languages()

// ReceiptName is how a receipt in lang is named where it is kept: a short
// title for a mailbox ("Kvittering") and a file name, from the built-in
// catalogues. A language without receipts gets bokmål.
func ReceiptName(lang string) (title, fileName string) {
	c, err := doctext.Embedded()
	if err != nil {
		return "Kvittering", "kvittering.pdf" // the catalogues' tests keep this from happening
	}
	t := c.Texts(lang).Receipt
	return t.Short, t.FileName
}

// text is the receipt as plain text, for pdfa.RenderText: the lines of a
// small form, then one block per document.
func (r Receipt) text(t doctext.Receipt, loc *time.Location) (title, body string) {
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

// repertoire is what a document made again and again from the catalogue
// texts (a receipt, a slot's appearance) is written with, for the font
// pdfa prepares once (pdfa.Meta.Repertoire, pdfa.AppearanceText): the
// characters of texts, printable ASCII (numbers, digests, most names and
// titles), the Norwegian letters and what Norwegian titles and names
// often hold besides (é, ü, «», dashes, curly quotes, §, €). A document
// with another character gets a font of its own.
func repertoire(texts ...any) string {
	chars := map[rune]bool{}
	for r := ' '; r <= '~'; r++ {
		chars[r] = true
	}
	for _, r := range "ÆØÅæøåÉéÈèÁáÄäÖöÜü«»–—‘’“”§€" + fmt.Sprint(texts...) {
		if unicode.IsPrint(r) {
			chars[r] = true
		}
	}
	return string(slices.Sorted(maps.Keys(chars)))
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
		return errs.E(errs.Invalid, codeBadReceipt, "a receipt is for a signing act with documents")
	}
	loc := e.cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	lang := r.Lang
	if !e.texts.Has(lang) {
		lang = doctext.Bokmal
	}
	title, body := r.text(e.texts.Texts(lang).Receipt, loc)
	tmp := pdf.NewSpool(e.cfg.TempDir, 0)
	defer tmp.Close()
	now := e.now()
	info, err := pdfa.RenderText(tmp, strings.NewReader(body), pdfa.Meta{Title: title, Lang: lang, Created: now, Author: r.SenderName, Quick: true,
		Repertoire: e.receiptFonts[lang]})
	if err != nil {
		return fmt.Errorf("signing: render receipt: %w", err)
	}
	err = e.sealer.Seal(ctx, w, tmp, info.Size, pades.Options{
		Level: pades.BLT, FieldName: "Seal", Name: e.cfg.Seal.Cert.Subject.CommonName,
		Reason: title, Time: now, Fit: &e.receiptFit,
	})
	if err != nil {
		return fmt.Errorf("signing: seal receipt: %w", err)
	}
	return nil
}
