package xades

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// The facts vocabulary (namespace urn:segl:evidence:1). Element order is
// fixed; optional elements are left out when empty. Times are xsd:dateTime in
// UTC with the precision they were given; the document digest is base64, as
// XMLDSig writes digests.
//
//	<segl:Evidence Id="evidence">
//	  <segl:JobID/> <segl:JobTitle/> <segl:SenderOrganisation/>
//	  <segl:Documents>
//	    <segl:Document> <segl:ID/> <segl:Title/> <segl:FileName/>
//	      <segl:MediaType/> <segl:Size/> <segl:DigestSHA256/> </segl:Document>…
//	  </segl:Documents>
//	  <segl:Signer> <segl:Name/> <segl:PID/>? <segl:BirthDate/>?
//	    <segl:EIDMethod/> <segl:LevelOfAssurance/> <segl:AuthenticationTime/>
//	    <segl:IDToken/> <segl:OnBehalfOf/>? </segl:Signer>
//	  <segl:SigningTime/> <segl:Action/>
//	</segl:Evidence>
const prefixEvidence = "segl"

// check refuses facts that would make evidence nobody can rely on: missing
// identifiers, digests of the wrong size, unknown levels of assurance, and
// text that XML 1.0 cannot carry.
func (f *Facts) check() error {
	bad := func(field, why string) error {
		return fmt.Errorf("%w: %s %s", ErrInvalidFacts, field, why)
	}
	required := []struct{ field, value string }{
		{"job id", f.JobID},
		{"sender organisation", f.SenderOrg},
		{"signer name", f.Signer.Name},
		{"eid method", f.Signer.EIDMethod},
		{"id token", f.Signer.IDToken},
		{"action", f.Action},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return bad(r.field, "is empty")
		}
	}
	text := []struct{ field, value string }{
		{"job id", f.JobID}, {"job title", f.JobTitle}, {"sender organisation", f.SenderOrg},
		{"signer name", f.Signer.Name}, {"pid", f.Signer.PID}, {"birth date", f.Signer.BirthDate},
		{"eid method", f.Signer.EIDMethod}, {"level of assurance", f.Signer.LevelOfAssurance},
		{"id token", f.Signer.IDToken}, {"on behalf of", f.Signer.OnBehalfOf}, {"action", f.Action},
	}
	for _, d := range f.Documents {
		text = append(text, []struct{ field, value string }{
			{"document id", d.ID}, {"document title", d.Title},
			{"document file name", d.FileName}, {"document media type", d.MediaType},
		}...)
	}
	for _, t := range text {
		if !xmlText(t.value) {
			return bad(t.field, "has characters XML cannot carry")
		}
	}
	switch f.Signer.LevelOfAssurance {
	case "substantial", "high":
	default:
		return bad("level of assurance", fmt.Sprintf("%q is not substantial or high", f.Signer.LevelOfAssurance))
	}
	if f.Signer.BirthDate != "" {
		if _, err := time.Parse(time.DateOnly, f.Signer.BirthDate); err != nil {
			return bad("birth date", "is not YYYY-MM-DD")
		}
	}
	if f.Signer.AuthTime.IsZero() {
		return bad("authentication time", "is zero")
	}
	if f.SignedAt.IsZero() {
		return bad("signing time", "is zero")
	}
	if len(f.Documents) == 0 {
		return bad("documents", "are missing")
	}
	if len(f.Documents) > maxDocuments {
		return bad("documents", "are too many")
	}
	for i, d := range f.Documents {
		switch {
		case strings.TrimSpace(d.ID) == "":
			return bad(fmt.Sprintf("document %d id", i), "is empty")
		case strings.TrimSpace(d.FileName) == "":
			return bad(fmt.Sprintf("document %d file name", i), "is empty")
		case strings.TrimSpace(d.MediaType) == "":
			return bad(fmt.Sprintf("document %d media type", i), "is empty")
		case d.Size < 0:
			return bad(fmt.Sprintf("document %d size", i), "is negative")
		case len(d.SHA256) != 32:
			return bad(fmt.Sprintf("document %d digest", i), "is not 32 bytes")
		}
	}
	return nil
}

// xmlText says whether s is UTF-8 made of XML 1.0 Chars (XML 1.0 §2.2).
func xmlText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// evidenceElement writes f as the segl:Evidence element.
func evidenceElement(f *Facts) *etree.Element {
	ev := etree.NewElement(prefixEvidence + ":Evidence")
	ev.CreateAttr("xmlns:"+prefixEvidence, nsEvidence)
	ev.CreateAttr("Id", idEvidence)
	leaf := func(parent *etree.Element, name, text string) {
		parent.CreateElement(prefixEvidence + ":" + name).SetText(text)
	}
	optional := func(parent *etree.Element, name, text string) {
		if text != "" {
			leaf(parent, name, text)
		}
	}
	leaf(ev, "JobID", f.JobID)
	leaf(ev, "JobTitle", f.JobTitle)
	leaf(ev, "SenderOrganisation", f.SenderOrg)
	docs := ev.CreateElement(prefixEvidence + ":Documents")
	for _, d := range f.Documents {
		de := docs.CreateElement(prefixEvidence + ":Document")
		leaf(de, "ID", d.ID)
		leaf(de, "Title", d.Title)
		leaf(de, "FileName", d.FileName)
		leaf(de, "MediaType", d.MediaType)
		leaf(de, "Size", strconv.FormatInt(d.Size, 10))
		leaf(de, "DigestSHA256", base64.StdEncoding.EncodeToString(d.SHA256))
	}
	s := ev.CreateElement(prefixEvidence + ":Signer")
	leaf(s, "Name", f.Signer.Name)
	optional(s, "PID", f.Signer.PID)
	optional(s, "BirthDate", f.Signer.BirthDate)
	leaf(s, "EIDMethod", f.Signer.EIDMethod)
	leaf(s, "LevelOfAssurance", f.Signer.LevelOfAssurance)
	leaf(s, "AuthenticationTime", formatTime(f.Signer.AuthTime))
	leaf(s, "IDToken", f.Signer.IDToken)
	optional(s, "OnBehalfOf", f.Signer.OnBehalfOf)
	leaf(ev, "SigningTime", formatTime(f.SignedAt))
	leaf(ev, "Action", f.Action)
	return ev
}

