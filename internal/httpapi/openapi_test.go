package httpapi

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIDescribesExactlyTheRoutes keeps the published document and the
// served endpoints from drifting apart in either direction.
func TestOpenAPIDescribesExactlyTheRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if path != "/api/v1/openapi.json" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	for _, rt := range (&API{}).routes() {
		served = append(served, rt.method+" "+rt.path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		t.Fatalf("OpenAPI documents\n%s\n\nbut the API serves\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
}

// TestOpenAPIServersOnTheAPIHost: with an API host of its own, or a base
// URL with a path, the served document names it as its one server
// (openAPI replaces the embedded document's relative server, which a
// change of its formatting would silently stop).
func TestOpenAPIServersOnTheAPIHost(t *testing.T) {
	for _, tt := range []struct{ base, api, want string }{
		{"https://segl.example", "", "/"},
		{"https://segl.example/", "", "/"},
		{"https://segl.example", "https://api.segl.example", "https://api.segl.example"},
		// Behind a proxy that strips a prefix: "/" would leave it out.
		{"https://example.no/segl/", "", "https://example.no/segl"},
		{"https://example.no/segl", "https://api.example.no/segl", "https://api.example.no/segl"},
	} {
		var doc struct {
			Servers []struct{ URL string } `json:"servers"`
		}
		if err := json.Unmarshal((&API{BaseURL: tt.base, APIURL: tt.api}).openAPI(), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Servers) != 1 || doc.Servers[0].URL != tt.want {
			t.Errorf("base-url %q, api-url %q: servers %+v, want %s", tt.base, tt.api, doc.Servers, tt.want)
		}
	}
}
