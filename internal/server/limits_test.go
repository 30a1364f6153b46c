package server_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/server"
	"github.com/segl/segl/internal/web"
)

// Hostile bodies and slow clients (issue 9, items 1, 2, 8 and 9): what a
// client sends or fails to send must not cost the server memory, files or
// descriptors beyond stated bounds. Memory and descriptors are measured in
// this process, which is the server's; no assertion is a wall-clock time.

// filler is a request body of n bytes that is made as it is read, so the
// client side holds none of it; read counts what the server took.
type filler struct {
	prefix io.Reader // sent first, as it is
	left   int64     // then this many bytes of "aaaa…"
	read   atomic.Int64
}

func (f *filler) Read(p []byte) (int, error) {
	if n, err := f.prefix.Read(p); n > 0 || err != io.EOF {
		f.read.Add(int64(n))
		return n, err
	}
	if f.left <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), f.left))
	for i := range n {
		p[i] = 'a'
	}
	f.left -= int64(n)
	f.read.Add(int64(n))
	return n, nil
}

// peakHeap samples the bytes held by heap objects (live, or dead and not
// yet swept) every millisecond until stop is called, and returns the
// largest sample.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

func heapNow() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// httpClient speaks HTTP/1.1 to the server with cookies, trusting the
// development root, optionally with an organisation's certificate.
func (e *env) httpClient(org string) *http.Client {
	e.t.Helper()
	cfg := &tls.Config{RootCAs: e.srv.Dev.Roots()}
	if org != "" {
		dir := filepath.Join(e.data, "pki", "clients")
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, org+".pem"), filepath.Join(dir, org+".key"))
		if err != nil {
			e.t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	e.t.Cleanup(c.CloseIdleConnections)
	return c
}

// anonymousCSRF is what anyone gets by opening a page with a form (a
// signing link's start page): the CSRF cookie and a token valid for it,
// without a session.
func (e *env) anonymousCSRF(t *testing.T) (cookie *http.Cookie, token string) {
	t.Helper()
	j := e.mustCreate(e.client(orgA), directRequest())
	res, err := e.httpClient("").Get(j.Signers[0].SigningURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.Name == "__Host-segl-csrf" {
			cookie = c
		}
	}
	m := portalTokenRE.FindSubmatch(page)
	if cookie == nil || m == nil {
		t.Fatalf("no CSRF cookie or token on the signing page (%d)", res.StatusCode)
	}
	return cookie, string(m[1])
}

// multipartPrefix is the start of a multipart body: the fields in order,
// then the header of a file part whose content follows.
func multipartPrefix(boundary string, fields [][2]string, fileField string) string {
	var b strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", boundary, f[0], f[1])
	}
	fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q; filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n",
		boundary, fileField)
	return b.String()
}

// Ten bodies of 200 MB, sent at once by someone without a session to
// routes that refuse them, must not be read into memory: the CSRF check
// refuses a request without its cookie unread, a multipart form whose
// first part is not a valid token after that part, an upload without a
// session unread, and reads a url-encoded form only up to the form limit
// (1 MiB). Bound: the heap grows by less than 64 MiB, and the server
// reads less than 16 MiB of each body (socket buffers take some).
func TestRefusedBodiesStayOutOfMemory(t *testing.T) {
	e := newEnv(t)
	cookie, token := e.anonymousCSRF(t)
	const size = 200 << 20
	const boundary = "segl-test-boundary"
	type attack struct {
		name, path, contentType string
		cookie                  bool
		prefix                  string
		want                    int
	}
	form := "application/x-www-form-urlencoded"
	mp := "multipart/form-data; boundary=" + boundary
	attacks := []attack{
		{"sign-logout/no-cookie", "/sign/logout", form, false, "csrf_token=x&pad=", http.StatusForbidden},
		{"sign-logout/form-over-limit", "/sign/logout", form, true, "csrf_token=" + token + "&pad=", http.StatusRequestEntityTooLarge},
		{"sign-logout/multipart-wrong-token", "/sign/logout", mp, true,
			multipartPrefix(boundary, [][2]string{{"csrf_token", strings.Repeat("A", 43)}}, "doc"), http.StatusForbidden},
		{"portal-upload/no-session", "/portal/jobs", mp, true,
			multipartPrefix(boundary, [][2]string{{"csrf_token", token}}, "documents"), http.StatusUnauthorized},
		{"admin-logout/token-last", "/admin/logout", form, true, "pad=", http.StatusRequestEntityTooLarge},
	}
	c := e.httpClient("")
	c.Get(e.srv.URL + "/healthz") // warm up the client and server
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	base := heapNow()
	stop := peakHeap()
	var wg sync.WaitGroup
	for i := range 10 {
		a := attacks[i%len(attacks)]
		wg.Go(func() {
			body := &filler{prefix: strings.NewReader(a.prefix), left: size - int64(len(a.prefix))}
			req, _ := http.NewRequest("POST", e.srv.URL+a.path, body)
			req.ContentLength = size
			req.Header.Set("Content-Type", a.contentType)
			if a.cookie {
				req.AddCookie(cookie)
			}
			res, err := c.Do(req)
			if err == nil {
				res.Body.Close()
				if res.StatusCode != a.want {
					t.Errorf("%s: status %d, want %d", a.name, res.StatusCode, a.want)
				}
			}
			// An error is the server closing the connection while the
			// client still sends: a refusal too.
			if n := body.read.Load(); n > 16<<20 {
				t.Errorf("%s: the server took %d MiB of the body", a.name, n>>20)
			}
		})
	}
	wg.Wait()
	peak := stop()
	t.Logf("heap: %d MiB before, peak %d MiB", base>>20, peak>>20)
	if peak > base+64<<20 {
		t.Errorf("heap grew by %d MiB, want < 64 MiB", (peak-base)>>20)
	}
}

