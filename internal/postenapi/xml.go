package postenapi

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/segl/segl/internal/clock"
)

// ns is the target namespace of every message of the API (common.xsd).
const ns = "http://signering.posten.no/schema/v1"

// The request messages, as direct.xsd and portal.xsd define them. An
// element or attribute without a field here is refused (decode).

type directJobRequest struct {
	XMLName               xml.Name  `xml:"http://signering.posten.no/schema/v1 direct-signature-job-request"`
	Reference             *string   `xml:"http://signering.posten.no/schema/v1 reference"`
	ExitURLs              *exitURLs `xml:"http://signering.posten.no/schema/v1 exit-urls"`
	StatusRetrievalMethod *string   `xml:"http://signering.posten.no/schema/v1 status-retrieval-method"`
	PollingQueue          *string   `xml:"http://signering.posten.no/schema/v1 polling-queue"`
}

type exitURLs struct {
	Completion string `xml:"http://signering.posten.no/schema/v1 completion-url"`
	Rejection  string `xml:"http://signering.posten.no/schema/v1 rejection-url"`
	Error      string `xml:"http://signering.posten.no/schema/v1 error-url"`
}

type portalJobRequest struct {
	XMLName      xml.Name `xml:"http://signering.posten.no/schema/v1 portal-signature-job-request"`
	Reference    *string  `xml:"http://signering.posten.no/schema/v1 reference"`
	PollingQueue *string  `xml:"http://signering.posten.no/schema/v1 polling-queue"`
}

type sender struct {
	OrganizationNumber string `xml:"http://signering.posten.no/schema/v1 organization-number"`
}

type document struct {
	Href  string `xml:"href,attr"`
	Mime  string `xml:"mime,attr"`
	Title string `xml:"http://signering.posten.no/schema/v1 title"`
}

// legacyDocument is the deprecated single document of both manifests
// (direct-legacy.xsd, portal-legacy.xsd): still accepted, since older
// clients send it.
type legacyDocument struct {
	Href              string  `xml:"href,attr"`
	Mime              string  `xml:"mime,attr"`
	Title             string  `xml:"http://signering.posten.no/schema/v1 title"`
	NonsensitiveTitle *string `xml:"http://signering.posten.no/schema/v1 nonsensitive-title"`
	Description       *string `xml:"http://signering.posten.no/schema/v1 description"`
}

type documents struct {
	Document []document `xml:"http://signering.posten.no/schema/v1 document"`
}

type directSigner struct {
	PID              *string `xml:"http://signering.posten.no/schema/v1 personal-identification-number"`
	SignerIdentifier *string `xml:"http://signering.posten.no/schema/v1 signer-identifier"`
	SignatureType    *string `xml:"http://signering.posten.no/schema/v1 signature-type"`
	OnBehalfOf       *string `xml:"http://signering.posten.no/schema/v1 on-behalf-of"`
}

type directManifest struct {
	XMLName                     xml.Name        `xml:"http://signering.posten.no/schema/v1 direct-signature-job-manifest"`
	Signers                     []directSigner  `xml:"http://signering.posten.no/schema/v1 signer"`
	Sender                      *sender         `xml:"http://signering.posten.no/schema/v1 sender"`
	Title                       *string         `xml:"http://signering.posten.no/schema/v1 title"`
	Description                 *string         `xml:"http://signering.posten.no/schema/v1 description"`
	Documents                   *documents      `xml:"http://signering.posten.no/schema/v1 documents"`
	Document                    *legacyDocument `xml:"http://signering.posten.no/schema/v1 document"`
	RequiredAuthentication      *string         `xml:"http://signering.posten.no/schema/v1 required-authentication"`
	IdentifierInSignedDocuments *string         `xml:"http://signering.posten.no/schema/v1 identifier-in-signed-documents"`
}

type contact struct {
	Address string `xml:"address,attr"`
	Number  string `xml:"number,attr"`
}

type notifications struct {
	Email *contact `xml:"http://signering.posten.no/schema/v1 email"`
	SMS   *contact `xml:"http://signering.posten.no/schema/v1 sms"`
}

type portalSigner struct {
	Order                    *int           `xml:"order,attr"`
	PID                      *string        `xml:"http://signering.posten.no/schema/v1 personal-identification-number"`
	ByContactInformation     *struct{}      `xml:"http://signering.posten.no/schema/v1 identified-by-contact-information"`
	SignatureType            *string        `xml:"http://signering.posten.no/schema/v1 signature-type"`
	NotificationsUsingLookup *notifications `xml:"http://signering.posten.no/schema/v1 notifications-using-lookup"`
	Notifications            *notifications `xml:"http://signering.posten.no/schema/v1 notifications"`
	OnBehalfOf               *string        `xml:"http://signering.posten.no/schema/v1 on-behalf-of"`
}

type portalSigners struct {
	Signer []portalSigner `xml:"http://signering.posten.no/schema/v1 signer"`
}

type availability struct {
	ActivationTime   *dateTime `xml:"http://signering.posten.no/schema/v1 activation-time"`
	AvailableSeconds *int64    `xml:"http://signering.posten.no/schema/v1 available-seconds"`
}

// dateTime is an xs:dateTime as the clients write it. Its time zone is
// optional in the schema, and .NET's XmlSerializer leaves it out for a
// DateTime of unspecified kind (new DateTime(2026, 12, 10, 8, 0, 0)), which
// time.Time's own RFC 3339 parsing refuses. Without a zone it is Norwegian
// time, the service's own, as Posten's Java server reads it.
type dateTime struct{ time.Time }

