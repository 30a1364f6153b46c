package validate

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/tsp"
)

// Options configure a validation. The zero value validates now against no
// trust anchors, so nothing passes.
type Options struct {
	Roots *x509.CertPool // trust anchors for signers and TSAs
	At    time.Time      // validation time; zero means now
}

// Report is the result for one file (in the spirit of ETSI TS 119 102-2).
type Report struct {
	ValidationTime time.Time   `json:"validation_time"`
	Indication     Indication  `json:"indication"` // the worst of the signatures'
	Signatures     []Signature `json:"signatures"`
	Warnings       []string    `json:"warnings,omitempty"`
}

// Passed reports whether every signature passed.
func (r *Report) Passed() bool { return r.Indication == TotalPassed }

// Signature is the verdict on one signature or document time-stamp.
type Signature struct {
	Field               string       `json:"field"`
	Kind                string       `json:"kind"` // "signature" or "document-timestamp"
	SubFilter           string       `json:"sub_filter"`
	Revision            int          `json:"revision"` // 1 = the first revision of the file
	CoversWholeDocument bool         `json:"covers_whole_document"`
	Signer              *Certificate `json:"signer,omitempty"`
	ClaimedSigningTime  *time.Time   `json:"claimed_signing_time,omitempty"` // /M: what the signer says
	BestSignatureTime   *time.Time   `json:"best_signature_time,omitempty"`  // the earliest proven existence
	TimeStamps          []TimeStamp  `json:"timestamps,omitempty"`
	LaterChanges        []string     `json:"later_changes,omitempty"`
	Result              Result       `json:"result"`
	Warnings            []string     `json:"warnings,omitempty"`
}

// PDF validates every signature and document time-stamp in a PDF. It
// returns an error only when the file cannot be read as a PDF at all.
func PDF(src io.ReaderAt, size int64, opts Options) (*Report, error) {
	at := opts.At
	if at.IsZero() {
		at = time.Now()
	}
	r, err := pdf.Open(src, size)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	infos, err := r.Signatures()
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	report := &Report{ValidationTime: at, Indication: TotalPassed}
	if len(infos) == 0 {
		report.Indication = Indeterminate
		report.Warnings = append(report.Warnings, "the file holds no signatures")
		return report, nil
	}
	sort.SliceStable(infos, func(i, j int) bool { return infos[i].RevisionEnd < infos[j].RevisionEnd })

	v := &pdfValidation{src: src, size: size, r: r, roots: opts.Roots, at: at, revEnds: r.RevisionEnds()}
	if err := v.loadDSS(); err != nil {
		report.Warnings = append(report.Warnings, err.Error())
	}
	v.appended = v.appendedData()

	sigs := make([]Signature, len(infos))
	// Document time-stamps first, newest to oldest: each one that passes is
	// a proof of existence for everything before it, including the older
	// time-stamps' own tokens.
	poe := at
	v.poeAfter = map[int64]time.Time{}
	for i := len(infos) - 1; i >= 0; i-- {
		if infos[i].SubFilter != pdf.SubFilterRFC3161 {
			continue
		}
		sigs[i] = v.docTimeStamp(infos[i], poe)
		if sigs[i].Result.Passed() {
			poe = *sigs[i].BestSignatureTime
			v.poeAfter[infos[i].RevisionEnd] = poe
		}
	}
	for i, info := range infos {
		if info.SubFilter != pdf.SubFilterRFC3161 {
			sigs[i] = v.signature(info)
		}
	}
	v.unsignedAttachment = v.attachedAfter(infos[len(infos)-1].RevisionEnd)
	for i := range sigs {
		changes := v.laterChanges(infos[i], &sigs[i])
		v.certified(infos[i], infos[i+1:], changes, &sigs[i])
		report.Indication = worse(Result{Indication: report.Indication}, sigs[i].Result).Indication
	}
	report.Signatures = sigs
	return report, nil
}

type pdfValidation struct {
	src      io.ReaderAt
	size     int64
	r        *pdf.Reader
	roots    *x509.CertPool
	at       time.Time
	revEnds  []int64
	dss      Evidence
	poeAfter map[int64]time.Time // revision end of a passed document time-stamp → its genTime
	appended bool
	// unsignedAttachment: the revisions after the newest signature or
	// document time-stamp change the attachments (attachedAfter).
	unsignedAttachment bool
}

