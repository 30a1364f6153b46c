// Package postenapi serves Posten's signature API (the "signature-api"
// of Posten signering) with its definitions unchanged, so that an
// integration built on Posten's Java or .NET client library moves to segl
// by changing its root URL and the server certificate it trusts (MISSION
// I2). It lives under /api/ beside segl's own /api/v1, on the same mutual
// TLS listener, and maps every message onto segl's one job model: a job
// created here is the same job as one created through /api/v1, with the
// same ceremony, notices, retention and metering.
//
// What the clients send and expect, and the traps in it (parts found by
// content type, a bare ?polling_queue, .NET's empty redirect URL request),
// are described in ../shared/reference/posten-api.md; how each element of
// the schemas is used is in docs/posten-api.md.
package postenapi

import (
	"bytes"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/segl/segl/internal/asice"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/httpapi"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/xades"
)

// API serves Posten's signature API.
type API struct {
	Svc     *ceremony.Service
	BaseURL string // public base URL: signers' redirect URLs, and hypermedia links unless APIURL is set
	Log     *slog.Logger
	// APIURL is the API's own host when it has one (config.APIURL): the
	// hypermedia links, and what a call without a certificate is told to
	// use. Empty: BaseURL.
	APIURL string
	// EmptyQueueWait is how long a sender must wait to poll a queue again
	// after finding it empty (Posten: 10 minutes in production, seconds in
	// test). Zero means 10 minutes.
	EmptyQueueWait time.Duration
	// RatePerSecond is how many calls an organisation may make per second
	// before it is blocked for 30 seconds (Posten's DoS filter: 10). Zero
	// means 10.
	RatePerSecond int
	// Polls keeps the polling queues' next permitted poll times and the
	// leases of delivered jobs, shared by every node. Required.
	Polls store.Polls
	// ClientRoots are the trust anchors of enterprise certificates (the
	// listener's client CAs): a broker's bundle may be signed by the
	// sender's own certificate, verified against them.
	ClientRoots *x509.CertPool

	// Others answers the paths under /api/ that are not this API's (whose
	// first segment is not an organisation number): /api/v1's catch-all,
	// so that its unknown paths keep its problem+json. Nil: NOT_FOUND.
	Others http.Handler

	limit rateLimit
}

// Routes registers the API on mux. The paths are the ones the clients
// build (F1–F6 of the reference) and the hypermedia links segl hands out.
// Every other path and method under /api/{org} is answered with an
// <error> (noRoute), as the clients read one for every non-2xx answer.
func (a *API) Routes(mux *http.ServeMux) {
	own := http.NewServeMux() // this API's routes alone, to find a path's methods
	for pattern, h := range a.routes() {
		mux.Handle(pattern, a.authed(h))
		own.Handle(pattern, http.NotFoundHandler())
	}
	// Less specific than every route above and every /api/v1 route, more
	// than /api/v1's own catch-all "/api/".
	for _, pattern := range noRoutePatterns {
		mux.Handle(pattern, a.noRoute(own))
	}
}

// noRoutePatterns are the catch-alls under /api/{org} (noRoute).
var noRoutePatterns = []string{"/api/{org}", "/api/{org}/"}

// Patterns lists every pattern Routes registers, so that a test can reach
// every route (internal/server's tenancy matrix): a route added without a
// case there fails it.
func (a *API) Patterns() []string {
	var out []string
	for pattern := range a.routes() {
		out = append(out, pattern)
	}
	slices.Sort(out)
	return append(out, noRoutePatterns...)
}

// noRoute answers a request under /api/{org} that no route takes: 405
// METHOD_NOT_ALLOWED with Allow if the path is a route's with another
// method (RFC 9110 §15.5.6), else 404 NOT_FOUND. Without it the mux would
// hand these to /api/v1's catch-all, whose problem+json Posten's clients
// do not read. A path whose first segment is not an organisation number
// (/api/v1/…) goes to a.Others. The rest of a refused body is drained as
// for any other refusal.
func (a *API) noRoute(own *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		org := isOrgNumber(r.PathValue("org"))
		if !org && a.Others != nil {
			a.Others.ServeHTTP(w, r)
			return
		}
		err := errs.E(errs.NotFound, codeNotFound, "no endpoint %s %s", r.Method, r.URL.Path)
		if allow := httpapi.AllowedMethods(own, r); org && len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			err = errs.E(errs.Invalid, codeMethodNotAllowed, "%s takes %s, not %s", r.URL.Path, strings.Join(allow, ", "), r.Method)
		}
		a.writeError(w, r, err)
		a.drain(w, r)
	})
}