// parseEvidence reads the facts back from the segl:Evidence element, in the
// order evidenceElement writes them, and checks them as Sign did: anything
// else is an error, so nothing in the signed element goes unread.
func parseEvidence(ev *etree.Element) (Facts, error) {
	var f Facts
	top := children(ev, nsEvidence)
	var err error
	f.JobID = top.text("JobID")
	f.JobTitle = top.text("JobTitle")
	f.SenderOrg = top.text("SenderOrganisation")
	docs := top.one("Documents")
	if docs != nil {
		dc := children(docs, nsEvidence)
		for dc.next("Document") {
			if len(f.Documents) == maxDocuments {
				return f, fmt.Errorf("%w: more than %d documents", ErrTooLarge, maxDocuments)
			}
			d := children(dc.current, nsEvidence)
			var doc Document
			doc.ID = d.text("ID")
			doc.Title = d.text("Title")
			doc.FileName = d.text("FileName")
			doc.MediaType = d.text("MediaType")
			if size := d.text("Size"); d.err == nil {
				doc.Size, err = strconv.ParseInt(size, 10, 64)
				if err != nil || size != strconv.FormatInt(doc.Size, 10) {
					return f, fmt.Errorf("%w: document size %q", ErrMalformed, size)
				}
			}
			doc.SHA256 = d.base64("DigestSHA256")
			if err := d.end(); err != nil {
				return f, err
			}
			f.Documents = append(f.Documents, doc)
		}
		if err := dc.end(); err != nil {
			return f, err
		}
	}
	if s := top.one("Signer"); s != nil {
		sc := children(s, nsEvidence)
		f.Signer.Name = sc.text("Name")
		f.Signer.PID = sc.optionalText("PID")
		f.Signer.BirthDate = sc.optionalText("BirthDate")
		f.Signer.EIDMethod = sc.text("EIDMethod")
		f.Signer.LevelOfAssurance = sc.text("LevelOfAssurance")
		f.Signer.AuthTime = sc.time("AuthenticationTime")
		f.Signer.IDToken = sc.text("IDToken")
		f.Signer.OnBehalfOf = sc.optionalText("OnBehalfOf")
		if err := sc.end(); err != nil {
			return f, err
		}
	}
	f.SignedAt = top.time("SigningTime")
	f.Action = top.text("Action")
	if err := top.end(); err != nil {
		return f, err
	}
	if err := f.check(); err != nil {
		return f, err
	}
	return f, nil
}

// Where Sign's output holds the facts: one segl:Evidence element, which
// declares the namespace of its prefix itself (Exclusive C14N puts the
// declaration on the element that uses it, XML-EXC-C14N §3), so that it
// reads as a document of its own.
var (
	evidenceStart = []byte("<" + prefixEvidence + ":Evidence ")
	evidenceEnd   = []byte("</" + prefixEvidence + ":Evidence>")
)

// ReadFacts reads the facts of evidence that Sign made, without verifying
// anything: not the signature, not the reference digests, not the
// time-stamp. It is for bytes whose integrity is established otherwise,
// by their SHA-256 against a record made when Sign's output was stored
// (a content-addressed blob named by the job's record); anything else
// must go through Verify.
//
// It parses the segl:Evidence element alone, not the 15 KB of
// certificates, time-stamp token and revocation data around it, and
// checks the facts as Verify does. Sign's output is canonical XML, in
// which a "<" of text or of an attribute value is escaped and which has
// no comments, so the element's start and end tag each occur exactly
// once; ReadFacts refuses anything else.
func ReadFacts(data []byte) (Facts, error) {
	if len(data) > MaxSize {
		return Facts{}, fmt.Errorf("%w: %d bytes, at most %d accepted", ErrTooLarge, len(data), MaxSize)
	}
	start, end := bytes.Index(data, evidenceStart), bytes.LastIndex(data, evidenceEnd)
	if start < 0 || end < start || bytes.Count(data, evidenceStart) != 1 || bytes.Count(data, evidenceEnd) != 1 {
		return Facts{}, fmt.Errorf("%w: not one %s:Evidence element", ErrMalformed, prefixEvidence)
	}
	doc, err := parse(data[start : end+len(evidenceEnd)])
	if err != nil {
		return Facts{}, err
	}
	if _, err := index(doc); err != nil { // comments, duplicate attributes: refused as Verify refuses them
		return Facts{}, err
	}
	ev := doc.Root()
	if !is(ev, nsEvidence, "Evidence") {
		return Facts{}, fmt.Errorf("%w: %s is not the evidence", ErrMalformed, ev.FullTag())
	}
	if err := checkAttrs(ev, "Id"); err != nil {
		return Facts{}, err
	}
	return parseEvidence(ev)
}
