package devmailbox_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	devmailbox "github.com/segl/segl/internal/dev/mailbox"
	"github.com/segl/segl/internal/dev/population"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/mailbox"
	"github.com/segl/segl/internal/mailbox/digipost"
	"github.com/segl/segl/internal/testtool"
)

const senderID = "123456"

type env struct {
	pop    *population.Population
	stand  *devmailbox.Handler
	client *digipost.Client
	key    *rsa.PrivateKey
	now    time.Time
}

func setup(t *testing.T) *env {
	t.Helper()
	pop, err := population.Load()
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	stand := devmailbox.New(pop, devmailbox.Options{SenderID: senderID, PublicKey: &key.PublicKey, Now: func() time.Time { return now }})
	srv := httptest.NewTLSServer(stand)
	t.Cleanup(srv.Close)
	return &env{pop: pop, stand: stand, key: key, now: now, client: &digipost.Client{
		BaseURL: srv.URL, SenderID: senderID, Key: key, HTTP: srv.Client(), Now: func() time.Time { return now },
	}}
}

func (e *env) person(t *testing.T, mailbox string) population.Person {
	for _, p := range e.pop.People {
		if p.DigitalMailbox == mailbox && p.KRRStatus == "active" {
			return p
		}
	}
	t.Fatalf("no active person with mailbox %q", mailbox)
	return population.Person{}
}

// doc is a message of one document.
func doc(id string, body []byte) mailbox.Message {
	return mailbox.Message{ID: id, Primary: pdfDoc("Signert: Arbeidsavtale", body)}
}

func pdfDoc(title string, body []byte) mailbox.Document {
	return mailbox.Document{Title: title, FileName: "arbeidsavtale.pdf", MediaType: "application/pdf", Body: bytes.NewReader(body), Size: int64(len(body))}
}

