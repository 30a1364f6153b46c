// Package pades signs PDFs as PAdES baseline signatures (ETSI EN 319 142-1):
// B-B (a CAdES signature in an incremental update), B-T (plus a signature
// time-stamp), B-LT (plus a DSS with every certificate, OCSP response and
// CRL a validator needs) and B-LTA (plus a document time-stamp over all of
// it, and that time-stamp's own validation data after it).
// Extend adds validation data and a new document time-stamp to a file that
// is already signed, which is also how archived files are renewed (MISSION L2).
//
// Each step reads its input through io.ReaderAt and streams its output, with
// intermediate revisions in a pdf.Spool (memory up to a few megabytes, then a
// temporary file), so a 10 MB document is never held in memory.
package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/hashstate"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
)

// Level is a PAdES baseline level.
type Level int

const (
	BB   Level = iota // B-B: signature only
	BT                // B-T: with a signature time-stamp
	BLT               // B-LT: with validation data in the DSS
	BLTA              // B-LTA: with a document time-stamp over it all
)

var levelNames = []string{"B-B", "B-T", "B-LT", "B-LTA"}

func (l Level) String() string { return levelNames[l] }

// ParseLevel reads "B-B", "B-T", "B-LT" or "B-LTA".
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if strings.EqualFold(s, n) {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("pades: unknown level %q (want one of %s)", s, strings.Join(levelNames, ", "))
}

// Sealer signs with segl's seal (authenticated signatures, organisation
// seals) or, one signature at a time, with a signer's own key from a
// remote signing service (Options.Signer, advanced signatures); one Sealer
// serves every act, and nothing about an act is set on it. Security
// review: Seal is the only path by which these keys sign PDFs, and it
// signs only the digest of the document revision it builds itself, so it
// cannot be used as a signing oracle for arbitrary data. A Sealer must
// not be copied after its first use.
type Sealer struct {
	Key     crypto.Signer
	Cert    *x509.Certificate
	Chain   []*x509.Certificate // intermediates up to, not including, the root
	Anchors []*x509.Certificate // roots to include in the DSS, so the file carries its whole path
	TSA     cms.Stamper         // required from B-T up
	// OCSP gives the revocation data of B-LT and B-LTA: OCSP responses
	// for end-entity certificates and CRLs for CAs (pki.Gatherer).
	OCSP    pki.RevocationSource // required from B-LT up
	TempDir string               // for intermediate revisions larger than pdf.DefaultSpoolMemory; "" = os.TempDir()
	Now     func() time.Time     // nil = time.Now

	// docTimeStamps sizes the document time-stamps' /Contents as
	// Options.Fit sizes signatures (in its BB place: a token carries no
	// time-stamp of its own), so that a B-LTA file does not carry 24 KB
	// of zeros for each of them.
	docTimeStamps ContentsFit
}

// Options describe one signature.
type Options struct {
	Level       Level
	FieldName   string
	Name        string // shown as the signer's name in viewers
	Reason      string
	Location    string
	Attachments []pdf.Attachment // e.g. the signer's XAdES evidence
	Appearance  *pdf.Appearance  // nil: invisible
	// Signer, when set, makes this one signature with another key than
	// the Sealer's: a signer's own key from a remote signing service, for
	// an advanced signature. Its certificate and chain go into the CMS in
	// place of the Sealer's; TSA and OCSP stay the Sealer's.
	Signer *pki.KeyPair
	// Time is the signing time written to the signature dictionary (/M);
	// zero means the Sealer's clock.
	Time time.Time
	// Hashed, when set, is a SHA-256 that has hashed src whole, which
	// the caller knows from writing src (internal/signing keeps the hash
	// of each act's output for the next act): the signature's digest then
	// goes on from a copy of it (pdf.Prepared.ContinueSHA256) instead of
	// reading src again. Nil means src is read and hashed.
	Hashed hash.Hash
	// Fit, when set, reserves in /Contents what the signatures made with
	// it at this level needed so far, with fitSlack to spare, instead of
	// pdf.DefaultContentsSize: the unused part of the room is zeros in the
	// file (32 KB of hexadecimal for a CMS of 3 to 4 KB). A signature that
	// does not fit is made again in the default room. One Fit serves the
	// signatures of one key, chain and TSA.
	Fit *ContentsFit
}

