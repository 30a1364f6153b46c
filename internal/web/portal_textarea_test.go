package web

import (
	"net/url"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
)

// A description typed over several lines in the new-job form is a valid
// job description: the browser sends its line breaks as CR LF, which job
// text, holding no control character but the line feed, would refuse.
func TestPortalDescriptionLines(t *testing.T) {
	v := url.Values{"title": {"Avtale"}, "description": {"Første linje\r\nAndre linje\r\n"}, "signer-1-pid": {"21909825250"},
		"signature_type": {"authenticated"}, "level_of_assurance": {"substantial"}}
	req, _, _ := readJobForm(v, 10, 1).request()
	if req.Description != "Første linje\nAndre linje" {
		t.Fatalf("description %q", req.Description)
	}
	req.Documents = []job.DocumentRequest{{Title: "Kontrakt", File: "doc1"}}
	if err := req.Validate(time.Now(), job.DefaultLimits); err != nil {
		t.Fatalf("refused: %v", err)
	}
}
