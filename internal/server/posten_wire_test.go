package server_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/testtool"
)

// How Posten's Java and .NET clients put their requests on the wire
// (../shared/reference/posten-api.md and the clients' sources), beyond what
// the other Posten tests vary:
//
//   - Java (Apache HttpClient 5, classic): HTTP/1.1 only; the job XML is a
//     streamed part of unknown length, so the body is chunked; the
//     multipart Content-Type carries charset=ISO-8859-1 (ContentType
//     .MULTIPART_MIXED) and a 30–40 character boundary of [-_0-9a-zA-Z];
//     parts have a Content-Type and nothing else; Accept-Encoding: gzip,
//     x-gzip, deflate; the polling queue percent-encoded; a root URL
//     configured with a trailing slash gives "/api//{org}/…" (its
//     URIBuilder appends segments). Clients configured for it, and the
//     older Jersey-based releases, send Expect: 100-continue.
//   - .NET (HttpClient): HTTP/1.1 by default, HTTP/2 when the integration
//     sets DefaultRequestVersion; a GUID boundary; parts with
//     Content-Disposition: attachment; a Content-Length; Expect:
//     100-continue when ExpectContinue is set; the polling queue as it is,
//     so a "+" in its name arrives as "+".
//
// Both may be held to TLS 1.2, the one version Posten documents for its
// mutual TLS (older .NET releases set it process-wide).
type wire struct {
	name      string
	dotnet    bool // .NET's multipart and query; else Java's
	http2     bool
	chunked   bool // a body of unknown length
	expect    bool // Expect: 100-continue
	rootSlash bool // the root URL configured with a trailing slash
	tls12     bool // TLS 1.2 at most, the version Posten documents for its mutual TLS
}

type wireResponse struct {
	postenResponse
	proto  int
	tls    uint16
	got100 bool
	closed bool // Connection: close
}

// send makes one request as w says and validates the XML that comes back.
func (p *postenClient) send(w wire, method, target, contentType string, body []byte) wireResponse {
	p.t.Helper()
	t := p.t
	base := p.http.Transport.(*http.Transport)
	tr := &http.Transport{TLSClientConfig: base.TLSClientConfig.Clone(), ForceAttemptHTTP2: w.http2,
		// Only how long the client waits for 100 Continue before it sends
		// the body anyway; the test asserts that the 100 came.
		ExpectContinueTimeout: time.Minute}
	if w.tls12 {
		tr.TLSClientConfig.MaxVersion = tls.VersionTLS12
	}
	if !w.http2 {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	t.Cleanup(tr.CloseIdleConnections)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
		if w.chunked {
			rd = io.MultiReader(rd) // of unknown length: chunked on HTTP/1.1
		}
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/xml")
	if w.dotnet {
		req.Header.Set("User-Agent", "digipost-signature-api-client-dotnet/10.0.2 (.NET 8.0.11)")
	} else {
		req.Header.Set("User-Agent", "posten-signature-api-client-java/7.0.7 (Java/21.0.5)")
		req.Header.Set("Accept-Encoding", "gzip, x-gzip, deflate")
	}
	if w.expect && body != nil {
		req.Header.Set("Expect", "100-continue")
	}
	var out wireResponse
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		Got100Continue: func() { out.got100 = true }}))
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	var rb io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if rb, err = gzip.NewReader(resp.Body); err != nil {
			t.Fatal(err)
		}
	}
	out.body, err = io.ReadAll(rb)
	if err != nil {
		t.Fatal(err)
	}
	out.status, out.header, out.proto, out.tls, out.closed = resp.StatusCode, resp.Header, resp.ProtoMajor, resp.TLS.Version, resp.Close
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") && len(out.body) > 0 {
		testtool.SchemaValid(t, postenXSD, out.body)
	}
	return out
}

