// Package httpapi is segl's machine-to-machine JSON API (/api/v1),
// authenticated by mutual TLS with the organisation's enterprise certificate
// (MISSION I1). Each handler reads straight down: decode strictly, find the
// caller from the verified chain, call the use case, render. Errors leave as
// application/problem+json with a stable code.
package httpapi

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// API serves /api/v1.
type API struct {
	Svc     *ceremony.Service
	BaseURL string // public base URL, for signing links
	Log     *slog.Logger
	// APIURL is where integrators call this API with their certificates
	// when that is a host of its own (config.APIURL): the OpenAPI
	// document's server, and what a call without a certificate is told
	// to use. Empty: the API is on BaseURL's host, and the document's
	// server stays relative.
	APIURL string
	// Observe, when set, is shown every error the API answers, for a
	// monitor such as health.Storage; nil: none.
	Observe func(error)

	ownOnce sync.Once
	own     *http.ServeMux // the route table alone, to find a path's methods (NoRoute)
}

//go:embed openapi.json
var openAPI []byte

// route is one endpoint of the API; the table is what the OpenAPI
// document is tested against.
type route struct {
	method, path string
	h            handler
}

func (a *API) routes() []route {
	return []route{
		{"POST", "/api/v1/jobs", a.createJob},
		{"GET", "/api/v1/jobs", a.listJobs},
		{"GET", "/api/v1/jobs/{id}", a.getJob},
		{"DELETE", "/api/v1/jobs/{id}", a.deleteJob},
		{"POST", "/api/v1/jobs/{id}/cancel", a.cancelJob},
		{"GET", "/api/v1/jobs/{id}/documents/{doc}", a.getDocument},
		{"GET", "/api/v1/jobs/{id}/documents/{doc}/signed", a.getSignedDocument},
		{"GET", "/api/v1/jobs/{id}/signers/{signer}/evidence", a.getEvidence},
		{"GET", "/api/v1/status", a.getStatus},
		{"GET", "/api/v1/events", a.listEvents},
		{"POST", "/api/v1/events/ack", a.ackEvents},
		{"GET", "/api/v1/callback-secret", a.getCallbackSecret},
	}
}

// Routes registers the API on mux.
func (a *API) Routes(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+rt.path, a.authed(rt.h))
	}
	doc := a.openAPI()
	mux.HandleFunc(openAPIPattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	})
	mux.HandleFunc(noRoutePattern, a.NoRoute)
}

// The two patterns Routes registers besides the route table: the OpenAPI
// document, which needs no certificate, and the catch-all.
const (
	openAPIPattern = "GET /api/v1/openapi.json"
	noRoutePattern = "/api/"
)

// Patterns lists every pattern Routes registers, so that a test can reach
// every route (internal/server's tenancy matrix): a route added without a
// case there fails it.
func (a *API) Patterns() []string {
	var out []string
	for _, rt := range a.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return append(out, openAPIPattern, noRoutePattern)
}

// relativeServer is the embedded document's server: wherever it was
// fetched from.
const relativeServer = `"servers": [{"url": "/"}]`

// openAPI is the document to serve: with the API's own host as its server
// when it has one, since the document is also read on the public host (a
// browser needs no certificate for it), where "/" would name a host that
// asks for none; and with the base URL when that has a path (a proxy in
// front strips it), where "/" would leave the path out.
func (a *API) openAPI() []byte {
	root := a.APIURL
	if root == "" && basePath(a.BaseURL) != "" {
		root = strings.TrimRight(a.BaseURL, "/")
	}
	if root == "" {
		return openAPI
	}
	server, _ := json.Marshal([]map[string]string{{"url": root}})
	return bytes.Replace(openAPI, []byte(relativeServer), append([]byte(`"servers": `), server...), 1)
}

// basePath is the path of a base URL, without a trailing slash: "" when
// the URL serves from its host's root.
func basePath(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

// NoRoute answers a request under /api/ that no route of this API takes:
// 405 method-not-allowed with Allow when the path is a route's with
// another method (RFC 9110 §15.5.6), else 404 no-such-endpoint. It is
// exported for internal/postenapi, whose catch-all under /api/{org}/ also
// matches /api/v1/… and hands those paths back here.
func (a *API) NoRoute(w http.ResponseWriter, r *http.Request) {
	a.ownOnce.Do(func() {
		a.own = http.NewServeMux()
		for _, rt := range a.routes() {
			a.own.Handle(rt.method+" "+rt.path, http.NotFoundHandler())
		}
		a.own.Handle(openAPIPattern, http.NotFoundHandler())
	})
	if allow := AllowedMethods(a.own, r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, r, a.Log, errs.E(errs.Invalid, codeMethodNotAllowed, "%s takes %s, not %s",
			r.URL.Path, strings.Join(allow, ", "), r.Method))
		return
	}
	writeProblem(w, r, a.Log, errs.E(errs.NotFound, codeNoSuchEndpoint, "no endpoint %s %s", r.Method, r.URL.Path))
}

