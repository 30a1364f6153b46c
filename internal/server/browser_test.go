package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/pdfa"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/validate"
)

// TestBrowserCeremony runs e2e/browser/ceremony.test.mjs in Debian's
// Chromium against segl started as `serve --dev` would run it, with the
// jobs created through the API, and then asks the API, with the status
// query tokens the browser carried to the sender, how the jobs ended, and
// checks who signed the advanced jobs' files. segl runs on a clock the
// browser tests can move forward (over a job's expiry) through a small
// control server of this test's own.
// Like internal/web's TestBrowser it needs node, npm, certutil and
// chromium; SEGL_SCREENSHOTS keeps the screenshots.
func TestBrowserCeremony(t *testing.T) {
	t.Parallel()
	harness, chromium := testtool.Browser(t)

	clk := &movableClock{}
	e := newEnvOnClock(t, clk)
	ctx := context.Background()
	c := e.client(orgA)
	direct := e.createWithText(c, directRequest())
	wrong := e.mustCreate(c, directRequest())
	highReq := directRequest()
	highReq.LevelOfAssurance = "high"
	high := e.mustCreate(c, highReq)
	portalReq := directRequest()
	portalReq.Flow, portalReq.ExitURLs, portalReq.Title = "portal", nil, "Samtykkeerklæring"
	portalReq.Signers = []client.SignerRequest{{PID: olaPID}}
	portal := e.createWithText(c, portalReq)

	// Advanced signatures in both flows, two signers in sequence each.
	advDirectReq := directRequest()
	advDirectReq.Title, advDirectReq.SignatureType, advDirectReq.LevelOfAssurance = "Aksjonæravtale", "advanced", "high"
	advDirect := e.createWithText(c, advDirectReq)
	advPortalReq := directRequest()
	advPortalReq.Flow, advPortalReq.ExitURLs, advPortalReq.Title = "portal", nil, "Kjøpekontrakt"
	advPortalReq.SignatureType, advPortalReq.LevelOfAssurance = "advanced", "high"
	// Kari first: Ola's task shows up only once she has signed, so the
	// portal test before it still ends with an empty list.
	advPortalReq.Signers = []client.SignerRequest{{PID: kariPID, Order: 1}, {PID: olaPID, Order: 2}}
	advPortal := e.createWithText(c, advPortalReq)

	// Kari's portal job for the keyboard-only run: a PDF of several pages
	// to turn in the preview, and a text document.
	var long bytes.Buffer
	if _, err := pdfa.RenderText(&long, strings.NewReader(strings.Repeat("Reglement for bruk av fellesarealene i gården.\n", 150)),
		pdfa.Meta{Title: "Reglement", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	kbReq := directRequest()
	kbReq.Flow, kbReq.ExitURLs, kbReq.Title = "portal", nil, "Husleiekontrakt"
	kbReq.Signers = []client.SignerRequest{{PID: kariPID}}
	kbReq.Documents = []client.DocumentRef{{Title: "Reglement", File: "doc1"}, {Title: "Samtykke", File: "doc2"}}
	keyboard, err := c.CreateJob(ctx, kbReq, []client.Upload{
		{Part: "doc1", FileName: "reglement.pdf", ContentType: "application/pdf", Body: bytes.NewReader(long.Bytes())},
		{Part: "doc2", FileName: "samtykke.txt", ContentType: "text/plain", Body: strings.NewReader(textDoc)}})
	if err != nil {
		t.Fatal(err)
	}

	rejected := e.mustCreate(c, directRequest())
	codeReq := directRequest()
	codeReq.Signers = []client.SignerRequest{{Email: "guest@example.test"}}
	coded := e.mustCreate(c, codeReq)
	locked := e.mustCreate(c, codeReq)
	e.lockLink(locked.Signers[0].SigningURL)
	refused := e.mustCreate(c, directRequest())
	noScriptReq := directRequest()
	noScriptReq.Signers = noScriptReq.Signers[:1]
	noScript := e.mustCreate(c, noScriptReq)
	// The shortest expiry of all, so that moving the clock past it ends
	// this job only. The browser tests take far less than ten minutes.
	expReq := directRequest()
	soon := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	expReq.ExpiresAt = &soon
	expiring := e.mustCreate(c, expReq)

	// The control server the browser tests call to move segl's clock past
	// the expiring job's deadline and to run the due-jobs sweep.
	control := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		switch r.URL.Path {
		case "/expire":
			clk.moveTo(expiring.ExpiresAt.Add(time.Minute))
			json.NewEncoder(w).Encode(map[string]any{"now": clk.Now()})
		case "/sweep":
			n, err := e.srv.Svc.RunDue(r.Context(), 100)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"changed": n})
		default:
			http.NotFound(w, r)
		}
	}))
	defer control.Close()

	cfg, _ := json.Marshal(map[string]any{
		"direct":      []string{direct.Signers[0].SigningURL, direct.Signers[1].SigningURL},
		"wrongPerson": wrong.Signers[0].SigningURL,
		"high":        high.Signers[0].SigningURL,
		"ola":         olaPID,
		"kari":        kariPID,
		"portalTitle": portal.Title,
		"advanced": map[string]any{
			"direct":      []string{advDirect.Signers[0].SigningURL, advDirect.Signers[1].SigningURL},
			"directTitle": advDirect.Title,
			"portalTitle": advPortal.Title,
		},
		"reject":        []string{rejected.Signers[0].SigningURL, rejected.Signers[1].SigningURL},
		"refused":       refused.Signers[0].SigningURL,
		"expiry":        expiring.Signers[0].SigningURL,
		"code":          coded.Signers[0].SigningURL,
		"locked":        locked.Signers[0].SigningURL,
		"control":       control.URL,
		"keyboardTitle": keyboard.Title,
		"sender":        e.orgName(orgA),
		"noScript":      noScript.Signers[0].SigningURL,
	})

	// A bound for a machine under load, not a speed the test expects.
	ctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	defer cancel()
	result := filepath.Join(t.TempDir(), "out.json")
	testtool.RunNode(t, ctx, harness, chromium, "ceremony.test.mjs", e.srv.URL, filepath.Join(e.data, "pki", "root-ca.pem"), "SEGL_CEREMONY="+string(cfg), "SEGL_CEREMONY_OUT="+result)

	raw, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	var tokens struct {
		Direct, Advanced []string
		Reject           string
	}
	if err := json.Unmarshal(raw, &tokens); err != nil || len(tokens.Direct) != 2 || len(tokens.Advanced) != 2 || tokens.Reject == "" {
		t.Fatalf("tokens from the browser: %s", raw)
	}
	// A token stands for the job, whose status is now the last signer's.
	for _, j := range []*client.Job{direct, portal, advDirect, advPortal, keyboard, noScript} {
		e.completed(c, j.ID)
	}
	for i, tok := range tokens.Direct {
		st, err := c.Status(ctx, tok)
		if err != nil || st.ID != direct.ID || st.Status != "completed" || st.Signers[i].Status != "signed" {
			t.Fatalf("status behind token %d: %v %+v", i, err, st)
		}
	}
	if got, err := c.Job(ctx, portal.ID); err != nil || got.Status != "completed" {
		t.Fatalf("portal job: %v %+v", err, got)
	}

	// The advanced jobs: completed, and every file signed by the two
	// persons with their own certificates, in order, never by the seal.
	for i, tok := range tokens.Advanced {
		st, err := c.Status(ctx, tok)
		if err != nil || st.ID != advDirect.ID || st.Status != "completed" || st.Signers[i].Status != "signed" {
			t.Fatalf("status behind advanced token %d: %v %+v", i, err, st)
		}
	}
	for _, j := range []*client.Job{advDirect, advPortal} {
		got, err := c.Job(ctx, j.ID)
		if err != nil || got.Status != "completed" {
			t.Fatalf("advanced job %q: %v %+v", j.Title, err, got)
		}
		want := []string{"Ola Nordmann", "Kari Nordmann"}
		if j == advPortal {
			want = []string{"Kari Nordmann", "Ola Nordmann"}
		}
		for _, d := range j.Documents {
			e.checkOwnSigners(ctx, c, j, d, want)
		}
	}

	// The rejection the browser made, with its reason.
	st, err := c.Status(ctx, tokens.Reject)
	if err != nil || st.ID != rejected.ID || st.Status != "rejected" ||
		st.Signers[0].Status != "rejected" || st.Signers[1].Status != "cancelled" {
		t.Fatalf("status after the rejection: %v %+v", err, st)
	}
	// The wrong person's login changed nothing.
	if got, err := c.Job(ctx, refused.ID); err != nil || got.Status != "active" ||
		got.Signers[0].Status == "signed" || got.Signers[0].Status == "rejected" {
		t.Fatalf("the job the wrong person opened: %v %+v", err, got)
	}
	// The job whose deadline passed: expired, with every signer.
	got, err := c.Job(ctx, expiring.ID)
	if err != nil || got.Status != "expired" {
		t.Fatalf("the expiring job: %v %+v", err, got)
	}
	for _, s := range got.Signers {
		if s.Status != "expired" {
			t.Errorf("signer %d of the expired job is %s", s.Order, s.Status)
		}
	}
	// Only that job: the others' deadlines are days away.
	if got, err := c.Job(ctx, wrong.ID); err != nil || got.Status != "active" {
		t.Fatalf("a job with a later deadline: %v %+v", err, got)
	}
}

