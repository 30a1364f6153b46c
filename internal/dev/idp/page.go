package devidp

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/segl/segl/internal/dev/population"
	"github.com/segl/segl/internal/eid"
)

// form is what the login page shows.
type form struct {
	Req   string // interaction id of the pending authorization request
	Want  eid.Assurance
	Lang  string
	PID   string // what was typed, shown again after an error
	EID   string
	Error msgKey
}

type msgKey int

const (
	msgNone msgKey = iota
	msgNoPID
	msgUnknownPID
	msgNoSuchEID
)

// texts are the page's words in one language.
type texts struct {
	Title, Heading, Intro, Wants, LevelHigh, LevelSubstantial string
	PIDLabel, PIDHint, EIDLegend, Auto, Submit, Cancel        string
	PeopleHeading, PeopleCaption, Name, PID, EIDs, NoEIDs     string
	ErrorHeading, FatalHeading, FatalBack                     string
	EIDNames                                                  map[string]string
	Errors                                                    map[msgKey]string
}

var lang = map[string]texts{
	"nb": {
		Title:            "Logg inn – ID-porten (utvikling)",
		Heading:          "Logg inn med ID-porten",
		Intro:            "Dette er segls utviklingsversjon av ID-porten. Ingen ekte eID brukes: velg en testperson og en eID.",
		Wants:            "Tjenesten ber om sikkerhetsnivå",
		LevelHigh:        "høyt",
		LevelSubstantial: "betydelig",
		PIDLabel:         "Fødselsnummer",
		PIDHint:          "11 siffer. Se testpersonene i tabellen nedenfor.",
		EIDLegend:        "eID",
		Auto:             "Automatisk (personens beste eID)",
		Submit:           "Logg inn",
		Cancel:           "Avbryt og gå tilbake til tjenesten",
		PeopleHeading:    "Testpersoner",
		PeopleCaption:    "Syntetiske personer som kan logge inn",
		Name:             "Navn",
		PID:              "Fødselsnummer",
		EIDs:             "eID",
		NoEIDs:           "ingen (bruk TestID)",
		ErrorHeading:     "Innloggingen gikk ikke",
		FatalHeading:     "Innloggingen kan ikke fortsette",
		FatalBack:        "Gå tilbake til tjenesten og prøv igjen.",
		EIDNames: map[string]string{
			eid.BankID: "BankID (høyt nivå)", eid.Buypass: "Buypass (høyt nivå)", eid.Commfides: "Commfides (høyt nivå)",
			eid.MinID: "MinID (betydelig nivå)", eid.TestID: "TestID (nivået tjenesten ber om)",
		},
		Errors: map[msgKey]string{
			msgNoPID:      "Skriv inn et fødselsnummer.",
			msgUnknownPID: "Fødselsnummeret tilhører ingen testperson. Velg en person fra tabellen.",
			msgNoSuchEID:  "Personen har ikke den valgte eID-en. Velg «Automatisk» eller en eID personen har.",
		},
	},
	"en": {
		Title:            "Log in – ID-porten (development)",
		Heading:          "Log in with ID-porten",
		Intro:            "This is segl's development stand-in for ID-porten. No real eID is used: choose a test person and an eID.",
		Wants:            "The service asks for level of assurance",
		LevelHigh:        "high",
		LevelSubstantial: "substantial",
		PIDLabel:         "National identity number",
		PIDHint:          "11 digits. See the test persons in the table below.",
		EIDLegend:        "eID",
		Auto:             "Automatic (the person's best eID)",
		Submit:           "Log in",
		Cancel:           "Cancel and go back to the service",
		PeopleHeading:    "Test persons",
		PeopleCaption:    "Synthetic persons who can log in",
		Name:             "Name",
		PID:              "National identity number",
		EIDs:             "eID",
		NoEIDs:           "none (use TestID)",
		ErrorHeading:     "The login did not succeed",
		FatalHeading:     "The login cannot continue",
		FatalBack:        "Go back to the service and try again.",
		EIDNames: map[string]string{
			eid.BankID: "BankID (high level)", eid.Buypass: "Buypass (high level)", eid.Commfides: "Commfides (high level)",
			eid.MinID: "MinID (substantial level)", eid.TestID: "TestID (the level the service asks for)",
		},
		Errors: map[msgKey]string{
			msgNoPID:      "Enter a national identity number.",
			msgUnknownPID: "The number belongs to no test person. Choose a person from the table.",
			msgNoSuchEID:  "The person does not have the chosen eID. Choose “Automatic” or an eID the person has.",
		},
	},
}

// eidOrder is the order the eID choices are listed in.
var eidOrder = []string{eid.BankID, eid.Buypass, eid.Commfides, eid.MinID, eid.TestID}