// AllowedMethods lists the methods with which mux has a pattern for r's
// path, for an Allow header; mux holds one API's routes alone.
func AllowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := *r
		probe.Method = m
		if _, pattern := mux.Handler(&probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

type handler func(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error

// authed finds the calling organisation from the verified client
// certificate chain, never from anything the client says about itself.
func (a *API) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := a.caller(r)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			if a.Observe != nil {
				a.Observe(err)
			}
			writeProblem(w, r, a.Log, err)
		}
	})
}

func (a *API) caller(r *http.Request) (ceremony.Caller, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ceremony.Caller{}, errs.E(errs.Unauthenticated, codeClientCertificateRequired,
			"%s", ceremony.NoClientCert(a.APIURL))
	}
	return a.Svc.ClientCertCaller(r.Context(), r.TLS.VerifiedChains[0])
}

// createJob takes multipart/form-data: a part named "job" with the JSON
// request and one part per document. Document parts are staged in
// temporary files as they arrive, in any order relative to the JSON, and
// removed when the request ends; only an accepted job's reach the blob
// store.
func (a *API) createJob(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		return errs.E(errs.Invalid, codeUnsupportedContentType, "send multipart/form-data with a \"job\" part and document parts")
	}
	idemKey := r.Header.Get("Idempotency-Key")
	if len(idemKey) > 255 || strings.ContainsFunc(idemKey, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return errs.Field("Idempotency-Key", codeInvalidIdempotencyKey, "must be 1 to 255 visible ASCII characters")
	}
	lim := a.Svc.Limits
	if params["boundary"] == "" {
		return errs.Wrap(http.ErrMissingBoundary, errs.Invalid, codeInvalidMultipart, "the body is not valid multipart/form-data")
	}
	buffered := uploadReaders.Get().(*bufio.Reader)
	buffered.Reset(http.MaxBytesReader(w, r.Body, lim.MaxUploadBytes()))
	defer func() { buffered.Reset(nil); uploadReaders.Put(buffered) }()
	mr := multipart.NewReader(buffered, params["boundary"])
	var req *job.Request
	var uploads []ceremony.Upload
	defer func() { ceremony.ReleaseUploads(uploads) }()
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readError(err)
		}
		name := part.FormName()
		switch {
		case name == "":
			return errs.E(errs.Invalid, codeInvalidMultipart, "every part needs a name")
		case seen[name]:
			return errs.Field(name, codeDuplicatePart, "part %q appears twice", name)
		case name == "job":
			if req, err = decodeRequest(&bodyReader{r: part}); err != nil {
				return err
			}
		case len(uploads) == lim.MaxDocuments:
			return errs.Field("documents", job.CodeTooManyDocuments, "at most %d documents per job", lim.MaxDocuments)
		default:
			body := &bodyReader{r: part}
			u, err := a.Svc.StageDocument(r.Context(), name, part.FileName(), part.Header.Get("Content-Type"), body)
			if body.err != nil && !errs.Is(err, errs.TooLarge) {
				return readError(body.err)
			}
			if err != nil {
				return err
			}
			uploads = append(uploads, u)
		}
		seen[name] = true
	}
	if req == nil {
		return errs.Field("job", codeMissingJobPart, "the request needs a part named \"job\" holding the JSON")
	}
	j, err := a.Svc.CreateJob(r.Context(), c, req, uploads, idemKey)
	if err != nil {
		return err
	}
	out := a.renderJob(j)
	for _, wn := range ceremony.Warnings(j, uploads) {
		out.Warnings = append(out.Warnings, client.Warning{Document: wn.Document, Code: wn.Code, Detail: wn.Detail})
	}
	w.Header().Set("Location", "/api/v1/jobs/"+j.ID)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// uploadReaders read create requests' bodies for mime/multipart, whose
