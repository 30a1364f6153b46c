package web

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The vendored PDF.js (the sign page's preview) is the version that
// tools/pdfjs/package-lock.json pins, library and worker alike, and its
// licence is served beside it (scripts/vendor-pdfjs.sh copies them).
func TestVendoredPDFJS(t *testing.T) {
	raw, err := os.ReadFile("../../tools/pdfjs/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatal(err)
	}
	version := lock.Packages["node_modules/pdfjs-dist"].Version
	if version == "" {
		t.Fatal("the lockfile pins no pdfjs-dist")
	}
	for _, name := range []string{"static/pdf.min.mjs", "static/pdf.worker.min.mjs"} {
		b, err := staticFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"`+version+`"`) {
			t.Errorf("%s is not PDF.js %s: run scripts/vendor-pdfjs.sh", name, version)
		}
	}
	licence, err := staticFS.ReadFile("static/pdfjs-LICENSE.txt")
	if err != nil || !strings.Contains(string(licence), "Apache License") {
		t.Errorf("PDF.js's licence is not served beside it: %v", err)
	}
	a, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	if ct := a.byName["pdf.min.mjs"].ctype; !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("pdf.min.mjs is served as %q; a module script needs a JavaScript type", ct)
	}
}
