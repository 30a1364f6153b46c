package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
)

// csrfEnv has a form page at GET /sign/form, an action at POST /sign/test
// that answers "done", and POST /sign/login that starts a session and shows
// the form again.
func csrfEnv(t *testing.T, opts Options) *testEnv {
	e := newEnv(t, opts)
	e.addPage("form", formPage)
	e.web.Mount(e.mux, "GET /sign/form", func(w http.ResponseWriter, r *http.Request) error {
		e.web.Render(w, r, "form", nil)
		return nil
	})
	e.web.Mount(e.mux, "POST /sign/test", func(w http.ResponseWriter, r *http.Request) error {
		if r.MultipartForm != nil {
			if fh := r.MultipartForm.File["doc"]; len(fh) != 1 || fh[0].Size != 5 {
				return errs.E(errs.Invalid, "bad-upload", "upload not seen")
			}
		}
		w.Write([]byte("done"))
		return nil
	})
	e.web.Mount(e.mux, "POST /sign/login", func(w http.ResponseWriter, r *http.Request) error {
		if _, err := e.web.NewSession(w, r, Session{Job: "j1", Signer: "s1"}); err != nil {
			return err
		}
		e.web.Render(w, r, "form", nil)
		return nil
	})
	return e
}

func formToken(t *testing.T, e *testEnv) string {
	t.Helper()
	res, page := e.get("/sign/form")
	if res.StatusCode != 200 {
		t.Fatalf("form page: %d", res.StatusCode)
	}
	return match(t, tokenRE, page)
}

func TestCSRF(t *testing.T) {
	for _, tc := range []struct {
		name   string
		send   func(t *testing.T, e *testEnv, token string) (*http.Response, string)
		status int
	}{
		{"ok/form-field", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", url.Values{"csrf_token": {tok}})
		}, 200},
		{"ok/header", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", nil, "X-CSRF-Token", tok)
		}, 200},
		{"ok/same-origin-fetch-metadata", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", url.Values{"csrf_token": {tok}}, "Sec-Fetch-Site", "same-origin")
		}, 200},
		{"ok/multipart", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("csrf_token", tok)
			fw, _ := mw.CreateFormFile("doc", "a.txt")
			fw.Write([]byte("hello"))
			mw.Close()
			r := httptest.NewRequest("POST", "https://segl.test/sign/test", &buf)
			r.Header.Set("Content-Type", mw.FormDataContentType())
			res := e.do(r)
			return res, body(t, res)
		}, 200},
		{"fail/no-token", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", url.Values{"x": {"1"}})
		}, 403},
		{"fail/wrong-token", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", url.Values{"csrf_token": {strings.Repeat("A", 43)}})
		}, 403},
		{"fail/garbage-token", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", url.Values{"csrf_token": {"<script>"}})
		}, 403},
		{"fail/no-cookie", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			delete(e.jar, csrfCookie)
			return e.postForm("/sign/test", url.Values{"csrf_token": {tok}})
		}, 403},
		{"fail/other-browsers-cookie", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			e.jar[csrfCookie] = &http.Cookie{Name: csrfCookie, Value: newNonce()}
			return e.postForm("/sign/test", url.Values{"csrf_token": {tok}})
		}, 403},
		{"fail/cross-site-even-with-token", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", url.Values{"csrf_token": {tok}}, "Sec-Fetch-Site", "cross-site")
		}, 403},
		{"fail/foreign-origin-even-with-token", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", url.Values{"csrf_token": {tok}}, "Origin", "https://evil.example")
		}, 403},
		{"fail/token-from-before-login", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			if res, _ := e.postForm("/sign/login", url.Values{"csrf_token": {tok}}); res.StatusCode != 200 {
				t.Fatalf("login: %d", res.StatusCode)
			}
			return e.postForm("/sign/test", url.Values{"csrf_token": {tok}})
		}, 403},
		{"ok/token-from-after-login", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			res, page := e.postForm("/sign/login", url.Values{"csrf_token": {tok}})
			if res.StatusCode != 200 {
				t.Fatalf("login: %d", res.StatusCode)
			}
			return e.postForm("/sign/test", url.Values{"csrf_token": {match(t, tokenRE, page)}})
		}, 200},
		{"fail/too-large", func(t *testing.T, e *testEnv, tok string) (*http.Response, string) {
			return e.postForm("/sign/test", url.Values{"csrf_token": {tok}, "pad": {strings.Repeat("x", 2000)}})
		}, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := csrfEnv(t, Options{MaxForm: 1000})
			tok := formToken(t, e)
			res, page := tc.send(t, e, tok)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tc.status, page)
			}
			switch tc.status {
			case 200:
				if page != "done" {
					t.Errorf("handler not reached: %s", page)
				}
			case 403:
				if !strings.Contains(page, "<h1>Skjemaet kunne ikke sendes</h1>") {
					t.Errorf("not the readable CSRF page:\n%s", page)
				}
				if strings.Contains(page, "done") {
					t.Error("handler ran")
				}
			}
		})
	}
}

