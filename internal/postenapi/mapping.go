package postenapi

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
)

// The mapping of Posten's job messages onto segl's one job model. Every
// element and attribute is listed, with what becomes of it, in
// docs/posten-api.md; keep the two together.

// manifestDocument is a document the manifest names, to be found in the
// bundle by its href.
type manifestDocument struct {
	Href, Mime, Title string
}

// checker collects what breaks the schema's facets (lengths, patterns,
// enumerations) so the sender hears every problem at once.
type checker struct{ list []*errs.Error }

func (c *checker) fail(format string, args ...any) {
	c.list = append(c.list, schemaError(format, args...))
}

func (c *checker) text(name, s string, minLen, maxLen int) {
	if n := utf8.RuneCountInString(s); n < minLen || n > maxLen {
		c.fail("%s must be %d to %d characters", name, minLen, maxLen)
	}
}

// maxPollingQueue bounds a queue's name, which the schema leaves
// unbounded (xs:string) and segl keeps with every job of the queue: a name
// is an application's or a division's, never a document.
const maxPollingQueue = 200

func (c *checker) optText(name string, s *string, maxLen int) string {
	if s == nil {
		return ""
	}
	c.text(name, *s, 0, maxLen)
	return *s
}

func (c *checker) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return errs.Join(c.list)
}

// directRequest maps a direct job: the request part and the manifest.
func directRequest(req *directJobRequest, m *directManifest, org string) (*job.Request, []manifestDocument, error) {
	var c checker
	// Combine: the clients download one PAdES per job, so a job of
	// several documents is signed as one combined document.
	out := &job.Request{Flow: job.Direct, Combine: true, Reference: c.optText("reference", req.Reference, 50)}
	if req.ExitURLs == nil {
		c.fail("exit-urls is required")
	} else {
		for name, u := range map[string]string{"completion-url": req.ExitURLs.Completion,
			"rejection-url": req.ExitURLs.Rejection, "error-url": req.ExitURLs.Error} {
			c.text(name, u, 1, 500)
		}
		out.ExitURLs = job.ExitURLs{Completion: req.ExitURLs.Completion, Rejection: req.ExitURLs.Rejection,
			Error: req.ExitURLs.Error}
	}
	method := "WAIT_FOR_CALLBACK"
	if req.StatusRetrievalMethod != nil {
		method = *req.StatusRetrievalMethod
	}
	switch method {
	case "WAIT_FOR_CALLBACK":
		// The sender reads the status with the token its exit URL receives;
		// polling-queue then has no use (direct.xsd).
	case "POLLING":
		out.Polling = &job.Polling{Queue: c.optText("polling-queue", req.PollingQueue, maxPollingQueue)}
	default:
		c.fail("status-retrieval-method must be WAIT_FOR_CALLBACK or POLLING")
	}

	if len(m.Signers) < 1 || len(m.Signers) > 10 {
		c.fail("a direct job has 1 to 10 signers")
	}
	types := map[job.SignatureType]bool{}
	for i, s := range m.Signers {
		switch {
		case (s.PID == nil) == (s.SignerIdentifier == nil):
			c.fail("signer %d needs either personal-identification-number or signer-identifier", i+1)
		case s.SignerIdentifier != nil:
			// The sender's own name for the signer: the sender's site sends
			// that person to the redirect URL, and whoever logs in signs.
			c.text("signer-identifier", *s.SignerIdentifier, 1, 80)
			out.Signers = append(out.Signers, job.SignerRequest{Ref: *s.SignerIdentifier})
		default:
			pid(&c, *s.PID)
			out.Signers = append(out.Signers, job.SignerRequest{PID: *s.PID})
		}
		types[signatureType(&c, s.SignatureType)] = true
		onBehalfOf(&c, s.OnBehalfOf)
	}
	out.SignatureType = oneType(types)
	checkSender(&c, m.Sender, org)
	docs := documentsOf(&c, m.Title, m.Description, m.Documents, m.Document, out)
	out.LevelOfAssurance = assurance(&c, m.RequiredAuthentication)
	out.Identifier = identifier(&c, m.IdentifierInSignedDocuments)
	return out, docs, c.err()
}

