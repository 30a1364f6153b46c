// Package devregistry is the development stand-in for the national
// registers segl reads: it serves KRR's lookup API and Enhetsregisteret's
// roles API for the synthetic population, on the same wire protocols as the
// real registers, so that registry/krr and registry/brreg are the code that
// runs against it (shared/reference/norway-infra.md §3 and §5).
//
// Paths, relative to wherever the handler is mounted:
//
//	POST /rest/v1/personer, /rest/v2/personer          KRR (bearer token required)
//	GET  /enhetsregisteret/autorisert-api/enheter/{orgnr}/roller   roles with pids (bearer token required)
//	GET  /enhetsregisteret/api/enheter/{orgnr}/roller              open roles: birth date and name only
//
// So a krr.Client's BaseURL is the mount point and a brreg.Client's is the
// mount point + "/enhetsregisteret".
//
// How the population's krr_status maps onto KRR's answer:
//
//	active      AKTIV, reservasjon NEI, KAN_VARSLES, contact data and mailbox as given
//	reserved    AKTIV, reservasjon JA, KAN_IKKE_VARSLES, contact data as given, no mailbox
//	no_contact  AKTIV, reservasjon NEI, KAN_IKKE_VARSLES, no contact data (as KRR answers
//	            for contact data not confirmed within 18 months)
//	deceased    SLETTET, KAN_IKKE_VARSLES, nothing else
//	unknown pid IKKE_REGISTRERT when inkluderIkkeRegistrerte, else left out
//
// Not served: per-scope field filtering (every token sees every field) and
// the mailbox provider's encryption certificate (sertifikat), which needs a
// mailbox CA in the development PKI.
package devregistry

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/dev/population"
	"github.com/segl/segl/internal/registry/brreg"
	"github.com/segl/segl/internal/registry/krr"
)

// Options configure the stand-in. The zero value accepts any non-empty
// bearer token.
type Options struct {
	// Token, when set, is the only bearer token the protected APIs accept.
	Token string
}

// Handler serves the registers for one population.
type Handler struct {
	opts   Options
	people map[string]population.Person
	orgs   map[string]population.Organisation
	mux    *http.ServeMux
}

// New builds the stand-in for pop.
func New(pop *population.Population, opts Options) *Handler {
	h := &Handler{
		opts:   opts,
		people: make(map[string]population.Person, len(pop.People)),
		orgs:   make(map[string]population.Organisation, len(pop.Organisations)),
		mux:    http.NewServeMux(),
	}
	for _, p := range pop.People {
		h.people[p.PID] = p
	}
	for _, o := range pop.Organisations {
		h.orgs[o.Number] = o
	}
	h.mux.HandleFunc("POST /rest/v1/personer", h.authorised(h.persons))
	h.mux.HandleFunc("POST /rest/v2/personer", h.authorised(h.persons))
	h.mux.HandleFunc("GET /enhetsregisteret/autorisert-api/enheter/{orgnr}/roller", h.authorised(h.roles(true)))
	h.mux.HandleFunc("GET /enhetsregisteret/api/enheter/{orgnr}/roller", h.roles(false))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) authorised(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || (h.opts.Token != "" && token != h.opts.Token) {
			w.Header().Set("WWW-Authenticate", `Bearer error="`+dev.CodeInvalidToken+`"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": dev.CodeInvalidToken})
			return
		}
		next(w, r)
	}
}

// persons answers KRR's lookup: 1–1000 identifiers, else 400.
func (h *Handler) persons(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var req krr.Request
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad request: " + err.Error()})
		return
	}
	if len(req.PIDs) == 0 || len(req.PIDs) > krr.MaxBatch {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "personidentifikatorer must hold 1 to 1000 identifiers"})
		return
	}
	resp := krr.Response{Persons: []krr.Person{}}
	for _, pid := range req.PIDs {
		p, ok := h.people[pid]
		if !ok {
			if req.IncludeNotRegistered {
				resp.Persons = append(resp.Persons, krr.Person{PID: pid, Reservation: krr.ReservedNo, Status: krr.StatusNotRegistered, NotifyStatus: krr.CannotNotify})
			}
			continue
		}
		resp.Persons = append(resp.Persons, entry(p))
	}
	writeJSON(w, http.StatusOK, resp)
}

// entry is what KRR answers for a person of the population.
func entry(p population.Person) krr.Person {
	e := krr.Person{PID: p.PID, Reservation: krr.ReservedNo, Status: krr.StatusActive, NotifyStatus: krr.CannotNotify,
		Language: cmp.Or(p.Language, "nb")}
	contact := &krr.ContactInfo{
		Email: p.Email, EmailUpdated: "2025-01-15T10:00:00+01", EmailLastVerified: "2025-01-15T10:00:00+01",
		Mobile: p.Mobile, MobileUpdated: "2025-01-15T10:00:00+01", MobileLastVerified: "2025-01-15T10:00:00+01",
	}
	switch p.KRRStatus {
	case "active":
		e.NotifyStatus = krr.CanNotify
		e.ContactInfo = contact
		if provider := providers[p.DigitalMailbox]; provider != "" {
			e.DigitalPost = &krr.DigitalPost{Address: mailboxAddress(p), Provider: provider}
		}
	case "reserved":
		e.Reservation = krr.ReservedYes
		e.ContactInfo = contact
	case "no_contact":
	case "deceased":
		e.Status = krr.StatusDeleted
		e.Language = ""
	default:
		e.Status = krr.StatusNotRegistered
		e.Language = ""
	}
	return e
}

var providers = map[string]string{"digipost": krr.ProviderDigipost, "eboks": krr.ProviderEboks}

// mailboxAddress makes a stable address in Digipost's style, "ola.nordmann#9YDT".
func mailboxAddress(p population.Person) string {
	sum := sha256.Sum256([]byte(p.PID))
	return strings.ToLower(p.GivenName+"."+p.FamilyName) + "#" + strings.ToUpper(hex.EncodeToString(sum[:2]))
}

var roleNames = map[string]string{
	"DAGL": "Daglig leder/ adm.direktør",
	"SIGN": "Signatur",
	"PROK": "Prokura",
	"LEDE": "Styrets leder",
	"MEDL": "Styremedlem",
}

// roles answers GET …/enheter/{orgnr}/roller; withPID adds the person's
// identity number as the authorised API does.
func (h *Handler) roles(withPID bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		orgnr := r.PathValue("orgnr")
		o, ok := h.orgs[orgnr]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"status": 404, "error": "Not Found", "message": "Ingen enhet med organisasjonsnummer " + orgnr + " ble funnet"})
			return
		}
		var body brreg.Roles
		groups := map[string]int{}
		for i, role := range o.Roles {
			code := brreg.Code{Code: role.Role, Description: roleNames[role.Role]}
			gi, ok := groups[role.Role]
			if !ok {
				gi = len(body.Groups)
				groups[role.Role] = gi
				body.Groups = append(body.Groups, brreg.Group{Type: code, LastChanged: "2025-01-15"})
			}
			person := &brreg.Person{}
			if p, ok := h.people[role.PID]; ok {
				person.BirthDate = p.BirthDate
				person.Name = brreg.Name{Given: p.GivenName, Family: p.FamilyName}
				person.Dead = p.KRRStatus == "deceased"
			}
			if withPID {
				person.PID = role.PID
			}
			body.Groups[gi].Roles = append(body.Groups[gi].Roles, brreg.Role{Type: code, Person: person, Order: i})
		}
		writeJSON(w, http.StatusOK, body)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
