// Package validate decides whether signatures segl (or anyone) made are
// valid, in the spirit of ETSI EN 319 102-1, and reports it in the spirit of
// ETSI TS 119 102-2. It never trusts structure blindly: byte ranges must cover
// their revision exactly, later revisions are classified, certificate paths
// are built to configured trust anchors, and revocation data and time-stamps
// are checked at the times they prove.
package validate

import "time"

// Indication is the main result (EN 319 102-1 §5.1.3).
type Indication string

const (
	TotalPassed   Indication = "TOTAL_PASSED"
	TotalFailed   Indication = "TOTAL_FAILED"
	Indeterminate Indication = "INDETERMINATE"
)

// SubIndication says why a signature did not pass (EN 319 102-1 table 5/6).
type SubIndication string

const (
	FormatFailure           SubIndication = "FORMAT_FAILURE"
	HashFailure             SubIndication = "HASH_FAILURE"
	SigCryptoFailure        SubIndication = "SIG_CRYPTO_FAILURE"
	Revoked                 SubIndication = "REVOKED"
	NotYetValid             SubIndication = "NOT_YET_VALID"
	NoCertificateChainFound SubIndication = "NO_CERTIFICATE_CHAIN_FOUND"
	// NoSigningCertificateFound: the signing certificate is not the one the
	// signed attributes name (EN 319 102-1 §5.2.3).
	NoSigningCertificateFound SubIndication = "NO_SIGNING_CERTIFICATE_FOUND"
	OutOfBoundsNoPOE          SubIndication = "OUT_OF_BOUNDS_NO_POE"
	RevokedNoPOE              SubIndication = "REVOKED_NO_POE"
	TryLater                  SubIndication = "TRY_LATER"
	SignedDataNotFound        SubIndication = "SIGNED_DATA_NOT_FOUND"
	ChainConstraintsFailure   SubIndication = "CHAIN_CONSTRAINTS_FAILURE"
)

// Result is one verdict with its reason.
type Result struct {
	Indication    Indication    `json:"indication"`
	SubIndication SubIndication `json:"sub_indication,omitempty"`
	Detail        string        `json:"detail,omitempty"`
}

func passed() Result { return Result{Indication: TotalPassed} }

func failed(sub SubIndication, format string, args ...any) Result {
	return Result{Indication: TotalFailed, SubIndication: sub, Detail: sprintf(format, args...)}
}

func indeterminate(sub SubIndication, format string, args ...any) Result {
	return Result{Indication: Indeterminate, SubIndication: sub, Detail: sprintf(format, args...)}
}

// Passed reports whether r is TOTAL_PASSED.
func (r Result) Passed() bool { return r.Indication == TotalPassed }

// worse returns the more severe of two results: failed beats indeterminate
// beats passed, and the first of equals is kept.
func worse(a, b Result) Result {
	rank := map[Indication]int{TotalPassed: 0, Indeterminate: 1, TotalFailed: 2}
	if rank[b.Indication] > rank[a.Indication] {
		return b
	}
	return a
}

// Certificate is what a report says about one certificate.
type Certificate struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
}
