package web

import (
	"html/template"
	"net/http"
	"strings"
)

// Operator is who runs this segl, as the pages about the service name
// them: the privacy and accessibility statements, help and contact. A
// real operator sets it in the configuration (operator-name,
// operator-email, operator-phone); the zero value makes the pages say
// "the service owner" without an address.
type Operator struct {
	Name  string // the organisation, e.g. "Digitaliseringsdirektoratet"
	Email string // for questions, personal data requests and accessibility feedback
	Phone string // as people dial it, e.g. "+47 22 45 10 00"
}

// PhoneURI is Phone as a tel: link target (RFC 3966): digits and a
// leading plus only, which is why it may be trusted as a URL
// (html/template lets only http, https and mailto through otherwise).
func (o Operator) PhoneURI() template.URL {
	var b strings.Builder
	for i, r := range o.Phone {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return template.URL("tel:" + b.String())
}

// aboutPages are the pages every footer links to, by path: the privacy
// statement, the accessibility statement (in the form the supervisory
// authority for universal design of ICT, Uu-tilsynet under Digdir,
// publishes), help and contact. Their texts are in the catalogues.
var aboutPages = []string{"privacy", "accessibility", "help", "contact"}

type aboutView struct {
	Operator Operator
	// HasOperator says whether the operator is configured; without, the
	// pages name "the service owner" and give no address.
	HasOperator bool
	// Who names the operator in the page's language.
	Who string
}

// about shows one of the pages about the service.
func (w *Web) about(name string) HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) error {
		v := aboutView{Operator: w.operator, HasOperator: w.operator.Name != "", Who: w.operator.Name}
		if !v.HasOperator {
			v.Who = w.T(Lang(r), "about.owner")
		}
		w.Render(rw, r, "about_"+name, v)
		return nil
	}
}
