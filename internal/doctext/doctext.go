// Package doctext holds the texts of the documents segl writes itself:
// the signature page, the signers' slots on it, and the signer's receipt.
// They live in catalogue files, one per language (i18n/LANG.json), and
// the languages are the files present: a translator adds Northern Sámi by
// adding i18n/se.json, with no change to the code, and jobs and receipts
// in se are then accepted and written.
//
// Every catalogue says everything, checked when it loads, so a document
// never shows an empty label in one language only.
package doctext

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// The languages every catalogue set must have: bokmål, the default (the
// service is Norwegian), and English, which the signature page always
// shows beside the job's language so that every reader of the file can
// read it.
const (
	Bokmal  = "nb"
	English = "en"
)

// Page is the fixed text of the signature page in one language. The page
// shows two languages side by side ("Signaturer / Signatures").
type Page struct {
	Heading, Continued                          string
	Sender, Job, Document, FileName, JobID, Ref string
	// Explanation says what the signatures are and what the slots mean;
	// the page is fixed before the first signature (EN 319 142-1 §5.4),
	// so it must hold both before the first signature and after the last.
	Explanation string
	// Page is the footer, with %[1]d the page and %[2]d the page count.
	Page string
}

// Slot is the text of a filled slot on the signature page in one
// language: the labels of what the signer's signature appearance shows.
type Slot struct {
	PID, BirthDate, Signed, Authenticated, Advanced, OnBehalfOf, Digest string
	// Level names the eIDAS levels of assurance by job.Assurance; "" is
	// the bare label for a level it does not know.
	Level map[string]string
}

// Receipt is the fixed text of a signer's receipt in one language.
type Receipt struct {
	Title, Lead, Job, Sender, Ref, JobID, Signer, BirthDate, PID, OnBehalfOf,
	Signed, Kind, Authenticated, Advanced, EID, Level, Documents, File, Digest, Footer string
	// Levels names the eIDAS levels of assurance by job.Assurance.
	Levels map[string]string
	// Short and FileName name the receipt in a mailbox or a download.
	Short, FileName string
}

// Front is the text of the front page of a job's combined document (the
// one PDF of several documents that its signers sign, job.Combined) in
// one language: it names each document the pages after it hold.
type Front struct {
	// Lead says what the document is, above the list of documents.
	Lead string
	// Documents and Signers head the two lists.
	Documents, Signers string
	// FileName, Digest and Pages label each document's lines.
	FileName, Digest, Pages string
	// Signer names a signer shown by number only (job.ShowName), with
	// %[1]d the number; Email, Mobile and Ref label how the sender
	// addressed the others.
	Signer, Email, Mobile, Ref string
	// File is the combined document's own file name.
	File string
}

// Texts are one language's catalogue: the file i18n/LANG.json.
type Texts struct {
	Page    Page
	Slot    Slot
	Receipt Receipt
	Front   Front
}

// Catalogues are the loaded catalogues, one per language.
type Catalogues struct {
	langs []string
	texts map[string]Texts
}

//go:embed i18n/*.json
var embedded embed.FS

// Embedded returns the catalogues built into segl.
var Embedded = sync.OnceValues(func() (*Catalogues, error) { return Load(embedded) })

// Languages lists the languages of the built-in catalogues, bokmål first,
// the others by tag. When they do not load it is bokmål alone, and
// Embedded says what is wrong with them (a test keeps them loading).
func Languages() []string {
	c, err := Embedded()
	if err != nil {
		return []string{Bokmal}
	}
	return c.Languages()
}

// langRE is what a catalogue's language may be: a two- or three-letter
// primary language subtag (RFC 5646 section 2.2.1), enough for nb, nn,
// en, se, sma, smj; the same rule as the web catalogues'.
var langRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// Load reads the catalogues i18n/LANG.json of fsys. Each must have every
// text bokmål has, and no other (unknown keys are errors, so a misspelt
// key is found when the file loads, not in a signed document), and
// bokmål and English must be present.
func Load(fsys fs.FS) (*Catalogues, error) {
	files, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		return nil, fmt.Errorf("doctext: catalogues: %w", err)
	}
	c := &Catalogues{texts: make(map[string]Texts)}
	for _, f := range files {
		lang := strings.TrimSuffix(path.Base(f), ".json")
		if !langRE.MatchString(lang) {
			return nil, fmt.Errorf("doctext: catalogue %s: the name is not LANG.json with a language subtag", f)
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("doctext: catalogue %s: %w", f, err)
		}
		var t Texts
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("doctext: catalogue %s: %w", f, err)
		}
		c.texts[lang] = t
		c.langs = append(c.langs, lang)
	}
	for _, need := range []string{Bokmal, English} {
		if _, ok := c.texts[need]; !ok {
			return nil, fmt.Errorf("doctext: catalogues: no i18n/%s.json", need)
		}
	}
	for _, lang := range c.langs {
		if err := complete(reflect.ValueOf(c.texts[lang]), reflect.ValueOf(c.texts[Bokmal]), ""); err != nil {
			return nil, fmt.Errorf("doctext: catalogue i18n/%s.json: %w", lang, err)
		}
		footer := c.texts[lang].Page.Page
		if s := fmt.Sprintf(footer, 1, 2); strings.Contains(s, "%!") {
			return nil, fmt.Errorf("doctext: catalogue i18n/%s.json: page.Page %q does not take the page and the page count", lang, footer)
		}
	}
	slices.SortFunc(c.langs, func(a, b string) int {
		switch {
		case a == Bokmal:
			return -1
		case b == Bokmal:
			return 1
		}
		return strings.Compare(a, b)
	})
	return c, nil
}

// complete says which text of v is missing: an empty string, or a map
// without a key that the same map of ref (bokmål) has.
func complete(v, ref reflect.Value, at string) error {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			if at != "" {
				name = at + "." + name
			}
			if err := complete(v.Field(i), ref.Field(i), name); err != nil {
				return err
			}
		}
	case reflect.String:
		if v.String() == "" {
			return fmt.Errorf("%s is missing", at)
		}
	case reflect.Map:
		for _, k := range ref.MapKeys() {
			if s := v.MapIndex(k); !s.IsValid() || s.String() == "" {
				return fmt.Errorf("%s[%q] is missing", at, k.String())
			}
		}
		for _, k := range v.MapKeys() {
			if !ref.MapIndex(k).IsValid() {
				return fmt.Errorf("%s[%q] is unknown to bokmål", at, k.String())
			}
		}
	}
	return nil
}

// Languages lists the languages of c, bokmål first, the others by tag.
func (c *Catalogues) Languages() []string { return slices.Clone(c.langs) }

// Has says whether c has a catalogue for lang.
func (c *Catalogues) Has(lang string) bool {
	_, ok := c.texts[lang]
	return ok
}

// Texts returns lang's texts; a language without a catalogue, or none
// (""), gets bokmål.
func (c *Catalogues) Texts(lang string) Texts {
	if t, ok := c.texts[lang]; ok {
		return t
	}
	return c.texts[Bokmal]
}

// SignaturePage returns the two languages the signature page of a job in
// lang shows side by side: the job's language and English. An English
// job's page shows bokmål beside English, since the page is Norwegian
// first; so does a job without a language.
func (c *Catalogues) SignaturePage(lang string) (first, english Texts) {
	if lang == English {
		lang = Bokmal
	}
	return c.Texts(lang), c.texts[English]
}
