package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	devmail "github.com/segl/segl/internal/dev/mail"
	devsms "github.com/segl/segl/internal/dev/sms"
	"github.com/segl/segl/internal/notify"
)

var deadline = time.Date(2026, 3, 31, 13, 0, 0, 0, time.UTC) // 15:00 in Oslo (CEST)

func signRequest(lang string) notify.Message {
	return notify.Message{
		To: "kari.nordmann@example.no", Lang: lang, Template: notify.SignRequest,
		Data: map[string]any{
			"Sender":   "Bærum kommune",
			"Title":    "Lærekontrakt for Åse Øvrebø",
			"Link":     "https://segl.example.no/sign/abc123?t=x&u=y",
			"Deadline": deadline,
		},
	}
}

// testTLS returns a server config with a fresh self-signed certificate for
// 127.0.0.1 and a client config that trusts only it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "devmail test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

func startDevmail(t *testing.T, s *devmail.Server) string {
	t.Helper()
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return addr
}

func newSMTP(t *testing.T, cfg notify.SMTPConfig) *notify.SMTP {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "noreply@segl.example.no"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	m, err := notify.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPDelivers(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	srv := &devmail.Server{TLSConfig: serverTLS, Users: map[string]string{"segl": "hemmelig"}}
	addr := startDevmail(t, srv)
	now := time.Date(2026, 3, 20, 9, 30, 0, 0, time.UTC)
	m := newSMTP(t, notify.SMTPConfig{
		Addr: addr, FromName: "segl – fellesløsning", TLSConfig: clientTLS,
		Username: "segl", Password: "hemmelig", Clock: clock.NewFake(now),
	})
	for _, tc := range []struct {
		lang, subject, deadline string
	}{
		{"nb", "Bærum kommune ber deg signere «Lærekontrakt for Åse Øvrebø»", "31. mars 2026 kl. 15:00"},
		{"en", `Bærum kommune asks you to sign "Lærekontrakt for Åse Øvrebø"`, "31 March 2026 at 15:00"},
	} {
		t.Run("ok/"+tc.lang, func(t *testing.T) {
			srv.Reset()
			if err := m.Send(t.Context(), signRequest(tc.lang)); err != nil {
				t.Fatal(err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("captured %d messages, want 1", len(got))
			}
			mm := got[0]
			if !mm.TLS || mm.User != "segl" {
				t.Errorf("TLS %v user %q, want STARTTLS and AUTH PLAIN", mm.TLS, mm.User)
			}
			if mm.From != "noreply@segl.example.no" || len(mm.To) != 1 || mm.To[0] != "kari.nordmann@example.no" {
				t.Errorf("envelope %s → %v", mm.From, mm.To)
			}
			for _, line := range strings.Split(string(mm.Data), "\r\n") {
				if len(line) > 78 {
					t.Errorf("line longer than 78 octets: %q", line)
				}
				for _, c := range []byte(line) {
					if c >= 0x80 {
						t.Fatalf("8-bit octet in a 7-bit message: %q", line)
					}
				}
			}
			p, err := mm.Parse()
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != tc.subject {
				t.Errorf("subject %q, want %q", p.Subject, tc.subject)
			}
			from, err := mail.ParseAddress(p.Header.Get("From"))
			if err != nil || from.Name != "segl – fellesløsning" || from.Address != "noreply@segl.example.no" {
				t.Errorf("From %q (%v)", p.Header.Get("From"), err)
			}
			if p.To != "kari.nordmann@example.no" {
				t.Errorf("To %q", p.To)
			}
			if d, err := p.Header.Date(); err != nil || !d.Equal(now) {
				t.Errorf("Date %v (%v), want %v", d, err, now)
			}
			if id := p.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@segl.example.no>") {
				t.Errorf("Message-ID %q", id)
			}
			if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
				t.Errorf("Content-Type %q", ct)
			}
			for _, want := range []string{"Lærekontrakt for Åse Øvrebø", "Bærum kommune", tc.deadline, "https://segl.example.no/sign/abc123?t=x&u=y"} {
				if !strings.Contains(p.Text, want) {
					t.Errorf("text part lacks %q:\n%s", want, p.Text)
				}
			}
			for _, want := range []string{`<html lang="` + tc.lang + `">`, "Lærekontrakt for Åse Øvrebø", tc.deadline, `href="https://segl.example.no/sign/abc123?t=x&amp;u=y"`} {
				if !strings.Contains(p.HTML, want) {
					t.Errorf("HTML part lacks %q:\n%s", want, p.HTML)
				}
			}
		})
	}
}