// multipartJob frames the job XML and the bundle as the client of w does.
func multipartJob(t *testing.T, w wire, request string, bundle []byte) (contentType string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	boundary := "k3-Hq_9xZpR2vT8mN4bW7cY1dF6gJ0sLuE5" // Java's alphabet, 35 characters
	if w.dotnet {
		boundary = "5d0e6c1a-8f3b-4b7e-9a2d-3c4f5e6a7b8c" // .NET: a GUID
	}
	if err := mw.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for _, part := range []struct {
		contentType string
		content     []byte
	}{{"application/xml", []byte(request)}, {"application/octet-stream", bundle}} {
		h := textproto.MIMEHeader{"Content-Type": {part.contentType}}
		if w.dotnet {
			h.Set("Content-Disposition", "attachment")
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(part.content)
	}
	mw.Close()
	if w.dotnet {
		return "multipart/mixed; boundary=" + boundary, buf.Bytes()
	}
	return "multipart/mixed; boundary=" + boundary + "; charset=ISO-8859-1", buf.Bytes()
}

// Each way of sending works end to end: the root resource, creating a
// portal job in a queue whose name has a "+" and a non-ASCII letter,
// polling it (200 with the job), confirming, and a request refused before
// its body is read. With Expect: 100-continue the server asks for the body
// it reads (100 Continue) and, over HTTP/1.1, answers one it refuses
// without asking for it.
func TestPostenWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, javaStyle)
	for i, w := range []wire{
		{name: "java/tls1.2/http1.1/chunked/root-with-slash", tls12: true, chunked: true, rootSlash: true},
		{name: "java/tls1.2/http1.1/chunked/expect-continue", tls12: true, chunked: true, expect: true},
		{name: "java/http2/chunked/expect-continue", http2: true, chunked: true, expect: true},
		{name: "dotnet/tls1.2/http1.1/expect-continue", tls12: true, dotnet: true, expect: true},
		{name: "dotnet/http2", dotnet: true, http2: true},
	} {
		t.Run(w.name, func(t *testing.T) {
			p.t = t
			root := e.srv.URL + "/api"
			if w.rootSlash {
				root += "/"
			}
			wantProto := 1
			if w.http2 {
				wantProto = 2
			}

			who := p.send(w, "GET", root+"/"+orgA, "", nil)
			if who.status != http.StatusOK || string(who.body) != "You are "+orgA || who.proto != wantProto ||
				w.tls12 && who.tls != tls.VersionTLS12 {
				t.Fatalf("root resource: %d HTTP/%d TLS %x %q", who.status, who.proto, who.tls, who.body)
			}

			queue := "lønn+bonus " + strconv.Itoa(i)
			ct, body := multipartJob(t, w, portalJobXML(queue), p.bundle(portalManifestXML(orgA, "Lønnsavtale"), postenDocs()))
			created := p.send(w, "POST", root+"/"+orgA+"/portal/signature-jobs", ct, body)
			var job struct {
				ID int64 `xml:"signature-job-id"`
			}
			created.want(t, http.StatusOK).decode(t, &job)
			if w.expect && !created.got100 {
				t.Fatal("no 100 Continue before the body was read")
			}

			// .NET writes the name as it is (System.Uri escapes the space
			// and the ø, not the +); Java percent-encodes all three.
			q := "l%C3%B8nn+bonus%20" + strconv.Itoa(i)
			if !w.dotnet {
				q = "l%C3%B8nn%2Bbonus%20" + strconv.Itoa(i)
			}
			var st portalStatus
			polled := p.send(w, "GET", root+"/"+orgA+"/portal/signature-jobs?polling_queue="+q, "", nil)
			polled.want(t, http.StatusOK).decode(t, &st)
			if st.ID != job.ID || polled.header.Get("X-Next-permitted-poll-time") == "" {
				t.Fatalf("polled job %d, created %d; header %v", st.ID, job.ID, polled.header)
			}
			confirmBody := []byte(nil)
			if w.dotnet {
				confirmBody = []byte{} // .NET posts null content: Content-Length: 0
			}
			p.send(w, "POST", st.ConfirmationURL, "", confirmBody).want(t, http.StatusOK)

			// Refused before the body is read: a broker for an organisation
			// that has not made orgA its broker.
			refused := p.send(w, "POST", root+"/"+orgB+"/portal/signature-jobs", ct, body)
			refused.wantError(t, http.StatusForbidden, "BROKER_NOT_AUTHORIZED")
			// Over HTTP/2 the server reads what is left of a body after the
			// answer, so the stream ends without a reset (edge.drain): the
			// client is asked for it, and still gets the refusal.
			if w.expect && !w.http2 && refused.got100 {
				t.Fatal("100 Continue for a request refused without its body")
			}
			// …and closes the connection, the body never asked for (edge's
			// closeIfUnread; that the answer does not wait for the body is
			// TestExpectContinueRefusedAtOnce's).
			if w.expect && !w.http2 && !refused.closed {
				t.Fatal("refused without its body over HTTP/1.1, answered without Connection: close")
			}
		})
	}
}

