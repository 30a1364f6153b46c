package web

import (
	"strings"
	"testing"
)

// The pages about the service exist in every language, each footer links
// to all four, and they name the configured operator with its address
// (or the service owner, without one).
func TestAboutPages(t *testing.T) {
	op := Operator{Name: "Digitaliseringsdirektoratet", Email: "segl@digdir.example", Phone: "+47 22 45 10 00"}
	e := newEnv(t, Options{Operator: op})
	titles := map[string]map[string]string{
		"privacy":       {Bokmal: "Personvernerklæring", Nynorsk: "Personvernerklæring", English: "Privacy statement"},
		"accessibility": {Bokmal: "Tilgjengelighetserklæring", Nynorsk: "Tilgjengelegheitserklæring", English: "Accessibility statement"},
		"help":          {Bokmal: "Hjelp", Nynorsk: "Hjelp", English: "Help"},
		"contact":       {Bokmal: "Kontakt", Nynorsk: "Kontakt", English: "Contact"},
	}
	for _, name := range aboutPages {
		for _, lang := range Languages {
			res, page := e.get("/about/" + name + "?lang=" + lang)
			if res.StatusCode != 200 || match(t, langRE, page) != lang || match(t, h1RE, page) != titles[name][lang] {
				t.Errorf("%s in %s: %d, lang %s, h1 %q", name, lang, res.StatusCode, match(t, langRE, page), match(t, h1RE, page))
			}
			for _, link := range aboutPages {
				if !strings.Contains(page, `<a href="/about/`+link+`">`) {
					t.Errorf("%s in %s: the footer has no link to %s", name, lang, link)
				}
			}
		}
	}
	_, page := e.get("/about/accessibility?lang=nn")
	for _, want := range []string{"Denne erklæringa frå Digitaliseringsdirektoratet", "WCAG 2.1 nivå A og AA", "Kjende avvik",
		`href="https://www.uutilsynet.no/"`, `<a href="mailto:segl@digdir.example">`, `<a href="tel:&#43;4722451000">&#43;47 22 45 10 00</a>`,
		"Erklæringa vart oppretta"} {
		if !strings.Contains(page, want) {
			t.Errorf("the nynorsk accessibility statement lacks %q", want)
		}
	}
	// Every page's footer links to them, the portal's and the signer's.
	for _, path := range []string{"/sign/", "/portal/"} {
		if _, page := e.get(path + "?lang=nb"); !strings.Contains(page, `<a href="/about/accessibility">Tilgjengelighetserklæring</a>`) {
			t.Errorf("%s has no link to the accessibility statement", path)
		}
	}

	bare := newEnv(t, Options{})
	_, page = bare.get("/about/contact?lang=en")
	if !strings.Contains(page, "segl is run by the service owner.") || strings.Contains(page, "mailto:") {
		t.Errorf("without an operator:\n%s", page)
	}
}