func TestTemplatesRender(t *testing.T) {
	data := map[string]map[string]any{
		notify.SignRequest:  {"Sender": "NAV", "Title": "T", "Link": "https://x.example/s", "Deadline": deadline, "Note": "Husk <b>frist</b>"},
		notify.Reminder:     {"Sender": "NAV", "Title": "T", "Link": "https://x.example/s", "Deadline": deadline},
		notify.JobCompleted: {"Title": "T", "Link": "https://x.example/j"},
		notify.JobEnded:     {"Title": "T", "Link": "https://x.example/j", "Outcome": "expired"},
		notify.OneTimeCode:  {"Code": "493 817", "Minutes": 10},
	}
	for name, d := range data {
		for _, lang := range append([]string{""}, notify.Languages()...) {
			r, err := notify.Render(notify.Message{Lang: lang, Template: name, Data: d})
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, name, err)
			}
			for part, s := range map[string]string{"subject": r.Subject, "text": r.Text, "html": r.HTML, "sms": r.SMS} {
				if s == "" || strings.Contains(s, "no value") {
					t.Errorf("%s/%s %s: %q", lang, name, part, s)
				}
			}
			if len(r.SMS) > 320 {
				t.Errorf("%s/%s sms is %d bytes", lang, name, len(r.SMS))
			}
		}
	}
	r, err := notify.Render(notify.Message{Template: notify.SignRequest, Data: data[notify.SignRequest]})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.HTML, "Husk &lt;b&gt;frist&lt;/b&gt;") {
		t.Errorf("note not escaped in HTML:\n%s", r.HTML)
	}
	for _, m := range []notify.Message{
		{Template: notify.JobCompleted, Data: map[string]any{"Title": "T"}},
		{Template: "nope", Data: data[notify.JobCompleted]},
		{Lang: "sv", Template: notify.JobCompleted, Data: data[notify.JobCompleted]},
		{Template: notify.SignRequest, Data: map[string]any{"Sender": "NAV", "Title": "T", "Link": "x", "Deadline": "tomorrow"}},
	} {
		if _, err := notify.Render(m); !errors.Is(err, notify.ErrInvalid) || !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Render(%v) = %v, want ErrInvalid", m, err)
		}
	}
}

// Notices come in nynorsk too, with nynorsk dates, and a reader whose
// register language has no templates (Northern Sámi, as yet) is written
// to in bokmål.
func TestNoticeLanguages(t *testing.T) {
	if got := notify.Languages(); !slices.Equal(got, []string{"nb", "en", "nn"}) {
		t.Fatalf("languages %v", got)
	}
	r, err := notify.Render(notify.Message{Lang: notify.Language("nn"), Template: notify.SignRequest,
		Data: map[string]any{"Sender": "Lånekassen", "Title": "Avtale", "Link": "https://x.example/s", "Deadline": deadline}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Lånekassen har sendt deg eit dokument til signering: «Avtale».", "Opne lenkja", "kl. "} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("nynorsk text lacks %q:\n%s", want, r.Text)
		}
	}
	if !strings.Contains(r.HTML, `<html lang="nn">`) {
		t.Errorf("nynorsk HTML is not marked nn")
	}
	if got := notify.Language("se"); got != notify.LangNB {
		t.Errorf("se without templates: %s", got)
	}
}