// ContentsFit is the largest CMS made at each level with Options.Fit
// (without and with a signature time-stamp). The zero value is ready.
type ContentsFit struct {
	largest [2]atomic.Int64
}

// room is what Options.Fit reserves for a CMS at level: the largest made
// before at level and fitSlack more; 0 (the default room) before the
// first. The CMS of one key, chain and TSA varies by a few bytes (the
// ECDSA signatures' lengths, the token's serial number and time), far
// less than fitSlack.
func (f *ContentsFit) room(level Level) int {
	n := int(f.largest[min(level, BT)].Load())
	if n == 0 {
		return 0
	}
	return min(n+fitSlack, pdf.DefaultContentsSize)
}

// make makes a CMS at level with sign, in the room the ones before it
// needed (f nil: the default room). One larger than they were (another
// TSA certificate, a longer chain) is made again in the default room,
// nothing of it written yet.
func (f *ContentsFit) make(level Level, sign func(room int) (*pdf.Prepared, []byte, error)) (*pdf.Prepared, []byte, error) {
	if f == nil {
		return sign(0)
	}
	room := f.room(level)
	p, der, err := sign(room)
	if err == nil && room > 0 && len(der) > room {
		p.Release()
		p, der, err = sign(0)
	}
	if err != nil {
		return nil, nil, err
	}
	f.made(level, len(der))
	return p, der, nil
}

// fitSlack is what ContentsFit.room adds to the largest CMS before: ten
// times what the CMS of one key, chain and TSA varies by (two ECDSA
// signatures' lengths, the token's serial number and the fraction of its
// time: about 25 bytes), so that one is rarely made again; every byte of
// it is two zeros in each signature's /Contents, which the acts, the
// completion and every delivery carry and hash.
const fitSlack = 256

// made records a CMS of n bytes made at level.
func (f *ContentsFit) made(level Level, n int) {
	l := &f.largest[min(level, BT)]
	for old := l.Load(); int64(n) > old && !l.CompareAndSwap(old, int64(n)); old = l.Load() {
	}
}