func TestDeliver(t *testing.T) {
	e := setup(t)
	body := []byte("%PDF-1.7\n\x00\x01\xff binary signed content\n%%EOF\n")

	t.Run("ok/digipost", func(t *testing.T) {
		p := e.person(t, "digipost")
		rc, err := e.client.Deliver(t.Context(), p.PID, doc("7f2c1b8e-0000-4000-8000-000000000001", body))
		if err != nil {
			t.Fatal(err)
		}
		if rc.ID != "7f2c1b8e-0000-4000-8000-000000000001" || rc.Provider != "digipost" || !rc.DeliveredAt.Equal(e.now) || rc.Duplicate {
			t.Errorf("receipt %+v", rc)
		}
		got := e.stand.Inbox(p.PID)
		if len(got) != 1 || !bytes.Equal(got[0].Body, body) || got[0].Subject != "Signert: Arbeidsavtale" || got[0].FileType != "pdf" || got[0].AuthLevel != "TWO_FACTOR" {
			t.Fatalf("inbox %+v", got)
		}
	})
	t.Run("ok/attachments-in-one-message", func(t *testing.T) {
		p := e.person(t, "digipost")
		receipt, text := []byte("%PDF-1.7\n receipt\n%%EOF\n"), []byte("plain words")
		m := mailbox.Message{ID: "7f2c1b8e-0000-4000-8000-000000000002", Primary: pdfDoc("Avtale", body),
			Attachments: []mailbox.Document{pdfDoc("Kvittering: Avtale", receipt),
				{Title: "Vedlegg", FileName: "note.txt", MediaType: "text/plain", Body: bytes.NewReader(text), Size: int64(len(text))}}}
		before := len(e.stand.Inbox(p.PID))
		rc, err := e.client.Deliver(t.Context(), p.PID, m)
		if err != nil || rc.Duplicate {
			t.Fatalf("receipt %+v, err %v", rc, err)
		}
		got := e.stand.Inbox(p.PID)
		if len(got) != before+1 {
			t.Fatalf("%d messages after one delivery, want %d", len(got), before+1)
		}
		last := got[len(got)-1]
		docs := last.Documents()
		if last.MessageID != m.ID || len(docs) != 3 {
			t.Fatalf("message %s with %d documents, want %s with 3", last.MessageID, len(docs), m.ID)
		}
		for i, want := range []struct {
			subject, fileType string
			body              []byte
		}{{"Avtale", "pdf", body}, {"Kvittering: Avtale", "pdf", receipt}, {"Vedlegg", "txt", text}} {
			d := docs[i]
			if d.Subject != want.subject || d.FileType != want.fileType || !bytes.Equal(d.Body, want.body) || d.AuthLevel != "TWO_FACTOR" {
				t.Errorf("document %d: %q %q %q, want %q %q %q", i, d.Subject, d.FileType, d.Body, want.subject, want.fileType, want.body)
			}
			if sum := sha256.Sum256(want.body); d.SHA256 != hex.EncodeToString(sum[:]) || d.Size != len(want.body) {
				t.Errorf("document %d: sha256 %s size %d", i, d.SHA256, d.Size)
			}
		}
		if docs[0].UUID == docs[1].UUID || docs[1].UUID == docs[2].UUID {
			t.Errorf("documents share a uuid: %s %s %s", docs[0].UUID, docs[1].UUID, docs[2].UUID)
		}
		// A retry of the message, attachments and all, is one duplicate.
		m.Primary.Body, m.Attachments[0].Body, m.Attachments[1].Body = bytes.NewReader(body), bytes.NewReader(receipt), bytes.NewReader(text)
		if rc, err := e.client.Deliver(t.Context(), p.PID, m); err != nil || !rc.Duplicate {
			t.Fatalf("retry: receipt %+v, err %v", rc, err)
		}
		if n := len(e.stand.Inbox(p.PID)); n != before+1 {
			t.Errorf("%d messages after a retry, want %d", n, before+1)
		}
	})
	t.Run("ok/retry-is-duplicate-not-redelivered", func(t *testing.T) {
		p := e.person(t, "digipost")
		rc, err := e.client.Deliver(t.Context(), p.PID, doc("7f2c1b8e-0000-4000-8000-000000000001", body))
		if err != nil || !rc.Duplicate {
			t.Fatalf("receipt %+v, err %v", rc, err)
		}
		if n := len(e.stand.Inbox(p.PID)); n != 2 { // and the message with attachments
			t.Errorf("%d deliveries after a retry, want 2", n)
		}
	})
	t.Run("ok/eboks-in-development", func(t *testing.T) {
		p := e.person(t, "eboks")
		if _, err := e.client.Deliver(t.Context(), p.PID, doc("", body)); err != nil {
			t.Fatal(err)
		}
		if got := e.stand.Inbox(p.PID); len(got) != 1 || got[0].Provider != "eboks" {
			t.Errorf("inbox %+v", got)
		}
	})
	for _, tc := range []struct{ name, pid string }{
		{"fail/no-mailbox", e.person(t, "").PID},
		{"fail/unknown-person", "21879498012"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.Deliver(t.Context(), tc.pid, doc("", body))
			if !errors.Is(err, mailbox.ErrNoMailbox) || !errs.Is(err, errs.NotFound) || errors.Is(err, mailbox.ErrTemporary) {
				t.Errorf("err = %v, want ErrNoMailbox", err)
			}
			if n := len(e.stand.Inbox(tc.pid)); n != 0 {
				t.Errorf("stand-in holds %d documents", n)
			}
		})
	}
	t.Run("fail/reserved-person-has-no-mailbox", func(t *testing.T) {
		for _, p := range e.pop.People {
			if p.KRRStatus != "active" {
				if _, err := e.client.Deliver(t.Context(), p.PID, doc("", body)); !errors.Is(err, mailbox.ErrNoMailbox) {
					t.Errorf("%s (%s): err = %v", p.PID, p.KRRStatus, err)
				}
			}
		}
	})
	t.Run("fail/size-mismatch", func(t *testing.T) {
		d := doc("", body)
		d.Primary.Size++
		if _, err := e.client.Deliver(t.Context(), e.person(t, "digipost").PID, d); !errs.Is(err, errs.Invalid) {
			t.Errorf("err = %v", err)
		}
	})
}