// own buffer asks for 4 KB at a time: each read of the body is a deadline
// check at the edge, and over HTTP/2 every 4 KB read makes the server send
// the client WINDOW_UPDATE frames, a TLS record and a system call on both
// sides. Read 64 KB at a time, a 100 KB document's request takes a few.
var uploadReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// bodyReader remembers why reading the request body failed, so a broken
// or oversized body is told apart from a failure on our side (a full disk).
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// readError turns a failure to read the client's body into the client's
// problem.
func readError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errs.E(errs.TooLarge, codeRequestTooLarge, "the request is larger than %d bytes", tooBig.Limit)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The listener cuts a body that stalls or trickles below the
		// minimum rate (server.edge); the client hears why, if it listens.
		return errs.Wrap(err, errs.Invalid, codeBodyTooSlow, "the request body arrived too slowly and was cut")
	}
	return errs.Wrap(err, errs.Invalid, codeInvalidMultipart, "the body is not valid multipart/form-data")
}

// decodeRequest decodes the JSON part strictly into the public wire type
// (client.JobRequest, so the SDK and the server cannot drift apart):
// unknown fields and trailing data are errors, so a misspelt field never
// silently means its default; text that is not Unicode is refused, where
// encoding/json would quietly replace it with U+FFFD (see checkJSONText);
// a member named twice, or spelt in another case, is refused, where
// encoding/json would take one quietly (see checkJSONNames); and the lists of documents and signers are decoded at most one entry
// past job.MaxListEntries, so a huge list costs no more to refuse.
func decodeRequest(r io.Reader) (*job.Request, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxJobPart+1))
	if br, ok := r.(*bodyReader); ok && br.err != nil {
		return nil, readError(br.err)
	}
	if err != nil {
		return nil, errs.Wrap(err, errs.Invalid, codeInvalidJSON, "the job part could not be read")
	}
	if len(raw) > maxJobPart {
		// Cut off, it would only say "unexpected EOF".
		return nil, errs.E(errs.Invalid, codeInvalidJSON, "the job part is larger than %d bytes", maxJobPart)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var req wireRequest
	if err := dec.Decode(&req); err != nil {
		return nil, errs.Wrap(err, errs.Invalid, codeInvalidJSON, "the job part is not a valid job request: %s", jsonProblem(err))
	}
	if dec.More() {
		return nil, errs.E(errs.Invalid, codeInvalidJSON, "the job part holds more than one JSON value")
	}
	if err := checkJSONText(raw); err != nil {
		return nil, err
	}
	if err := checkJSONNames(raw); err != nil {
		return nil, err
	}
	req.Documents, req.Signers = req.BoundedDocuments, req.BoundedSigners
	return jobRequest(&req.JobRequest), nil
}

// wireRequest is client.JobRequest with its lists decoded bounded: the
// outer fields, named like the embedded ones, take their JSON.
type wireRequest struct {
	client.JobRequest
	BoundedDocuments boundedList[client.DocumentRef]   `json:"documents"`
	BoundedSigners   boundedList[client.SignerRequest] `json:"signers"`
}

// boundedList is a JSON array decoded at most job.MaxListEntries+1
// entries, each as strictly as the request (unknown fields are errors).
type boundedList[T any] []T

func (l *boundedList[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return &json.UnmarshalTypeError{Value: "non-array", Type: reflect.TypeFor[[]T]()}
	}
	list := (*l)[:0]
	for dec.More() && len(list) <= job.MaxListEntries {
		var v T
		if err := dec.Decode(&v); err != nil {
			return err
		}
		list = append(list, v)
	}
	*l = list
	return nil
}

// jobRequest is the domain's request for the wire's, for the use cases to
// validate: the one place the two meet, as renderJob is for jobs.
func jobRequest(r *client.JobRequest) *job.Request {
	out := &job.Request{Title: r.Title, Description: r.Description, Flow: job.Flow(r.Flow),
		SignatureType: job.SignatureType(r.SignatureType), LevelOfAssurance: job.Assurance(r.LevelOfAssurance),
		Reference: r.Reference, Identifier: job.Identifier(r.Identifier), Language: r.Language, CallbackURL: r.CallbackURL,
		ActivatesAt: r.ActivatesAt, ExpiresAt: r.ExpiresAt}
	if e := r.ExitURLs; e != nil {
		out.ExitURLs = job.ExitURLs{Completion: e.Completion, Rejection: e.Rejection, Error: e.Error}
	}
	if k := r.Retention; k != nil {
		out.Retention = job.Retention{Archive: k.Archive, Years: k.Years}
	}
	for _, d := range r.Documents {
		out.Documents = append(out.Documents, job.DocumentRequest{Title: d.Title, File: d.File, FileName: d.FileName})
	}
	for _, s := range r.Signers {
		out.Signers = append(out.Signers, job.SignerRequest{PID: s.PID, Email: s.Email, Mobile: s.Mobile, Order: s.Order,
			OnBehalfOf: s.OnBehalfOf})
	}
	return out
}