func (s *Sealer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Seal writes src with one more signature, at the requested level, to dst.
func (s *Sealer) Seal(ctx context.Context, dst io.Writer, src io.ReaderAt, size int64, o Options) error {
	if o.Level >= BT && s.TSA == nil {
		return errors.New("pades: a time-stamping authority is needed from B-T up")
	}
	if o.Level >= BLT && s.OCSP == nil {
		return errors.New("pades: an OCSP source is needed from B-LT up")
	}
	at := o.Time
	if at.IsZero() {
		at = s.now()
	}
	key, cert, chain := s.Key, s.Cert, s.Chain
	if k := o.Signer; k != nil {
		if k.Key == nil || k.Cert == nil {
			return errors.New("pades: a signer's key comes without its certificate")
		}
		key, cert, chain = k.Key, k.Cert, k.Chain
	}
	// From B-LT up the signed revision is extended in turn: the signature's
	// update is appended to src in place (pdf.NewSpoolAfter), and so are
	// Extend's, so that src is copied once, to dst.
	var signed *pdf.Spool
	if o.Level >= BLT {
		signed = pdf.NewSpoolAfter(src, size, s.TempDir, 0)
		defer signed.Close()
		src = signed
	}
	// stamped keeps the signature time-stamp token, for the validation
	// data of a signature that is the file's first (below).
	stamped := &keptToken{Stamper: s.TSA}
	// sign prepares the signature's update with room bytes for the CMS
	// (0: pdf.DefaultContentsSize) and makes the CMS.
	sign := func(room int) (*pdf.Prepared, []byte, error) {
		p, err := pdf.PrepareSignature(src, size, pdf.SignatureSpec{
			FieldName: o.FieldName, SubFilter: pdf.SubFilterCAdES, Name: o.Name, Reason: o.Reason, Location: o.Location,
			SigningTime: at.UTC(), Appearance: o.Appearance, Attachments: o.Attachments, ContentsSize: room,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("pades: %w", err)
		}
		digest, err := digestOf(p, o.Hashed, size)
		if err != nil {
			p.Release()
			return nil, nil, fmt.Errorf("pades: %w", err)
		}
		opts := cms.SignOptions{Signer: key, Certificate: cert, Chain: chain, Hash: crypto.SHA256}
		if o.Level >= BT {
			opts.Stamper = stamped
		}
		der, err := cms.SignDetached(ctx, digest, opts)
		if err != nil {
			p.Release()
			return nil, nil, fmt.Errorf("pades: %w", err)
		}
		return p, der, nil
	}
	p, der, err := o.Fit.make(o.Level, sign)
	if err != nil {
		return err
	}
	if o.Level < BLT {
		_, err := p.WriteTo(dst, der)
		p.Release()
		return err
	}
	n, err := p.WriteTo(signed, der)
	first, sig := p.First(), p.Signature(der)
	p.Release()
	if err != nil {
		return fmt.Errorf("pades: %w", err)
	}
	if !first {
		return s.Extend(ctx, dst, signed, n, o.Level == BLTA)
	}
	// The new signature is the file's only one (a receipt): its validation
	// data comes from the signature as made, whose signer, chain and
	// time-stamp token are known without parsing it back (made), and the
	// updates go on in the same spool, without reading the file back to
	// find it.
	made := signature{info: sig, signers: madeSigners(cert, chain, stamped.token)}
	return s.extend(ctx, dst, signed, nil, n, []signature{made}, o.Level == BLTA, nil)
}

// madeSigners is tokenSigners for a CMS made with cert and chain whose
// signature time-stamp is token, without parsing the CMS back: the
// certificates it carries (cert and chain, in the order of their DER SET)
// go into pool, and the leaves are cert and the token's TSA.
func madeSigners(cert *x509.Certificate, chain []*x509.Certificate, token []byte) func(pool *certSet) ([]*x509.Certificate, error) {
	return func(pool *certSet) ([]*x509.Certificate, error) {
		certs := append([]*x509.Certificate{cert}, chain...)
		slices.SortFunc(certs, func(a, b *x509.Certificate) int { return bytes.Compare(a.Raw, b.Raw) })
		pool.add(certs...)
		return appendSigner(nil, cert, token, pool), nil
	}
}

// appendSigner appends a CMS signer's certificate and, when its signature
// has a time-stamp token, the token's TSA. A token that cannot be read
// names no TSA: the DSS carries what a validator may use, and checking the
// token is the validator's.
func appendSigner(leaves []*x509.Certificate, cert *x509.Certificate, token []byte, pool *certSet) []*x509.Certificate {
	leaves = append(leaves, cert)
	if token == nil {
		return leaves
	}
	if tsa, err := tokenSigner(token, pool); err == nil {
		leaves = append(leaves, tsa)
	}
	return leaves
}

// keptToken is a cms.Stamper that keeps the last token it returned.
type keptToken struct {
	cms.Stamper
	token []byte
}

func (k *keptToken) Stamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	tok, err := k.Stamper.Stamp(ctx, h, digest)
	k.token = tok
	return tok, err
}

// signature is a signature or document time-stamp whose validation data
// extend gathers: signers, when set, gives the certificates that signed
// it (as tokenSigners does) from what the caller knows of it.
type signature struct {
	info    pdf.SignatureInfo
	signers func(pool *certSet) ([]*x509.Certificate, error)
}

// signatures are infos as extend takes them: signers read from each.
func signatures(infos []pdf.SignatureInfo) []signature {
	out := make([]signature, len(infos))
	for i, info := range infos {
		out[i] = signature{info: info}
	}
	return out
}

// digestOf is p's DigestSHA256, going on from a copy of hashed, a SHA-256
// of the size bytes of p's original, when it is set.
func digestOf(p *pdf.Prepared, hashed hash.Hash, size int64) ([]byte, error) {
	if hashed == nil {
		return p.DigestSHA256()
	}
	h, err := hashstate.Clone(hashed)
	if err != nil {
		return nil, err
	}
	return p.ContinueSHA256(h, size)
}

// ErrUnsigned reports a file without signatures or document time-stamps:
// there is nothing whose validation data Extend could add.
var ErrUnsigned = errors.New("pades: the document has no signatures to extend")

// Extend adds a DSS with the certificates and revocation data of every
// signature and time-stamp in src (B-LT), and with archive set a document
// time-stamp over the result followed by one more DSS update with the
// validation data of that time-stamp itself (B-LTA). Run on a B-LTA file it
// adds the validation data of the previous time-stamp and a new one: the
// renewal of EN 319 142-1 §5.5 that keeps archived files verifiable. A file
// without signatures is refused (ErrUnsigned).
//
// The last DSS update is there because revocation data must be produced
// after the time it speaks for (EN 319 102-1 §5.6.2.1): what the first
// update holds predates the new time-stamp, and a validator would have to
// fetch the rest online. A DSS may follow a document time-stamp
// (EN 319 142-1 §5.4.2; it is what the next renewal time-stamps).
//
// src is opened and its signatures parsed once; the new time-stamp's data
// is gathered from the token as it is written (pdf.Prepared.Signature),
// not read back from the file; the updates are appended to src without
// copying it (pdf.NewSpoolAfter), so intermediate revisions cost what they
// add, not the document again.
func (s *Sealer) Extend(ctx context.Context, dst io.Writer, src io.ReaderAt, size int64, archive bool) error {
	return s.ExtendHashed(ctx, dst, src, size, archive, nil)
}

// ExtendHashed is Extend for a caller that knows src's SHA-256 from
// writing it: hashed, when set, has hashed src whole, and the document
// time-stamp's digest and an Appender dst go on from a copy of it, so src
// is not hashed again (see Options.Hashed).
func (s *Sealer) ExtendHashed(ctx context.Context, dst io.Writer, src io.ReaderAt, size int64, archive bool, hashed hash.Hash) error {
	// The three updates are appended to src in place (pdf.NewSpoolAfter):
	// src is read where it is parsed, and copied once, to dst.
	out := pdf.NewSpoolAfter(src, size, s.TempDir, 0)
	defer out.Close()
	r, err := pdf.Open(out, size)
	if err != nil {
		return fmt.Errorf("pades: %w", err)
	}
	infos, err := r.Signatures()
	if err != nil {
		return fmt.Errorf("pades: %w", err)
	}
	if len(infos) == 0 {
		return ErrUnsigned
	}
	return s.extend(ctx, dst, out, r, size, signatures(infos), archive, hashed)
}

// extend is ExtendHashed for the size bytes out holds, whose signatures
// are sigs: the updates are appended to out, which r reads (nil: out is
// opened where an update needs it), and the result is written to dst.
func (s *Sealer) extend(ctx context.Context, dst io.Writer, out *pdf.Spool, r *pdf.Reader, size int64, sigs []signature, archive bool, hashed hash.Hash) error {
	dss, err := s.validationData(ctx, sigs)
	if err != nil {
		return err
	}
	appendDSS := func(w io.Writer) (int64, error) {
		if r != nil {
			return r.AppendDSS(w, dss)
		}
		return pdf.AppendDSS(w, out, size, dss)
	}
	if !archive {
		_, err := appendDSS(dst)
		return err
	}
	if s.TSA == nil {
		return errors.New("pades: a time-stamping authority is needed for B-LTA")
	}
	n, err := appendDSS(out)
	if err != nil {
		return fmt.Errorf("pades: %w", err)
	}
	// A destination that keeps only what follows src (pdf.Appender: the
	// blob.Tail of a completion or a renewal) takes src's SHA-256 in place
	// of its bytes; the document time-stamp's digest goes on from the same
	// hash, so src is hashed once, or not at all when hashed is known.
	app, _ := dst.(pdf.Appender)
	var base hash.Hash // of src
	switch {
	case hashed != nil:
		base, err = hashstate.Clone(hashed)
	case app != nil:
		base = sha256.New()
		_, err = io.Copy(base, io.NewSectionReader(out, 0, size))
	}
	if err != nil {
		return fmt.Errorf("pades: %w", err)
	}
	// stamp prepares the document time-stamp's update with room bytes for
	// the token (0: pdf.DefaultContentsSize) and has the TSA make it.
	stamp := func(room int) (*pdf.Prepared, []byte, error) {
		p, err := pdf.PrepareSignature(out, n, pdf.SignatureSpec{SubFilter: pdf.SubFilterRFC3161, ContentsSize: room})
		if err != nil {
			return nil, nil, fmt.Errorf("pades: %w", err)
		}
		var digest []byte
		if base != nil {
			digest, err = digestOf(p, base, size)
		} else {
			digest, err = p.DigestSHA256()
		}
		if err != nil {
			p.Release()
			return nil, nil, fmt.Errorf("pades: %w", err)
		}
		token, err := s.TSA.Stamp(ctx, crypto.SHA256, digest)
		if err != nil {
			p.Release()
			return nil, nil, fmt.Errorf("pades: document time-stamp: %w", err)
		}
		return p, token, nil
	}
	p, token, err := s.docTimeStamps.make(BB, stamp)
	if err != nil {
		return err
	}
	m, err := p.WriteTo(out, token)
	stamped := p.Signature(token)
	p.Release() // out, a spool, has copied the update
	if err != nil {
		return fmt.Errorf("pades: %w", err)
	}
	last, err := s.validationData(ctx, []signature{{info: stamped}})
	if err != nil {
		return err
	}
	if _, err := pdf.AppendDSS(out, out, m, last); err != nil {
		return fmt.Errorf("pades: %w", err)
	}
	from := int64(0)
	if app != nil {
		if err := app.SkipBase(base, size); err != nil {
			return fmt.Errorf("pades: %w", err)
		}
		from = size
	}
	if _, err := out.WriteFrom(dst, from); err != nil {
		return fmt.Errorf("pades: write: %w", err)
	}
	return nil
}

// validationData gathers, for every signature and time-stamp token of
// sigs, the certificates of its path and the revocation data of every
// certificate on it but the trust anchor (pki.Gatherer: OCSP for end
// entities, the root's CRL for the issuing CA), with a VRI entry per
// signature and document time-stamp (ISO 32000-2 §12.8.4.4).
func (s *Sealer) validationData(ctx context.Context, sigs []signature) (pdf.DSS, error) {
	pool := newCertSet(append(append([]*x509.Certificate{s.Cert}, s.Chain...), s.Anchors...))
	dss := pdf.DSS{VRI: map[string]pdf.VRI{}}
	g := &pki.Gatherer{Source: s.OCSP}
	now := s.now()
	for _, sig := range sigs {
		info := sig.info
		var leaves []*x509.Certificate
		var err error
		if sig.signers != nil {
			leaves, err = sig.signers(pool)
		} else {
			leaves, err = tokenSigners(info, pool)
		}
		if err != nil {
			return dss, err
		}
		var vri pdf.VRI
		for _, leaf := range leaves {
			if leaf == nil || expired(leaf, now) {
				continue // no certificate, or one whose data was gathered while it was valid
			}
			path := pool.path(leaf)
			ocsps, crls, err := g.Path(ctx, path)
			if err != nil {
				return dss, fmt.Errorf("pades: %w", err)
			}
			vri.OCSPs = append(vri.OCSPs, ocsps...)
			vri.CRLs = append(vri.CRLs, crls...)
			for _, c := range path {
				if !pool.selfSigned(c) {
					vri.Certs = append(vri.Certs, c.Raw)
				}
			}
		}
		dss.VRI[VRIKey(info)] = vri
	}
	dss.OCSPs, dss.CRLs = g.OCSPs, g.CRLs
	for _, c := range pool.list {
		dss.Certs = append(dss.Certs, c.Raw)
	}
	return dss, nil
}

// VRIKey is the key of a signature's or document time-stamp's /VRI entry:
// the upper-case hexadecimal SHA-1 of its /Contents string as stored,
// trailing zero padding included. ISO 32000-2 §12.8.4.4 says "the SHA-1
// digest of the signature's /Contents string" (ETSI TS 102 778-4 Annex A
// and EN 319 142-1 §5.4.2 defer to it), and the string is the whole value
// of /Contents; EU DSS, Adobe and pyHanko key it so, and a validator that
// hashes the bare CMS would not find data keyed over the padding, nor the
// reverse.
func VRIKey(info pdf.SignatureInfo) string {
	sum := sha1.Sum(info.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// tokenSigners returns the certificates that signed info and its
// time-stamps: the CMS signers and the TSA of each signature time-stamp,
// or the TSA of a document time-stamp; their paths go into pool.
func tokenSigners(info pdf.SignatureInfo, pool *certSet) ([]*x509.Certificate, error) {
	if info.SubFilter == pdf.SubFilterRFC3161 {
		tsa, err := tokenSigner(info.DER, pool)
		if err != nil {
			return nil, fmt.Errorf("pades: document time-stamp: %w", err)
		}
		return []*x509.Certificate{tsa}, nil
	}
	sd, err := cms.Parse(info.DER)
	if err != nil {
		return nil, fmt.Errorf("pades: signature %s: %w", info.Field, err)
	}
	pool.add(sd.Certificates...)
	var leaves []*x509.Certificate
	for _, si := range sd.Signers {
		leaves = appendSigner(leaves, si.Certificate, si.TimeStampToken, pool)
	}
	return leaves, nil
}

// tokenSigner returns the TSA certificate that signed an RFC 3161 token
// (RFC 3161 §2.4.2: one signer), nil when the token does not carry it,
// and puts every certificate the token carries into pool. What the DSS
// needs of a token is its certificates, so it is read as far as its
// signer (cms.ParseSigners); its TSTInfo and signature are the
// validator's to read (tsp.Verify), as they are for any signature's.
func tokenSigner(tok []byte, pool *certSet) (*x509.Certificate, error) {
	sd, err := cms.ParseSigners(tok)
	if err != nil {
		return nil, err
	}
	if len(sd.Signers) != 1 {
		return nil, fmt.Errorf("a time-stamp token with %d signers", len(sd.Signers))
	}
	pool.add(sd.Certificates...)
	return sd.Signers[0].Certificate, nil
}

// expired reports whether c is outside its validity at now. A renewal runs
// on files whose older signatures and time-stamps have certificates that
// expired long ago: their revocation data went into the DSS while they were
// valid (by the extension that followed each), is protected by the
// time-stamps since, and no responder answers for them any more (RFC 6960
// §4.4.4 lets a responder drop expired certificates; ETSI EN 319 142-1
// §5.5 asks only for the validation data of the previous time-stamp). Only
// certificates still valid get fresh data, so a file extended many times
// costs one response per live certificate, not one per revision.
func expired(c *x509.Certificate, now time.Time) bool {
	return now.After(c.NotAfter) || now.Before(c.NotBefore)
}

// certSet is a de-duplicated list of certificates. The same certificate
// pairs come up for every leaf and on each VRI path, and one ECDSA P-384
// verification (the development CAs' curve) costs about half a millisecond,
// so signature checks go through pki.SignedBy's cache.
type certSet struct {
	list []*x509.Certificate
}

func newCertSet(certs []*x509.Certificate) *certSet {
	s := &certSet{}
	s.add(certs...)
	return s
}

func (s *certSet) add(certs ...*x509.Certificate) {
	for _, c := range certs {
		if c == nil {
			continue
		}
		dup := false
		for _, have := range s.list {
			if bytes.Equal(have.Raw, c.Raw) {
				dup = true
				break
			}
		}
		if !dup {
			s.list = append(s.list, c)
		}
	}
}

func (s *certSet) issuerOf(c *x509.Certificate) *x509.Certificate {
	if s.selfSigned(c) {
		return nil
	}
	for _, cand := range s.list {
		if bytes.Equal(cand.RawSubject, c.RawIssuer) && s.signedBy(c, cand) {
			return cand
		}
	}
	return nil
}

// path returns leaf followed by its issuers up to a self-signed root, or
// up to the last issuer s holds. A path that ends below a root is
// returned as it is: the gatherer then says which issuer is missing.
func (s *certSet) path(leaf *x509.Certificate) []*x509.Certificate {
	path := []*x509.Certificate{leaf}
	for c := s.issuerOf(leaf); c != nil && len(path) < maxPath; c = s.issuerOf(c) {
		path = append(path, c)
	}
	return path
}

// maxPath bounds a certificate path, against issuer loops.
const maxPath = 10

func (s *certSet) selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && s.signedBy(c, c)
}

// signedBy is c.CheckSignatureFrom(parent) == nil, checked once per
// process (pki.SignedBy).
func (s *certSet) signedBy(c, parent *x509.Certificate) bool { return pki.SignedBy(c, parent) }
