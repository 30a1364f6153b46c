package pki

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"
)

// crlValidity is the interval between thisUpdate and nextUpdate of a CRL
// (RFC 5280 section 5.1.2.5). A week lets a validator working offline use a
// CRL it fetched a few days earlier.
const crlValidity = 7 * 24 * time.Hour

// CRL returns a DER CRL (RFC 5280 section 5) of the issuing CA's revoked
// certificates at now, signed by the issuing CA and valid for seven days.
// Revocations dated after now are left out, so a CRL made for a past moment
// (tests, "validate --at") shows the state at that moment. A nil rev means
// nothing is revoked; otherwise rev must be a RevocationLister.
//
// The CRL number (RFC 5280 section 5.2.3) must increase with every CRL the CA
// issues; the nanosecond time of issue does, without keeping a counter.
func (d *Dev) CRL(rev RevocationList, now time.Time) ([]byte, error) {
	var entries []x509.RevocationListEntry
	if rev != nil {
		lister, ok := rev.(RevocationLister)
		if !ok {
			return nil, errors.New("pki: crl: the revocation list cannot enumerate its entries")
		}
		for _, e := range lister.RevokedCertificates() {
			if e.RevokedAt.After(now) {
				continue
			}
			entries = append(entries, x509.RevocationListEntry{
				SerialNumber:   e.Serial,
				RevocationTime: e.RevokedAt.UTC(),
				// RFC 5280 section 5.3.1: the reason code unspecified (0)
				// should be absent, which a zero value gives.
				ReasonCode: e.Reason,
			})
		}
	}
	number := big.NewInt(now.UnixNano())
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.RevocationList{
		Number:                    number,
		ThisUpdate:                now,
		NextUpdate:                now.Add(crlValidity),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, d.Issuing.Cert, d.Issuing.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: crl: %w", err)
	}
	return der, nil
}

// CRLHandler serves a freshly signed CRL on GET as application/pkix-crl
// (RFC 5280 section 4.2.1.13 requires DER for HTTP distribution points). A
// nil now means time.Now.
func (d *Dev) CRLHandler(rev RevocationList, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		der, err := d.CRL(rev, now())
		if err != nil {
			http.Error(w, "crl unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(der)
	})
}
