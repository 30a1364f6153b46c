package postenapi

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/testtool"
)

// node is one element of a message's shape: its path from the document
// element and the names of its attributes.
type node struct {
	path  string
	attrs []string
}

// shape lists the elements of doc in document order, without text and
// comments: what a JAXB or XmlSerializer client binds to.
func shape(t *testing.T, doc []byte) []node {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []string
	var out []node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Space != ns {
				t.Fatalf("element {%s}%s outside the API's namespace", e.Name.Space, e.Name.Local)
			}
			stack = append(stack, e.Name.Local)
			n := node{path: strings.Join(stack, "/")}
			for _, a := range e.Attr {
				if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
					n.attrs = append(n.attrs, a.Name.Local)
				}
			}
			slices.Sort(n.attrs)
			out = append(out, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// extraElements are the optional elements segl gives that the
// specification's examples, older than them, do not show:
// delete-documents-url, on every ended job until its documents are
// deleted (Java's deleteDocuments needs it).
var extraElements = []string{"delete-documents-url"}

// sameShape: segl's message has the example's elements in the example's
// order, each with at least the example's attributes (segl adds signer on
// every status and xades-url, which both clients need; the single-signer
// examples predate it), and no other elements than extraElements.
func sameShape(t *testing.T, example string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(examples, example))
	if err != nil {
		t.Fatal(err)
	}
	var ours []node
	for _, n := range shape(t, got) {
		if !slices.Contains(extraElements, n.path[strings.LastIndexByte(n.path, '/')+1:]) {
			ours = append(ours, n)
		}
	}
	theirs := shape(t, want)
	if len(ours) != len(theirs) {
		t.Fatalf("%s: %d elements, the example has %d\n%s", example, len(ours), len(theirs), got)
	}
	for i, w := range theirs {
		g := ours[i]
		if g.path != w.path {
			t.Fatalf("%s: element %d is %s, the example's is %s\n%s", example, i, g.path, w.path, got)
		}
		for _, a := range w.attrs {
			if !slices.Contains(g.attrs, a) {
				t.Fatalf("%s: %s has no %s attribute\n%s", example, g.path, a, got)
			}
		}
	}
	testtool.SchemaValid(t, "testdata/posten-signature-api/xsd/direct-and-portal.xsd", got)
}

func render(v any) []byte {
	rec := httptest.NewRecorder()
	writeXML(rec, 200, v)
	return rec.Body.Bytes()
}

// exampleJob is a job of the specification's examples' sender as segl
// keeps it, its signers mapped from the manifest with the request's
// mapping.
func exampleJob(flow job.Flow, status job.Status, signers []job.SignerRequest, signed bool) *job.Job {
	at := time.Date(2017, 1, 23, 11, 51, 43, 0, time.UTC)
	j := &job.Job{ID: "01a24c75-7fbc-7ac4-950c-1086367b1522", Org: "123456789", Flow: flow, Status: status,
		Documents: []job.Document{{ID: "d1", Title: "Dokument"}}}
	for i, s := range signers {
		js := job.Signer{ID: "s" + string(rune('1'+i)), PID: s.PID, Email: s.Email, Mobile: s.Mobile, Ref: s.Ref,
			Status: job.SignerWaiting, UpdatedAt: at}
		if signed {
			js.Status, js.Evidence = job.SignerSigned, "evidence"
		}
		j.Signers = append(j.Signers, js)
	}
	if signed {
		j.Documents[0].Signed.SHA256 = "ab"
	}
	return j
}

func mappedPortalSigners(t *testing.T, manifest string) []job.SignerRequest {
	t.Helper()
	var m portalManifest
	if err := decode(strings.NewReader(manifest), &m); err != nil {
		t.Fatal(err)
	}
	r, _, err := portalRequest(&portalJobRequest{}, &m, "123456789", time.Now(), job.DefaultLimits.DefaultExpiry)
	if err != nil {
		t.Fatal(err)
	}
	return r.Signers
}

