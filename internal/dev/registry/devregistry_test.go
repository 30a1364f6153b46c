package devregistry_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/segl/segl/internal/dev/population"
	devregistry "github.com/segl/segl/internal/dev/registry"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/registry/brreg"
	"github.com/segl/segl/internal/registry/krr"
)

const token = "dev-token"

func staticToken(tok string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return tok, nil }
}

func start(t *testing.T) (*population.Population, *httptest.Server) {
	t.Helper()
	pop, err := population.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(devregistry.New(pop, devregistry.Options{Token: token}))
	t.Cleanup(srv.Close)
	return pop, srv
}

func TestLookupWholePopulation(t *testing.T) {
	pop, srv := start(t)
	c := &krr.Client{BaseURL: srv.URL, Token: staticToken(token), HTTP: srv.Client()}
	var pids []string
	for _, p := range pop.People {
		pids = append(pids, p.PID)
	}
	const unknown = "21879498012" // synthetic, valid, not in the population
	pids = append(pids, unknown)
	got, err := c.Lookup(t.Context(), pids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(pids) {
		t.Fatalf("got %d contacts for %d pids", len(got), len(pids))
	}
	for i, p := range pop.People {
		want := registry.Contact{PID: p.PID}
		switch p.KRRStatus {
		case "active":
			want.Status, want.Email, want.Mobile, want.Mailbox = registry.StatusActive, p.Email, p.Mobile, p.DigitalMailbox
		case "reserved":
			want.Status, want.Reserved, want.Email, want.Mobile = registry.StatusActive, true, p.Email, p.Mobile
		case "no_contact":
			want.Status = registry.StatusActive
		case "deceased":
			want.Status = registry.StatusInactive
		default:
			t.Fatalf("population has krr_status %q the stand-in does not know", p.KRRStatus)
		}
		if p.KRRStatus != "deceased" {
			want.Language = cmp.Or(p.Language, "nb")
		}
		if got[i] != want {
			t.Errorf("%s (%s): got %+v, want %+v", p.PID, p.KRRStatus, got[i], want)
		}
	}
	if last := got[len(got)-1]; last != (registry.Contact{PID: unknown, Status: registry.StatusNotRegistered}) {
		t.Errorf("unknown pid: got %+v", last)
	}
	// The population covers each case segl must handle.
	seen := map[string]bool{}
	for _, c := range got {
		switch {
		case c.Reserved:
			seen["reserved"] = true
		case c.Status == registry.StatusInactive:
			seen["inactive"] = true
		case c.Status == registry.StatusActive && c.Email == "" && c.Mobile == "":
			seen["no-contact"] = true
		case c.Status == registry.StatusActive && c.Mailbox == "":
			seen["no-mailbox"] = true
		case c.Mailbox == registry.MailboxDigipost:
			seen["digipost"] = true
		case c.Mailbox == registry.MailboxEboks:
			seen["eboks"] = true
		}
	}
	for _, k := range []string{"reserved", "inactive", "no-contact", "no-mailbox", "digipost", "eboks"} {
		if !seen[k] {
			t.Errorf("no %s person in the population", k)
		}
	}
}

// TestLookupBatches asks for more identifiers than one request may carry; the
// stand-in refuses more than 1000, so success means the adapter split them.
func TestLookupBatches(t *testing.T) {
	pop, srv := start(t)
	var requests int
	counting := srv.Client()
	base := counting.Transport
	counting.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		requests++
		return base.RoundTrip(r)
	})
	pids := make([]string, 2500)
	for i := range pids {
		pids[i] = fmt.Sprintf("%011d", i)
	}
	pids[1700] = pop.People[0].PID
	got, err := (&krr.Client{BaseURL: srv.URL, Token: staticToken(token), HTTP: counting}).Lookup(t.Context(), pids)
	if err != nil {
		t.Fatal(err)
	}
	if requests != 3 {
		t.Errorf("%d requests for 2500 pids, want 3", requests)
	}
	if got[1700].Status != registry.StatusActive || got[0].Status != registry.StatusNotRegistered {
		t.Errorf("got %+v and %+v", got[1700], got[0])
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestKRRWireNames checks the stand-in's answer against the field names of
// the reference, independently of the adapter's Go types (which the
// stand-in shares).
func TestKRRWireNames(t *testing.T) {
	pop, srv := start(t)
	body := `{"personidentifikatorer":["` + pop.People[0].PID + `"]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/rest/v2/personer", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var raw struct {
		Personer []map[string]json.RawMessage `json:"personer"`
	}
	if err := json.NewDecoder(res.Body).Decode(&raw); err != nil || len(raw.Personer) != 1 {
		t.Fatalf("decode: %v, %d persons", err, len(raw.Personer))
	}
	p := raw.Personer[0]
	for _, k := range []string{"personidentifikator", "reservasjon", "status", "varslingsstatus", "kontaktinformasjon", "digital_post"} {
		if _, ok := p[k]; !ok {
			t.Errorf("no %q in %v", k, p)
		}
	}
	for obj, keys := range map[string][]string{
		"kontaktinformasjon": {"epostadresse", "mobiltelefonnummer", "epostadresse_oppdatert", "mobiltelefonnummer_sist_verifisert"},
		"digital_post":       {"postkasseadresse", "postkasseleverandoeradresse"},
	} {
		var m map[string]string
		if err := json.Unmarshal(p[obj], &m); err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		for _, k := range keys {
			if m[k] == "" {
				t.Errorf("%s.%s missing in %v", obj, k, m)
			}
		}
	}
}

func TestKRRRefusals(t *testing.T) {
	_, srv := start(t)
	post := func(body, tok string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/rest/v2/personer", strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	many, _ := json.Marshal(map[string][]string{"personidentifikatorer": make([]string, 1001)})
	for name, tc := range map[string]struct {
		body, token string
		want        int
	}{
		"fail/no-token":      {`{"personidentifikatorer":["21909825250"]}`, "", 401},
		"fail/wrong-token":   {`{"personidentifikatorer":["21909825250"]}`, "other", 401},
		"fail/empty-list":    {`{"personidentifikatorer":[]}`, token, 400},
		"fail/1001-ids":      {string(many), token, 400},
		"fail/unknown-field": {`{"pids":["21909825250"]}`, token, 400},
	} {
		t.Run(name, func(t *testing.T) {
			if got := post(tc.body, tc.token); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
	// The adapter reports a refused token as a non-temporary error.
	c := &krr.Client{BaseURL: srv.URL, Token: staticToken("other"), HTTP: srv.Client()}
	_, err := c.Lookup(t.Context(), []string{"21909825250"})
	if err == nil || errors.Is(err, registry.ErrTemporary) {
		t.Errorf("wrong token: err = %v, want a permanent error", err)
	}
}

func TestRolesOfEveryOrganisation(t *testing.T) {
	pop, srv := start(t)
	c := &brreg.Client{BaseURL: srv.URL + "/enhetsregisteret", Token: staticToken(token), HTTP: srv.Client()}
	for _, o := range pop.Organisations {
		t.Run(o.Number, func(t *testing.T) {
			got, err := c.Roles(t.Context(), o.Number)
			if err != nil {
				t.Fatal(err)
			}
			var want []registry.Role
			for _, r := range o.Roles {
				want = append(want, registry.Role{PID: r.PID, Code: r.Role})
			}
			sortRoles(got)
			sortRoles(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			for _, r := range o.Roles {
				if want := r.Role == "DAGL" || r.Role == "SIGN"; registry.MaySignFor(got, r.PID) != want {
					t.Errorf("MaySignFor(%s with %s) != %v", r.PID, r.Role, want)
				}
			}
		})
	}
	t.Run("fail/unknown-organisation", func(t *testing.T) {
		_, err := c.Roles(t.Context(), "974760673") // valid, not in the population
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("err = %v, want not found", err)
		}
	})
	t.Run("fail/invalid-orgnr", func(t *testing.T) {
		_, err := c.Roles(t.Context(), "123456789")
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("err = %v, want invalid", err)
		}
	})
}

// TestOpenRolesHaveNoPID: the open API must not leak identity numbers.
func TestOpenRolesHaveNoPID(t *testing.T) {
	pop, srv := start(t)
	res, err := srv.Client().Get(srv.URL + "/enhetsregisteret/api/enheter/" + pop.Organisations[0].Number + "/roller")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	if res.StatusCode != 200 || strings.Contains(buf.String(), "fodselsnummer") || !strings.Contains(buf.String(), `"fodselsdato"`) {
		t.Errorf("status %d, body %s", res.StatusCode, buf.String())
	}
}

func TestServerErrorIsTemporary(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	_, err := (&krr.Client{BaseURL: srv.URL, Token: staticToken(token), HTTP: srv.Client()}).Lookup(t.Context(), []string{"21909825250"})
	if !errors.Is(err, registry.ErrTemporary) || !errs.Is(err, errs.Unavailable) {
		t.Errorf("krr: err = %v, want temporary", err)
	}
	_, err = (&brreg.Client{BaseURL: srv.URL, Token: staticToken(token), HTTP: srv.Client()}).Roles(t.Context(), "317510748")
	if !errors.Is(err, registry.ErrTemporary) || !errs.Is(err, errs.Unavailable) {
		t.Errorf("brreg: err = %v, want temporary", err)
	}
	srv.Close()
	_, err = (&krr.Client{BaseURL: srv.URL, Token: staticToken(token), HTTP: srv.Client()}).Lookup(t.Context(), []string{"21909825250"})
	if !errors.Is(err, registry.ErrTemporary) {
		t.Errorf("krr, server gone: err = %v, want temporary", err)
	}
}

func sortRoles(r []registry.Role) {
	slices.SortFunc(r, func(a, b registry.Role) int { return strings.Compare(a.PID+a.Code, b.PID+b.Code) })
}