// TestRequestAuthentication: the stand-in refuses what Digipost refuses.
func TestRequestAuthentication(t *testing.T) {
	e := setup(t)
	pid := e.person(t, "digipost").PID
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(c *digipost.Client){
		"fail/wrong-key":    func(c *digipost.Client) { c.Key = other },
		"fail/wrong-sender": func(c *digipost.Client) { c.SenderID = "999" },
		"fail/clock-skew":   func(c *digipost.Client) { c.Now = func() time.Time { return e.now.Add(6 * time.Minute) } },
	} {
		t.Run(name, func(t *testing.T) {
			c := *e.client
			mutate(&c)
			_, err := c.Deliver(t.Context(), pid, doc("", []byte("x")))
			if err == nil || errors.Is(err, mailbox.ErrTemporary) || errors.Is(err, mailbox.ErrNoMailbox) {
				t.Errorf("err = %v, want a permanent refusal", err)
			}
		})
	}
	if n := len(e.stand.Inbox(pid)); n != 0 {
		t.Errorf("%d documents delivered by bad requests", n)
	}
}

func TestCanonicalString(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "https://api.digipost.no/Messages?A=1", nil)
	req.Header.Set("Date", "Wed, 29 Jun 2011 14:58:11 GMT")
	req.Header.Set("X-Content-SHA256", "q1MKE+RZFJgrefm34/uplM/R8/si9xzqGvvwK0YMbR0=")
	req.Header.Set("X-Digipost-UserId", "9999")
	want := "POST\n/messages\ndate: Wed, 29 Jun 2011 14:58:11 GMT\nx-content-sha256: q1MKE+RZFJgrefm34/uplM/R8/si9xzqGvvwK0YMbR0=\nx-digipost-userid: 9999\na=1\n"
	if got := digipost.Canonical(req); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestServerErrorIsTemporary(t *testing.T) {
	e := setup(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	c := *e.client
	c.BaseURL, c.HTTP = srv.URL, srv.Client()
	_, err := c.Deliver(t.Context(), e.person(t, "digipost").PID, doc("", []byte("x")))
	if !errors.Is(err, mailbox.ErrTemporary) || !errs.Is(err, errs.Unavailable) {
		t.Errorf("502: err = %v, want temporary", err)
	}
	srv.Close()
	_, err = c.Deliver(t.Context(), e.person(t, "digipost").PID, doc("", []byte("x")))
	if !errors.Is(err, mailbox.ErrTemporary) {
		t.Errorf("server gone: err = %v, want temporary", err)
	}
}

// TestTransportKeepsItsConnection sends three messages through
// digipost.Transport to a server that offers HTTP/2 as well: all go over
// HTTP/1.1 on one TLS connection, none paying a handshake of its own.
func TestTransportKeepsItsConnection(t *testing.T) {
	e := setup(t)
	var mu sync.Mutex
	var conns int
	var protos []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.Proto)
		mu.Unlock()
		e.stand.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	transport := digipost.Transport(&tls.Config{RootCAs: roots})
	defer transport.CloseIdleConnections()
	c := *e.client
	c.BaseURL, c.HTTP = srv.URL, &http.Client{Transport: transport}
	p := e.person(t, "digipost")
	for i := range 3 {
		if _, err := c.Deliver(t.Context(), p.PID, doc(fmt.Sprintf("7f2c1b8e-0000-4000-8000-%012d", 900+i), []byte("%PDF-1.7 x"))); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 || !slices.Equal(protos, []string{"HTTP/1.1", "HTTP/1.1", "HTTP/1.1"}) {
		t.Errorf("%d connections, protocols %v; want 1 connection and HTTP/1.1 each time", conns, protos)
	}
}

// TestKeepsABoundedInbox delivers ten messages of 60 KB to two persons
// through a stand-in that keeps 256 KiB of messages: it keeps the newest
// four, each with the bytes it came with although the buffers of the
// messages dropped were reused for them, and still refuses a message id
// whose message it dropped.
func TestKeepsABoundedInbox(t *testing.T) {
	e := setup(t)
	stand := devmailbox.New(e.pop, devmailbox.Options{SenderID: senderID, PublicKey: &e.key.PublicKey, Now: func() time.Time { return e.now },
		MaxKept: 256 << 10})
	srv := httptest.NewTLSServer(stand)
	defer srv.Close()
	c := *e.client
	c.BaseURL, c.HTTP = srv.URL, srv.Client()
	pids := []string{e.person(t, "digipost").PID, e.person(t, "eboks").PID}
	id := func(i int) string { return fmt.Sprintf("7f2c1b8e-0000-4000-8000-%012d", 700+i) }
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 60<<10) }
	for i := range 10 {
		if _, err := c.Deliver(t.Context(), pids[i%2], doc(id(i), content(i))); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for k, pid := range pids {
		for _, d := range stand.Inbox(pid) {
			var i int
			fmt.Sscanf(d.MessageID[len(d.MessageID)-3:], "%d", &i)
			i -= 700
			sum := sha256.Sum256(content(i))
			if i%2 != k || d.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s has message %d with a document of SHA-256 %s, not the one sent", pid, i, d.SHA256)
			}
			got = append(got, d.MessageID)
		}
	}
	slices.Sort(got)
	if want := []string{id(6), id(7), id(8), id(9)}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want the newest four %v", got, want)
	}
	if r, err := c.Deliver(t.Context(), pids[0], doc(id(0), content(0))); err != nil || !r.Duplicate {
		t.Errorf("a dropped message's id again: %+v, %v; want a duplicate", r, err)
	}
}