// trickle is a request body that sends its prefix, then a few bytes every
// 20 ms (or nothing at all, when stall), until released.
type trickle struct {
	prefix  io.Reader
	stall   bool
	release chan struct{}
}

func (b *trickle) Read(p []byte) (int, error) {
	if n, err := b.prefix.Read(p); n > 0 || err != io.EOF {
		return n, err
	}
	if b.stall {
		<-b.release
		return 0, io.ErrUnexpectedEOF
	}
	select {
	case <-b.release:
		return 0, io.ErrUnexpectedEOF
	case <-time.After(20 * time.Millisecond):
	}
	n := min(len(p), 64) // 3.2 kB/s, far below the minimum rate of the test
	for i := range n {
		p[i] = 'a'
	}
	return n, nil
}

// filesIn lists the files left in dirs.
func filesIn(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, en fs.DirEntry, err error) error {
			switch {
			case os.IsNotExist(err):
				return nil
			case err != nil:
				return err
			case en.IsDir() || en.Name() == "lock": // the server's own scratch directory and its lock
				return nil
			}
			out = append(out, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A body that trickles below the minimum rate, or stops, is cut: the
// request ends, its temporary files (the blob store's, the portal form's)
// are removed, and the server's descriptors return to what they were.
func TestSlowBodiesAreCut(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where mime/multipart puts the portal form's files
	e := newEnv(t, func(c *config.Config) {
		c.HTTP.BodyIdleTimeout = 500 * time.Millisecond
		c.HTTP.BodyMinRate = 64 << 10
	})
	const boundary = "segl-test-boundary"
	jobJSON, _ := json.Marshal(directRequest())
	apiPrefix := multipartPrefix(boundary, [][2]string{{"job", string(jobJSON)}}, "doc1") + string(pdf100k[:64<<10])
	ola := e.browser(t)
	newJob := ola.link(ola.portalLogin(olaPID), "Nytt oppdrag")
	newJob.want(t, http.StatusOK, "Nytt signeringsoppdrag")
	portalToken := portalTokenRE.FindStringSubmatch(newJob.body)[1]
	portalPrefix := multipartPrefix(boundary, [][2]string{{"csrf_token", portalToken}, {"title", "Avtale"}}, "documents") +
		string(pdf100k[:64<<10])
	api := e.httpClient(orgA)
	portal := ola.bot.HTTP
	mp := "multipart/form-data; boundary=" + boundary
	cases := []struct {
		name, path, contentType, prefix string
		client                          *http.Client
		stall                           bool
	}{
		{"api-upload/trickle", "/api/v1/jobs", mp, apiPrefix, api, false},
		{"api-upload/stall", "/api/v1/jobs", mp, apiPrefix, api, true},
		{"portal-upload/trickle", "/portal/jobs", mp, portalPrefix, portal, false},
		{"portal-upload/stall", "/portal/jobs", mp, portalPrefix, portal, true},
	}
	tempDirs := []string{tmp, filepath.Join(e.data, "tmp"), filepath.Join(e.data, "blobs", "tmp")}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api.CloseIdleConnections()
			portal.CloseIdleConnections()
			baseline := server.OpenFDs(t)
			body := &trickle{prefix: strings.NewReader(tc.prefix), stall: tc.stall, release: make(chan struct{})}
			req, _ := http.NewRequest("POST", e.srv.URL+tc.path, body)
			req.ContentLength = 50 << 20
			req.Header.Set("Content-Type", tc.contentType)
			done := make(chan error, 1)
			go func() {
				res, err := tc.client.Do(req)
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode < 400 {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				done <- err
			}()
			select {
			case err := <-done:
				t.Logf("cut: %v", err)
			case <-time.After(2 * time.Minute): // a safety net, not the measure
				close(body.release)
				t.Fatal("a body below the minimum rate was not cut")
			}
			close(body.release)
			api.CloseIdleConnections()
			portal.CloseIdleConnections()
			// The server cleans up after the handler returns; give it
			// the chance, then require the counts, not a time.
			var fds int
			var left []string
			for range 200 {
				fds, left = server.OpenFDs(t), filesIn(t, tempDirs...)
				if fds <= baseline && len(left) == 0 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if fds > baseline {
				t.Errorf("%d descriptors open, %d before", fds, baseline)
			}
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// A 413 over HTTP/2 arrives whole, every time: Go's server follows a
// response that leaves the request body unread with RST_STREAM(NO_ERROR),
// which libcurl (nghttp2) takes as losing the response while it still
// uploads (curl: (18) transfer closed with 195 bytes remaining). The
// server now reads the rest of the body, so the stream ends without a
// reset. Checked with curl, the client that showed it.
func TestHTTP2RefusalArrivesWhole(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl")
	}
	if out, _ := exec.Command(curl, "--version").Output(); !bytes.Contains(out, []byte("HTTP2")) {
		t.Skip("curl without HTTP/2")
	}
	e := newEnv(t, func(c *config.Config) { c.Limits.MaxDocumentBytes = 1 << 20 })
	dir := t.TempDir()
	jobJSON, _ := json.Marshal(directRequest())
	os.WriteFile(filepath.Join(dir, "job.json"), jobJSON, 0o600)
	os.WriteFile(filepath.Join(dir, "big.pdf"), bytes.Repeat([]byte("a"), 16<<20), 0o600)
	pki := filepath.Join(e.data, "pki")
	for i := range 20 {
		out := filepath.Join(dir, fmt.Sprintf("out%d", i))
		cmd := exec.Command(curl, "-sS", "--http2", "--cacert", filepath.Join(pki, "root-ca.pem"),
			"--cert", filepath.Join(pki, "clients", orgA+".pem"), "--key", filepath.Join(pki, "clients", orgA+".key"),
			"-F", "job=@"+filepath.Join(dir, "job.json")+";type=application/json", "-F", "doc1=@"+filepath.Join(dir, "big.pdf"),
			"-o", out, "-w", "%{http_code} %{http_version}", e.srv.URL+"/api/v1/jobs")
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("try %d: curl: %v (%s)", i, err, got)
		}
		if string(got) != "413 2" {
			t.Fatalf("try %d: got %q, want 413 over HTTP/2", i, got)
		}
		var p struct{ Code string }
		raw, _ := os.ReadFile(out)
		if err := json.Unmarshal(raw, &p); err != nil || p.Code != "document-too-large" {
			t.Fatalf("try %d: body %q (%v)", i, raw, err)
		}
	}
}

// An HTTP/1.1 upload that expects 100 (Continue) and is refused before
// its body is read (here: no client certificate) is answered at once,
// with Connection: close, and never asked for its body, as net/http does
// for its own body reader: the client holds the body back. With the
// body's idle limit at an hour, a server that waited for it instead
// would hang this test.
func TestExpectContinueRefusedAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.HTTP.BodyIdleTimeout = time.Hour })
	conn, err := tls.Dial("tcp", e.cfg.Addr, &tls.Config{RootCAs: e.srv.Dev.Roots(), NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/jobs HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=x\r\n"+
		"Content-Length: 10000000\r\nExpect: 100-continue\r\n\r\n", e.cfg.Addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Fatalf("got %d (close %v), want 401 closing the connection", resp.StatusCode, resp.Close)
	}
}

// Every response of the listener says nosniff and HSTS: the API (an
// answer and a problem), /healthz, the pages and the development
// ID-porten's.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	anon, org := e.httpClient(""), e.httpClient(orgA)
	for _, tc := range []struct {
		name   string
		c      *http.Client
		target string
	}{
		{"api/answer", org, "/api/v1/jobs"},
		{"api/problem", anon, "/api/v1/jobs"},
		{"api/openapi", anon, "/api/v1/openapi.json"},
		{"api/no-endpoint", anon, "/api/v1/nope"},
		{"healthz", anon, "/healthz"},
		{"web/page", anon, "/sign/"},
		{"dev-idporten/page", anon, "/dev/idporten/authorize?" + url.Values{"client_id": {"nobody"}}.Encode()},
		{"dev-idporten/discovery", anon, "/dev/idporten/.well-known/openid-configuration"},
		{"mux/not-found", anon, "/nowhere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.c.Get(e.srv.URL + tc.target)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Strict-Transport-Security"); got != web.StrictTransportSecurity {
				t.Errorf("%d: Strict-Transport-Security %q", res.StatusCode, got)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%d: X-Content-Type-Options %q", res.StatusCode, got)
			}
		})
	}
}

// TLS 1.2 is offered with AEAD suites only: a client that offers nothing
// but CBC suites gets no connection; one with GCM does.
func TestTLS12OffersOnlyAEAD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	addr := strings.TrimPrefix(e.srv.URL, "https://")
	dial := func(suites ...uint16) error {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: e.srv.Dev.Roots(), MaxVersion: tls.VersionTLS12, CipherSuites: suites})
		if err == nil {
			c.Close()
		}
		return err
	}
	cbc := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256}
	if err := dial(cbc...); err == nil {
		t.Error("a TLS 1.2 client offering only CBC suites was served")
	}
	for _, s := range cbc {
		if err := dial(s); err == nil {
			t.Errorf("%s accepted", tls.CipherSuiteName(s))
		}
	}
	if err := dial(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); err != nil {
		t.Errorf("AEAD refused: %v", err)
	}
}
