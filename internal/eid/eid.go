// Package eid is how segl learns who a signer is: a login through the
// national eID gateway ID-porten, which answers with the person's national
// identity number, the eID used and the eIDAS level of assurance.
//
// The port is Login. Its production implementation is the OpenID Connect
// relying party in eid/oidc; the development OpenID provider that stands in for
// ID-porten (serve --dev, tests) is dev/idp. Both speak the real wire
// protocol, so the relying party code runs in every test.
package eid

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/segl/segl/internal/errs"
)

// Assurance is an eIDAS level of assurance (Regulation (EU) 2015/1502): what
// a job requires and what a login proved. Low is not used: no Norwegian eID
// is notified at that level and a signature always needs more.
type Assurance string

const (
	Substantial Assurance = "substantial"
	High        Assurance = "high"
)

// ID-porten's acr values for the two levels (ID-porten's OIDC documentation,
// "acr"). The legacy values Level3 and Level4 are no longer issued.
const (
	ACRSubstantial = "idporten-loa-substantial"
	ACRHigh        = "idporten-loa-high"
	acrLow         = "idporten-loa-low"
)

// Valid reports whether a is one of the known levels.
func (a Assurance) Valid() bool { return a == Substantial || a == High }

// rank orders the levels; unknown levels rank below every known one so that
// they never satisfy a requirement.
func (a Assurance) rank() int {
	switch a {
	case Substantial:
		return 1
	case High:
		return 2
	}
	return 0
}

// AtLeast reports whether a satisfies the requirement want. An unknown level
// satisfies nothing, and nothing satisfies an unknown requirement.
func (a Assurance) AtLeast(want Assurance) bool {
	return want.Valid() && a.rank() >= want.rank()
}

// ACR is the ID-porten acr value that asks for a, used in acr_values
// (OpenID Connect Core 1.0 section 3.1.2.1).
func (a Assurance) ACR() string {
	switch a {
	case High:
		return ACRHigh
	case Substantial:
		return ACRSubstantial
	}
	return ""
}

// ParseACR maps an acr claim (OpenID Connect Core 1.0 section 2) to a level.
// Only exact ID-porten values are known; idporten-loa-low and anything else
// give ok == false so the caller refuses the login rather than guess.
func ParseACR(acr string) (a Assurance, ok bool) {
	switch acr {
	case ACRHigh:
		return High, true
	case ACRSubstantial:
		return Substantial, true
	}
	return "", false
}

// Methods: the eID a person logged in with, as Identity.Method names it.
const (
	BankID    = "bankid"
	MinID     = "minid"
	Buypass   = "buypass"
	Commfides = "commfides"
	TestID    = "testid" // ID-porten's test eID; never seen in production
	EIDAS     = "eidas"  // a foreign eID through the eIDAS node
)

// Name is how an eID is written for people to read: "BankID", not
// "bankid", as its issuer writes it. A method it does not know is given
// as it is.
func Name(method string) string {
	switch method {
	case BankID:
		return "BankID"
	case MinID:
		return "MinID"
	case Buypass:
		return "Buypass ID"
	case Commfides:
		return "Commfides"
	case TestID:
		return "TestID"
	case EIDAS:
		return "eIDAS"
	}
	return method
}

// MethodFromAMR names the eID from an amr claim (OpenID Connect Core 1.0
// section 2). ID-porten sends values such as "BankID", "BankID Mobil",
// "Minid-OTC", "Buypass", "Commfides", "eIDAS" and "TestID"; amr is
// informational, so an unknown value is kept (lower-cased) rather than
// refused. It returns "" when amr is empty.
func MethodFromAMR(amr []string) string {
	for _, v := range amr {
		l := strings.ToLower(strings.TrimSpace(v))
		switch {
		case l == "":
			continue
		case strings.HasPrefix(l, "bankid"):
			return BankID
		case strings.HasPrefix(l, "minid"):
			return MinID
		case l == "buypass":
			return Buypass
		case l == "commfides":
			return Commfides
		case l == "testid":
			return TestID
		case l == "eidas":
			return EIDAS
		default:
			return l
		}
	}
	return ""
}

// Identity is a verified login.
type Identity struct {
	PID       string    // national identity number (claim "pid")
	Name      string    // the person's name, when the provider gives it (the development provider does)
	Assurance Assurance // from the verified acr claim
	Method    string    // the eID used: BankID, MinID, … (from amr)
	AuthTime  time.Time // when the person actually authenticated (claim "auth_time")
	IDToken   string    // the raw signed ID token, kept as evidence
	Issuer    string    // the verified "iss"
}

// Pending is what a started login leaves with the caller, to be kept in the
// caller's short-lived session bound to one job and handed back to Complete.
// It holds secrets (the PKCE verifier): never put it in a URL or a log.
type Pending struct {
	State    string    // CSRF binding of the callback (RFC 6749 section 10.12)
	Nonce    string    // binds the ID token to this login (OpenID Connect Core 1.0 section 3.1.2.1)
	Verifier string    // PKCE code_verifier (RFC 7636 section 4.1)
	Want     Assurance // the level the job requires
	Created  time.Time // when AuthURL made it, by the relying party's clock
}

// Login is what the signer web flow needs from an eID provider.
type Login interface {
	// AuthURL starts a login. The browser is sent to the returned URL;
	// pending is stored in the caller's session. lang is "nb" or "en".
	AuthURL(ctx context.Context, redirectURI string, want Assurance, lang string) (authURL string, pending Pending, err error)
	// Complete finishes a login from the callback's query: it checks state,
	// exchanges the code and verifies the ID token (issuer, audience,
	// expiry, nonce, signature, acr at least pending.Want).
	Complete(ctx context.Context, pending Pending, redirectURI string, query url.Values) (Identity, error)
}

// The distinct ways a login fails that a caller may want to tell apart. They
// are *errs.Error values, so errs.KindOf maps them to a page, and are
// returned wrapped: test with errors.Is.
var (
	// ErrStateMismatch: the callback does not belong to this session (forged,
	// replayed or from another tab).
	ErrStateMismatch = errs.E(errs.Unauthenticated, codeStateMismatch, "eid: state mismatch")
	// ErrNonceMismatch: the ID token was issued for another login.
	ErrNonceMismatch = errs.E(errs.Unauthenticated, codeNonceMismatch, "eid: nonce mismatch")
	// ErrAssuranceTooLow: the person logged in, but with an eID below the
	// level the job requires.
	ErrAssuranceTooLow = errs.E(errs.Forbidden, codeAssuranceTooLow, "eid: level of assurance too low")
	// ErrDenied: the person cancelled, or the provider refused the login.
	ErrDenied = errs.E(errs.Unauthenticated, CodeDenied, "eid: login denied")
	// ErrExpired: the pending login is older than the relying party allows.
	ErrExpired = errs.E(errs.Unauthenticated, codeLoginExpired, "eid: login took too long")
	// ErrInvalidToken: the provider's answer failed verification (signature,
	// issuer, audience, lifetime, claims) or the code was refused.
	ErrInvalidToken = errs.E(errs.Unauthenticated, codeInvalidToken, "eid: invalid token")
)

// PIDClaim reports whether s has the form of the national identity number
// an ID token's pid claim carries: eleven digits. Only the form is checked:
// the number is what the issuer, whose signature was verified, says, and
// check digits are the national register's business (job.ValidPID checks
// them where a sender types a number).
func PIDClaim(s string) bool {
	if len(s) != 11 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
