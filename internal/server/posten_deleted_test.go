package server_test

import (
	"net/http"
	"testing"
)

// A job whose documents the sender deleted (delete-documents-url) is not
// delivered by a poll again, and its deletion's change is acknowledged. Its deletion is a change in segl's feed, and
// polling delivered the tombstone: a portal status whose signers, their
// addresses erased, had an empty <identifier>, which the schema refuses
// (and both clients would match to no signer).
func TestPostenDeletedJobIsNotPolled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, javaStyle)
	var created struct {
		CancellationURL string `xml:"cancellation-url"`
	}
	p.create("portal", portalJobXML("slettet"), p.bundle(byContactManifestXML(orgA), postenDocs())).
		want(t, http.StatusOK).decode(t, &created)
	p.do("POST", created.CancellationURL, "", nil).want(t, http.StatusOK)

	var st struct {
		Status             string `xml:"status"`
		ConfirmationURL    string `xml:"confirmation-url"`
		DeleteDocumentsURL string `xml:"delete-documents-url"`
	}
	p.poll("portal", "slettet").want(t, http.StatusOK).decode(t, &st)
	if st.Status != "FAILED" || st.DeleteDocumentsURL == "" {
		t.Fatalf("after cancelling: %+v", st)
	}
	p.do("POST", st.ConfirmationURL, "", nil).want(t, http.StatusOK)
	p.do("DELETE", st.DeleteDocumentsURL, "", nil).want(t, http.StatusOK)
	// After a 200 the next poll may come at once.
	p.poll("portal", "slettet").want(t, http.StatusNoContent)
	// The poll acknowledged the deletion's change, as a confirmation would:
	// left in the feed, every deleted job's would pile up ahead of the
	// queue's other changes.
	events, err := e.client(orgA).Events(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Type == "job.deleted" {
			t.Fatalf("the deletion is still unacknowledged: %+v", ev)
		}
	}
}

// byContactManifestXML is a portal manifest whose signers are addressed by
// contact information alone, which a deletion erases.
func byContactManifestXML(org string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<portal-signature-job-manifest xmlns="http://signering.posten.no/schema/v1">
    <signers>
        <signer><identified-by-contact-information/><notifications><email address="ola@example.test"/></notifications></signer>
        <signer><identified-by-contact-information/><notifications><sms number="91234567"/></notifications></signer>
    </signers>
    <sender><organization-number>` + org + `</organization-number></sender>
    <title>Husleie</title>
    <documents>
        <document href="0000_arbeidsavtale.pdf" mime="application/pdf"><title>Kontrakt</title></document>
    </documents>
</portal-signature-job-manifest>`
}