func TestCSRFSafeMethodsPass(t *testing.T) {
	e := csrfEnv(t, Options{})
	for _, m := range []string{"GET", "HEAD"} {
		res := e.do(httptest.NewRequest(m, "https://segl.test/sign/form", nil))
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", m, res.StatusCode)
		}
	}
	c := e.jar[csrfCookie]
	if c == nil {
		t.Fatal("no CSRF cookie set")
	}
	res, _ := e.get("/sign/form")
	for _, sc := range res.Cookies() {
		if sc.Name == csrfCookie {
			t.Error("CSRF cookie re-issued although the browser has one")
		}
	}
}

func TestCSRFCookieAttributes(t *testing.T) {
	e := csrfEnv(t, Options{})
	res, _ := e.get("/sign/form")
	var found bool
	for _, c := range res.Cookies() {
		if c.Name == csrfCookie {
			found = true
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("attributes: %+v", c)
			}
		}
	}
	if !found {
		t.Fatal("no CSRF cookie")
	}
}

func TestCSRFRefusalIsLocalized(t *testing.T) {
	e := csrfEnv(t, Options{})
	formToken(t, e)
	res, page := e.postForm("/sign/test?lang=en", nil)
	if res.StatusCode != 403 || !strings.Contains(page, "<h1>The form could not be sent</h1>") {
		t.Fatalf("%d\n%s", res.StatusCode, page)
	}
}

func TestCSRFKeyRotation(t *testing.T) {
	oldKey := bytes.Repeat([]byte{1}, 32)
	e := csrfEnv(t, Options{Key: oldKey})
	tok := formToken(t, e)
	// A new release with a new key, the old one kept for reading.
	jar := e.jar
	e = csrfEnv(t, Options{Key: bytes.Repeat([]byte{2}, 32), OldKeys: [][]byte{oldKey}})
	e.jar = jar
	if res, page := e.postForm("/sign/test", url.Values{"csrf_token": {tok}}); res.StatusCode != 200 {
		t.Fatalf("old-key token refused: %d %s", res.StatusCode, page)
	}
	e = csrfEnv(t, Options{Key: bytes.Repeat([]byte{2}, 32)})
	e.jar = jar
	if res, _ := e.postForm("/sign/test", url.Values{"csrf_token": {tok}}); res.StatusCode != 403 {
		t.Fatalf("token of a retired key accepted: %d", res.StatusCode)
	}
}