// routes maps each pattern to its handler. The flow is a literal in every
// pattern rather than a wildcard, so no pattern overlaps /api/v1's.
func (a *API) routes() map[string]handler {
	rt := map[string]handler{
		"GET /api/{org}":                                               a.whoAmI,
		"POST /api/{org}/direct/signature-jobs":                        a.createDirect,
		"POST /api/{org}/portal/signature-jobs":                        a.createPortal,
		"GET /api/{org}/direct/signature-jobs":                         a.pollDirect,
		"GET /api/{org}/portal/signature-jobs":                         a.pollPortal,
		"GET /api/{org}/direct/signature-jobs/{job}/status":            a.directStatus,
		"POST /api/{org}/direct/signature-jobs/{job}/signers/{signer}": a.newRedirectURL,
		"POST /api/{org}/portal/signature-jobs/{job}/cancel":           a.cancel,
		"GET /api/{org}/archive/documents/{job}/pades":                 a.archivePades,
	}
	for _, flow := range []job.Flow{job.Direct, job.Portal} {
		base := "/api/{org}/" + string(flow) + "/signature-jobs/{job}"
		rt["POST "+base+"/complete"] = a.forFlow(flow, a.confirm)
		rt["GET "+base+"/xades/{signer}"] = a.forFlow(flow, a.xades)
		rt["GET "+base+"/pades"] = a.forFlow(flow, a.pades)
		rt["DELETE "+base+"/documents"] = a.forFlow(flow, a.deleteDocuments)
	}
	return rt
}

// flowHandler is a handler for one of the flows' paths.
type flowHandler func(w http.ResponseWriter, r *http.Request, c ceremony.Caller, flow job.Flow) error

func (a *API) forFlow(flow job.Flow, h flowHandler) handler {
	return func(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error { return h(w, r, c, flow) }
}

type handler func(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error

// authed finds the caller from the verified client certificate, applies
// the rate limit, and acts for the URL's organisation: the caller's own,
// or one that made the caller's organisation its broker
// (ceremony.ActFor), else BROKER_NOT_AUTHORIZED.
func (a *API) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := r.Body // create bounds r.Body; drain reads past that bound
		err := a.serve(w, r, h)
		if err != nil {
			a.writeError(w, r, err)
		}
		r.Body = body
		a.drain(w, r)
	})
}

// drain reads what is left of an HTTP/1.1 request body after the answer,
// up to the largest body the API takes. Java's client (Apache HttpClient
// classic) writes its whole request before it reads the answer, so a job
// refused before its bundle was read (BROKER_NOT_AUTHORIZED, a request
// XML that breaks the schema) would otherwise meet a server that has
// answered and closed the connection: the client's write is reset and it
// reports an I/O error, never the <error>. The answer is flushed first,
// for the clients that read while they write. A client that asked
// Expect: 100-continue sends no body unasked, so there is none to read;
// nor is a body read for a client without a verified certificate, which
// is no sender. HTTP/2 streams are drained by the server's edge.
//
// A body refused as too large (413) has had the largest body read already;
// up to as much again is read after it, so a job at most twice the limit
// also gets its <error>. A body that says it is longer is not read at all:
// the client is reset either way, and reading it would only spend the
// line. The cost is bounded as any accepted job's: an authenticated
// sender, within the rate limit and the edge's body rate and duration
// bounds, reading into no memory.
func (a *API) drain(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 1 || r.Body == nil || r.Body == http.NoBody || r.Header.Get("Expect") != "" ||
		r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || r.ContentLength > 2*a.maxBody() {
		return
	}
	http.NewResponseController(w).Flush()
	io.CopyN(io.Discard, r.Body, a.maxBody())
}

