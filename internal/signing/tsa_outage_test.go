package signing

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/tsp"
)

// TestPartnerOutagesAreUnavailable: a remote TSA that refuses connections,
// hangs past the client's timeout, answers 500 or garbage, or replays an
// old token, and an OCSP responder that fails, make a signing act and a
// completion fail with errs.Unavailable (a signer is told to try again in
// a few minutes, a completion is retried), never an internal error, and
// nothing is written. Once the TSA answers again, both succeed.
func TestPartnerOutagesAreUnavailable(t *testing.T) {
	env := setup(t)
	d := env.dev
	authority, err := tsp.NewAuthority(d.TSA.Key, d.TSA.Cert, d.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	var mode atomic.Value // what the TSA does
	mode.Store("ok")
	release := make(chan struct{})
	var last struct { // the newest token answered while up, which "replay" answers every request with
		sync.Mutex
		reply []byte
	}
	tsa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case "hang":
			<-release
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
		case "garbage":
			w.Header().Set("Content-Type", "application/timestamp-reply")
			io.WriteString(w, "0\x03\x02\x01\x00garbage")
		case "replay":
			w.Header().Set("Content-Type", "application/timestamp-reply")
			last.Lock()
			w.Write(last.reply)
			last.Unlock()
		default:
			rec := httptest.NewRecorder()
			authority.ServeHTTP(rec, r)
			last.Lock()
			last.reply = rec.Body.Bytes()
			last.Unlock()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		}
	}))
	defer tsa.Close()
	defer close(release)
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close()

	roots := x509.NewCertPool()
	roots.AddCert(d.Root)
	client := &tsp.Client{URL: tsa.URL, Roots: roots, HTTP: &http.Client{}}
	var revocationsDown atomic.Bool
	rev, err := pki.OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	e := env.engine(t, func(c *Config) {
		c.TSA = client
		c.OCSP = flakyRevocations{pki.DevOCSP{Dev: d, Revoked: rev, Now: time.Now}, &revocationsDown}
	})
	doc, secondAct := halfSigned(t, e, "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e78") // while the TSA is up
	signAct := func() error { return secondAct(&bytes.Buffer{}) }
	completeOnce := func() error {
		var out bytes.Buffer
		return e.completeTo(context.Background(), &out, bytes.NewReader(doc.data), int64(len(doc.data)), nil)
	}

	outages := []struct {
		name string
		set  func()
	}{
		{"tsa-refused", func() { client.URL = refused.URL }},
		// Only the hang has a short client timeout: the other steps must
		// not fail for an answer slow under load.
		{"tsa-hangs", func() { client.HTTP.Timeout = 500 * time.Millisecond; mode.Store("hang") }},
		{"tsa-500", func() { mode.Store("500") }},
		{"tsa-garbage", func() { mode.Store("garbage") }},
		{"tsa-replays-a-token", func() { mode.Store("replay") }},
		{"ocsp-down", func() { revocationsDown.Store(true) }},
	}
	for _, o := range outages {
		t.Run(o.name, func(t *testing.T) {
			o.set()
			defer func() {
				client.URL, client.HTTP.Timeout, _ = tsa.URL, 0, mode.Swap("ok")
				revocationsDown.Store(false)
			}()
			for what, run := range map[string]func() error{"signing act": signAct, "completion": completeOnce} {
				err := run()
				if errs.KindOf(err) != errs.Unavailable {
					t.Errorf("%s: %v (kind %v), want Unavailable", what, err, errs.KindOf(err))
				}
			}
		})
	}
	// Recovered: the act and the completion go through.
	if err := signAct(); err != nil {
		t.Fatalf("signing act after the outages: %v", err)
	}
	if err := completeOnce(); err != nil {
		t.Fatalf("completion after the outages: %v", err)
	}
}

// flakyRevocations fails every question while down is set.
type flakyRevocations struct {
	pki.RevocationSource
	down *atomic.Bool
}

var errResponderDown = errors.New("ocsp responder down")

func (f flakyRevocations) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	if f.down.Load() {
		return nil, errResponderDown
	}
	return f.RevocationSource.OCSP(ctx, cert, issuer)
}

func (f flakyRevocations) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	if f.down.Load() {
		return nil, errResponderDown
	}
	return f.RevocationSource.CRL(ctx, cert, issuer)
}

// halfSigned prepares the document of a job for two signers and signs it
// in the first slot; secondAct makes the second signer's act on it,
// writing to out, as often as a test likes (nothing is recorded).
func halfSigned(t *testing.T, e *Engine, jobID string) (doc *document, secondAct func(out *bytes.Buffer) error) {
	t.Helper()
	j := Job{ID: jobID, Title: "Leieavtale", SenderOrg: "312345679",
		SenderName: "Eksempel kommune", Identifier: job.ShowBirthDateAndName, Signers: 2, Lang: "nb"}
	doc = prepare(t, e, j, "doc-1", "Leieavtale", "leieavtale.pdf", "application/pdf", testdocs.PDF("Leieavtale", 5_000))
	sign(t, e, Act{Job: j, Slot: 0, Signer: ola, SignedAt: time.Now()}, []*document{doc})
	act := Act{Job: j, Documents: []Document{doc.meta}, Slot: 1, Signer: kari, SignedAt: time.Now()}
	return doc, func(out *bytes.Buffer) error {
		_, _, err := e.signRevisions(context.Background(), act, nil,
			[]Revision{{Document: doc.meta.ID, Src: bytes.NewReader(doc.data), Size: int64(len(doc.data)), Out: out}})
		return err
	}
}