// checkOwnSigners downloads the signed file of document d of job j through
// the API and checks that it validates and that its CAdES signatures are
// by the persons named in want, in order, with their own certificates:
// none by segl's TTP seal.
func (e *env) checkOwnSigners(ctx context.Context, c *client.Client, j *client.Job, d client.Document, want []string) {
	e.t.Helper()
	body, err := c.SignedDocument(ctx, j.ID, d.ID)
	if err != nil {
		e.t.Fatalf("%s/%s: %v", j.Title, d.Title, err)
	}
	signed, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		e.t.Fatal(err)
	}
	rep, err := validate.PDF(bytes.NewReader(signed), int64(len(signed)), validate.Options{Roots: e.srv.Dev.Roots()})
	if err != nil || !rep.Passed() {
		e.t.Fatalf("%s/%s: %v %+v", j.Title, d.Title, err, rep)
	}
	seal := e.srv.Dev.Seal.Cert
	sealSerial := fmt.Sprintf("%x", seal.SerialNumber)
	var got []string
	for _, s := range rep.Signatures {
		if s.Kind != "signature" {
			continue
		}
		if s.SubFilter != "ETSI.CAdES.detached" || s.Signer == nil {
			e.t.Fatalf("%s/%s: signature %s is %s by %v", j.Title, d.Title, s.Field, s.SubFilter, s.Signer)
		}
		if s.Signer.Serial == sealSerial || s.Signer.Subject == seal.Subject.String() {
			e.t.Fatalf("%s/%s: signature %s is by the TTP seal %s", j.Title, d.Title, s.Field, s.Signer.Subject)
		}
		got = append(got, s.Signer.Subject)
	}
	if len(got) != len(want) {
		e.t.Fatalf("%s/%s: signed by %q, want %q", j.Title, d.Title, got, want)
	}
	for i := range want {
		if !strings.Contains(got[i], "CN="+want[i]) {
			e.t.Fatalf("%s/%s: signature %d by %q, want %s's own certificate", j.Title, d.Title, i+1, got[i], want[i])
		}
	}
}

// movableClock is the system clock plus an offset that only grows: time
// runs as it does for the browser, and a test jumps over a deadline
// instead of waiting for it.
type movableClock struct{ offset atomic.Int64 }

func (c *movableClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// moveTo moves the clock forward to t (never back).
func (c *movableClock) moveTo(t time.Time) {
	if d := time.Until(t); d > time.Duration(c.offset.Load()) {
		c.offset.Store(int64(d))
	}
}