func (d *dateTime) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		// Fractional seconds are read after the seconds field whether or
		// not the layout names them.
		var local error
		if t, local = time.ParseInLocation("2006-01-02T15:04:05", s, clock.Norway); local != nil {
			return err
		}
	}
	d.Time = t
	return nil
}

type portalManifest struct {
	XMLName                     xml.Name        `xml:"http://signering.posten.no/schema/v1 portal-signature-job-manifest"`
	Signers                     *portalSigners  `xml:"http://signering.posten.no/schema/v1 signers"`
	Sender                      *sender         `xml:"http://signering.posten.no/schema/v1 sender"`
	Title                       *string         `xml:"http://signering.posten.no/schema/v1 title"`
	NonsensitiveTitle           *string         `xml:"http://signering.posten.no/schema/v1 nonsensitive-title"`
	Description                 *string         `xml:"http://signering.posten.no/schema/v1 description"`
	Documents                   *documents      `xml:"http://signering.posten.no/schema/v1 documents"`
	Document                    *legacyDocument `xml:"http://signering.posten.no/schema/v1 document"`
	RequiredAuthentication      *string         `xml:"http://signering.posten.no/schema/v1 required-authentication"`
	Availability                *availability   `xml:"http://signering.posten.no/schema/v1 availability"`
	IdentifierInSignedDocuments *string         `xml:"http://signering.posten.no/schema/v1 identifier-in-signed-documents"`
}

type signerUpdateRequest struct {
	XMLName     xml.Name  `xml:"http://signering.posten.no/schema/v1 direct-signer-update-request"`
	RedirectURL *struct{} `xml:"http://signering.posten.no/schema/v1 redirect-url"`
}

// The response messages. Field order is the schema's sequence order, which
// encoding/xml keeps.

type signerURL struct {
	Signer string `xml:"signer,attr,omitempty"`
	URL    string `xml:",chardata"`
}

type directJobResponse struct {
	XMLName     xml.Name         `xml:"http://signering.posten.no/schema/v1 direct-signature-job-response"`
	Reference   string           `xml:"reference,omitempty"`
	ID          int64            `xml:"signature-job-id"`
	RedirectURL []signerURL      `xml:"redirect-url"`
	StatusURL   string           `xml:"status-url,omitempty"`
	Signers     []directSignerTo `xml:"signer"`
}

// directSignerTo is the direct-signer-response type, both inside the job
// response and as the answer to a signer update request.
type directSignerTo struct {
	Href             string `xml:"href,attr"`
	SignerIdentifier string `xml:"signer-identifier,omitempty"`
	PID              string `xml:"personal-identification-number,omitempty"`
	RedirectURL      string `xml:"redirect-url"`
}

// directSignerResponse answers a signer update request.
type directSignerResponse struct {
	XMLName xml.Name `xml:"http://signering.posten.no/schema/v1 direct-signer-response"`
	directSignerTo
}

type signerStatus struct {
	Signer string `xml:"signer,attr,omitempty"`
	Since  string `xml:"since,attr"`
	Value  string `xml:",chardata"`
}

type directStatusResponse struct {
	XMLName            xml.Name       `xml:"http://signering.posten.no/schema/v1 direct-signature-job-status-response"`
	Reference          string         `xml:"reference,omitempty"`
	ID                 int64          `xml:"signature-job-id"`
	Status             string         `xml:"signature-job-status"`
	Signers            []signerStatus `xml:"status"`
	ConfirmationURL    string         `xml:"confirmation-url,omitempty"`
	DeleteDocumentsURL string         `xml:"delete-documents-url,omitempty"`
	XAdESURLs          []signerURL    `xml:"xades-url"`
	PAdESURL           string         `xml:"pades-url,omitempty"`
}

type portalJobResponse struct {
	XMLName         xml.Name `xml:"http://signering.posten.no/schema/v1 portal-signature-job-response"`
	Reference       string   `xml:"reference,omitempty"`
	ID              int64    `xml:"signature-job-id"`
	CancellationURL string   `xml:"cancellation-url"`
}

type portalStatusResponse struct {
	XMLName            xml.Name   `xml:"http://signering.posten.no/schema/v1 portal-signature-job-status-change-response"`
	Reference          string     `xml:"reference,omitempty"`
	ID                 int64      `xml:"signature-job-id"`
	Status             string     `xml:"status"`
	ConfirmationURL    string     `xml:"confirmation-url"`
	CancellationURL    string     `xml:"cancellation-url,omitempty"`
	DeleteDocumentsURL string     `xml:"delete-documents-url,omitempty"`
	Signatures         signatures `xml:"signatures"`
}

type signatures struct {
	Signature []portalSignature `xml:"signature"`
	PAdESURL  string            `xml:"pades-url,omitempty"`
}

type portalSignature struct {
	Status     signerStatus      `xml:"status"`
	PID        string            `xml:"personal-identification-number,omitempty"`
	Identifier *notificationsOut `xml:"identifier,omitempty"`
	XAdESURL   string            `xml:"xades-url,omitempty"`
}

type notificationsOut struct {
	Email *emailOut `xml:"email,omitempty"`
	SMS   *smsOut   `xml:"sms,omitempty"`
}

type emailOut struct {
	Address string `xml:"address,attr"`
}

type smsOut struct {
	Number string `xml:"number,attr"`
}

// errorResponse is common.xsd's error.
type errorResponse struct {
	XMLName xml.Name `xml:"http://signering.posten.no/schema/v1 error"`
	Code    string   `xml:"error-code"`
	Message string   `xml:"error-message"`
	Type    string   `xml:"error-type"`
}