type pageData struct {
	T       texts
	Lang    string
	Action  string
	Cancel  string
	Form    form
	Level   string
	Error   string
	Choices []choice
	People  peopleHTML
	Message string // fatal pages only
}

type choice struct {
	Value, Label string
	Checked      bool
}

type personRow struct {
	Name, PID, EIDs string
}

// page is one template for the form and the fatal error page. It is built
// to WCAG 2.1 AA: a language attribute, a label for every field, the eID
// choice as a fieldset with a legend, an error summary announced as an
// alert and tied to the field with aria-describedby, real table headers,
// and no script.
var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Message}}{{.T.FatalHeading}} – {{end}}{{.T.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;padding:1rem;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}
main{max-width:40rem;margin:0 auto}
label,legend{font-weight:600;display:block}
input[type=text]{box-sizing:border-box;font-size:1.1rem;padding:.5rem;width:100%;max-width:16rem;border:2px solid #333;border-radius:4px}
fieldset{border:1px solid #767676;margin:1rem 0;padding:.5rem 1rem}
fieldset label{font-weight:normal;display:inline}
button{font-size:1.1rem;padding:.6rem 1.4rem;background:#0b4f8a;color:#fff;border:0;border-radius:4px;cursor:pointer}
:focus-visible{outline:3px solid #e07000;outline-offset:2px}
.error{border-left:6px solid #b00020;padding:.5rem 1rem;background:#fdecee}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ccc}
a{color:#0b4f8a}
</style>
</head>
<body>
<main>
{{- if .Message}}
<h1>{{.T.FatalHeading}}</h1>
<div class="error" role="alert"><p>{{.Message}}</p></div>
<p>{{.T.FatalBack}}</p>
{{- else}}
<h1>{{.T.Heading}}</h1>
<p>{{.T.Intro}}</p>
<p>{{.T.Wants}}: <strong>{{.Level}}</strong>.</p>
{{- if .Error}}
<div class="error" role="alert" id="pid-error"><h2>{{.T.ErrorHeading}}</h2><p>{{.Error}}</p></div>
{{- end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="req" value="{{.Form.Req}}">
<p>
<label for="pid">{{.T.PIDLabel}}</label>
<span id="pid-hint">{{.T.PIDHint}}</span><br>
<input type="text" id="pid" name="pid" inputmode="numeric" autocomplete="off" list="people" value="{{.Form.PID}}" aria-describedby="pid-hint{{if .Error}} pid-error{{end}}"{{if .Error}} aria-invalid="true" autofocus{{end}}>
<datalist id="people">{{.People.Options}}
</datalist>
</p>
<fieldset>
<legend>{{.T.EIDLegend}}</legend>
{{- range .Choices}}
<div><input type="radio" id="eid-{{.Value}}" name="eid" value="{{.Value}}"{{if .Checked}} checked{{end}}> <label for="eid-{{.Value}}">{{.Label}}</label></div>
{{- end}}
</fieldset>
<button type="submit">{{.T.Submit}}</button>
</form>
<p><a href="{{.Cancel}}">{{.T.Cancel}}</a></p>
<h2>{{.T.PeopleHeading}}</h2>
<table>
<caption>{{.T.PeopleCaption}}</caption>
<thead><tr><th scope="col">{{.T.Name}}</th><th scope="col">{{.T.PID}}</th><th scope="col">{{.T.EIDs}}</th></tr></thead>
<tbody>{{.People.Rows}}
</tbody>
</table>
{{- end}}
</main>
</body>
</html>
`))

// peopleHTML is the list of test persons as the login form shows it, in
// its datalist and in its table.
type peopleHTML struct {
	Options, Rows template.HTML
}

// peopleList renders the list parts of the form. The test persons are the
// same for every login, so each language's list is rendered once, when the
// provider is made, instead of through two template loops over every
// person on every form. html/template escapes it here as it escaped the
// loops in the page: both are in HTML text.
var peopleList = template.Must(template.New("people").Parse(`
{{- define "options"}}{{range .}}
<option value="{{.PID}}">{{.Name}} – {{.EIDs}}</option>
{{- end}}{{end}}
{{- define "rows"}}{{range .}}
<tr><td>{{.Name}}</td><td>{{.PID}}</td><td>{{.EIDs}}</td></tr>
{{- end}}{{end}}`))

// renderPeople renders the test persons' list for every language of the
// form.
func renderPeople(people []population.Person) (map[string]peopleHTML, error) {
	out := map[string]peopleHTML{}
	for l, t := range lang {
		var rows []personRow
		for _, person := range people {
			row := personRow{Name: strings.TrimSpace(person.Name()), PID: person.PID, EIDs: t.NoEIDs}
			if len(person.EIDs) > 0 {
				names := make([]string, len(person.EIDs))
				for i, e := range person.EIDs {
					names[i] = displayEID(e)
				}
				row.EIDs = strings.Join(names, ", ")
			}
			rows = append(rows, row)
		}
		var options, table strings.Builder
		if err := peopleList.ExecuteTemplate(&options, "options", rows); err != nil {
			return nil, err
		}
		if err := peopleList.ExecuteTemplate(&table, "rows", rows); err != nil {
			return nil, err
		}
		out[l] = peopleHTML{Options: template.HTML(options.String()), Rows: template.HTML(table.String())}
	}
	return out, nil
}

// renderForm shows the login form, again with an error when f.Error is set.
func (p *Provider) renderForm(w http.ResponseWriter, status int, f form) {
	if parts, ok := p.firstForms[firstFormKey{f.Lang, f.Want == eid.High}]; ok && f == firstForm(f) && plainID(f.Req) {
		body := make([]byte, 0, len(parts[0])+len(parts[1])+len(parts[2])+2*len(f.Req))
		body = append(append(append(append(append(body, parts[0]...), f.Req...), parts[1]...), f.Req...), parts[2]...)
		writePage(w, status, body)
		return
	}
	render(w, status, p.formData(f))
}

// formData is what the template shows for f.
func (p *Provider) formData(f form) pageData {
	t := lang[f.Lang]
	d := pageData{
		T:      t,
		Lang:   f.Lang,
		Action: p.prefix + "/authorize",
		Cancel: p.prefix + "/authorize/cancel?req=" + f.Req,
		Form:   f,
		Level:  t.LevelSubstantial,
		Error:  t.Errors[f.Error],
	}
	if f.Want == eid.High {
		d.Level = t.LevelHigh
	}
	checked := strings.ToLower(f.EID)
	if _, ok := t.EIDNames[checked]; !ok {
		checked = "auto"
	}
	d.Choices = append(d.Choices, choice{"auto", t.Auto, checked == "auto"})
	for _, e := range eidOrder {
		d.Choices = append(d.Choices, choice{e, t.EIDNames[e], checked == e})
	}
	d.People = p.peoplePage[f.Lang]
	return d
}

// firstFormKey picks a first form: its language, and whether the level
// asked for is high (the page shows no other difference of level).
type firstFormKey struct {
	lang string
	high bool
}

// firstForm is the form as a login first shows it: nothing typed, no
// error, the automatic eID chosen.
func firstForm(f form) form { return form{Req: f.Req, Want: f.Want, Lang: f.Lang} }

// reqMark stands for the interaction id in a first form rendered ahead.
// Its letters pass html/template's escapers unchanged, as plainID's do.
const reqMark = "reqMarkQ7zX"

// renderFirstForms renders the first form of every language and level once,
// split where its interaction id goes (the hidden field and the cancel
// link): every login shows one, and executing the template was most of the
// authorization endpoint's work besides.
func (p *Provider) renderFirstForms() (map[firstFormKey][][]byte, error) {
	out := map[firstFormKey][][]byte{}
	for l := range lang {
		for _, want := range []eid.Assurance{eid.Substantial, eid.High} {
			var buf bytes.Buffer
			if err := page.Execute(&buf, p.formData(form{Req: reqMark, Want: want, Lang: l})); err != nil {
				return nil, err
			}
			parts := bytes.Split(buf.Bytes(), []byte(reqMark))
			if len(parts) != 3 {
				return nil, fmt.Errorf("the login form holds its interaction id %d times, not twice", len(parts)-1)
			}
			out[firstFormKey{l, want == eid.High}] = parts
		}
	}
	return out, nil
}

// plainID reports whether id is made of the characters html/template
// writes unchanged both in an attribute and in a URL's query: those of
// base64url, which interaction ids are.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return id != ""
}

// fatal shows an error the client must not hear about through its
// redirect_uri (RFC 6749 section 4.1.2.1), or a dead interaction.
func (p *Provider) fatal(w http.ResponseWriter, l, msg string) {
	if _, ok := lang[l]; !ok {
		l = "nb"
	}
	render(w, http.StatusBadRequest, pageData{T: lang[l], Lang: l, Message: msg})
}

func render(w http.ResponseWriter, status int, d pageData) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, d); err != nil {
		http.Error(w, "devidp: template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writePage(w, status, buf.Bytes())
}

func writePage(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	w.Write(body)
}

func displayEID(e string) string {
	switch strings.ToLower(e) {
	case eid.BankID:
		return "BankID"
	case eid.MinID:
		return "MinID"
	case eid.Buypass:
		return "Buypass"
	case eid.Commfides:
		return "Commfides"
	}
	return e
}
