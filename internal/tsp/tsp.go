// Package tsp is segl's RFC 3161 Time-Stamp Protocol: a development
// time-stamping authority (Authority), a client for a remote TSA (Client), and
// the verification of time-stamp tokens (Verify) that the validator reuses.
//
// Tokens are CMS SignedData (RFC 5652) encapsulating a TSTInfo (RFC 3161
// §2.4.2), with the TSA certificate identified by an ESSCertIDv2 signed
// attribute (RFC 5816 §2.2.1). The CMS layer is package cms, shared with the
// PDF signatures; the RFC 3161 structures are encoded and decoded here with
// encoding/asn1, so that every check in the client's checklist is explicit in
// one of the two packages, not implied by a library; interoperability is
// proven in the tests against `openssl ts` in both directions.
//
// Only DER is accepted: a token is signed bytes and is kept as received.
package tsp

import (
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segl/segl/internal/clock"
)

// TimeSource says what time it is, or that it cannot vouch for it. ETSI EN 319
// 421 requires a TSA to stop issuing when its clock is out of the declared
// accuracy; Now returns an error (ErrClockUnsynced, or one wrapping it) then.
type TimeSource interface {
	Now() (time.Time, error)
}

// Synced adapts a clock that is taken to be in sync (the system clock, a fake
// clock in tests, the `--at` offset clock of the command line) to a
// TimeSource. A production TSA needs a source that really monitors its
// synchronisation (SignServer's StatusReadingLocalComputerTimeSource pattern).
func Synced(c clock.Clock) TimeSource { return synced{c} }

type synced struct{ c clock.Clock }

func (s synced) Now() (time.Time, error) { return s.c.Now(), nil }

// Errors. Every check of the client's checklist fails with its own error,
// wrapped with details, so callers and tests tell them apart with errors.Is.
var (
	ErrClockUnsynced = errors.New("tsp: clock not in sync")

	ErrWeakHash       = errors.New("tsp: hash algorithm not accepted")
	ErrHTTPStatus     = errors.New("tsp: unexpected http status")
	ErrContentType    = errors.New("tsp: unexpected content type")
	ErrRejected       = errors.New("tsp: request rejected")
	ErrMalformed      = errors.New("tsp: malformed")
	ErrNotTSTInfo     = errors.New("tsp: token does not carry a tstinfo")
	ErrSignature      = errors.New("tsp: signature invalid")
	ErrImprint        = errors.New("tsp: message imprint mismatch")
	ErrNonceMissing   = errors.New("tsp: nonce missing")
	ErrNonceMismatch  = errors.New("tsp: nonce mismatch")
	ErrPolicyMismatch = errors.New("tsp: policy mismatch")
	ErrSignerCertID   = errors.New("tsp: signing certificate attribute mismatch")
	ErrTSACertificate = errors.New("tsp: certificate not fit for time-stamping")
	ErrChain          = errors.New("tsp: certificate chain invalid")
	// ErrOutsideValidity is a token whose genTime lies outside its TSA
	// certificate's validity; it wraps ErrChain too.
	ErrOutsideValidity = errors.New("tsp: gentime outside the tsa certificate's validity")
	ErrGenTime         = errors.New("tsp: time-stamp time out of range")
)

// Status is a PKIStatus (RFC 3161 §2.4.2).
type Status int

const (
	Granted                Status = 0
	GrantedWithMods        Status = 1
	Rejection              Status = 2
	Waiting                Status = 3
	RevocationWarning      Status = 4
	RevocationNotification Status = 5
)

var statusNames = [...]string{"granted", "grantedWithMods", "rejection", "waiting", "revocationWarning", "revocationNotification"}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// FailureInfo is the PKIFailureInfo bit string of RFC 3161 §2.4.2, one bit of
// the mask per named bit (BadAlg is bit 0, and so on).
type FailureInfo uint32

const (
	BadAlg              FailureInfo = 1 << 0  // unrecognized or unsupported algorithm identifier
	BadRequest          FailureInfo = 1 << 2  // transaction not permitted or supported
	BadDataFormat       FailureInfo = 1 << 5  // the data submitted has the wrong format
	TimeNotAvailable    FailureInfo = 1 << 14 // the TSA's time source is not available
	UnacceptedPolicy    FailureInfo = 1 << 15 // the requested TSA policy is not supported
	UnacceptedExtension FailureInfo = 1 << 16 // the requested extension is not supported
	AddInfoNotAvailable FailureInfo = 1 << 17 // the additional information requested is not available
	SystemFailure       FailureInfo = 1 << 25 // the request cannot be handled due to system failure
)

var failureNames = map[int]string{
	0: "badAlg", 2: "badRequest", 5: "badDataFormat", 14: "timeNotAvailable",
	15: "unacceptedPolicy", 16: "unacceptedExtension", 17: "addInfoNotAvailable", 25: "systemFailure",
}

func (f FailureInfo) String() string {
	var names []string
	for i := range 32 {
		if f&(1<<i) == 0 {
			continue
		}
		if n, ok := failureNames[i]; ok {
			names = append(names, n)
		} else {
			names = append(names, fmt.Sprintf("bit%d", i))
		}
	}
	return strings.Join(names, ",")
}

// StatusError is a TSA's refusal: a TimeStampResp whose status is neither
// granted nor grantedWithMods. It matches ErrRejected with errors.Is.
type StatusError struct {
	Status   Status
	FailInfo FailureInfo
	Text     []string // PKIFreeText, as the TSA sent it
}

func (e *StatusError) Error() string {
	msg := "tsp: request rejected: " + e.Status.String()
	if e.FailInfo != 0 {
		msg += " (" + e.FailInfo.String() + ")"
	}
	if len(e.Text) > 0 {
		msg += ": " + strings.Join(e.Text, "; ")
	}
	return msg
}

func (e *StatusError) Unwrap() error { return ErrRejected }

// Hash algorithms. RFC 3161 leaves the choice to policy; EN 319 422 and TS 119
// 312 exclude MD5 and SHA-1, so only SHA-2 of 256 bits and more is accepted,
// both for message imprints and for the token's own signature.
var (
	oidMD5    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

func hashOID(h crypto.Hash) (asn1.ObjectIdentifier, error) {
	switch h {
	case crypto.SHA256:
		return oidSHA256, nil
	case crypto.SHA384:
		return oidSHA384, nil
	case crypto.SHA512:
		return oidSHA512, nil
	}
	return nil, fmt.Errorf("%w: %v", ErrWeakHash, h)
}

func hashFromOID(oid asn1.ObjectIdentifier) (crypto.Hash, error) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, nil
	case oid.Equal(oidSHA384):
		return crypto.SHA384, nil
	case oid.Equal(oidSHA512):
		return crypto.SHA512, nil
	case oid.Equal(oidSHA1):
		return 0, fmt.Errorf("%w: sha-1", ErrWeakHash)
	case oid.Equal(oidMD5):
		return 0, fmt.Errorf("%w: md5", ErrWeakHash)
	}
	return 0, fmt.Errorf("%w: %v", ErrWeakHash, oid)
}

// checkDigest refuses weak or unknown hashes and digests of the wrong length.
func checkDigest(h crypto.Hash, digest []byte) error {
	if _, err := hashOID(h); err != nil {
		return err
	}
	if len(digest) != h.Size() {
		return fmt.Errorf("%w: digest of %d bytes for %v", ErrMalformed, len(digest), h)
	}
	return nil
}