func TestSMTPRefusesHeaderInjection(t *testing.T) {
	srv := &devmail.Server{}
	addr := startDevmail(t, srv)
	m := newSMTP(t, notify.SMTPConfig{Addr: addr, TLS: notify.StartTLSOpportunistic})
	for name, mod := range map[string]func(*notify.Message){
		"fail/crlf-in-title":       func(m *notify.Message) { m.Data["Title"] = "Kontrakt\r\nBcc: victim@example.com" },
		"fail/lf-in-sender":        func(m *notify.Message) { m.Data["Sender"] = "NAV\nX-Evil: 1" },
		"fail/cr-in-title":         func(m *notify.Message) { m.Data["Title"] = "a\rb" },
		"fail/crlf-in-to":          func(m *notify.Message) { m.To = "a@example.no\r\nBcc: victim@example.com" },
		"fail/display-name-in-to":  func(m *notify.Message) { m.To = "Kari <kari@example.no>" },
		"fail/two-recipients":      func(m *notify.Message) { m.To = "a@example.no, b@example.no" },
		"fail/no-at":               func(m *notify.Message) { m.To = "kari" },
		"fail/non-ascii-address":   func(m *notify.Message) { m.To = "kåre@example.no" },
		"fail/nul-in-title":        func(m *notify.Message) { m.Data["Title"] = "a\x00b" },
		"fail/smtp-command-in-to":  func(m *notify.Message) { m.To = "a@example.no>\r\nRCPT TO:<b@example.no" },
		"fail/empty-to":            func(m *notify.Message) { m.To = "" },
		"fail/missing-deadline":    func(m *notify.Message) { delete(m.Data, "Deadline") },
		"fail/unknown-template":    func(m *notify.Message) { m.Template = "sign-request-v2" },
		"fail/unknown-language-se": func(m *notify.Message) { m.Lang = "se" },
	} {
		t.Run(name, func(t *testing.T) {
			msg := signRequest("nb")
			mod(&msg)
			err := m.Send(t.Context(), msg)
			if !errors.Is(err, notify.ErrInvalid) || !errors.Is(err, notify.ErrPermanent) || errors.Is(err, notify.ErrTemporary) {
				t.Fatalf("Send = %v, want ErrInvalid", err)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server captured %d messages", n)
	}
	for name, cfg := range map[string]notify.SMTPConfig{
		"fail/crlf-in-from-name": {Addr: addr, From: "noreply@segl.example.no", FromName: "segl\r\nBcc: x@example.com"},
		"fail/crlf-in-from":      {Addr: addr, From: "noreply@segl.example.no\r\nBcc: x@example.com"},
		"fail/bad-addr":          {Addr: "localhost", From: "noreply@segl.example.no"},
	} {
		if _, err := notify.NewSMTP(cfg); err == nil {
			t.Errorf("%s: NewSMTP accepted %+v", name, cfg)
		}
	}
}

func TestSMTPClassifiesErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		verb       string
		code       int
		temporary  bool
		wantInText string
	}{
		{"fail/451-rcpt", "RCPT", 451, true, "451"},
		{"fail/452-mail", "MAIL", 452, true, "452"},
		{"fail/550-rcpt", "RCPT", 550, false, "550"},
		{"fail/554-data", "DATA", 554, false, "554"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &devmail.Server{Reject: func(verb, arg string) (int, string) {
				if verb == tc.verb {
					return tc.code, "no thanks"
				}
				return 0, ""
			}}
			m := newSMTP(t, notify.SMTPConfig{Addr: startDevmail(t, srv), TLS: notify.StartTLSOpportunistic})
			err := m.Send(t.Context(), signRequest("nb"))
			if errors.Is(err, notify.ErrTemporary) != tc.temporary || errors.Is(err, notify.ErrPermanent) == tc.temporary {
				t.Fatalf("Send = %v, want temporary=%v", err, tc.temporary)
			}
			if !strings.Contains(err.Error(), tc.wantInText) {
				t.Errorf("error %q lacks %q", err, tc.wantInText)
			}
		})
	}

	t.Run("fail/server-down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		m := newSMTP(t, notify.SMTPConfig{Addr: addr, TLS: notify.StartTLSOpportunistic})
		if err := m.Send(t.Context(), signRequest("nb")); !errors.Is(err, notify.ErrTemporary) {
			t.Fatalf("Send = %v, want ErrTemporary", err)
		}
	})

	t.Run("fail/server-silent-timeout", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				defer c.Close()
				time.Sleep(2 * time.Second)
			}
		}()
		m := newSMTP(t, notify.SMTPConfig{Addr: l.Addr().String(), TLS: notify.StartTLSOpportunistic, Timeout: 200 * time.Millisecond})
		start := time.Now()
		err = m.Send(t.Context(), signRequest("nb"))
		if !errors.Is(err, notify.ErrTemporary) {
			t.Fatalf("Send = %v, want ErrTemporary", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Send took %v despite a 200ms timeout", d)
		}
	})

	t.Run("fail/context-cancelled", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				defer c.Close()
				time.Sleep(2 * time.Second)
			}
		}()
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		m := newSMTP(t, notify.SMTPConfig{Addr: l.Addr().String(), TLS: notify.StartTLSOpportunistic})
		if err := m.Send(ctx, signRequest("nb")); !errors.Is(err, notify.ErrTemporary) {
			t.Fatalf("Send = %v, want ErrTemporary", err)
		}
	})
}

