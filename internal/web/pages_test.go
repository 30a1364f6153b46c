package web

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"text/template/parse"
	"time"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/testtool"
)

// signerPageViews are the two pages every signer of a ceremony is shown:
// the link's start page and the job's page, with a job of one document.
func signerPageViews() map[string]any {
	j := &job.Job{ID: "j1", Title: "Leieavtale Storgata 1", Reference: "K-2026-114",
		ExpiresAt: time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC), SignatureType: "authenticated",
		Signers: []job.Signer{{ID: "s1"}, {ID: "s2"}}}
	return map[string]any{
		"sign_start": startView{SignerID: "s1", Token: "tok", Sender: senderView{Name: "Eksempel AS"}, Title: j.Title},
		"sign_job": jobView{Job: j, Signer: &j.Signers[0], Sender: "Eksempel AS", Brand: senderView{Name: "Eksempel AS"},
			Name: "Kari Nordmann", Position: 1, Total: 2,
			Docs: []docView{{ID: "d1", Title: "Leieavtale", FileName: "leieavtale.pdf", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				Size: 102400, Pages: 3, PDF: true, URL: "/sign/s1/documents/d1"}}},
	}
}

// BenchmarkSignerPages renders the signer's start and job pages through
// Protect, as a request to them does: the handler's rendering and the
// response it writes.
func BenchmarkSignerPages(b *testing.B) {
	w, err := New(Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	for name, data := range signerPageViews() {
		w.Mount(mux, "GET /sign/bench/"+name, func(rw http.ResponseWriter, r *http.Request) error {
			w.Render(rw, r, name, data)
			return nil
		})
	}
	for name := range signerPageViews() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest("GET", "https://segl.test/sign/bench/"+name, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d", name, rec.Code)
				}
				io.Copy(io.Discard, rec.Body)
			}
		})
	}
}

// pageCases are pages with data as their handlers give it, for tests that
// render every kind of page.
func pageCases() map[string]any {
	v := signerPageViews()
	job := v["sign_job"].(jobView)
	withErrors := job
	withErrors.Errors = []fieldError{{Field: "confirm", Key: "sign.job.confirm.missing"}}
	withErrors.Reason = "Feil <navn> & \"adresse\""
	withErrors.Role = &roleView{Number: "317510748", Name: "Eksempel AS"}
	nav := navView{Name: "Kari Nordmann", Org: "Eksempel AS", Admin: true, Switch: true}
	return map[string]any{
		"sign_start":          v["sign_start"],
		"sign_job":            job,
		"sign_job#errors":     withErrors,
		"sign_code":           codeView{SignerID: "s1", Token: "tok", Sent: true, Asked: true, Sender: senderView{Name: "Eksempel AS"}},
		"sign_used":           startView{SignerID: "s1", Token: "tok", Status: job.Signer.Status, Title: "Avtale"},
		"sign_home":           homeView{},
		"about_help":          aboutView{Who: "segl"},
		"about_privacy":       aboutView{Who: "segl"},
		"about_accessibility": aboutView{Who: "segl"},
		"about_contact":       aboutView{Who: "segl"},
		"error":               errorData{Key: "error.404"},
		"portal_jobs":         jobsView{Nav: nav},
		"portal_new":          newJobView{Nav: nav},
		"portal_users":        usersView{Nav: nav},
		"admin_orgs":          adminOrgsView{},
		"admin_usage":         adminUsageView{},
	}
}