// maxBody is the largest request body the API takes: a job's documents
// at their limits and the XML around them.
func (a *API) maxBody() int64 {
	lim := a.Svc.Limits
	return int64(lim.MaxDocuments)*lim.MaxDocumentBytes + 2*maxXML
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, h handler) error {
	if !isOrgNumber(r.PathValue("org")) {
		// Not an organisation number: a path of neither API (/api/v2, …).
		return errs.E(errs.NotFound, codeNotFound, "no endpoint %s %s", r.Method, r.URL.Path)
	}
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return errs.E(errs.Unauthenticated, codeNotAuthorized, "%s", ceremony.NoClientCert(a.APIURL))
	}
	c, err := a.Svc.ClientCertCaller(r.Context(), r.TLS.VerifiedChains[0])
	if err != nil {
		if errs.Is(err, errs.Forbidden) {
			return errs.Wrap(err, errs.Forbidden, codeNotAuthorized, "%s", errs.From(err).Message)
		}
		return err
	}
	if blocked := a.limit.allow(c.Org, a.Svc.Clock.Now(), a.rate()); blocked {
		w.Header().Set("DoSFilter", "blocked")
		w.WriteHeader(http.StatusTooManyRequests)
		return nil
	}
	sender, err := a.Svc.ActFor(r.Context(), c, r.PathValue("org"))
	if err != nil {
		return err
	}
	return h(w, r, sender)
}

func (a *API) rate() int {
	if a.RatePerSecond == 0 {
		return 10
	}
	return a.RatePerSecond
}

// whoAmI answers the clients' connection check (F6): "You are <org>", or
// for a broker "You are <broker>, operating on behalf of <org>".
func (a *API) whoAmI(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if c.Broker != "" {
		fmt.Fprintf(w, "You are %s, operating on behalf of %s", c.Broker, c.Org)
		return nil
	}
	fmt.Fprintf(w, "You are %s", c.Org)
	return nil
}

func (a *API) createDirect(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	var req directJobRequest
	var m directManifest
	j, err := a.create(r, c, &req, &m, func() (*job.Request, []manifestDocument, error) {
		return directRequest(&req, &m, c.Org)
	})
	if err != nil {
		return err
	}
	writeXML(w, http.StatusOK, a.directJobResponse(j))
	return nil
}

func (a *API) createPortal(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	var req portalJobRequest
	var m portalManifest
	j, err := a.create(r, c, &req, &m, func() (*job.Request, []manifestDocument, error) {
		return portalRequest(&req, &m, c.Org, a.Svc.Clock.Now(), a.Svc.Limits.DefaultExpiry)
	})
	if err != nil {
		return err
	}
	writeXML(w, http.StatusOK, portalJobResponse{Reference: j.Reference, ID: jobNumber(j.ID),
		CancellationURL: a.jobURL(j) + "/cancel"})
	return nil
}

