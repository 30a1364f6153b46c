// Package krr is the production adapter for the contact and reservation
// register (Kontakt- og reservasjonsregisteret, KRR) through its REST
// lookup service (Oppslagstjenesten): POST {base}/rest/v2/personer with a
// Maskinporten bearer token carrying krr:global/kontaktinformasjon.read and,
// for mailbox addresses, krr:global/digitalpost.read.
//
// Wire shapes follow shared/reference/norway-infra.md §3. The register
// accepts 1–1000 identifiers per request; Lookup splits longer lists.
package krr

import (
	"context"
	"net/http"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/registry/maskinporten"
)

// MaxBatch is the most identifiers KRR accepts in one request.
const MaxBatch = 1000

// Mailbox provider organisation numbers (postkasseleverandoeradresse).
const (
	ProviderDigipost = "984661185"
	ProviderEboks    = "922020175"
)

// Wire codes.
const (
	ReservedYes = "JA"
	ReservedNo  = "NEI"

	StatusActive        = "AKTIV"
	StatusDeleted       = "SLETTET"
	StatusNotRegistered = "IKKE_REGISTRERT"

	CanNotify    = "KAN_VARSLES"
	CannotNotify = "KAN_IKKE_VARSLES"
)

// Request is the body of POST /rest/v2/personer.
type Request struct {
	PIDs []string `json:"personidentifikatorer"`
	// IncludeNotRegistered asks KRR to answer IKKE_REGISTRERT for persons it
	// does not hold rather than leaving them out (v2 only).
	IncludeNotRegistered bool `json:"inkluderIkkeRegistrerte"`
}

// Response is KRR's answer.
type Response struct {
	Persons []Person `json:"personer"`
}

// Person is one entry of the answer. Fields KRR withholds (by scope or
// varslingsstatus) are absent.
type Person struct {
	PID          string       `json:"personidentifikator"`
	Reservation  string       `json:"reservasjon"`
	Status       string       `json:"status"`
	NotifyStatus string       `json:"varslingsstatus,omitempty"`
	ContactInfo  *ContactInfo `json:"kontaktinformasjon,omitempty"`
	DigitalPost  *DigitalPost `json:"digital_post,omitempty"`
	Certificate  string       `json:"sertifikat,omitempty"`
	Language     string       `json:"spraak,omitempty"`
}

// ContactInfo is the kontaktinformasjon object.
type ContactInfo struct {
	Email              string `json:"epostadresse,omitempty"`
	EmailUpdated       string `json:"epostadresse_oppdatert,omitempty"`
	EmailLastVerified  string `json:"epostadresse_sist_verifisert,omitempty"`
	Mobile             string `json:"mobiltelefonnummer,omitempty"`
	MobileUpdated      string `json:"mobiltelefonnummer_oppdatert,omitempty"`
	MobileLastVerified string `json:"mobiltelefonnummer_sist_verifisert,omitempty"`
}

// DigitalPost is the digital_post object: the person's mailbox address and
// the provider's organisation number.
type DigitalPost struct {
	Address  string `json:"postkasseadresse"`
	Provider string `json:"postkasseleverandoeradresse"`
}

// Client looks people up in KRR. The zero value is not usable: BaseURL and
// Token are required.
type Client struct {
	// BaseURL is the register's origin, e.g. https://kontaktregisteret.no
	// or https://test.kontaktregisteret.no (no trailing slash needed).
	BaseURL string
	// Token returns a current Maskinporten access token; it is called once
	// per request so that the source can refresh it.
	Token func(ctx context.Context) (string, error)
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
}

var _ registry.ContactRegister = (*Client)(nil)

// Lookup implements registry.ContactRegister.
func (c *Client) Lookup(ctx context.Context, pids []string) ([]registry.Contact, error) {
	found := make(map[string]registry.Contact, len(pids))
	for start := 0; start < len(pids); start += MaxBatch {
		batch := pids[start:min(start+MaxBatch, len(pids))]
		resp, err := c.lookup(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, p := range resp.Persons {
			found[p.PID] = contact(p)
		}
	}
	out := make([]registry.Contact, len(pids))
	for i, pid := range pids {
		ct, ok := found[pid]
		if !ok {
			ct = registry.Contact{PID: pid, Status: registry.StatusNotRegistered}
		}
		out[i] = ct
	}
	return out, nil
}

func (c *Client) lookup(ctx context.Context, pids []string) (*Response, error) {
	var out Response
	err := c.api().Call(ctx, http.MethodPost, "/rest/v2/personer", Request{PIDs: pids, IncludeNotRegistered: true}, &out, 64<<20)
	if err != nil {
		// A refusal's body may quote the identity numbers asked about,
		// which must reach no log and no failed task's record.
		return nil, errs.Redact(err, pids...)
	}
	return &out, nil
}

// api is the register behind c. 401 and 403 are configuration problems
// (token or scope); anything else refused is a bug in the request.
func (c *Client) api() *maskinporten.API {
	return &maskinporten.API{Name: "krr", Codes: codes, BaseURL: c.BaseURL, Token: c.Token, HTTP: c.HTTP,
		Refused: func(status int, cause error) error {
			if status == http.StatusUnauthorized || status == http.StatusForbidden {
				return errs.Wrap(cause, errs.Internal, codeUnauthorized, "krr: access token refused")
			}
			return nil
		}}
}

// contact maps a KRR entry onto the port's Contact.
func contact(p Person) registry.Contact {
	ct := registry.Contact{PID: p.PID, Reserved: p.Reservation == ReservedYes, Language: p.Language}
	switch p.Status {
	case StatusActive:
		ct.Status = registry.StatusActive
	case StatusDeleted:
		ct.Status = registry.StatusInactive
	default:
		ct.Status = registry.StatusNotRegistered
	}
	if ci := p.ContactInfo; ci != nil {
		ct.Email, ct.Mobile = ci.Email, ci.Mobile
	}
	if dp := p.DigitalPost; dp != nil && dp.Address != "" {
		switch dp.Provider {
		case ProviderDigipost:
			ct.Mailbox = registry.MailboxDigipost
		case ProviderEboks:
			ct.Mailbox = registry.MailboxEboks
		}
	}
	return ct
}