func TestSMTPTLSPolicy(t *testing.T) {
	t.Run("fail/required-not-offered", func(t *testing.T) {
		srv := &devmail.Server{}
		m := newSMTP(t, notify.SMTPConfig{Addr: startDevmail(t, srv)}) // zero TLS mode: required
		err := m.Send(t.Context(), signRequest("nb"))
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("Send = %v, want a STARTTLS error", err)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("sent in clear text: %d messages captured", n)
		}
	})
	t.Run("ok/opportunistic-not-offered", func(t *testing.T) {
		srv := &devmail.Server{}
		m := newSMTP(t, notify.SMTPConfig{Addr: startDevmail(t, srv), TLS: notify.StartTLSOpportunistic})
		if err := m.Send(t.Context(), signRequest("nb")); err != nil {
			t.Fatal(err)
		}
		if got := srv.Messages(); len(got) != 1 || got[0].TLS {
			t.Fatalf("captured %+v", got)
		}
	})
	t.Run("fail/opportunistic-untrusted-certificate", func(t *testing.T) {
		serverTLS, _ := testTLS(t)
		_, otherClient := testTLS(t)
		srv := &devmail.Server{TLSConfig: serverTLS}
		m := newSMTP(t, notify.SMTPConfig{Addr: startDevmail(t, srv), TLS: notify.StartTLSOpportunistic, TLSConfig: otherClient})
		if err := m.Send(t.Context(), signRequest("nb")); err == nil {
			t.Fatal("sent over STARTTLS with an untrusted certificate")
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("captured %d messages", n)
		}
	})
	t.Run("fail/wrong-password", func(t *testing.T) {
		serverTLS, clientTLS := testTLS(t)
		srv := &devmail.Server{TLSConfig: serverTLS, Users: map[string]string{"segl": "hemmelig"}}
		m := newSMTP(t, notify.SMTPConfig{Addr: startDevmail(t, srv), TLSConfig: clientTLS, Username: "segl", Password: "feil"})
		if err := m.Send(t.Context(), signRequest("nb")); !errors.Is(err, notify.ErrPermanent) {
			t.Fatalf("Send = %v, want ErrPermanent (535)", err)
		}
	})
}

func TestHTTPGateway(t *testing.T) {
	gw := &devsms.Gateway{Token: "tok"}
	hs := httptest.NewServer(gw)
	defer hs.Close()
	otp := notify.Message{To: "+4791234567", Lang: "nb", Template: notify.OneTimeCode, Data: map[string]any{"Code": "493817", "Minutes": 10}}

	t.Run("ok/captured", func(t *testing.T) {
		g := &notify.HTTPGateway{URL: hs.URL, Token: "tok", Sender: "segl"}
		if err := g.Send(t.Context(), otp); err != nil {
			t.Fatal(err)
		}
		got := gw.Messages()
		if len(got) != 1 || got[0].To != "+4791234567" || got[0].Sender != "segl" || !strings.Contains(got[0].Text, "493817") || !strings.Contains(got[0].Text, "Engangskoden") {
			t.Fatalf("captured %+v", got)
		}
	})
	t.Run("fail/bad-token-permanent", func(t *testing.T) {
		g := &notify.HTTPGateway{URL: hs.URL, Token: "wrong"}
		if err := g.Send(t.Context(), otp); !errors.Is(err, notify.ErrPermanent) {
			t.Fatalf("Send = %v, want ErrPermanent", err)
		}
	})
	t.Run("fail/invalid-number", func(t *testing.T) {
		g := &notify.HTTPGateway{URL: hs.URL, Token: "tok"}
		for _, to := range []string{"91234567", "+47 912 34 567", "+4791234567\n", ""} {
			m := otp
			m.To = to
			if err := g.Send(t.Context(), m); !errors.Is(err, notify.ErrInvalid) {
				t.Errorf("Send(%q) = %v, want ErrInvalid", to, err)
			}
		}
	})
	for _, tc := range []struct {
		status    int
		temporary bool
	}{{503, true}, {500, true}, {429, true}, {400, false}, {403, false}} {
		t.Run("fail/status-"+http.StatusText(tc.status), func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "nope", tc.status)
			}))
			defer hs.Close()
			g := &notify.HTTPGateway{URL: hs.URL, Token: "tok"}
			err := g.Send(t.Context(), otp)
			if errors.Is(err, notify.ErrTemporary) != tc.temporary || errors.Is(err, notify.ErrPermanent) == tc.temporary {
				t.Fatalf("Send = %v, want temporary=%v", err, tc.temporary)
			}
		})
	}
	t.Run("fail/timeout-temporary", func(t *testing.T) {
		block := make(chan struct{})
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}))
		defer hs.Close()
		defer close(block)
		g := &notify.HTTPGateway{URL: hs.URL, Token: "tok", Client: &http.Client{Timeout: 100 * time.Millisecond}}
		if err := g.Send(t.Context(), otp); !errors.Is(err, notify.ErrTemporary) {
			t.Fatalf("Send = %v, want ErrTemporary", err)
		}
	})
}