// The responses segl produces have the shape of the specification's own
// examples (same elements, same order, the attributes the clients read)
// and validate against the schema.
func TestResponsesHaveTheExamplesShape(t *testing.T) {
	a := &API{Svc: &ceremony.Service{LinkKey: []byte("test key")}, BaseURL: "https://segl.example"}
	pid := job.SignerRequest{PID: "12345678910"}
	byRef := job.SignerRequest{Ref: "123abc"}

	t.Run("direct/response.xml", func(t *testing.T) {
		sameShape(t, "direct/response.xml", render(a.directJobResponse(exampleJob(job.Direct, job.StatusActive,
			[]job.SignerRequest{pid}, false))))
	})
	t.Run("direct/multiple_signers/response.xml", func(t *testing.T) {
		sameShape(t, "direct/multiple_signers/response.xml", render(a.directJobResponse(exampleJob(job.Direct, job.StatusActive,
			[]job.SignerRequest{{PID: "10987654321"}, byRef}, false))))
	})
	t.Run("direct/signer-response.xml", func(t *testing.T) {
		j := exampleJob(job.Direct, job.StatusActive, []job.SignerRequest{pid}, false)
		sameShape(t, "direct/signer-response.xml", render(directSignerResponse{directSignerTo: a.signerResponse(j, &j.Signers[0])}))
	})
	t.Run("direct/status-response.xml", func(t *testing.T) {
		sameShape(t, "direct/status-response.xml", render(a.directStatusResponse(exampleJob(job.Direct, job.StatusCompleted,
			[]job.SignerRequest{pid}, true))))
	})
	t.Run("direct/multiple_signers/status-response.xml", func(t *testing.T) {
		sameShape(t, "direct/multiple_signers/status-response.xml", render(a.directStatusResponse(exampleJob(job.Direct,
			job.StatusCompleted, []job.SignerRequest{byRef, {PID: "10987654321"}}, true))))
	})
	t.Run("portal/response.xml", func(t *testing.T) {
		j := exampleJob(job.Portal, job.StatusActive, []job.SignerRequest{pid}, false)
		sameShape(t, "portal/response.xml", render(portalJobResponse{ID: jobNumber(j.ID), CancellationURL: a.jobURL(j) + "/cancel"}))
	})
	t.Run("portal/status-change-response.xml", func(t *testing.T) {
		sameShape(t, "portal/status-change-response.xml", render(a.portalStatusResponse(exampleJob(job.Portal,
			job.StatusCompleted, []job.SignerRequest{pid}, true))))
	})
	t.Run("portal/status-change-response-signer-without-pin.xml", func(t *testing.T) {
		signers := mappedPortalSigners(t, `<portal-signature-job-manifest xmlns="http://signering.posten.no/schema/v1"><signers>`+
			`<signer><identified-by-contact-information/><notifications><email address="test@example.com"/></notifications></signer>`+
			`<signer><identified-by-contact-information/><notifications><email address="test@example.com"/><sms number="12345678"/></notifications></signer>`+
			`</signers><sender><organization-number>123456789</organization-number></sender><title>T</title>`+
			`<documents><document href="document.pdf" mime="application/pdf"><title>D</title></document></documents></portal-signature-job-manifest>`)
		got := render(a.portalStatusResponse(exampleJob(job.Portal, job.StatusCompleted, signers, true)))
		sameShape(t, "portal/status-change-response-signer-without-pin.xml", got)
		// The clients find each signature by the addresses as they sent
		// them: the number comes back as the sender wrote it, not in
		// segl's E.164 form.
		if !bytes.Contains(got, []byte(`<sms number="12345678">`)) || signers[1].Mobile != "+4712345678" {
			t.Fatalf("the sms number is not given back as sent (kept as %q):\n%s", signers[1].Mobile, got)
		}
	})
}
