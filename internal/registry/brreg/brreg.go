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
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/registry"
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
		return nil, errs.Field("orgnr", "invalid-orgnr", "not a valid organisation number")
	}
	token, err := c.Token(ctx)
	if err != nil {
		return nil, errs.Wrap(err, errs.Unavailable, "brreg-token", "brreg: no access token")
	}
	u := strings.TrimSuffix(c.BaseURL, "/") + "/autorisert-api/enheter/" + url.PathEscape(orgnr) + "/roller"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("brreg: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, temporary(err, "brreg: request failed")
	}
	defer res.Body.Close()
	if err := statusError(res, orgnr); err != nil {
		return nil, err
	}
	var body Roles
	if err := json.NewDecoder(io.LimitReader(res.Body, 16<<20)).Decode(&body); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "brreg-bad-response", "brreg: cannot decode roles")
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

func temporary(err error, msg string) error {
	return errs.Wrap(fmt.Errorf("%w: %w", registry.ErrTemporary, err), errs.Unavailable, "brreg-unavailable", "%s", msg)
}

func statusError(res *http.Response, orgnr string) error {
	if res.StatusCode == http.StatusOK {
		return nil
	}
	detail, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
	cause := fmt.Errorf("http %d: %s", res.StatusCode, bytes.TrimSpace(detail))
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		// 410 is how the register answers for deleted units [?].
		return errs.Wrap(cause, errs.NotFound, "unknown-organisation", "no organisation %s in the business register", orgnr)
	case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
		return temporary(cause, "brreg: register unavailable")
	default:
		return errs.Wrap(cause, errs.Internal, "brreg-refused", "brreg: roles lookup refused")
	}
}
