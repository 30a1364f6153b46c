package httpapi

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
)

// Every field of the wire's create-job request reaches the domain's: the
// JSON part is decoded into client.JobRequest only, and jobRequest is the
// one place it becomes a job.Request.
func TestDecodeRequestKeepsEveryField(t *testing.T) {
	const body = `{"title": "Avtale", "description": "Les", "flow": "direct", "signature_type": "advanced",
		"level_of_assurance": "high", "reference": "ref-1", "identifier": "name", "callback_url": "https://s.example/cb",
		"exit_urls": {"completion": "https://s.example/ok", "rejection": "https://s.example/no", "error": "https://s.example/err"},
		"retention": {"archive": true, "years": 10},
		"activates_at": "2026-12-01T08:00:00Z", "expires_at": "2026-12-31T08:00:00Z",
		"documents": [{"title": "Kontrakt", "file": "doc1", "file_name": "kontrakt.pdf"}],
		"signers": [{"pid": "21909825250", "order": 1}, {"email": "kari@example.no", "mobile": "+4793682884", "order": 2, "on_behalf_of": "317510748"}]}`
	got, err := decodeRequest(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	activates, expires := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 8, 0, 0, 0, time.UTC)
	want := &job.Request{Title: "Avtale", Description: "Les", Flow: job.Direct, SignatureType: job.Advanced,
		LevelOfAssurance: job.High, Reference: "ref-1", Identifier: job.ShowName, CallbackURL: "https://s.example/cb",
		ExitURLs:  job.ExitURLs{Completion: "https://s.example/ok", Rejection: "https://s.example/no", Error: "https://s.example/err"},
		Retention: job.Retention{Archive: true, Years: 10}, ActivatesAt: &activates, ExpiresAt: &expires,
		Documents: []job.DocumentRequest{{Title: "Kontrakt", File: "doc1", FileName: "kontrakt.pdf"}},
		Signers: []job.SignerRequest{{PID: "21909825250", Order: 1},
			{Email: "kari@example.no", Mobile: "+4793682884", Order: 2, OnBehalfOf: "317510748"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
	for _, bad := range []string{`{"title": "x", "polling": {}}`, `{"signers": [{"ref": "a"}]}`} {
		if _, err := decodeRequest(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: accepted a field the API does not have", bad)
		}
	}
}

// TestDecodeBoundedLists: a request with more list entries than any limit
// allows is decoded only one entry past job.MaxListEntries, and strictly.
func TestDecodeBoundedLists(t *testing.T) {
	raw := `{"signers":[{}` + strings.Repeat(`,{}`, 5000) + `],"documents":[{"title":"d","file":"doc1"}]}`
	r, err := decodeRequest(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Signers) != job.MaxListEntries+1 || len(r.Documents) != 1 || r.Documents[0].File != "doc1" {
		t.Fatalf("%d signers, documents %+v", len(r.Signers), r.Documents)
	}
	for _, bad := range []string{`{"signers":[{"pid":"1","color":"red"}]}`, `{"signers":{}}`, `{"documents":[{"title":1}]}`} {
		if _, err := decodeRequest(strings.NewReader(bad)); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}