func TestDevView(t *testing.T) {
	srv := &devmail.Server{}
	m := newSMTP(t, notify.SMTPConfig{Addr: startDevmail(t, srv), TLS: notify.StartTLSOpportunistic})
	if err := m.Send(t.Context(), signRequest("nb")); err != nil {
		t.Fatal(err)
	}
	gw := &devsms.Gateway{}
	gs := httptest.NewServer(gw)
	defer gs.Close()
	msg := signRequest("en")
	msg.To = "+4798765432"
	if err := (&notify.HTTPGateway{URL: gs.URL, Sender: "segl"}).Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	devmail.Handler(srv, gw).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body := rec.Body.String()
	for _, want := range []string{"Captured mail (1)", "Lærekontrakt for Åse Øvrebø", "Captured SMS (1)", "&#43;4798765432", "<iframe sandbox srcdoc="} {
		if !strings.Contains(body, want) {
			t.Errorf("dev view lacks %q", want)
		}
	}
}

func TestSMTPSubjectEncoding(t *testing.T) {
	srv := &devmail.Server{}
	m := newSMTP(t, notify.SMTPConfig{Addr: startDevmail(t, srv), TLS: notify.StartTLSOpportunistic})
	for _, title := range []string{
		"Plain",
		strings.Repeat("Arbeidsavtale ", 12),
		strings.Repeat("æøå ÆØÅ 😀 ", 15),
		"=?utf-8?q?not_an_encoded_word?= _ = ?",
		"Tab\there",
	} {
		srv.Reset()
		msg := notify.Message{To: "a@example.no", Lang: "en", Template: notify.JobCompleted, Data: map[string]any{"Title": title, "Link": "https://x.example/j"}}
		if err := m.Send(t.Context(), msg); err != nil {
			t.Fatalf("%q: %v", title, err)
		}
		got := srv.Messages()
		if len(got) != 1 {
			t.Fatalf("%q: %d messages", title, len(got))
		}
		head, _, _ := strings.Cut(string(got[0].Data), "\r\n\r\n")
		for _, line := range strings.Split(head, "\r\n") {
			if len(line) > 78 {
				t.Errorf("%q: header line of %d octets: %q", title, len(line), line)
			}
		}
		p, err := got[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if want := `Signing completed: "` + title + `"`; p.Subject != want {
			t.Errorf("subject %q, want %q", p.Subject, want)
		}
	}
}

// countingListener counts accepted connections and can drop them all.
type countingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *countingListener) accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *countingListener) dropAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
}

// TestSMTPReusesConnections: messages in a row share one session; when
// the server has dropped an idle session, the next message goes over a new
// one and is not lost.
func TestSMTPReusesConnections(t *testing.T) {
	srv := &devmail.Server{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &countingListener{Listener: ln}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	m := newSMTP(t, notify.SMTPConfig{Addr: ln.Addr().String(), TLS: notify.StartTLSOpportunistic})
	t.Cleanup(func() { m.Close() })
	for range 3 {
		if err := m.Send(t.Context(), signRequest("nb")); err != nil {
			t.Fatal(err)
		}
	}
	if n := l.accepted(); n != 1 {
		t.Fatalf("3 messages took %d connections, want 1", n)
	}
	l.dropAll()
	if err := m.Send(t.Context(), signRequest("nb")); err != nil {
		t.Fatalf("after the server dropped the idle session: %v", err)
	}
	if got, n := len(srv.Messages()), l.accepted(); got != 4 || n != 2 {
		t.Fatalf("%d messages over %d connections, want 4 over 2", got, n)
	}
}

// TestOneWordForSigners: the notices call the people who sign what the
// forms and the signature page call them, "undertegnere"; "mottaker" and
// "signatar" are not used for them (issue 14 item 10).
func TestOneWordForSigners(t *testing.T) {
	files, err := filepath.Glob("templates/nb/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, word := range []string{"mottaker", "signatar"} {
			if strings.Contains(strings.ToLower(string(b)), word) {
				t.Errorf("%s says %q", f, word)
			}
		}
	}
}