// checkJSONText refuses JSON text that is not a sequence of Unicode
// characters: bytes that are not UTF-8 (RFC 8259 §8.1 requires it), and
// \u escapes of UTF-16 surrogates that do not form a pair (§8.2: such a
// string's behaviour is unpredictable). encoding/json replaces both with
// U+FFFD without a word, so a signer's name or a title would be stored
// other than sent; they are refused as invalid-text instead.
func checkJSONText(raw []byte) error {
	if !utf8.Valid(raw) {
		return errs.Field("job", job.CodeInvalidText, "the job part is not valid UTF-8")
	}
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			i++ // the escaped character
			if i >= len(raw) || raw[i] != 'u' {
				continue
			}
			r, ok := hex4(raw, i+1)
			if !ok || !utf16.IsSurrogate(r) {
				continue
			}
			i += 4
			low, ok := rune(0), false
			if r < 0xdc00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				low, ok = hex4(raw, i+3)
			}
			if !ok || low < 0xdc00 || low > 0xdfff {
				return errs.Field("job", job.CodeInvalidText, "the job part holds an unpaired surrogate \\u%04x", r)
			}
			i += 6
		}
	}
	return nil
}

// maxJobPart bounds the job part of a create request.
const maxJobPart = 1 << 20

// checkJSONNames refuses an object that names a member twice, and a name
// spelt other than the request's own (all lower case ASCII, digits and
// underscores). encoding/json takes the last of two members of one name
// and matches names without regard to case (and with "ſ" for "s", "K"
// for "k"), where other readers take the first or see an unknown member:
// a proxy or audit log in front of segl that reads {"signers": A,
// "signers": B} or {"Signers": B} could see other signers than the job
// gets. RFC 8259 §4: with names that are not unique, "the behavior of
// software that receives such an object is unpredictable". raw has
// decoded as JSON already.
func checkJSONNames(raw []byte) error {
	// One frame a nesting level, held by value and its map made at the
	// first name: a list of many empty objects must cost no allocation
	// each (TestManyBrokenEntriesBounded).
	type frame struct {
		array   bool
		named   bool // in an object: the next token is a member's name, or the end
		seen    map[string]bool
		entries int // in an array: the values it has had
	}
	var open []frame // innermost last
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF; syntax was checked by the decoding
		}
		if n := len(open); n > 0 && !open[n-1].array && open[n-1].named {
			if name, ok := tok.(string); ok {
				o := &open[n-1]
				switch {
				case !plainName(name):
					return errs.E(errs.Invalid, codeInvalidJSON, "the job part is not a valid job request: unknown field %q", name)
				case o.seen[name]:
					return errs.E(errs.Invalid, codeInvalidJSON, "the job part names %q twice in one object", name)
				}
				if o.seen == nil {
					o.seen = map[string]bool{}
				}
				o.seen[name], o.named = true, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, frame{named: true})
			continue
		case json.Delim('['):
			open = append(open, frame{array: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
		}
		// A member's value has ended: a name or the end comes next.
		if n := len(open); n > 0 && !open[n-1].array {
			open[n-1].named = true
		}
		// An entry of a list has ended. The request's lists are decoded
		// to one entry past job.MaxListEntries, and a list that long is
		// refused as a whole, so its other entries need no reading: a
		// 1 MiB list of signers {"order":1} cost 43 MB of names and maps.
		if n := len(open); n > 0 && open[n-1].array {
			if open[n-1].entries++; open[n-1].entries > job.MaxListEntries {
				return nil
			}
		}
	}
}

// plainName reports whether a member name is spelt as the request's are.
func plainName(name string) bool {
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return name != ""
}

// hex4 reads the four hex digits of a \u escape at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(n), err == nil
}

// jsonProblem says what is wrong in terms the sender can act on.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("field %q must be %s", typeErr.Field, typeErr.Type)
	}
	msg := err.Error()
	return strings.TrimPrefix(msg, "json: ")
}

func (a *API) getJob(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	j, err := a.Svc.Job(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.renderJob(j))
	return nil
}