// attachedAfter reports whether the revisions after end change the
// document's attachments. segl attaches a signer's evidence in the revision
// of the signature that covers it; an attachment that no later signature
// covers has no signer, and a viewer shows it with the signed document.
// A file that cannot be compared counts as changed: laterChanges says why.
func (v *pdfValidation) attachedAfter(end int64) bool {
	if end >= v.revEnds[len(v.revEnds)-1] {
		return false
	}
	old, err := pdf.Open(io.NewSectionReader(v.src, 0, end), end)
	if err != nil {
		return true
	}
	changes, err := pdf.Changes(old, v.r)
	if err != nil {
		return true
	}
	return slices.ContainsFunc(changes, func(c pdf.Change) bool { return c.Kind == pdf.ChangeAttachment })
}

func (v *pdfValidation) loadDSS() error {
	d, err := v.r.DSS()
	if err != nil || d == nil {
		if err != nil {
			return fmt.Errorf("document security store unreadable: %v", err)
		}
		return nil
	}
	for _, der := range d.Certs {
		if c, err := x509.ParseCertificate(der); err == nil {
			v.dss.Certs = append(v.dss.Certs, c)
		}
	}
	v.dss.OCSPs, v.dss.CRLs = d.OCSPs, d.CRLs
	return nil
}

// appendedData reports bytes after the last revision that are not white
// space: they belong to no revision, so no signature vouches for them.
func (v *pdfValidation) appendedData() bool {
	if len(v.revEnds) == 0 {
		return false
	}
	last := v.revEnds[len(v.revEnds)-1]
	if last >= v.size {
		return false
	}
	tail := make([]byte, min(v.size-last, 4096))
	n, _ := v.src.ReadAt(tail, last)
	return len(bytes.TrimSpace(tail[:n])) > 0 || v.size-last > 4096
}

// evidence is the DSS's validation material plus certificates found with
// one signature, in a copy: signatures must not add to each other's pools.
func (v *pdfValidation) evidence(certs []*x509.Certificate) Evidence {
	return Evidence{Certs: append(slices.Clone(v.dss.Certs), certs...), OCSPs: v.dss.OCSPs, CRLs: v.dss.CRLs}
}

// revision returns the 1-based number of the revision ending at end.
func (v *pdfValidation) revision(end int64) int {
	for i, e := range v.revEnds {
		if e == end {
			return i + 1
		}
	}
	return 0
}

// checkByteRange enforces the structure every PDF signature must have: four
// numbers [0 a b c], the gap exactly the /Contents hex string of this
// signature, and the second range ending where the signature's revision ends
// (ISO 32000-1 §12.8.1; EN 319 142-1 §5.1).
func (v *pdfValidation) checkByteRange(info pdf.SignatureInfo) Result {
	br := info.ByteRange
	if len(br) != 4 {
		return failed(FormatFailure, "/ByteRange must hold four numbers, has %d", len(br))
	}
	a, b, c := br[1], br[2], br[3]
	switch {
	case br[0] != 0:
		return failed(FormatFailure, "/ByteRange does not start at 0")
	case a <= 0 || b <= a || c < 0 || b+c > v.size:
		return failed(FormatFailure, "/ByteRange %v is out of order or beyond the file", br)
	case b+c != info.RevisionEnd:
		return failed(FormatFailure, "/ByteRange ends at %d, its revision at %d", b+c, info.RevisionEnd)
	case b-a != int64(2*len(info.Raw)+2):
		return failed(FormatFailure, "the /ByteRange gap is not this signature's /Contents")
	}
	hole := make([]byte, b-a)
	if _, err := v.src.ReadAt(hole, a); err != nil {
		return failed(FormatFailure, "cannot read the /Contents: %v", err)
	}
	decoded, err := hex.DecodeString(string(hole[1 : len(hole)-1]))
	if hole[0] != '<' || hole[len(hole)-1] != '>' || err != nil || !bytes.Equal(decoded, info.Raw) {
		return failed(FormatFailure, "the /ByteRange gap is not this signature's /Contents")
	}
	return passed()
}

// hashOf is b's digest with h, which digest has checked is available.
func hashOf(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}

// digest hashes the signed byte ranges, streaming.
func (v *pdfValidation) digest(br []int64, h crypto.Hash) ([]byte, error) {
	if !h.Available() {
		return nil, fmt.Errorf("hash %v not supported", h)
	}
	w := h.New()
	for i := 0; i+1 < len(br); i += 2 {
		if _, err := io.Copy(w, io.NewSectionReader(v.src, br[i], br[i+1])); err != nil {
			return nil, err
		}
	}
	return w.Sum(nil), nil
}

func (v *pdfValidation) base(info pdf.SignatureInfo, kind string) Signature {
	s := Signature{Field: info.Field, Kind: kind, SubFilter: info.SubFilter, Revision: v.revision(info.RevisionEnd),
		CoversWholeDocument: len(info.ByteRange) == 4 && info.ByteRange[2]+info.ByteRange[3] == v.size}
	if !info.SigningTime.IsZero() {
		t := info.SigningTime
		s.ClaimedSigningTime = &t
	}
	return s
}