// create reads the multipart/mixed body (F1, F2): the job XML and the
// document bundle, each part found by its content type, as neither client
// names its parts. The bundle is spooled to a temporary file, checked
// (asice.Read) and signed by the certificate of this TLS connection, its
// manifest decoded, and the documents it names stored; then the job is
// created as any other.
func (a *API) create(r *http.Request, c ceremony.Caller, req, manifest any, mapping func() (*job.Request, []manifestDocument, error)) (*job.Job, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/mixed" && mediaType != "multipart/form-data" {
		return nil, errs.E(errs.Invalid, codeInvalidContentType, "send multipart/mixed with the job XML and the document bundle")
	}
	lim := a.Svc.Limits
	r.Body = http.MaxBytesReader(nil, r.Body, a.maxBody())
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errs.Wrap(err, errs.Invalid, codeInvalidMultipart, "the body is not multipart")
	}
	var gotXML bool
	var bundle *os.File
	defer func() {
		if bundle != nil {
			bundle.Close()
			os.Remove(bundle.Name())
		}
	}()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readError(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch {
		case (ct == "application/xml" || ct == "text/xml") && !gotXML:
			if err := decode(part, req); err != nil {
				return nil, err
			}
			gotXML = true
		case (ct == "application/octet-stream" || ct == "application/zip" || ct == "application/vnd.etsi.asic-e+zip") && bundle == nil:
			if bundle, err = os.CreateTemp(a.Svc.TempDir, "posten-bundle-*.zip"); err != nil {
				return nil, err
			}
			if _, err := io.Copy(bundle, part); err != nil {
				return nil, readError(err)
			}
		default:
			return nil, errs.E(errs.Invalid, codeInvalidMultipart,
				"expected one application/xml part and one application/octet-stream part, got another %q", ct)
		}
	}
	if !gotXML || bundle == nil {
		return nil, errs.E(errs.Invalid, codeInvalidMultipart, "the request needs an application/xml part and an application/octet-stream part")
	}
	size, err := bundle.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	b, err := asice.Read(bundle, size, asice.Limits{MaxEntries: lim.MaxDocuments + 4,
		MaxEntrySize: lim.MaxDocumentBytes, MaxXMLSize: maxXML})
	if err != nil {
		return nil, err
	}
	if err := a.checkBundleSigner(r, c, b.Signature); err != nil {
		return nil, err
	}
	if err := decode(bytes.NewReader(b.Manifest), manifest); err != nil {
		return nil, err
	}
	jr, docs, err := mapping()
	if err != nil {
		return nil, err
	}
	if jr.SignatureType == "" {
		if jr.SignatureType, err = a.defaultSignatureType(r, c); err != nil {
			return nil, err
		}
	}
	if len(docs) != len(b.Documents) {
		return nil, errs.E(errs.Invalid, codeManifestMismatch,
			"the manifest names %d documents, the bundle holds %d", len(docs), len(b.Documents))
	}
	var uploads []ceremony.Upload
	defer func() { ceremony.ReleaseUploads(uploads) }()
	for _, d := range docs {
		rc, err := b.Open(d.Href)
		if err != nil {
			return nil, errs.E(errs.Invalid, codeManifestMismatch, "the bundle holds no document %q", d.Href)
		}
		u, err := a.Svc.StageDocument(r.Context(), d.Href, baseName(d.Href), d.Mime, rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		uploads = append(uploads, u)
	}
	return a.Svc.CreateJob(r.Context(), c, jr, uploads, "")
}

// defaultSignatureType is the signature type of a job whose signers state
// none, as Posten decides it: authenticated for public senders, advanced
// for private ones, which may use nothing else (signering-docs
// signaturtype.rst). segl knows the sender by the types onboarding
// allowed it: authenticated if that is one of them, else advanced.
func (a *API) defaultSignatureType(r *http.Request, c ceremony.Caller) (job.SignatureType, error) {
	org, err := a.Svc.Store.Org(r.Context(), c.Org)
	if err != nil {
		return "", err
	}
	if !org.Allows(job.Authenticated) && org.Allows(job.Advanced) {
		return job.Advanced, nil
	}
	return job.Authenticated, nil
}

// checkBundleSigner requires the bundle's signature to be made with the
// enterprise certificate of this connection. A broker's bundle may instead
// be signed with the sender's own enterprise certificate (Posten: the
// bundle "should be signed by the Data Controller, may be signed by the
// Data Processor"): it must then be one the sender could authenticate
// with itself, a chain to the client trust anchors naming the sender and
// meeting its onboarding (ceremony.ClientCertCaller).
func (a *API) checkBundleSigner(r *http.Request, c ceremony.Caller, sig *xades.ASiCSignature) error {
	tlsLeaf := r.TLS.VerifiedChains[0][0]
	if sig.Certificate.Equal(tlsLeaf) {
		return nil
	}
	refused := errs.E(errs.Invalid, asice.CodeSignature,
		"the document bundle must be signed with the enterprise certificate this connection authenticated with, or a broker's with the sender's")
	if c.Broker == "" || a.ClientRoots == nil {
		return refused
	}
	intermediates := x509.NewCertPool()
	for _, cert := range append(slices.Clone(sig.Chain), r.TLS.VerifiedChains[0][1:]...) {
		intermediates.AddCert(cert)
	}
	chains, err := sig.Certificate.Verify(x509.VerifyOptions{Roots: a.ClientRoots, Intermediates: intermediates,
		CurrentTime: a.Svc.Clock.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return refused
	}
	signer, err := a.Svc.ClientCertCaller(r.Context(), chains[0])
	if errs.HasCode(err, ceremony.CodeCertificateRevoked) {
		return errs.Wrap(err, errs.Invalid, asice.CodeSignature, "the document bundle is signed with a revoked certificate")
	}
	if errs.Is(err, errs.Forbidden) || err == nil && signer.Org != c.Org {
		return refused
	}
	return err
}

// readError turns a failure to read the client's body into the client's
// problem.
func readError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errs.E(errs.TooLarge, codeRequestTooLarge, "the request is larger than %d bytes", tooBig.Limit)
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return errs.Wrap(err, errs.Invalid, codeInvalidMultipart, "the body is not valid multipart")
}

