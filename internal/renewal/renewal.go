// Package renewal keeps archived PAdES files verifiable for decades
// (MISSION L2): before the TSA certificate of a file's newest document
// time-stamp expires, or before the algorithms it rests on stop being
// trusted, a new document time-stamp is added over the file together with
// the validation data of everything before it (ETSI EN 319 142-1 §5.5,
// B-LTA; EN 319 102-1 §5.6.2.4 validates such a chain of time-stamps, each
// a proof of existence for the one before). pades.Sealer.Extend writes the
// renewal; this package decides when one is due.
package renewal

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/tsp"
)

// DefaultMargin is how long before the TSA certificate expires a renewal
// is due when Policy.Margin is zero: time for a failed renewal to be
// retried and, if need be, for an operator to act.
const DefaultMargin = 365 * 24 * time.Hour

// Policy says when an archived file needs a new document time-stamp. The
// zero value renews one year before the TSA certificate expires.
type Policy struct {
	// Margin before the newest time-stamp's TSA certificate expires; zero
	// means DefaultMargin.
	Margin time.Duration
	// Ends names algorithms with the date from which they are no longer
	// trusted (for example from ETSI TS 119 312 or SOG-IS guidance): the
	// message imprint's hash ("SHA-256") and the TSA key ("ECDSA-P256",
	// "RSA-2048", "Ed25519"). A file whose newest time-stamp uses one is
	// due Margin before that date, so the new time-stamp, on a stronger
	// algorithm, exists while the old one still proves something.
	Ends map[string]time.Time
}

// Reason says why a renewal is due.
type Reason string

const (
	// ReasonCertificate: the newest time-stamp's TSA certificate expires
	// within the margin.
	ReasonCertificate Reason = "tsa-certificate-expiring"
	// ReasonAlgorithm: an algorithm of the newest time-stamp reaches its
	// configured end within the margin.
	ReasonAlgorithm Reason = "algorithm-end"
)

// Schedule is when a file's next renewal is due, and why.
type Schedule struct {
	Due    time.Time
	Reason Reason
	// Newest is the newest document time-stamp the schedule is computed from.
	Newest *tsp.Info
	// Algorithm names the algorithm when Reason is ReasonAlgorithm.
	Algorithm string
}

// IsDue reports whether the renewal should run at now.
func (s Schedule) IsDue(now time.Time) bool { return !now.Before(s.Due) }

// Next computes when the file in src must next be renewed: Margin before
// its newest document time-stamp's TSA certificate expires, or before an
// algorithm of that time-stamp reaches its end, whichever is earlier. A file
// without a document time-stamp is not B-LTA and cannot be renewed
// (Invalid: it was not archived as such).
func (p Policy) Next(src io.ReaderAt, size int64) (Schedule, error) {
	info, err := newestTimeStamp(src, size)
	if err != nil {
		return Schedule{}, err
	}
	margin := p.Margin
	if margin <= 0 {
		margin = DefaultMargin
	}
	s := Schedule{Due: info.Certificate.NotAfter.Add(-margin), Reason: ReasonCertificate, Newest: info}
	for _, alg := range []string{info.Hash.String(), keyAlgorithm(info.Certificate)} {
		end, ok := p.Ends[alg]
		if ok && end.Add(-margin).Before(s.Due) {
			s.Due, s.Reason, s.Algorithm = end.Add(-margin), ReasonAlgorithm, alg
		}
	}
	return s, nil
}

// newestTimeStamp is the document time-stamp of the file's last one
// (ISO 32000-2 §12.8.5), parsed: its TSA certificate and imprint algorithm
// say when the file needs the next. The token is not verified here;
// validation does that.
func newestTimeStamp(src io.ReaderAt, size int64) (*tsp.Info, error) {
	r, err := pdf.Open(src, size)
	if err != nil {
		return nil, fmt.Errorf("renewal: %w", err)
	}
	infos, err := r.Signatures()
	if err != nil {
		return nil, fmt.Errorf("renewal: %w", err)
	}
	var newest *pdf.SignatureInfo
	for i := range infos {
		if infos[i].SubFilter == pdf.SubFilterRFC3161 && (newest == nil || infos[i].RevisionEnd > newest.RevisionEnd) {
			newest = &infos[i]
		}
	}
	if newest == nil {
		return nil, errs.E(errs.Invalid, codeNoDocumentTimeStamp, "renewal: the file has no document time-stamp (not B-LTA)")
	}
	info, err := tsp.Parse(newest.DER)
	if err != nil {
		return nil, fmt.Errorf("renewal: document time-stamp %s: %w", newest.Field, err)
	}
	if info.Certificate == nil {
		return nil, errs.E(errs.Invalid, codeNoTSACertificate, "renewal: document time-stamp %s does not carry its TSA certificate", newest.Field)
	}
	return info, nil
}

// keyAlgorithm names the TSA key's algorithm and size as Policy.Ends does.
func keyAlgorithm(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA-" + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}