// docTimeStamp validates a document time-stamp (ETSI.RFC3161) with its TSA
// chain valid at poe: the validation time for the newest, the genTime of the
// next newer passed time-stamp for the others.
func (v *pdfValidation) docTimeStamp(info pdf.SignatureInfo, poe time.Time) Signature {
	s := v.base(info, "document-timestamp")
	if s.Result = v.checkByteRange(info); !s.Result.Passed() {
		return s
	}
	parsed, err := tsp.Parse(info.DER)
	if err != nil {
		s.Result = failed(FormatFailure, "not a time-stamp token: %v", err)
		return s
	}
	digest, err := v.digest(info.ByteRange, parsed.Hash)
	if err != nil {
		s.Result = failed(FormatFailure, "%v", err)
		return s
	}
	ev := v.evidence(parsed.Chain)
	tinfo, ts := checkTimeStamp(info.DER, parsed.Hash, digest, v.roots, ev, poe)
	s.TimeStamps = []TimeStamp{ts}
	s.Result = ts.Result
	if tinfo != nil {
		g := tinfo.GenTime
		s.BestSignatureTime = &g
		s.Signer = &ts.TSA
	}
	return s
}

// coveringPOE is the earliest proof of existence of a revision: the genTime
// of the oldest passed document time-stamp after it, else the validation time.
func (v *pdfValidation) coveringPOE(end int64) time.Time {
	best := v.at
	for rev, t := range v.poeAfter {
		if rev > end && t.Before(best) {
			best = t
		}
	}
	return best
}

// signature validates a CAdES signature (ETSI.CAdES.detached, or the legacy
// adbe.pkcs7.detached).
func (v *pdfValidation) signature(info pdf.SignatureInfo) Signature {
	s := v.base(info, "signature")
	if s.Result = v.checkByteRange(info); !s.Result.Passed() {
		return s
	}
	if info.SubFilter != pdf.SubFilterCAdES && info.SubFilter != "adbe.pkcs7.detached" {
		s.Result = failed(FormatFailure, "unsupported /SubFilter %q", info.SubFilter)
		return s
	}
	sd, err := cms.Parse(info.DER)
	if err != nil || len(sd.Signers) != 1 {
		s.Result = failed(FormatFailure, "not a CMS signature with one signer: %v", err)
		return s
	}
	si := sd.Signers[0]
	if si.Certificate == nil {
		s.Result = indeterminate(NoCertificateChainFound, "the signer's certificate is not in the signature")
		return s
	}
	cert := describe(si.Certificate)
	s.Signer = &cert
	digest, err := v.digest(info.ByteRange, si.DigestAlgorithm)
	if err != nil {
		s.Result = failed(FormatFailure, "%v", err)
		return s
	}
	if err := sd.VerifySignature(0, digest); err != nil {
		switch {
		case errors.Is(err, cms.ErrDigest):
			s.Result = failed(HashFailure, "the document was changed after signing: %v", err)
		case errors.Is(err, cms.ErrSigningCertificate):
			// The signature holds, but not for the certificate the signed
			// attributes name (EN 319 102-1 §5.2.3).
			s.Result = indeterminate(NoSigningCertificateFound, "%v", err)
		case errors.Is(err, cms.ErrContentType), errors.Is(err, cms.ErrMalformed):
			s.Result = failed(FormatFailure, "%v", err)
		default:
			s.Result = failed(SigCryptoFailure, "%v", err)
		}
		return s
	}
	if sd.Content != nil && !bytes.Equal(hashOf(si.DigestAlgorithm, sd.Content), digest) {
		// A PDF signature encapsulates nothing (ISO 32000-1 §12.8.3.3.1),
		// but `openssl cms -stream` always does: accepted when it is the
		// byte range, which is then what the message digest covers (RFC
		// 5652 §5.4) either way.
		s.Result = failed(FormatFailure, "the signature encapsulates content other than the signed byte range")
		return s
	}
	if info.SubFilter == pdf.SubFilterCAdES && si.SigningTime != nil {
		s.Warnings = append(s.Warnings, "signingTime attribute present: PAdES baseline forbids it (EN 319 142-1 §5.2)")
	}
	ev := v.evidence(sd.Certificates)
	best := v.coveringPOE(info.RevisionEnd)
	if si.TimeStampToken != nil {
		parsed, err := tsp.Parse(si.TimeStampToken)
		if err == nil {
			h := parsed.Hash.New()
			h.Write(si.Signature)
			ev.Certs = append(ev.Certs, parsed.Chain...)
			tinfo, ts := checkTimeStamp(si.TimeStampToken, parsed.Hash, h.Sum(nil), v.roots, ev, best)
			s.TimeStamps = append(s.TimeStamps, ts)
			if tinfo != nil && tinfo.GenTime.Before(best) {
				best = tinfo.GenTime
			}
			if !ts.Result.Passed() {
				s.Warnings = append(s.Warnings, "signature time-stamp: "+ts.Result.Detail)
			}
		} else {
			s.Warnings = append(s.Warnings, "signature time-stamp unreadable: "+err.Error())
		}
	}
	s.BestSignatureTime = &best
	_, res, warnings := validatePath(pathCheck{leaf: si.Certificate, roots: v.roots, evidence: ev, at: best, requireRevocation: true})
	s.Warnings = append(s.Warnings, warnings...)
	s.Result = res
	return s
}