// Java's client (Apache HttpClient 5, classic) writes the whole request
// before it reads the answer. A job refused before its bundle is read —
// a broker not authorised, XML that breaks the schema — must still reach
// it as the documented <error>: the server reads the rest of the body
// first, instead of answering and closing a connection the client is
// still writing to, which the client would see as a reset and report as
// an I/O error, not as BrokerNotAuthorizedException.
func TestPostenRefusedWhileStillSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.posten(t, orgA, javaStyle)
	tlsConf := p.http.Transport.(*http.Transport).TLSClientConfig.Clone()
	tlsConf.NextProtos = []string{"http/1.1"}
	host := strings.TrimPrefix(e.srv.URL, "https://")
	const bundleSize = 24 << 20 // far more than the sockets buffer
	for _, tc := range []struct {
		name, org, request string
		status             int
		code               string
	}{
		{"fail/broker-not-authorized", orgB, portalJobXML(""), http.StatusForbidden, "BROKER_NOT_AUTHORIZED"},
		{"fail/xml-breaks-the-schema", orgA, strings.Replace(portalJobXML(""), "<reference>", "<referanse/><reference>", 1),
			http.StatusBadRequest, "SCHEMA_VALIDATION_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sendThenRead(t, host, tlsConf, e.srv.URL+"/api/"+tc.org+"/portal/signature-jobs", tc.request, bundleSize).
				wantError(t, tc.status, tc.code)
		})
	}
}

// A job over the largest body the API takes is refused with 413 once the
// limit is reached; the rest is read (up to as much again) before the
// answer, so that Java's client, still writing, gets REQUEST_TOO_LARGE
// instead of a reset.
func TestPostenTooLargeWhileStillSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Limits.MaxDocuments, c.Limits.MaxDocumentBytes = 1, 16<<20 })
	p := e.posten(t, orgA, javaStyle)
	tlsConf := p.http.Transport.(*http.Transport).TLSClientConfig.Clone()
	tlsConf.NextProtos = []string{"http/1.1"}
	host := strings.TrimPrefix(e.srv.URL, "https://")
	// The API takes 16 MiB and 2 MiB of XML; the rest, 12 MiB, is more
	// than the sockets buffer.
	const bundleSize = 30 << 20
	sendThenRead(t, host, tlsConf, e.srv.URL+"/api/"+orgA+"/portal/signature-jobs", portalJobXML(""), bundleSize).
		wantError(t, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE")
}

// sendThenRead posts a job whose bundle is bundleSize zeros over a new
// HTTP/1.1 connection as Java's client does: the whole request is written
// before the answer is read.
func sendThenRead(t *testing.T, host string, tlsConf *tls.Config, url, request string, bundleSize int) postenResponse {
	t.Helper()
	conn, err := tls.Dial("tcp", host, tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const boundary = "k3-Hq_9xZpR2vT8mN4bW7cY1dF6gJ0sLuE5"
	head := "--" + boundary + "\r\nContent-Type: application/xml\r\n\r\n" + request +
		"\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + boundary + "--\r\n"
	body := io.MultiReader(strings.NewReader(head), io.LimitReader(zeros{}, int64(bundleSize)), strings.NewReader(tail))
	req, err := http.NewRequest("POST", url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(head) + bundleSize + len(tail))
	req.Header.Set("Content-Type", "multipart/mixed; boundary="+boundary+"; charset=ISO-8859-1")
	req.Header.Set("Accept", "application/xml")
	// Write it all, then read: no reading while writing.
	if err := req.Write(conn); err != nil {
		t.Fatalf("the server stopped reading the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return postenResponse{status: resp.StatusCode, header: resp.Header, body: out}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