// lateReader is a transport that answers at once and leaves the request
// bodies unread, as a transport still writing a body when the answer
// comes does.
type lateReader struct{ reqs []*http.Request }

func (l *lateReader) RoundTrip(r *http.Request) (*http.Response, error) {
	l.reqs = append(l.reqs, r)
	answer := `<message-delivery xmlns="http://api.digipost.no/schema/v8"><message-id>x</message-id><delivery-method>DIGIPOST</delivery-method><status>DELIVERED</status></message-delivery>`
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(answer)), Request: r}, nil
}

// TestBodyOutlivesTheAnswer checks that a request body the transport reads
// after Deliver returned is still that request's, although request bodies
// are pooled: messages sent meanwhile do not take its buffer, and a body
// asked for again (GetBody) is the same bytes.
func TestBodyOutlivesTheAnswer(t *testing.T) {
	e := setup(t)
	late := &lateReader{}
	c := *e.client
	c.HTTP = &http.Client{Transport: late}
	p := e.person(t, "digipost")
	for i := range 4 {
		content := bytes.Repeat([]byte{byte('a' + i)}, 40<<10)
		if _, err := c.Deliver(t.Context(), p.PID, doc(fmt.Sprintf("7f2c1b8e-0000-4000-8000-%012d", 800+i), content)); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range late.reqs {
		again, err := r.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []io.ReadCloser{r.Body, again} {
			b, err := io.ReadAll(body)
			body.Close()
			sum := sha256.Sum256(b)
			if err != nil || int64(len(b)) != r.ContentLength || r.Header.Get("X-Content-SHA256") != base64.StdEncoding.EncodeToString(sum[:]) ||
				!bytes.Contains(b, bytes.Repeat([]byte{byte('a' + i)}, 40<<10)) {
				t.Fatalf("request %d: %d bytes (%v), not the body it was signed with", i, len(b), err)
			}
		}
		if _, err := r.Body.Read(make([]byte, 1)); err == nil {
			t.Errorf("request %d: the body reads after its Close", i)
		}
	}
}

// captured is a transport that keeps the request the client makes instead
// of sending it, so that the stand-in's own work can be measured alone.
type captured struct {
	req  *http.Request
	body []byte
}

func (c *captured) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	c.req, c.body = r, body
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, err
}