// certified fails a certification signature whose permissions a later
// revision exceeds (ISO 32000-1 §12.8.2.2, Table 254): with /P 1 any
// change but the DSS and document time-stamps (ISO 32000-2 and EN 319
// 142-1 allow those): another signature, a form change, a signature field
// no signature fills, metadata changed ("no changes to the document");
// under any /P an attachment, which none permits. What
// every signature forbids (pages, content, annotations) laterChanges has
// failed already.
func (v *pdfValidation) certified(info pdf.SignatureInfo, later []pdf.SignatureInfo, changes []pdf.Change, s *Signature) {
	if info.DocMDP == 0 {
		return
	}
	for _, l := range later {
		if info.DocMDP == 1 && l.RevisionEnd > info.RevisionEnd && l.SubFilter != pdf.SubFilterRFC3161 {
			s.Result = worse(s.Result, failed(FormatFailure, "modified after certification: signature %s added, which /P 1 forbids", l.Field))
		}
	}
	for _, c := range changes {
		switch {
		case c.Kind == pdf.ChangeAttachment:
			s.Result = worse(s.Result, failed(FormatFailure, "modified after certification: %s added, which no /P permits", c.Detail))
		case info.DocMDP == 1 && c.Kind == pdf.ChangeMetadata:
			s.Result = worse(s.Result, failed(FormatFailure, "modified after certification: %s changed, which /P 1 forbids", c.Detail))
		case info.DocMDP == 1 && (c.Kind == pdf.ChangeForm || c.Kind == pdf.ChangeSignature) && !c.Signed:
			// A signed field is a document time-stamp here: the loop
			// above failed any other signature.
			s.Result = worse(s.Result, failed(FormatFailure, "modified after certification: %s, which /P 1 forbids", c.Detail))
		}
	}
}

// laterChanges classifies every revision after the signature's, and
// returns what changed: only signatures, form updates, the DSS, document
// time-stamps, attachments (each signer's evidence) covered by a later
// signature, and metadata may follow a signature. Metadata (the XMP stream,
// the document information dictionary) changes no page, annotation, form
// or action; Acrobat and pyHanko update it on every incremental save,
// countersignatures and LTV updates included, and EU DSS counts a new
// /Metadata with the DSS as an augmentation (and never compares /Info). It
// is reported, so a relying party sees a title changed since signing.
func (v *pdfValidation) laterChanges(info pdf.SignatureInfo, s *Signature) []pdf.Change {
	if v.appended {
		s.Result = worse(s.Result, failed(FormatFailure, "data was appended after the last revision"))
	}
	if info.RevisionEnd >= v.revEnds[len(v.revEnds)-1] || !s.Result.Passed() && s.Result.SubIndication == FormatFailure {
		return nil
	}
	old, err := pdf.Open(io.NewSectionReader(v.src, 0, info.RevisionEnd), info.RevisionEnd)
	if err != nil {
		s.Result = worse(s.Result, failed(FormatFailure, "the signed revision cannot be read on its own: %v", err))
		return nil
	}
	changes, err := pdf.Changes(old, v.r)
	if err != nil {
		s.Result = worse(s.Result, failed(FormatFailure, "later revisions cannot be compared: %v", err))
		return nil
	}
	for _, c := range changes {
		s.LaterChanges = append(s.LaterChanges, string(c.Kind)+": "+c.Detail)
		switch c.Kind {
		case pdf.ChangeSignature, pdf.ChangeForm, pdf.ChangeSecurity, pdf.ChangeMetadata:
		case pdf.ChangeAttachment:
			if v.unsignedAttachment {
				s.Result = worse(s.Result, failed(FormatFailure, "modified after signing: %s changed after the last signature", c.Detail))
			}
		default:
			s.Result = worse(s.Result, failed(FormatFailure, "modified after signing: %s", c.Detail))
		}
	}
	return changes
}