// getStatus answers a status query token, which a direct-flow signer
// brought back to the sender's exit URL (Posten's status_query_token): the
// job it stands for, if it is the caller's.
func (a *API) getStatus(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	q := r.URL.Query()
	if len(q["status_query_token"]) != 1 || q.Get("status_query_token") == "" {
		return errs.Field("status_query_token", codeMissingStatusQueryToken,
			"give the status_query_token the signer brought back, once")
	}
	j, err := a.Svc.StatusByToken(r.Context(), c, q.Get("status_query_token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.renderJob(j))
	return nil
}

func (a *API) listJobs(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	q := store.JobQuery{Cursor: r.URL.Query().Get("cursor"), Status: job.Status(r.URL.Query().Get("status"))}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return errs.Field("limit", codeInvalidLimit, "must be between 1 and 100")
		}
		q.Limit = n
	}
	if q.Status != "" {
		if _, known := validStatuses[q.Status]; !known {
			return errs.Field("status", codeInvalidStatus, "unknown job status %q", q.Status)
		}
	}
	list, next, err := a.Svc.ListJobs(r.Context(), c, q)
	if err != nil {
		return err
	}
	out := client.JobList{Jobs: make([]client.Job, 0, len(list)), NextCursor: next}
	for i := range list {
		out.Jobs = append(out.Jobs, a.renderJob(&list[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

var validStatuses = map[job.Status]struct{}{
	job.StatusCreated: {}, job.StatusActive: {}, job.StatusSigned: {}, job.StatusCompleted: {}, job.StatusRejected: {},
	job.StatusExpired: {}, job.StatusCancelled: {}, job.StatusFailed: {},
}

func (a *API) cancelJob(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	j, err := a.Svc.Cancel(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.renderJob(j))
	return nil
}

// deleteJob deletes a finished job's content before its retention ends
// (MISSION L1); the answer is the tombstone.
func (a *API) deleteJob(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	j, err := a.Svc.DeleteJob(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.renderJob(j))
	return nil
}

// getDocument streams an input document back, with range support.
func (a *API) getDocument(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	d, o, err := a.Svc.Document(r.Context(), c, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		return err
	}
	defer o.Close()
	serveBlob(w, r, d.MediaType, d.FileName, d.SHA256, o)
	return nil
}

// getSignedDocument streams the newest signed revision: PAdES B-LTA once the
// job is completed.
func (a *API) getSignedDocument(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	d, o, err := a.Svc.SignedDocument(r.Context(), c, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		return err
	}
	defer o.Close()
	serveBlob(w, r, "application/pdf", d.SignedFileName(), d.Signed.SHA256, o)
	return nil
}

// getEvidence streams a signer's XAdES evidence.
func (a *API) getEvidence(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	signer := r.PathValue("signer")
	o, err := a.Svc.Evidence(r.Context(), c, r.PathValue("id"), signer)
	if err != nil {
		return err
	}
	defer o.Close()
	serveBlob(w, r, "application/xml", "evidence-"+signer+".xml", "", o)
	return nil
}

func serveBlob(w http.ResponseWriter, r *http.Request, mediaType, fileName, etag string, o blob.Object) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fileName}))
	if etag != "" {
		w.Header().Set("ETag", `"`+etag+`"`)
	}
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(o, 0, o.Size()))
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	var after int64
	limit := 100
	if s := r.URL.Query().Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return errs.Field("after", codeInvalidCursor, "must be a sequence number")
		}
		after = n
	}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return errs.Field("limit", codeInvalidLimit, "must be between 1 and 500")
		}
		limit = n
	}
	changes, err := a.Svc.Changes(r.Context(), c, after, limit)
	if err != nil {
		return err
	}
	out := client.EventList{Events: make([]client.Event, 0, len(changes))}
	for _, ch := range changes {
		out.Events = append(out.Events, renderChange(ch))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) ackEvents(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	var in client.Ack
	if err := dec.Decode(&in); err != nil {
		return errs.Wrap(err, errs.Invalid, codeInvalidJSON, "send {\"seqs\": [ … ]}: %s", jsonProblem(err))
	}
	n, err := a.Svc.Ack(r.Context(), c, in.Seqs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, client.AckResult{Acknowledged: n})
	return nil
}

// getCallbackSecret tells the organisation the key its callbacks are
// signed with (see the delivery package).
func (a *API) getCallbackSecret(w http.ResponseWriter, r *http.Request, c ceremony.Caller) error {
	writeJSON(w, http.StatusOK, map[string]string{"secret": a.Svc.CallbackSecret(c.Org), "algorithm": "HMAC-SHA256",
		"header": "Segl-Signature"})
	return nil
}
