package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/segl/segl/internal/errs"
)

// sessionEnv has session routes on GET (sessions do not depend on the CSRF
// check): /sign/start starts one for job j1, /sign/who shows it, /sign/other
// asks for job j2, /sign/logout ends it.
func sessionEnv(t *testing.T, opts Options) *testEnv {
	e := newEnv(t, opts)
	e.web.Mount(e.mux, "GET /sign/start", func(w http.ResponseWriter, r *http.Request) error {
		_, err := e.web.NewSession(w, r, Session{Job: "j1", Signer: "s1", Subject: "21909825250", LoA: "high"})
		return err
	})
	e.web.Mount(e.mux, "GET /sign/who", func(w http.ResponseWriter, r *http.Request) error {
		s, err := e.web.Session(w, r)
		if err != nil {
			return err
		}
		if err := s.For("j1", "s1"); err != nil {
			return err
		}
		w.Write([]byte(s.Subject + " " + s.LoA))
		return nil
	})
	e.web.Mount(e.mux, "GET /sign/other", func(w http.ResponseWriter, r *http.Request) error {
		s, err := e.web.Session(w, r)
		if err != nil {
			return err
		}
		return s.For("j2", "s1")
	})
	e.web.Mount(e.mux, "GET /sign/logout", func(w http.ResponseWriter, r *http.Request) error {
		e.web.EndSession(w, r)
		w.Write([]byte("bye"))
		return nil
	})
	return e
}

func TestSession(t *testing.T) {
	for _, tc := range []struct {
		name   string
		then   func(e *testEnv)
		status int
	}{
		{"ok/fresh", func(e *testEnv) {}, 200},
		{"ok/within-idle", func(e *testEnv) { e.clock.Advance(14 * time.Minute) }, 200},
		{"ok/sliding", func(e *testEnv) {
			for range 5 { // 50 minutes of activity, never 15 idle
				e.clock.Advance(10 * time.Minute)
				if res, _ := e.get("/sign/who"); res.StatusCode != 200 {
					e.t.Fatalf("sliding session ended early: %d", res.StatusCode)
				}
			}
			e.clock.Advance(10 * time.Minute)
		}, 200},
		{"fail/idle-expired", func(e *testEnv) { e.clock.Advance(15 * time.Minute) }, 401},
		{"fail/absolute-expired", func(e *testEnv) {
			for range 11 { // 110 minutes of activity
				e.clock.Advance(10 * time.Minute)
				e.get("/sign/who")
			}
			e.clock.Advance(10 * time.Minute) // 2 hours since login
		}, 401},
		{"fail/no-cookie", func(e *testEnv) { delete(e.jar, sessionCookie) }, 401},
		{"fail/tampered", func(e *testEnv) {
			c := e.jar[sessionCookie]
			raw, _ := base64.RawURLEncoding.DecodeString(c.Value)
			raw[len(raw)-20] ^= 1
			c.Value = base64.RawURLEncoding.EncodeToString(raw)
		}, 401},
		{"fail/truncated", func(e *testEnv) { e.jar[sessionCookie].Value = e.jar[sessionCookie].Value[:30] }, 401},
		{"fail/not-base64", func(e *testEnv) { e.jar[sessionCookie].Value = "!!!" }, 401},
		{"fail/other-key", func(e *testEnv) {
			other := sessionEnv(e.t, Options{Key: bytes.Repeat([]byte{9}, 32), Clock: e.clock})
			other.get("/sign/start")
			e.jar[sessionCookie] = other.jar[sessionCookie]
		}, 401},
		{"fail/sealed-for-another-cookie-name", func(e *testEnv) {
			// Same key, valid content, but sealed with another cookie name as
			// associated data: it must not open as a session.
			plain, _ := json.Marshal(Session{ID: "x", Job: "j1", Signer: "s1", Created: e.clock.Now(), Seen: e.clock.Now()})
			aead, _ := chacha20poly1305.NewX(e.web.sessionKeys[0])
			nonce := make([]byte, aead.NonceSize())
			sealed := aead.Seal(nonce, nonce, plain, []byte("__Host-segl-other"))
			e.jar[sessionCookie].Value = base64.RawURLEncoding.EncodeToString(sealed)
		}, 401},
		{"fail/other-job", func(e *testEnv) {}, 404},
		{"fail/logged-out", func(e *testEnv) { e.get("/sign/logout") }, 401},
		{"fail/clock-went-back", func(e *testEnv) { e.clock.Advance(-10 * time.Minute) }, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := sessionEnv(t, Options{})
			if res, _ := e.get("/sign/start"); res.StatusCode != 200 {
				t.Fatalf("start: %d", res.StatusCode)
			}
			tc.then(e)
			path := "/sign/who"
			if tc.name == "fail/other-job" {
				path = "/sign/other"
			}
			res, page := e.get(path)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tc.status, page)
			}
			switch tc.status {
			case 200:
				if page != "21909825250 high" {
					t.Errorf("session content: %q", page)
				}
			case 401:
				if !strings.Contains(page, "<h1>Økten din er avsluttet</h1>") {
					t.Errorf("not the session-ended page:\n%s", page)
				}
			}
		})
	}
}