func (a *API) directJobResponse(j *job.Job) directJobResponse {
	out := directJobResponse{Reference: j.Reference, ID: jobNumber(j.ID)}
	if j.Polling == nil {
		out.StatusURL = a.jobURL(j) + "/status"
	}
	for _, s := range j.Signers {
		redirect := a.BaseURL + a.Svc.SigningPath(s.ID)
		out.RedirectURL = append(out.RedirectURL, signerURL{Signer: signerName(&s), URL: redirect})
		out.Signers = append(out.Signers, a.signerResponse(j, &s))
	}
	return out
}

func (a *API) signerResponse(j *job.Job, s *job.Signer) directSignerTo {
	return directSignerTo{Href: a.jobURL(j) + "/signers/" + s.ID, PID: s.PID, SignerIdentifier: s.Ref,
		RedirectURL: a.BaseURL + a.Svc.SigningPath(s.ID)}
}

// signerName is how the sender named a direct signer: the clients match
// statuses and XAdES links to signers by it.
func signerName(s *job.Signer) string {
	if s.PID != "" {
		return s.PID
	}
	return s.Ref
}

// directStatus answers status-url with the token a signer brought back to
// the sender's exit URL. The token's HMAC is checked before anything else
// is read: a wrong one is 403 INVALID_STATUS_QUERY_TOKEN, as the clients
// expect.
func (a *API) directStatus(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	token := r.URL.Query().Get("status_query_token")
	j, err := a.Svc.StatusByToken(r.Context(), c, token)
	if errs.HasCode(err, ceremony.CodeStatusTokenInvalid) || err == nil && j.ID != r.PathValue("job") {
		return errs.E(errs.Forbidden, codeInvalidStatusQueryToken, "the status query token is not valid for this job")
	}
	if err != nil {
		return err
	}
	if j.Flow != job.Direct {
		return errs.E(errs.NotFound, codeJobNotFound, "no direct job %s", r.PathValue("job"))
	}
	if j.Status == job.StatusSigned {
		if j, err = a.awaitCompletion(r, c, j); err != nil {
			return err
		}
	}
	writeXML(w, http.StatusOK, a.directStatusResponse(j))
	return nil
}

// completionWait bounds how long a status query waits for a job whose
// last signer has just signed to be completed: well within the clients'
// 10-second response timeouts.
const completionWait = 5 * time.Second

// awaitCompletion waits, up to completionWait, for a signed job to be
// completed (its PAdES B-LTA made in the background, ceremony.Complete),
// and returns it as it then is. A sender reads a direct job's status when
// the last signer comes back to its completion URL, and a Posten
// integration (WAIT_FOR_CALLBACK) reads it then only: answered
// IN_PROGRESS with every signer SIGNED, as segl's "signed" maps, it
// confirms and never downloads the documents that are final a moment
// later. A completion that takes longer (a partner's outage) is answered
// as before.
func (a *API) awaitCompletion(r *http.Request, c ceremony.Caller, j *job.Job) (*job.Job, error) {
	deadline := time.Now().Add(completionWait)
	for pause := 20 * time.Millisecond; j.Status == job.StatusSigned && time.Now().Before(deadline); pause = min(2*pause, 250*time.Millisecond) {
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(pause):
		}
		next, err := a.Svc.Job(r.Context(), c, j.ID)
		if err != nil {
			return nil, err
		}
		j = next
	}
	return j, nil
}

