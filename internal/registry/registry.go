// Package registry holds the ports segl uses to ask national registers about
// people and organisations: the contact and reservation register (KRR) for
// notification contact data and digital mailboxes (MISSION N1, N3), and the
// business register (Enhetsregisteret) for who may sign on behalf of an
// organisation (S10).
//
// The interfaces are owned here, by the consumer; the production adapters
// speak the real wire protocols (registry/krr, registry/brreg) and
// dev/registry serves the same protocols for the synthetic
// population, so the adapters' HTTP and JSON code runs in every test.
package registry

import (
	"context"
	"errors"
	"slices"
)

// Contact statuses, as KRR's "status" field reports them (AKTIV, SLETTET,
// IKKE_REGISTRERT).
const (
	StatusActive        = "active"         // registered in KRR (AKTIV)
	StatusInactive      = "inactive"       // the entry is deleted, e.g. the person is deceased (SLETTET)
	StatusNotRegistered = "not_registered" // KRR knows nothing of the person (IKKE_REGISTRERT or absent)
)

// Mailbox providers of the digital mailbox for citizens.
const (
	MailboxDigipost = "digipost"
	MailboxEboks    = "eboks"
)

// Contact is what KRR says about one person.
//
// A person with Reserved set has opted out of digital communication from the
// public sector: segl must not notify them by e-mail or SMS from KRR data nor
// forward to their mailbox, even when contact data is present (the sender may
// still give contact data itself when the signer signs in a role, N1).
type Contact struct {
	PID      string
	Reserved bool
	Status   string // StatusActive, StatusInactive or StatusNotRegistered
	Email    string // empty when KRR has none or withholds it (18-month rule, eForvaltningsforskriften §32)
	Mobile   string // E.164, e.g. +4799999999; empty when none
	Mailbox  string // MailboxDigipost, MailboxEboks or "" for no digital mailbox
	Language string // the person's chosen language: "nb", "nn", "en", "se", or "" when KRR has none
}

// Notifiable reports whether segl may notify the person digitally with the
// contact data KRR gave.
func (c Contact) Notifiable() bool {
	return c.Status == StatusActive && !c.Reserved && (c.Email != "" || c.Mobile != "")
}

// ContactRegister looks people up in KRR.
type ContactRegister interface {
	// Lookup returns one Contact per pid, in the order asked, for any number
	// of pids (adapters batch as the register requires). A pid the register
	// does not know comes back with Status StatusNotRegistered, not as an
	// error.
	Lookup(ctx context.Context, pids []string) ([]Contact, error)
}

// Role codes of the business register (Enhetsregisteret rolletyper). Only the
// codes segl acts on are named; others pass through as the register spells
// them.
const (
	RoleGeneralManager = "DAGL" // daglig leder
	RoleSignature      = "SIGN" // signaturrett
	RoleProcuration    = "PROK" // prokura
	RoleBoardChair     = "LEDE" // styrets leder
	RoleBoardMember    = "MEDL" // styremedlem
)

// Role is one person's current role in an organisation. Roles that have
// ended (fratraadt) or are deregistered (avregistrert), and roles held by
// another organisation rather than a person, are not reported.
type Role struct {
	PID  string
	Code string
}

// Roles reads an organisation's roles from the business register.
type Roles interface {
	// Roles returns the organisation's current person roles. An unknown
	// organisation is an error of kind errs.NotFound.
	Roles(ctx context.Context, orgnr string) ([]Role, error)
}

// MaySignFor reports whether the person pid may, alone, sign on behalf of the
// organisation whose roles are given.
//
// The rule: the person is the general manager (DAGL), who represents the
// company in matters of day-to-day management (aksjeloven § 6-32 (2)), or
// holds a registered signature right (SIGN, aksjeloven § 6-31). Procuration
// (PROK) is deliberately not enough: a procurist may not dispose of real
// property and the document's subject is unknown to segl, so a procurist is
// not treated as a signatory.
//
// This is a single-person approximation. A registered signature rule may
// require several holders jointly ("to i fellesskap"); evaluating such
// combinations needs Fullmakttjenesten's signeringsKombinasjon (see
// shared/reference/norway-infra.md §5), which this port does not read yet.
func MaySignFor(roles []Role, pid string) bool {
	return pid != "" && slices.ContainsFunc(roles, func(r Role) bool {
		return r.PID == pid && (r.Code == RoleGeneralManager || r.Code == RoleSignature)
	})
}

// ErrTemporary marks a failure worth retrying later: the register answered
// 5xx or 429, or could not be reached. Test with errors.Is.
var ErrTemporary = errors.New("registry: temporary failure")
