package pki

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// RevocationList answers whether a certificate of the issuing CA is revoked.
// It is what the OCSP responder consults for each request.
type RevocationList interface {
	// Revoked reports when and why the certificate with serial was revoked;
	// reason is an RFC 5280 section 5.3.1 CRLReason code.
	Revoked(serial *big.Int) (revokedAt time.Time, reason int, ok bool)
}

// RevocationLister is the optional capability a CRL needs: a complete list of
// revoked certificates. A CRL is a promise that everything not on it is not
// revoked, so CRL refuses a RevocationList that cannot enumerate its entries
// rather than publish an incomplete one.
type RevocationLister interface {
	RevocationList
	RevokedCertificates() []Revocation
}

// Revocation is one revoked certificate.
type Revocation struct {
	Serial    *big.Int
	RevokedAt time.Time
	Reason    int // RFC 5280 section 5.3.1 CRLReason
}

// revocationsFile is the development revocation list under DIR/pki.
const revocationsFile = "revoked.json"

// Revocations is a file-backed RevocationList for development, stored as
// DIR/pki/revoked.json. It picks up changes another process (say "segl keys
// revoke" next to a running server) makes to the file. It is safe for
// concurrent use.
type Revocations struct {
	path string

	mu      sync.Mutex
	entries map[string]Revocation // by lowercase hex serial
	modTime time.Time
	size    int64
}

var _ RevocationLister = (*Revocations)(nil)

type revocationsJSON struct {
	Revoked []revocationJSON `json:"revoked"`
}

type revocationJSON struct {
	Serial    string    `json:"serial"` // hexadecimal, as openssl prints it
	RevokedAt time.Time `json:"revoked_at"`
	Reason    int       `json:"reason"`
}

// OpenRevocations opens the revocation list of the development PKI whose
// directory is devDir (Dev.Dir, that is DIR/pki). A missing file is an empty
// list; the file is created by the first Revoke.
func OpenRevocations(devDir string) (*Revocations, error) {
	if devDir == "" {
		return nil, errors.New("pki: empty pki directory")
	}
	r := &Revocations{path: filepath.Join(devDir, revocationsFile)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// reload rereads the file when its size or modification time changed since
// the last read. The caller holds r.mu.
func (r *Revocations) reload() error {
	fi, err := os.Stat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		r.entries, r.modTime, r.size = map[string]Revocation{}, time.Time{}, -1
		return nil
	}
	if err != nil {
		return fmt.Errorf("pki: revocations: %w", err)
	}
	if r.entries != nil && fi.ModTime().Equal(r.modTime) && fi.Size() == r.size {
		return nil
	}
	data, err := os.ReadFile(r.path)
	if err != nil {
		return fmt.Errorf("pki: revocations: %w", err)
	}
	var doc revocationsJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("pki: revocations: %s: %w", r.path, err)
	}
	entries := make(map[string]Revocation, len(doc.Revoked))
	for _, e := range doc.Revoked {
		serial, ok := new(big.Int).SetString(e.Serial, 16)
		if !ok || serial.Sign() <= 0 {
			return fmt.Errorf("pki: revocations: bad serial %q", e.Serial)
		}
		entries[serial.Text(16)] = Revocation{Serial: serial, RevokedAt: e.RevokedAt, Reason: e.Reason}
	}
	r.entries, r.modTime, r.size = entries, fi.ModTime(), fi.Size()
	return nil
}

// Revoked implements RevocationList. If the file changed and can no longer be
// read, the last list read stays in force.
func (r *Revocations) Revoked(serial *big.Int) (time.Time, int, bool) {
	if serial == nil {
		return time.Time{}, 0, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.reload()
	e, ok := r.entries[serial.Text(16)]
	return e.RevokedAt, e.Reason, ok
}

// RevokedCertificates implements RevocationLister, ordered by revocation time.
func (r *Revocations) RevokedCertificates() []Revocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.reload()
	return r.sorted()
}

func (r *Revocations) sorted() []Revocation {
	out := make([]Revocation, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Revocation) int {
		if c := a.RevokedAt.Compare(b.RevokedAt); c != 0 {
			return c
		}
		return a.Serial.Cmp(b.Serial)
	})
	return out
}

// Revoke records that the certificate with serial was revoked at the given
// time for reason (an RFC 5280 section 5.3.1 CRLReason code) and persists the
// list before returning. Revocation is permanent (RFC 5280 section 3.3), so
// revoking a certificate again keeps the first record.
func (r *Revocations) Revoke(serial *big.Int, reason int, at time.Time) error {
	if serial == nil || serial.Sign() <= 0 {
		return errors.New("pki: revoke: serial must be positive")
	}
	// CRLReason 7 is not assigned; 0..10 are.
	if reason < 0 || reason > 10 || reason == 7 {
		return fmt.Errorf("pki: revoke: invalid reason code %d", reason)
	}
	unlock, err := lockDir(filepath.Dir(r.path))
	if err != nil {
		return err
	}
	defer unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.reload(); err != nil {
		return err
	}
	key := serial.Text(16)
	if _, ok := r.entries[key]; ok {
		return nil
	}
	r.entries[key] = Revocation{Serial: new(big.Int).Set(serial), RevokedAt: at.UTC().Truncate(time.Second), Reason: reason}

	doc := revocationsJSON{Revoked: []revocationJSON{}}
	for _, e := range r.sorted() {
		doc.Revoked = append(doc.Revoked, revocationJSON{Serial: e.Serial.Text(16), RevokedAt: e.RevokedAt, Reason: e.Reason})
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("pki: revocations: %w", err)
	}
	if err := writeFileAtomic(r.path, append(data, '\n'), 0o644); err != nil {
		delete(r.entries, key)
		return err
	}
	// Force the next reload to read what was just written, so the stamp
	// matches the file and not the in-memory map.
	r.modTime, r.size = time.Time{}, -1
	return nil
}
