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
		{"portal/request.xml", "portal/manifest-specify-signtype-and-auth.xml", ""},
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
				r, docs, err = portalRequest(&req, &m, org, now, job.DefaultLimits.DefaultExpiry)
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
			// The examples that state a signature type have an advanced
			// signer; the others leave it to the organisation's default.
			want := job.SignatureType("")
			if strings.Contains(tc.manifest, "signtype") {
				want = job.Advanced
			}
			if r.SignatureType != want {
				t.Fatalf("signature type %q, want %q", r.SignatureType, want)
			}
		})
	}
}

// The schema sets a signature type per signer, segl per job: a job with
// an advanced signer is advanced, so no signer gives less than asked; one
// whose signers state none has the organisation's default ("").
func TestOneSignatureType(t *testing.T) {
	for _, tc := range []struct {
		types []job.SignatureType
		want  job.SignatureType
	}{
		{nil, ""},
		{[]job.SignatureType{""}, ""},
		{[]job.SignatureType{job.Authenticated, ""}, job.Authenticated},
		{[]job.SignatureType{job.Authenticated, job.Advanced, ""}, job.Advanced},
		{[]job.SignatureType{"", job.Advanced}, job.Advanced},
	} {
		types := map[job.SignatureType]bool{}
		for _, s := range tc.types {
			types[s] = true
		}
		if got := oneType(types); got != tc.want {
			t.Errorf("oneType(%v) = %q, want %q", tc.types, got, tc.want)
		}
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

// portalExample is the specification's portal request and manifest, decoded.
func portalExample(t *testing.T) (portalJobRequest, portalManifest) {
	t.Helper()
	var req portalJobRequest
	var m portalManifest
	if err := decode(readExample(t, "portal/request.xml"), &req); err != nil {
		t.Fatal(err)
	}
	if err := decode(readExample(t, "portal/manifest.xml"), &m); err != nil {
		t.Fatal(err)
	}
	return req, m
}

func TestPortalMapping(t *testing.T) {
	req, m := portalExample(t)
	now := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	r, docs, err := portalRequest(&req, &m, "123456789", now, job.DefaultLimits.DefaultExpiry)
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
			if !errs.HasCode(err, codeSchema) {
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

// The request XML as the clients' serialisers write it, not as the
// specification's examples do: JAXB declares every namespace of its
// context on the document element and may prefix Posten's ("ns2:"), and
// .NET's XmlSerializer declares xsi and xsd. Namespace declarations are
// not attributes of the schema, and a prefix names the same element.
func TestDecodeClientSerialisations(t *testing.T) {
	jaxb := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<ns3:direct-signature-job-request xmlns:ns2="http://www.w3.org/2000/09/xmldsig#" xmlns:ns3="http://signering.posten.no/schema/v1" xmlns:ns4="http://uri.etsi.org/01903/v1.3.2#">` +
		`<ns3:reference>ref</ns3:reference><ns3:exit-urls><ns3:completion-url>https://a.example/ok</ns3:completion-url>` +
		`<ns3:rejection-url>https://a.example/no</ns3:rejection-url><ns3:error-url>https://a.example/err</ns3:error-url></ns3:exit-urls>` +
		`<ns3:status-retrieval-method>POLLING</ns3:status-retrieval-method><ns3:polling-queue>kø</ns3:polling-queue></ns3:direct-signature-job-request>`
	var req directJobRequest
	if err := decode(strings.NewReader(jaxb), &req); err != nil {
		t.Fatal(err)
	}
	if req.ExitURLs == nil || req.ExitURLs.Error != "https://a.example/err" || *req.PollingQueue != "kø" {
		t.Fatalf("JAXB request decoded as %+v", req)
	}
	dotnet := `<?xml version="1.0" encoding="utf-8"?><portal-signature-job-manifest xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
		`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://signering.posten.no/schema/v1"><signers><signer order="0">` +
		`<personal-identification-number>12345678910</personal-identification-number><notifications><email address="a@example.test" /></notifications>` +
		`<on-behalf-of>SELF</on-behalf-of></signer></signers><sender><organization-number>123456789</organization-number></sender>` +
		`<title>Tittel</title><documents><document href="a1b2c3d4.pdf" mime="application/pdf"><title>Dokument</title></document></documents>` +
		`<required-authentication>4</required-authentication><identifier-in-signed-documents>NAME</identifier-in-signed-documents></portal-signature-job-manifest>`
	var m portalManifest
	if err := decode(strings.NewReader(dotnet), &m); err != nil {
		t.Fatal(err)
	}
	r, docs, err := portalRequest(&portalJobRequest{}, &m, "123456789", time.Now(), job.DefaultLimits.DefaultExpiry)
	if err != nil || len(docs) != 1 || r.Signers[0].Email != "a@example.test" || r.Identifier != job.ShowName {
		t.Fatalf(".NET manifest mapped to %+v %+v, %v", r, docs, err)
	}
}

// activation-time as the clients write it: Java with a zone, .NET's
// XmlSerializer with seven fraction digits, or with no zone at all for a
// DateTime of unspecified kind, which the schema allows and which is
// Norwegian time.
func TestActivationTime(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		written string
		want    time.Time
	}{
		{"2026-12-10T12:00:00+01:00", time.Date(2026, 12, 10, 11, 0, 0, 0, time.UTC)},
		{"2026-12-10T11:00:00Z", time.Date(2026, 12, 10, 11, 0, 0, 0, time.UTC)},
		{"2026-12-10T12:00:00.0000000+01:00", time.Date(2026, 12, 10, 11, 0, 0, 0, time.UTC)},
		{"2026-12-10T12:00:00", time.Date(2026, 12, 10, 11, 0, 0, 0, time.UTC)},
		{"2027-06-10T12:00:00.5", time.Date(2027, 6, 10, 10, 0, 0, 5e8, time.UTC)},
	} {
		manifest := strings.Replace(readAll(t, "portal/manifest.xml"), "2016-02-10T12:00:00+01:00", tc.written, 1)
		var m portalManifest
		if err := decode(strings.NewReader(manifest), &m); err != nil {
			t.Fatalf("%s: %v", tc.written, err)
		}
		r, _, err := portalRequest(&portalJobRequest{}, &m, "123456789", now, job.DefaultLimits.DefaultExpiry)
		if err != nil || r.ActivatesAt == nil || !r.ActivatesAt.Equal(tc.want) {
			t.Fatalf("%s: activates at %v, want %v (%v)", tc.written, r.ActivatesAt, tc.want, err)
		}
	}
	var m portalManifest
	bad := strings.Replace(readAll(t, "portal/manifest.xml"), "2016-02-10T12:00:00+01:00", "10.12.2026 12:00", 1)
	if err := decode(strings.NewReader(bad), &m); !errs.HasCode(err, codeSchema) {
		t.Fatalf("not a dateTime: %v", err)
	}
}

func readAll(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examples, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A polling queue's name is bounded: the schema leaves it unbounded, and
// segl keeps it with every job of the queue.
func TestPollingQueueBounded(t *testing.T) {
	req, m := portalExample(t)
	now := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		queue string
		ok    bool
	}{{strings.Repeat("kø", maxPollingQueue/2), true}, {strings.Repeat("k", maxPollingQueue+1), false}} {
		req.PollingQueue = &tc.queue
		r, _, err := portalRequest(&req, &m, "123456789", now, job.DefaultLimits.DefaultExpiry)
		if tc.ok != (err == nil) || err == nil && r.Polling.Queue != tc.queue {
			t.Errorf("queue of %d characters: %v", len(tc.queue), err)
		}
		if err != nil && !strings.Contains(err.Error(), "polling-queue") {
			t.Errorf("the error does not name polling-queue: %v", err)
		}
	}
}