// The JSON API shares the mux and must not be touched by the web's CSRF
// check: only mounted pages are protected.
func TestCSRFOnlyOnMountedPages(t *testing.T) {
	e := newEnv(t, Options{})
	e.mux.HandleFunc("POST /api/v1/jobs", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	res := e.do(httptest.NewRequest("POST", "https://segl.test/api/v1/jobs", strings.NewReader("{}")))
	if res.StatusCode != 201 {
		t.Fatalf("API request: %d", res.StatusCode)
	}
}

// countingBody is a large request body that counts what the handler read.
type countingBody struct {
	prefix io.Reader
	left   int64
	read   int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.prefix.Read(p)
	if n == 0 && err == io.EOF {
		if b.left <= 0 {
			return 0, io.EOF
		}
		n, err = int(min(int64(len(p)), b.left)), nil
		for i := range n {
			p[i] = 'a'
		}
		b.left -= int64(n)
	}
	b.read += int64(n)
	return n, err
}

// The CSRF check reads no more of a body than it needs to refuse it
// (issue 9): nothing without the cookie, nothing of an upload without a
// session, the first part of a multipart form whose token is wrong or not
// first, and a url-encoded form only up to the form limit.
func TestCSRFReadsNoMoreThanItMust(t *testing.T) {
	const size = 100 << 20
	multipartBody := func(first, value string) (string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField(first, value)
		mw.CreateFormFile("doc", "big.pdf")
		return buf.String(), mw.FormDataContentType()
	}
	for _, tc := range []struct {
		name     string
		path     string
		noCookie bool
		body     func(tok string) (prefix, contentType string)
		status   int
		maxRead  int64
	}{
		{"fail/no-cookie", "/sign/test", true, func(tok string) (string, string) {
			return "csrf_token=" + tok + "&pad=", "application/x-www-form-urlencoded"
		}, 403, 0},
		{"fail/upload-without-session", "/sign/upload", false, func(tok string) (string, string) {
			return multipartBody(csrfField, tok)
		}, 401, 0},
		{"fail/multipart-wrong-token", "/sign/test", false, func(tok string) (string, string) {
			return multipartBody(csrfField, strings.Repeat("A", 43))
		}, 403, 64 << 10},
		{"fail/multipart-token-not-first", "/sign/test", false, func(tok string) (string, string) {
			return multipartBody("title", "x")
		}, 403, 64 << 10},
		{"fail/form-over-limit", "/sign/test", false, func(tok string) (string, string) {
			return "csrf_token=" + tok + "&pad=", "application/x-www-form-urlencoded"
		}, 413, 1<<20 + 64<<10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := csrfEnv(t, Options{})
			e.web.MountUpload(e.mux, "POST /sign/upload", func(w http.ResponseWriter, r *http.Request) error {
				w.Write([]byte("done"))
				return nil
			})
			tok := formToken(t, e)
			if tc.noCookie {
				delete(e.jar, csrfCookie)
			}
			prefix, ct := tc.body(tok)
			b := &countingBody{prefix: strings.NewReader(prefix), left: size}
			r := httptest.NewRequest("POST", "https://segl.test"+tc.path, b)
			r.Header.Set("Content-Type", ct)
			res := e.do(r)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if b.read > tc.maxRead {
				t.Errorf("read %d bytes of the body, want at most %d", b.read, tc.maxRead)
			}
		})
	}
}

// An upload route takes a form with files when the token comes first and
// the browser has a session; the files are on disk, not in memory.
func TestUploadFormWithSession(t *testing.T) {
	e := csrfEnv(t, Options{})
	e.web.MountUpload(e.mux, "POST /sign/upload", func(w http.ResponseWriter, r *http.Request) error {
		fh := r.MultipartForm.File["doc"]
		if len(fh) != 1 || fh[0].Size != 3<<20 || r.PostForm.Get("title") != "Avtale" {
			return errs.E(errs.Invalid, "bad-upload", "upload not seen")
		}
		f, err := fh[0].Open()
		if err != nil {
			return err
		}
		defer f.Close()
		if _, ok := f.(*os.File); !ok {
			return errs.E(errs.Invalid, "in-memory", "file held in memory, not on disk")
		}
		w.Write([]byte("done"))
		return nil
	})
	tok := formToken(t, e)
	res, page := e.postForm("/sign/login", url.Values{"csrf_token": {tok}})
	if res.StatusCode != 200 {
		t.Fatalf("login: %d", res.StatusCode)
	}
	tok = match(t, tokenRE, page)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField(csrfField, tok)
	mw.WriteField("title", "Avtale")
	fw, _ := mw.CreateFormFile("doc", "a.pdf")
	fw.Write(bytes.Repeat([]byte("x"), 3<<20))
	mw.Close()
	r := httptest.NewRequest("POST", "https://segl.test/sign/upload", &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	res = e.do(r)
	if got := body(t, res); res.StatusCode != 200 || got != "done" {
		t.Fatalf("%d %s", res.StatusCode, got)
	}
}