// Folding the fixed texts and asset URLs into the templates changes no
// page: each renders byte for byte what the templates with their T and
// static calls render, in every language, in every context they appear in
// (text, attributes, URLs).
func TestFoldedPagesRenderTheSame(t *testing.T) {
	w, err := New(Options{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	unfolded, err := w.parseTemplates(false)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://segl.test/sign/s1/job?x=1")
	for _, lang := range w.languages {
		for name, data := range pageCases() {
			page, _, _ := strings.Cut(name, "#")
			p := &Page{Lang: lang, Status: 200, Data: data, CSRFToken: "tok<&>", Area: areaOf("/" + page), url: u, langs: w.languages}
			var folded, plain bytes.Buffer
			if err := w.pages[lang][page].ExecuteTemplate(&folded, path.Base(layoutFile), p); err != nil {
				t.Fatalf("%s/%s: %v", lang, name, err)
			}
			if err := unfolded[lang][page].ExecuteTemplate(&plain, path.Base(layoutFile), p); err != nil {
				t.Fatalf("%s/%s unfolded: %v", lang, name, err)
			}
			if folded.String() != plain.String() {
				t.Errorf("%s/%s: folded page differs:\n%s\nunfolded:\n%s", lang, name, folded.String(), plain.String())
			}
			if !strings.Contains(folded.String(), "/static/") {
				t.Errorf("%s/%s: no asset URL", lang, name)
			}
		}
	}
}

// A signer's job page is rendered on every visit of every signer: it
// looks its fixed texts up once, at start-up, not per request. The bound
// is on allocations, which count the template's work without a clock: 956
// with a call of T or static per text and asset, 775 folded, 767 into a
// buffer kept from the last page (825 under the race detector).
func TestJobPageRendersWithoutLookingUpItsTexts(t *testing.T) {
	w, err := New(Options{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	data := signerPageViews()["sign_job"]
	r := withState(httptest.NewRequest("GET", "https://segl.test/sign/s1/job", nil), &reqState{lang: Bokmal})
	var buf bytes.Buffer
	allocs := testing.AllocsPerRun(50, func() {
		buf.Reset()
		if _, err := w.execute(&buf, r, 200, "sign_job", data); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 850 {
		t.Errorf("rendering the job page allocates %.0f times, want at most 850", allocs)
	}
}

// The signer's pages escape no fixed text when they render: each was
// escaped once, at start-up, for the context it stands in.
func TestFixedTextsEscapedOnce(t *testing.T) {
	w, err := New(Options{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	known, err := probes()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	var walk func(l *parse.ListNode)
	walk = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for _, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.ActionNode:
				if chain, ok := escaperChain(n, parse.NodeString); ok && known[chain].t != nil {
					left = append(left, n.String())
				}
			case *parse.IfNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.RangeNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				walk(n.List)
				walk(n.ElseList)
			}
		}
	}
	for _, lang := range w.languages {
		for page, data := range signerPageViews() {
			// Rendered first: html/template escapes a template when it is
			// first executed.
			r := withState(httptest.NewRequest("GET", "https://segl.test/sign/s1/job", nil), &reqState{lang: lang})
			if _, err := w.execute(new(bytes.Buffer), r, 200, page, data); err != nil {
				t.Fatal(err)
			}
			for _, tmpl := range w.pages[lang][page].Templates() {
				if tmpl.Tree != nil {
					walk(tmpl.Tree.Root)
				}
			}
		}
	}
	if len(left) > 0 {
		t.Errorf("fixed texts escaped on every render: %q", left)
	}
}

// countingListener counts the writes to the connections it accepts: the
// TLS records, each one write system call, that a server sends.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return testtool.CountingConn{Conn: c, Writes: l.writes}, nil
}

// A page goes out with its length, over HTTP/1.1 and HTTP/2. Over HTTP/1.1
// it then takes as few writes as net/http allows for it, its 4 KB buffer
// filled with the header and the body's start, then the rest; chunked, a
// page over 8 KB took a third write for the closing empty chunk. Each
// write is a TLS record and a system call.
func TestPagesGoOutWhole(t *testing.T) {
	w, err := New(Options{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	data := signerPageViews()["sign_job"].(jobView)
	// A job of four documents: a page larger than twice net/http's
	// buffer, where chunking costs a write.
	data.Docs = append(data.Docs, data.Docs[0], data.Docs[0], data.Docs[0])
	w.Mount(mux, "GET /sign/s1/job", func(rw http.ResponseWriter, r *http.Request) error {
		w.Render(rw, r, "sign_job", data)
		return nil
	})
	var writes atomic.Int64
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = countingListener{srv.Listener, &writes}
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	for _, h2 := range []bool{false, true} {
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		// A custom TLS configuration leaves HTTP/2 off unless asked for.
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: h2}
		c := &http.Client{Transport: tr}
		get := func() (*http.Response, []byte) {
			res, err := c.Get(srv.URL + "/sign/s1/job")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			return res, b
		}
		get() // the handshake and, over HTTP/2, the connection's settings
		before := writes.Load()
		res, b := get()
		n := writes.Load() - before
		if res.ProtoMajor == 2 != h2 {
			t.Fatalf("HTTP/2 %v: got %s", h2, res.Proto)
		}
		if res.StatusCode != 200 || len(b) < 8<<10 {
			t.Fatalf("%s: %d, %d bytes", res.Proto, res.StatusCode, len(b))
		}
		if res.ContentLength != int64(len(b)) || len(res.TransferEncoding) != 0 {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %q for %d bytes", res.Proto, res.ContentLength, res.TransferEncoding, len(b))
		}
		t.Logf("%s: %d bytes in %d writes", res.Proto, len(b), n)
		// Over HTTP/2 the frames' writes depend on how the connection's
		// writer and the handler interleave (three to five for this page,
		// with or without the length), so only HTTP/1.1's are counted.
		if !h2 && n > 2 {
			t.Errorf("%s: a page of %d bytes took %d writes, want 2", res.Proto, len(b), n)
		}
		tr.CloseIdleConnections()
	}
}

// The language switch is written out per language, its comparisons
// decided; a range over the languages that reads its element in any other
// way than through its variable is left as it is.
func TestLanguageSwitchUnrolled(t *testing.T) {
	w, err := New(Options{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src string
		unrolled  bool
	}{
		{"ok/variable", `{{range $l := $.Languages}}<i lang="{{$l}}">{{if eq $l $.Lang}}*{{else}}{{$.LangURL $l}}{{end}}</i>{{end}}`, true},
		{"kept/dot", `{{range $l := $.Languages}}{{.}}{{end}}`, false},
		{"kept/else", `{{range $l := $.Languages}}{{$l}}{{else}}none{{end}}`, false},
		{"kept/declares", `{{range $l := $.Languages}}{{$x := $l}}{{$x}}{{end}}`, false},
		{"kept/nested", `{{range $l := $.Languages}}{{with $.Data}}{{$l}}{{end}}{{end}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := parse.Parse("t", tc.src, "{{", "}}", map[string]any{"eq": true})
			if err != nil {
				t.Fatal(err)
			}
			root := tree["t"].Root
			w.unrollLanguages(Bokmal, root)
			ranges := strings.Count(root.String(), "{{range")
			if tc.unrolled != (ranges == 0) {
				t.Fatalf("unrolled %v, want %v: %s", ranges == 0, tc.unrolled, root)
			}
			if tc.unrolled && strings.Contains(root.String(), "{{if") {
				t.Errorf("a comparison of constants is left: %s", root)
			}
		})
	}
	for _, lang := range w.languages {
		if layout := w.pages[lang]["sign_start"].Lookup(path.Base(layoutFile)); strings.Contains(layout.Tree.Root.String(), "Languages") {
			t.Errorf("%s: the layout still ranges over the languages", lang)
		}
	}
}

// LangURL keeps the page's path and query and sets lang, with or without
// a query to begin with.
func TestLangURL(t *testing.T) {
	for _, tc := range []struct{ page, want string }{
		{"/sign/s1/job", "/sign/s1/job?lang=en"},
		{"/sign/s1?t=a+b&x=1", "/sign/s1?lang=en&t=a+b&x=1"},
		{"/about/help?lang=nb", "/about/help?lang=en"},
		{"/a%20b/c", "/a%20b/c?lang=en"},
		{"/", "/?lang=en"},
	} {
		u, err := url.Parse(tc.page)
		if err != nil {
			t.Fatal(err)
		}
		if got := (&Page{url: u}).LangURL("en"); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.page, got, tc.want)
		}
	}
}