func TestSessionCookieIsOpaque(t *testing.T) {
	e := sessionEnv(t, Options{})
	res, _ := e.get("/sign/start")
	var c *http.Cookie
	for _, sc := range res.Cookies() {
		if sc.Name == sessionCookie {
			c = sc
		}
	}
	if c == nil {
		t.Fatal("no session cookie")
	}
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge != 900 {
		t.Errorf("attributes: %+v", c)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(c.Value)
	// (Only strings long enough not to turn up by chance in random bytes.)
	for _, secret := range []string{"21909825250", `"job"`, `"sub"`} {
		if bytes.Contains(raw, []byte(secret)) || strings.Contains(c.Value, secret) {
			t.Errorf("cookie shows %q", secret)
		}
	}
}

// A session is sealed again when its idle expiry slides by a step (a
// sixteenth of the idle lifetime), not on every page: a signer's pages
// one after the other send no new cookie.
func TestSessionResealedWhenItSlides(t *testing.T) {
	e := sessionEnv(t, Options{})
	e.get("/sign/start")
	resealed := func() bool {
		res, page := e.get("/sign/who")
		if res.StatusCode != 200 {
			t.Fatalf("who: %d %s", res.StatusCode, page)
		}
		for _, c := range res.Cookies() {
			if c.Name == sessionCookie {
				return true
			}
		}
		return false
	}
	if resealed() {
		t.Error("a fresh session was sealed again")
	}
	e.clock.Advance(15 * time.Minute / slideSteps)
	if !resealed() {
		t.Error("the session was not sealed again a step later")
	}
	if resealed() {
		t.Error("the session was sealed again though it had just been")
	}
}

func TestSessionKeyRotation(t *testing.T) {
	oldKey := bytes.Repeat([]byte{1}, 32)
	e := sessionEnv(t, Options{Key: oldKey})
	e.get("/sign/start")
	next := sessionEnv(t, Options{Key: bytes.Repeat([]byte{2}, 32), OldKeys: [][]byte{oldKey}, Clock: e.clock})
	next.jar = e.jar
	if res, page := next.get("/sign/who"); res.StatusCode != 200 {
		t.Fatalf("old-key session refused: %d %s", res.StatusCode, page)
	}
	// Re-issued under the new key: readable without the old one.
	last := sessionEnv(t, Options{Key: bytes.Repeat([]byte{2}, 32), Clock: e.clock})
	last.jar = next.jar
	if res, _ := last.get("/sign/who"); res.StatusCode != 200 {
		t.Fatalf("re-sealed session refused: %d", res.StatusCode)
	}
}

func TestSessionErrorsAreUnauthenticated(t *testing.T) {
	e := newEnv(t, Options{})
	_, err := e.web.Session(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("got %v", err)
	}
}

func TestNewRejectsShortKeys(t *testing.T) {
	if _, err := New(Options{Key: make([]byte, 31)}); err == nil {
		t.Error("short key accepted")
	}
	if _, err := New(Options{Key: testKey, OldKeys: [][]byte{{1}}}); err == nil {
		t.Error("short old key accepted")
	}
}