// TestDeliverMemory checks what the stand-in allocates to receive a 1 MB
// document: the request body, read once into a buffer of its size, of
// which the document it keeps is a part (about 1 MB); not the body and a
// copy of the document (about 2 MB), nor buffers grown by doubling (about
// 5 MB).
func TestDeliverMemory(t *testing.T) {
	e := setup(t)
	p := e.person(t, "digipost")
	content := bytes.Repeat([]byte("%PDF-1.7 signed content\n"), (1<<20)/24)
	c := &captured{}
	client := *e.client
	client.HTTP = &http.Client{Transport: c}
	if _, err := client.Deliver(t.Context(), p.PID, doc("7f2c1b8e-0000-4000-8000-0000000000aa", content)); err == nil || c.req == nil {
		t.Fatalf("want the captured request to fail, got %v", err)
	}
	req := httptest.NewRequest(http.MethodPost, c.req.URL.Path, bytes.NewReader(c.body))
	req.Header = c.req.Header.Clone()
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	e.stand.ServeHTTP(rec, req)
	runtime.ReadMemStats(&after)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := e.stand.Inbox(p.PID); len(got) != 1 || !bytes.Equal(got[0].Body, content) {
		t.Fatalf("inbox %d deliveries, want the document", len(got))
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(len(content)+len(content)/4); got > limit {
		t.Errorf("receiving a %d KB document allocated %d KB, want under %d KB", len(content)>>10, got>>10, limit>>10)
	}
}

// TestRefusesIncompleteMessage: the stand-in refuses, as Digipost does, a
// message whose documents and parts do not match one to one, and keeps
// nothing of it.
func TestRefusesIncompleteMessage(t *testing.T) {
	e := setup(t)
	p := e.person(t, "digipost")
	doc := func(uuid, subject string) digipost.Document {
		return digipost.Document{UUID: uuid, Subject: subject, FileType: "pdf", AuthenticationLevel: "TWO_FACTOR", SensitivityLevel: "NORMAL"}
	}
	for _, tc := range []struct {
		name  string
		msg   digipost.Message
		parts []string // the filenames of the document parts
	}{
		{"fail/attachment-without-part", digipost.Message{Primary: doc("a", "Avtale"), Attachments: []digipost.Document{doc("b", "Kvittering")}}, []string{"a"}},
		{"fail/part-not-described", digipost.Message{Primary: doc("a", "Avtale")}, []string{"a", "b"}},
		{"fail/part-twice", digipost.Message{Primary: doc("a", "Avtale"), Attachments: []digipost.Document{doc("b", "Kvittering")}}, []string{"a", "a"}},
		{"fail/attachment-without-subject", digipost.Message{Primary: doc("a", "Avtale"), Attachments: []digipost.Document{doc("b", "")}}, []string{"a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.msg.ID, tc.msg.Recipient.PID = "7f2c1b8e-0000-4000-8000-0000000000bb", p.PID
			x, err := xml.Marshal(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for i, name := range append([]string{"message"}, tc.parts...) {
				w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`attachment; filename="` + name + `"`}})
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					w.Write(x)
				} else {
					w.Write([]byte("%PDF-1.7\n%%EOF\n"))
				}
			}
			mw.Close()
			req := httptest.NewRequest(http.MethodPost, "/messages", bytes.NewReader(body.Bytes()))
			req.Header.Set("Content-Type", digipost.MediaTypeMultipart+"; boundary="+mw.Boundary())
			if err := digipost.Sign(req, body.Bytes(), senderID, e.key, e.now); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			e.stand.ServeHTTP(rec, req)
			var answer digipost.Error
			_ = xml.Unmarshal(rec.Body.Bytes(), &answer)
			if rec.Code != http.StatusBadRequest || answer.Code != "INVALID_MESSAGE" {
				t.Errorf("status %d %q, want 400 INVALID_MESSAGE: %s", rec.Code, answer.Code, rec.Body)
			}
			if n := len(e.stand.Inbox(p.PID)); n != 0 {
				t.Errorf("the stand-in kept %d messages", n)
			}
		})
	}
}

