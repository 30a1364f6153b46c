package pki

import (
	"crypto"
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
	return signCRL(entries, now, d.Issuing.Cert, d.Issuing.Key)
}

// RootCRL returns a DER CRL of the CA certificates the development root
// has revoked, at now: none, since a compromised development issuing CA is
// replaced, not revoked. Long-term validation data needs it all the same:
// a validator wants revocation data for every certificate of a path but
// the trust anchor (EN 319 102-1 §5.2.6), the issuing CA included, and a
// CRL signed by the root is the classic way to give it (RFC 5280 §5). The
// root key is read from DIR/pki/root-ca.key for each CRL and not kept,
// like everywhere else in Dev.
func (d *Dev) RootCRL(now time.Time) ([]byte, error) {
	key, err := LoadSigner(d.path(rootKeyFile))
	if err != nil {
		return nil, fmt.Errorf("pki: root crl: %w", err)
	}
	if !sameKey(d.Root, key) {
		return nil, errors.New("pki: root crl: root-ca.key does not match root-ca.pem")
	}
	return signCRL(nil, now, d.Root, key)
}

// signCRL signs a CRL of entries at now, valid for crlValidity. The CRL
// number (RFC 5280 section 5.2.3) must increase with every CRL the CA
// issues; the nanosecond time of issue does, without keeping a counter.
func signCRL(entries []x509.RevocationListEntry, now time.Time, issuer *x509.Certificate, key crypto.Signer) ([]byte, error) {
	number := big.NewInt(now.UnixNano())
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.RevocationList{
		Number:                    number,
		ThisUpdate:                now,
		NextUpdate:                now.Add(crlValidity),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer, key)
	if err != nil {
		return nil, fmt.Errorf("pki: crl: %w", err)
	}
	return der, nil
}

// CRLHandler serves a freshly signed CRL of the issuing CA on GET as
// application/pkix-crl (RFC 5280 section 4.2.1.13 requires DER for HTTP
// distribution points). A nil now means time.Now.
func (d *Dev) CRLHandler(rev RevocationList, now func() time.Time) http.Handler {
	return crlHandler(func(at time.Time) ([]byte, error) { return d.CRL(rev, at) }, now)
}

// RootCRLHandler serves the root's CRL (RootCRL) like CRLHandler, at the
// distribution point of the issuing CA certificate.
func (d *Dev) RootCRLHandler(now func() time.Time) http.Handler {
	return crlHandler(d.RootCRL, now)
}

func crlHandler(sign func(time.Time) ([]byte, error), now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		der, err := sign(now())
		if err != nil {
			http.Error(w, "crl unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(der)
	})
}