// portalRequest maps a portal job. Portal jobs are always followed by
// polling (portal.xsd has no other status method). available is how long
// a job without available-seconds is available: segl's default lifetime
// (job.Limits.DefaultExpiry).
func portalRequest(req *portalJobRequest, m *portalManifest, org string, now time.Time, available time.Duration) (*job.Request, []manifestDocument, error) {
	var c checker
	out := &job.Request{Flow: job.Portal, Combine: true, Reference: c.optText("reference", req.Reference, 50)}
	out.Polling = &job.Polling{Queue: c.optText("polling-queue", req.PollingQueue, maxPollingQueue)}

	var signers []portalSigner
	if m.Signers != nil {
		signers = m.Signers.Signer
	}
	if len(signers) < 1 || len(signers) > 10 {
		c.fail("a portal job has 1 to 10 signers")
	}
	types := map[job.SignatureType]bool{}
	for i, s := range signers {
		var sr job.SignerRequest
		switch {
		case (s.PID == nil) == (s.ByContactInformation == nil):
			c.fail("signer %d needs either personal-identification-number or identified-by-contact-information", i+1)
		case s.PID != nil:
			pid(&c, *s.PID)
			sr.PID = *s.PID
		}
		switch {
		case (s.Notifications == nil) == (s.NotificationsUsingLookup == nil):
			c.fail("signer %d needs either notifications or notifications-using-lookup", i+1)
		case s.Notifications != nil:
			n := s.Notifications
			if n.Email == nil && n.SMS == nil {
				c.fail("signer %d: notifications needs email or sms", i+1)
			}
			if n.Email != nil {
				sr.Email = n.Email.Address
			}
			if n.SMS != nil {
				sr.Mobile = mobile(n.SMS.Number)
				if s.PID == nil && sr.Mobile != n.SMS.Number {
					// Both clients find a signer's signature in a status
					// by the number exactly as they sent it (Java
					// Signer.isSameAs, .NET ContactInformation.IsSameAs),
					// so it is kept to be given back (smsAsSent).
					sr.Ref = n.SMS.Number
				}
			}
		case s.PID == nil:
			c.fail("signer %d: notifications-using-lookup needs a personal-identification-number", i+1)
		default:
			// The contact register (KRR) is asked when the signer's turn
			// comes, as segl does for every signer addressed by identity
			// number alone.
			if s.NotificationsUsingLookup.Email == nil {
				c.fail("signer %d: notifications-using-lookup needs email", i+1)
			}
		}
		if s.Order != nil {
			if *s.Order < 0 || *s.Order > 9 {
				c.fail("signer %d: order must be 0 to 9", i+1)
			}
			sr.Order = *s.Order
		}
		types[signatureType(&c, s.SignatureType)] = true
		onBehalfOf(&c, s.OnBehalfOf)
		out.Signers = append(out.Signers, sr)
	}
	out.SignatureType = oneType(types)
	checkSender(&c, m.Sender, org)
	docs := documentsOf(&c, m.Title, m.Description, m.Documents, m.Document, out)
	nonsensitive := m.NonsensitiveTitle
	if m.Document != nil {
		nonsensitive = m.Document.NonsensitiveTitle
	}
	if nonsensitive != nil {
		// Posten shows the title in the portal and the non-sensitive title
		// in notifications. segl's notices carry the job's title, so the
		// title that may hold personal data stays out of them.
		c.text("nonsensitive-title", *nonsensitive, 1, 80)
		out.Title = *nonsensitive
	}
	out.LevelOfAssurance = assurance(&c, m.RequiredAuthentication)
	out.Identifier = identifier(&c, m.IdentifierInSignedDocuments)
	if a := m.Availability; a != nil {
		start := now
		if a.ActivationTime != nil && a.ActivationTime.After(now) {
			t := a.ActivationTime.UTC()
			out.ActivatesAt, start = &t, t
		}
		if a.AvailableSeconds != nil {
			if *a.AvailableSeconds < 0 {
				c.fail("available-seconds must not be negative")
			}
			// Posten refuses more than 90 days; segl's own limit on the
			// expiry (job.Limits.MaxExpiry) then applies.
			available = time.Duration(*a.AvailableSeconds) * time.Second
		}
		// Availability counts from activation, the default's too (Posten:
		// 30 days from when the job becomes available); segl's own default
		// counts from creation, which would shorten a later job's time or
		// end it before it began.
		end := start.Add(available)
		out.ExpiresAt = &end
	}
	return out, docs, c.err()
}

func pid(c *checker, s string) {
	if len(s) != 11 || strings.Trim(s, "0123456789") != "" {
		c.fail("personal-identification-number must be 11 digits")
	}
}

// mobile turns the number of an sms element (a plain string in the schema;
// in practice 8-digit Norwegian numbers or international ones) into E.164.
func mobile(n string) string {
	n = strings.ReplaceAll(n, " ", "")
	switch {
	case strings.HasPrefix(n, "+"):
		return n
	case len(n) == 8: // a Norwegian number without its country code
		return "+47" + n
	case strings.HasPrefix(n, "00"):
		return "+" + n[2:]
	}
	return n
}

// signatureType maps a signer's signature-type; "" when the signer has
// none, which the job's type then decides (oneType, defaultSignatureType).
func signatureType(c *checker, s *string) job.SignatureType {
	if s == nil {
		return ""
	}
	switch *s {
	case "AUTHENTICATED_ELECTRONIC_SIGNATURE":
		return job.Authenticated
	case "ADVANCED_ELECTRONIC_SIGNATURE":
		return job.Advanced
	}
	c.fail("signature-type %q is not one of the schema's", *s)
	return ""
}