// newRedirectURL answers a signer's href: Java posts a
// direct-signer-update-request, .NET an empty body; both get the signer's
// link. segl's links are not single-use tokens but HMACs of the signer, so
// the "new" URL is the same one, and it stops working once the signer has
// acted.
func (a *API) newRedirectURL(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXML+1))
	if err != nil {
		return readError(err)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		var req signerUpdateRequest
		if err := decode(bytes.NewReader(body), &req); err != nil {
			return err
		}
		if req.RedirectURL == nil {
			return schemaError("direct-signer-update-request needs redirect-url")
		}
	}
	j, err := a.job(r, c, job.Direct)
	if err != nil {
		return err
	}
	s, ok := j.Signer(r.PathValue("signer"))
	if !ok {
		return errs.E(errs.NotFound, codeSignerNotFound, "no signer %s in job %s", r.PathValue("signer"), j.ID)
	}
	writeXML(w, http.StatusOK, directSignerResponse{directSignerTo: a.signerResponse(j, s)})
	return nil
}

// confirm acknowledges the job's changes delivered so far (those of the
// last poll that returned it, or all of them when none did), so they are
// not delivered again.
func (a *API) confirm(w http.ResponseWriter, r *http.Request, c ceremony.Caller, flow job.Flow) error {
	j, err := a.job(r, c, flow)
	if err != nil {
		return err
	}
	through, err := a.Polls.EndDelivery(r.Context(), c.Org, j.ID)
	if err != nil {
		return err
	}
	if _, err := a.Svc.AckJob(r.Context(), c, j.ID, through); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// cancel ends a portal job. A completed job answers 409, which both
// clients turn into "job already completed"; cancelling is answered 200,
// not 204, which .NET clients before 10.0.2 refused.
func (a *API) cancel(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	j, err := a.job(r, c, job.Portal)
	if err != nil {
		return err
	}
	if _, err := a.Svc.Cancel(r.Context(), c, j.ID); err != nil {
		if errs.Is(err, errs.Conflict) {
			return errs.Wrap(err, errs.Conflict, codeJobCompleted, "the job is %s and cannot be cancelled", j.Status)
		}
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteDocuments is the delete-documents-url (Java's
// ClientHelper.deleteDocuments; .NET has none): the sender deletes a
// finished job's documents, evidence and signers' personal data before its
// retention ends, through the same use case as DELETE /api/v1/jobs/{id}.
// A job still running cannot be deleted (409); deleting twice is fine.
func (a *API) deleteDocuments(w http.ResponseWriter, r *http.Request, c ceremony.Caller, flow job.Flow) error {
	j, err := a.job(r, c, flow)
	if err != nil {
		return err
	}
	if j.DeletedAt.IsZero() {
		if _, err := a.Svc.DeleteJob(r.Context(), c, j.ID); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) xades(w http.ResponseWriter, r *http.Request, c ceremony.Caller, flow job.Flow) error {
	j, err := a.job(r, c, flow)
	if err != nil {
		return err
	}
	o, err := a.Svc.Evidence(r.Context(), c, j.ID, r.PathValue("signer"))
	if err != nil {
		return err
	}
	defer o.Close()
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(o.Size()))
	_, err = io.Copy(w, io.NewSectionReader(o, 0, o.Size()))
	if err != nil {
		a.log().Warn("posten api: xades download broke off", "err", err)
	}
	return nil
}

// pades serves the job's one signed PDF (padesDocument): segl's PAdES
// B-LTA once the job is completed, the signatures made so far before.
func (a *API) pades(w http.ResponseWriter, r *http.Request, c ceremony.Caller, flow job.Flow) error {
	j, err := a.job(r, c, flow)
	if err != nil {
		return err
	}
	return a.servePades(w, r, c, j)
}

func (a *API) servePades(w http.ResponseWriter, r *http.Request, c ceremony.Caller, j *job.Job) error {
	if !j.DeletedAt.IsZero() {
		return ceremony.ErrDeleted(j.ID)
	}
	d := padesDocument(j)
	if d == nil {
		return errs.E(errs.Conflict, codeMultipleDocuments,
			"job %s has %d documents, each signed as its own PDF: download them through /api/v1", j.ID, len(j.Documents))
	}
	_, o, err := a.Svc.SignedDocument(r.Context(), c, j.ID, d.ID)
	if err != nil {
		return err
	}
	defer o.Close()
	// The clients ask for application/octet-stream and do not check what
	// comes back on success.
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(o, 0, o.Size()))
	return nil
}

// archivePades is the archive client's download (F5). The document id is
// the job's id: the job's one PAdES is its document (padesDocument). A job
// not completed, or whose documents were deleted, has no archived
// document: 404 ARCHIVED_DOCUMENT_NOT_FOUND, the one refusal the archive
// clients know.
func (a *API) archivePades(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	j, err := a.Svc.Job(r.Context(), c, r.PathValue("job"))
	if errs.Is(err, errs.NotFound) || err == nil && (j.Status != job.StatusCompleted || j.Deleted()) {
		return errs.E(errs.NotFound, codeArchivedDocumentNotFound, "no archived document %s", r.PathValue("job"))
	}
	if err != nil {
		return err
	}
	return a.servePades(w, r, c, j)
}

// padesDocument is the document whose signed PDF is the job's one PAdES,
// which Posten's clients download: its combined document, which every
// signer signs (job.Combined: the API asks for one for a job of several
// documents), or its only document. Nil for a job of several documents
// and none combined (created before combined documents, or through
// /api/v1), each of them signed as its own PDF.
func padesDocument(j *job.Job) *job.Document {
	if d := j.Combined(); d != nil {
		return d
	}
	if len(j.Documents) == 1 {
		return &j.Documents[0]
	}
	return nil
}

// job reads the caller's job named in the path, of the flow the path says.
func (a *API) job(r *http.Request, c ceremony.Caller, flow job.Flow) (*job.Job, error) {
	j, err := a.Svc.Job(r.Context(), c, r.PathValue("job"))
	if errs.Is(err, errs.NotFound) || err == nil && j.Flow != flow {
		return nil, errs.E(errs.NotFound, codeJobNotFound, "no %s job %s", flow, r.PathValue("job"))
	}
	return j, err
}

func (a *API) jobURL(j *job.Job) string {
	root := a.APIURL
	if root == "" {
		root = a.BaseURL
	}
	return root + "/api/" + j.Org + "/" + string(j.Flow) + "/signature-jobs/" + j.ID
}

// jobNumber is the signature-job-id the schema wants (an xs:long) for a
// segl job id, a UUIDv7: its 48-bit millisecond time and 12-bit
// sub-millisecond sequence, which order jobs as the ids do. The clients
// only show it; every link they follow carries the job's own id.
func jobNumber(id string) int64 {
	u, err := uuid.Parse(id)
	if err != nil {
		return 0
	}
	ms := uint64(u[0])<<40 | uint64(u[1])<<32 | uint64(u[2])<<24 | uint64(u[3])<<16 | uint64(u[4])<<8 | uint64(u[5])
	seq := uint64(u[6]&0x0f)<<8 | uint64(u[7])
	return int64(ms<<12 | seq)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		panic(err) // our own types always marshal
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(body)
}

// writeError renders an error as common.xsd's error in application/xml:
// the Java client reads it only with that content type. Codes of segl's own
// kinds are given in Posten's style (upper case, underscores).
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errs.From(err)
	if e == nil {
		e = errs.Wrap(err, errs.Internal, codeInternalError, "internal error")
	}
	status := e.Kind.HTTPStatus()
	switch e.Code {
	case errs.CodeJobDeleted:
		status = http.StatusGone
	case codeMethodNotAllowed:
		status = http.StatusMethodNotAllowed
	}
	if after := e.Kind.RetryAfter(); after != "" {
		w.Header().Set("Retry-After", after)
	}
	out := errorResponse{Code: postenCode(e.Code), Message: e.Message, Type: "CLIENT"}
	for _, d := range e.Details[min(1, len(e.Details)):] {
		out.Message += "; " + d.Message
	}
	if status >= 500 {
		a.log().Error("posten api", "method", r.Method, "path", r.URL.Path, "err", err)
		out.Type, out.Message = "SERVER", "internal error"
		if e.Kind == errs.Unavailable || e.Kind == errs.InsufficientStorage {
			out.Message = e.Message
		}
	}
	writeXML(w, status, out)
}

// postenCode gives segl's kebab-case codes Posten's form.
func postenCode(code string) string {
	if code == "" {
		return codeUnknownError
	}
	return strings.ToUpper(strings.ReplaceAll(code, "-", "_"))
}

func (a *API) log() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}
