package postenapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
)

const examples = "testdata/posten-signature-api/examples"

func readExample(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join(examples, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// The specification's own request examples decode strictly and map onto a
// job, with the sender the examples use.
func TestSpecificationExamplesMap(t *testing.T) {
	const org = "123456789"
	now := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ request, manifest, wantCode string }{
		{"direct/request.xml", "direct/manifest.xml", ""},
		{"direct/request.xml", "direct/manifest-specify-signtype-and-auth.xml", ""},
		{"direct/request.xml", "direct/manifest-signer-without-pin.xml", ""},
		{"direct/multiple_signers/request.xml", "direct/multiple_signers/manifest.xml", ""},
		{"portal/request.xml", "portal/manifest.xml", ""},
		{"portal/request.xml", "portal/manifest-signer-without-pin.xml", ""},
		{"portal/request.xml", "portal/manifest-specify-on-behalf-of.xml", ""},
		// segl sets the signature type per job, the schema per signer.
		{"portal/request.xml", "portal/manifest-specify-signtype-and-auth.xml", "MIXED_SIGNATURE_TYPES"},
		{"portal/request.xml", "portal/legacy/manifest-legacy.xml", ""},
	} {
		t.Run(tc.manifest, func(t *testing.T) {
			var r *job.Request
			var docs []manifestDocument
			var err error
			if strings.HasPrefix(tc.request, "direct") {
				var req directJobRequest
				var m directManifest
				if err := decode(readExample(t, tc.request), &req); err != nil {
					t.Fatal(err)
				}
				if err := decode(readExample(t, tc.manifest), &m); err != nil {
					t.Fatal(err)
				}
				r, docs, err = directRequest(&req, &m, org)
			} else {
				var req portalJobRequest
				var m portalManifest
				if err := decode(readExample(t, tc.request), &req); err != nil {
					t.Fatal(err)
				}
				if err := decode(readExample(t, tc.manifest), &m); err != nil {
					t.Fatal(err)
				}
				r, docs, err = portalRequest(&req, &m, org, now)
			}
			if tc.wantCode != "" {
				if !errs.HasCode(err, tc.wantCode) {
					t.Fatalf("got %v, want %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) == 0 || len(r.Documents) != len(docs) || r.Title == "" || len(r.Signers) == 0 {
				t.Fatalf("mapped %+v %+v", r, docs)
			}
		})
	}
}

func TestDirectMapping(t *testing.T) {
	var req directJobRequest
	var m directManifest
	if err := decode(readExample(t, "direct/multiple_signers/request.xml"), &req); err != nil {
		t.Fatal(err)
	}
	if err := decode(readExample(t, "direct/manifest.xml"), &m); err != nil {
		t.Fatal(err)
	}
	r, _, err := directRequest(&req, &m, "123456789")
	if err != nil {
		t.Fatal(err)
	}
	if r.Flow != job.Direct || r.ExitURLs.Completion == "" || r.Reference == "" || r.Polling != nil ||
		r.Signers[0].PID != "12345678910" || r.LevelOfAssurance != job.High || r.Documents[0].File != "document.pdf" {
		t.Fatalf("mapped %+v", r)
	}
}

func TestPortalMapping(t *testing.T) {
	var req portalJobRequest
	var m portalManifest
	if err := decode(readExample(t, "portal/request.xml"), &req); err != nil {
		t.Fatal(err)
	}
	if err := decode(readExample(t, "portal/manifest.xml"), &m); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	r, docs, err := portalRequest(&req, &m, "123456789", now)
	if err != nil {
		t.Fatal(err)
	}
	act := time.Date(2016, 2, 10, 11, 0, 0, 0, time.UTC)
	switch {
	case r.Polling == nil || r.Polling.Queue != "":
		t.Errorf("polling %+v", r.Polling)
	case r.ActivatesAt == nil || !r.ActivatesAt.Equal(act) || !r.ExpiresAt.Equal(act.Add(864000*time.Second)):
		t.Errorf("availability %v %v", r.ActivatesAt, r.ExpiresAt)
	case len(r.Signers) != 4 || r.Signers[0].Order != 1 || r.Signers[0].Mobile != "+4700000000" ||
		r.Signers[0].Email != "signer1@example.com" || r.Signers[2].Email != "":
		t.Errorf("signers %+v", r.Signers)
	case len(docs) != 2 || docs[1].Href != "document2.pdf" || r.Documents[1].Title != "Second document":
		t.Errorf("documents %+v", docs)
	case r.Title != "Optional non-sensitive job title" || r.Description != "":
		// What may hold personal data stays out of notices.
		t.Errorf("title %q description %q", r.Title, r.Description)
	case r.LevelOfAssurance != job.High || r.Identifier != job.ShowPID:
		t.Errorf("level %s identifier %s", r.LevelOfAssurance, r.Identifier)
	}
}

// XML that breaks the schema is refused before anything is mapped.
func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"fail/unknown-element", `<portal-signature-job-request xmlns="http://signering.posten.no/schema/v1"><reference>a</reference><callback-url>x</callback-url></portal-signature-job-request>`},
		{"fail/unknown-attribute", `<portal-signature-job-request xmlns="http://signering.posten.no/schema/v1" foo="bar"/>`},
		{"fail/wrong-namespace", `<portal-signature-job-request xmlns="http://example.com/"/>`},
		{"fail/wrong-document-element", `<direct-signature-job-request xmlns="http://signering.posten.no/schema/v1"/>`},
		{"fail/doctype", `<!DOCTYPE x [<!ENTITY e "x">]><portal-signature-job-request xmlns="http://signering.posten.no/schema/v1"/>`},
		{"fail/trailing-element", `<portal-signature-job-request xmlns="http://signering.posten.no/schema/v1"/><x/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req portalJobRequest
			err := decode(strings.NewReader(tc.doc), &req)
			if !errs.HasCode(err, CodeSchema) {
				t.Fatalf("got %v", err)
			}
		})
	}
	var req portalJobRequest
	ok := `<portal-signature-job-request xmlns="http://signering.posten.no/schema/v1"><reference>a</reference><polling-queue>q</polling-queue></portal-signature-job-request>`
	if err := decode(strings.NewReader(ok), &req); err != nil || *req.PollingQueue != "q" {
		t.Fatalf("%v %+v", err, req)
	}
}

// A job that does not say what identifies its signers shows their identity
// number, as Posten's API documents, and not segl's own API's default.
func TestIdentifierDefaultIsPostens(t *testing.T) {
	var c checker
	if got := identifier(&c, nil); got != job.ShowPID || job.DefaultIdentifier == job.ShowPID {
		t.Errorf("absent identifier-in-signed-documents = %q, want %q (segl's own default is %q)", got, job.ShowPID, job.DefaultIdentifier)
	}
}
