// Package brreg is the production adapter for the roles of an organisation
// in the Central Coordinating Register for Legal Entities (Enhetsregisteret,
// Brønnøysundregistrene).
//
// The open API (GET {base}/api/enheter/{orgnr}/roller) gives role holders'
// names and birth dates but not their identity numbers; segl must match the
// signer's pid, so this adapter reads the authorised API
// (GET {base}/autorisert-api/enheter/{orgnr}/roller, Maskinporten scope
// brreg:data:enhetsregisteret:auto:roller), which returns the same shape
// with the person's fødselsnummer added. Shapes follow
// shared/reference/norway-infra.md §5; the name of the pid field in the
// authorised answer (person.fodselsnummer) is not verified against the live
// API [?].
package brreg

import (
	"context"
	"net/http"
	"net/url"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/registry/maskinporten"
)

// Roles is the body of GET …/enheter/{orgnr}/roller.
type Roles struct {
	Groups []Group `json:"rollegrupper"`
}

// Group is one rollegruppe, e.g. DAGL, STYR, SIGN, PROK.
type Group struct {
	Type        Code   `json:"type"`
	LastChanged string `json:"sistEndret,omitempty"`
	Roles       []Role `json:"roller"`
}

// Role is one role in a group, held by a person or by another entity.
type Role struct {
	Type         Code    `json:"type"`
	Person       *Person `json:"person,omitempty"`
	Entity       *Entity `json:"enhet,omitempty"`
	Resigned     bool    `json:"fratraadt"`
	Deregistered bool    `json:"avregistrert"`
	Order        int     `json:"rekkefolge"`
}

// Code is a kode with its description.
type Code struct {
	Code        string `json:"kode"`
	Description string `json:"beskrivelse,omitempty"`
}

// Person is a role-holding person. PID is only present in the authorised API.
type Person struct {
	PID       string `json:"fodselsnummer,omitempty"`
	BirthDate string `json:"fodselsdato,omitempty"`
	Name      Name   `json:"navn"`
	Dead      bool   `json:"erDoed"`
}

// Name is a person's name.
type Name struct {
	Given  string `json:"fornavn,omitempty"`
	Middle string `json:"mellomnavn,omitempty"`
	Family string `json:"etternavn,omitempty"`
}

// Entity is a role-holding organisation (e.g. an accountant firm).
type Entity struct {
	Number string   `json:"organisasjonsnummer"`
	Name   []string `json:"navn,omitempty"`
}

// Client reads roles from Enhetsregisteret. BaseURL and Token are required.
type Client struct {
	// BaseURL is the register's API root up to and including
	// "/enhetsregisteret", e.g. https://data.brreg.no/enhetsregisteret or,
	// for synthetic Tenor organisations, https://data.ppe.brreg.no/enhetsregisteret.
	BaseURL string
	// Token returns a current Maskinporten access token for the authorised API.
	Token func(ctx context.Context) (string, error)
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
}

var _ registry.Roles = (*Client)(nil)

// Roles implements registry.Roles. Signature and procuration groups (SIGN,
// PROK) are reported under the group's code, since the codes of their
// sub-roles ("jointly", "each alone") are not verified [?]; every other role
// under its own type code (DAGL, LEDE, MEDL, …).
func (c *Client) Roles(ctx context.Context, orgnr string) ([]registry.Role, error) {
	if !job.ValidOrgNumber(orgnr) {
		return nil, errs.Field("orgnr", job.CodeInvalidOrgnr, "not a valid organisation number")
	}
	var body Roles
	err := c.api(orgnr).Call(ctx, http.MethodGet, "/autorisert-api/enheter/"+url.PathEscape(orgnr)+"/roller", nil, &body, 16<<20)
	if err != nil {
		return nil, err
	}
	return roles(body), nil
}

// roles flattens the groups to the current person roles: only roles with
// fratraadt=false and avregistrert=false count.
func roles(body Roles) []registry.Role {
	var out []registry.Role
	for _, g := range body.Groups {
		for _, r := range g.Roles {
			if r.Resigned || r.Deregistered || r.Person == nil || r.Person.PID == "" || r.Person.Dead {
				continue
			}
			code := r.Type.Code
			if g.Type.Code == registry.RoleSignature || g.Type.Code == registry.RoleProcuration || code == "" {
				code = g.Type.Code
			}
			out = append(out, registry.Role{PID: r.Person.PID, Code: code})
		}
	}
	return out
}

// api is the authorised API behind c, asked about orgnr. 404, and 410 (how the register
// answers for deleted units [?]), are an unknown organisation.
func (c *Client) api(orgnr string) *maskinporten.API {
	return &maskinporten.API{Name: "brreg", Codes: codes, BaseURL: c.BaseURL, Token: c.Token, HTTP: c.HTTP,
		Refused: func(status int, cause error) error {
			if status == http.StatusNotFound || status == http.StatusGone {
				return errs.Wrap(cause, errs.NotFound, codeUnknownOrganisation, "no organisation %s in the business register", orgnr)
			}
			return nil
		}}
}