// BenchmarkReceive is the stand-in receiving one signer's message as a
// two-signer ceremony on a 100 KB document sends it: the signed document
// (about 210 KB) with the receipt (about 44 KB) attached, its Date, body
// hash and RSA signature checked. The requests are made and signed by the
// client outside the timer. Reported besides ns/op: the CPU time of the
// process while the stand-in receives, per message.
//
//	go test ./internal/dev/mailbox -run '^$' -bench Receive -benchmem -count 5
func BenchmarkReceive(b *testing.B) {
	pop, key, pid := benchSetup(b)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	stand := devmailbox.New(pop, devmailbox.Options{SenderID: senderID, PublicKey: &key.PublicKey, Now: func() time.Time { return now }})
	c := &captured{}
	client := &digipost.Client{BaseURL: "https://digipost.test", SenderID: senderID, Key: key, HTTP: &http.Client{Transport: c},
		Now: func() time.Time { return now }}
	b.ReportAllocs()
	var cpu time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		if _, err := client.Deliver(b.Context(), pid, ceremonyMessage(i)); err == nil || c.req == nil {
			b.Fatalf("want the captured request to fail, got %v", err)
		}
		req := httptest.NewRequest(http.MethodPost, c.req.URL.Path, bytes.NewReader(c.body))
		req.Header = c.req.Header.Clone()
		rec := httptest.NewRecorder()
		before := testtool.CPUTime()
		b.StartTimer()
		stand.ServeHTTP(rec, req)
		b.StopTimer()
		cpu += testtool.CPUTime() - before
		b.StartTimer()
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// benchSetup returns what the benchmarks deliver with: the population, the
// sender's key and an active Digipost user's pid.
func benchSetup(b *testing.B) (*population.Population, *rsa.PrivateKey, string) {
	pop, err := population.Load()
	if err != nil {
		b.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range pop.People {
		if p.DigitalMailbox == "digipost" && p.KRRStatus == "active" {
			return pop, key, p.PID
		}
	}
	b.Fatal("no active Digipost user")
	return nil, nil, ""
}

// The contents of a ceremony's message: a signed document of about 210 KB
// and a receipt of about 44 KB, random bytes.
var signedContent, receiptContent = func() ([]byte, []byte) {
	signed, receipt := make([]byte, 210<<10), make([]byte, 44<<10)
	rand.Read(signed)
	rand.Read(receipt)
	return signed, receipt
}()

// ceremonyMessage is the i-th message as a ceremony sends it.
func ceremonyMessage(i int) mailbox.Message {
	return mailbox.Message{ID: fmt.Sprintf("7f2c1b8e-0000-4000-8000-%012d", i), Primary: pdfDoc("Avtale", signedContent),
		Attachments: []mailbox.Document{pdfDoc("Kvittering: Avtale", receiptContent)}}
}

// BenchmarkDeliverTLS is one signer's message as a two-signer ceremony on a
// 100 KB document forwards it under segl serve --dev: the client builds,
// hashes and signs the request and sends it over TLS, on a connection kept
// from the one before, to the stand-in, which checks and keeps it; both in
// this process, as in the development server. "http1" is the client's own
// transport (digipost.Transport); "http2" the shared client the
// development server gave it before, which the server's listener offers
// HTTP/2 to. Reported besides ns/op: the process's CPU time per message.
//
//	go test ./internal/dev/mailbox -run '^$' -bench DeliverTLS -benchtime 300x -count 5
func BenchmarkDeliverTLS(b *testing.B) {
	pop, key, pid := benchSetup(b)
	for _, proto := range []string{"http1", "http2"} {
		b.Run(proto, func(b *testing.B) {
			stand := devmailbox.New(pop, devmailbox.Options{SenderID: senderID, PublicKey: &key.PublicKey})
			srv := httptest.NewUnstartedServer(stand)
			srv.EnableHTTP2 = true
			srv.StartTLS()
			b.Cleanup(srv.Close)
			roots := x509.NewCertPool()
			roots.AddCert(srv.Certificate())
			tlsConfig := &tls.Config{RootCAs: roots}
			transport := digipost.Transport(tlsConfig)
			if proto == "http2" {
				transport = &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16, TLSClientConfig: tlsConfig}
			}
			b.Cleanup(transport.CloseIdleConnections)
			client := &digipost.Client{BaseURL: srv.URL, SenderID: senderID, Key: key, HTTP: &http.Client{Transport: transport}}
			b.ReportAllocs()
			before := testtool.CPUTime()
			i := 0
			for b.Loop() {
				i++
				if _, err := client.Deliver(b.Context(), pid, ceremonyMessage(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(testtool.CPUTime()-before)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}