// oneType is the job's signature type for its signers' types: the schema
// sets one per signer, segl one per job. A job with an advanced signer is
// advanced for all, so every signer gives at least the signature the
// sender asked of them (an advanced signature is made after the same eID
// login an authenticated one rests on, with the signer's own key); the
// specification's own example
// (portal/manifest-specify-signtype-and-auth.xml) mixes the two. A job
// whose signers state none has "", the organisation's default
// (defaultSignatureType).
func oneType(types map[job.SignatureType]bool) job.SignatureType {
	switch {
	case types[job.Advanced]:
		return job.Advanced
	case types[job.Authenticated]:
		return job.Authenticated
	}
	return ""
}

// onBehalfOf checks the value only: SELF and OTHER change which mailbox a
// copy would be forwarded to, which segl does not do for API jobs.
func onBehalfOf(c *checker, s *string) {
	if s != nil && *s != "SELF" && *s != "OTHER" {
		c.fail("on-behalf-of must be SELF or OTHER")
	}
}

func checkSender(c *checker, s *sender, org string) {
	switch {
	case s == nil:
		c.fail("sender is required")
	case s.OrganizationNumber != org:
		// The clients put the URL's organisation in the manifest; a
		// different one would sign for someone the URL did not name.
		c.list = append(c.list, errs.E(errs.Invalid, codeSenderMismatch,
			"the manifest's sender/organization-number %q is not the organisation %s of the URL", s.OrganizationNumber, org))
	}
}

// documentsOf maps the title, description and documents (or the legacy
// single document) and returns the documents to find in the bundle.
func documentsOf(c *checker, title, description *string, docs *documents, legacy *legacyDocument, out *job.Request) []manifestDocument {
	var list []manifestDocument
	switch {
	case (docs == nil) == (legacy == nil):
		c.fail("the manifest needs either documents or document")
	case legacy != nil:
		if title != nil || description != nil {
			c.fail("title and description belong inside the legacy document")
		}
		c.text("title", legacy.Title, 1, 80)
		out.Title = legacy.Title
		c.optText("description", legacy.Description, 220)
		list = append(list, manifestDocument{Href: legacy.Href, Mime: legacy.Mime, Title: legacy.Title})
	default:
		if title == nil {
			c.fail("title is required")
		} else {
			c.text("title", *title, 1, 80)
			out.Title = *title
		}
		c.optText("description", description, 220)
		if len(docs.Document) < 1 || len(docs.Document) > 20 {
			c.fail("a job has 1 to 20 documents")
		}
		for _, d := range docs.Document {
			c.text("document title", d.Title, 1, 80)
			list = append(list, manifestDocument(d))
		}
	}
	seen := map[string]bool{}
	for i, d := range list {
		c.text(fmt.Sprintf("document %d href", i+1), d.Href, 4, 100)
		c.text(fmt.Sprintf("document %d mime", i+1), d.Mime, 1, 100)
		if seen[d.Href] {
			c.fail("document %q is named twice", d.Href)
		}
		seen[d.Href] = true
		out.Documents = append(out.Documents, job.DocumentRequest{Title: d.Title, File: d.Href, FileName: baseName(d.Href)})
	}
	// The description is checked but not kept: Posten shows it to the
	// signer only, and it may hold personal data, while segl sends a job's
	// description in its notices (job.Job.Description).
	return list
}

func baseName(href string) string {
	if i := strings.LastIndexByte(href, '/'); i >= 0 {
		return href[i+1:]
	}
	return href
}

// assurance maps required-authentication: 3 is eIDAS substantial, 4 high.
// Posten's default is 4.
func assurance(c *checker, s *string) job.Assurance {
	if s == nil {
		return job.High
	}
	switch *s {
	case "3":
		return job.Substantial
	case "4":
		return job.High
	}
	c.fail("required-authentication must be 3 or 4")
	return ""
}

// identifier maps identifier-in-signed-documents. Absent, it is Posten's
// documented default, PERSONAL_IDENTIFICATION_NUMBER_AND_NAME, not segl's
// own API's (which shows the birth date): a job moved from Posten must
// come out as it did there.
func identifier(c *checker, s *string) job.Identifier {
	if s == nil {
		return job.ShowPID
	}
	switch *s {
	case "PERSONAL_IDENTIFICATION_NUMBER_AND_NAME":
		return job.ShowPID
	case "DATE_OF_BIRTH_AND_NAME":
		return job.ShowBirthDateAndName
	case "NAME":
		return job.ShowName
	}
	c.fail("identifier-in-signed-documents %q is not one of the schema's", *s)
	return ""
}
