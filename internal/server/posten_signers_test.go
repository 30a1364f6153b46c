package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/job"
)

// postenJob is the job the sender's last Posten request created, as
// /api/v1 shows it.
func (e *env) lastJob(t *testing.T, org string) client.Job {
	t.Helper()
	list, err := e.client(org).ListJobs(t.Context(), client.ListOptions{})
	if err != nil || len(list.Jobs) == 0 {
		t.Fatalf("jobs of %s: %+v, %v", org, list, err)
	}
	j, err := e.client(org).Job(t.Context(), list.Jobs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return *j
}

// Signature types as Posten decides them: per signer in the schema, per
// job in segl. The specification's own example mixes an advanced signer
// with authenticated ones, which makes an advanced job (no signer gives
// less than asked); a job whose signers state none is authenticated for an
// organisation that may use that (Posten's public senders), advanced for
// one onboarded for advanced signatures only (Posten's private senders,
// whose clients never state it).
func TestPostenSignatureTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, dotnetStyle)
	mixed := strings.Replace(portalManifestXML(orgA, "Blandet"),
		"<notifications><email address=\"ola@example.test\"/>",
		"<signature-type>ADVANCED_ELECTRONIC_SIGNATURE</signature-type><notifications><email address=\"ola@example.test\"/>", 1)
	mixed = strings.Replace(mixed, "<notifications><email address=\"kari@example.test\"/>",
		"<signature-type>AUTHENTICATED_ELECTRONIC_SIGNATURE</signature-type><notifications><email address=\"kari@example.test\"/>", 1)
	p.create("portal", portalJobXML(""), p.bundle(mixed, postenDocs())).want(t, http.StatusOK)
	if j := e.lastJob(t, orgA); j.SignatureType != string(job.Advanced) {
		t.Fatalf("a job with an advanced signer is %q", j.SignatureType)
	}

	p.create("portal", portalJobXML(""), p.bundle(portalManifestXML(orgA, "Offentlig"), postenDocs())).want(t, http.StatusOK)
	if j := e.lastJob(t, orgA); j.SignatureType != string(job.Authenticated) {
		t.Fatalf("an unstated type for an organisation allowed both is %q", j.SignatureType)
	}

	o, err := e.srv.Store.Org(t.Context(), orgA)
	if err != nil {
		t.Fatal(err)
	}
	o.SignatureTypes = []job.SignatureType{job.Advanced}
	if err := e.srv.Store.PutOrg(t.Context(), testBy, o); err != nil {
		t.Fatal(err)
	}
	p.create("portal", portalJobXML(""), p.bundle(portalManifestXML(orgA, "Privat"), postenDocs())).want(t, http.StatusOK)
	if j := e.lastJob(t, orgA); j.SignatureType != string(job.Advanced) || j.Title != "Privat" {
		t.Fatalf("an unstated type for an organisation allowed advanced only: %q %q", j.Title, j.SignatureType)
	}
}

// A portal signer addressed by contact information is found in the status
// by the addresses as the sender wrote them: both clients compare them as
// strings (Java Signer.isSameAs, .NET ContactInformation.IsSameAs), so a
// number sent as 91234567 comes back as 91234567, though segl reaches it
// as +4791234567.
func TestPostenSignerByContactInformation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, dotnetStyle)
	manifest := `<?xml version="1.0" encoding="UTF-8"?>
<portal-signature-job-manifest xmlns="http://signering.posten.no/schema/v1">
    <signers>
        <signer><identified-by-contact-information/><notifications><email address="Per.Hansen@Example.test"/><sms number="91234567"/></notifications></signer>
        <signer><identified-by-contact-information/><notifications><sms number="+4798765432"/></notifications></signer>
    </signers>
    <sender><organization-number>` + orgA + `</organization-number></sender>
    <title>Kontaktinformasjon</title>
    <documents><document href="0000_arbeidsavtale.pdf" mime="application/pdf"><title>Kontrakt</title></document></documents>
</portal-signature-job-manifest>`
	p.create("portal", portalJobXML(""), p.bundle(manifest, postenDocs())).want(t, http.StatusOK)
	if j := e.lastJob(t, orgA); j.Signers[0].Mobile != "+4791234567" || j.Signers[1].Mobile != "+4798765432" {
		t.Fatalf("segl's own form of the numbers: %+v", j.Signers)
	}
	var st struct {
		Identifiers []struct {
			Email struct {
				Address string `xml:"address,attr"`
			} `xml:"email"`
			SMS struct {
				Number string `xml:"number,attr"`
			} `xml:"sms"`
		} `xml:"signatures>signature>identifier"`
	}
	p.poll("portal", "").want(t, http.StatusOK).decode(t, &st)
	if len(st.Identifiers) != 2 || st.Identifiers[0].Email.Address != "Per.Hansen@Example.test" ||
		st.Identifiers[0].SMS.Number != "91234567" || st.Identifiers[1].SMS.Number != "+4798765432" {
		t.Fatalf("identifiers %+v", st.Identifiers)
	}
}
