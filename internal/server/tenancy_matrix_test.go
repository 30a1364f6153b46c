package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/store"
)

// The tenancy matrix (reliability.md §5 test 14, ASVS 8.2.2 and 8.4.1):
// every route of both APIs and of the pages, with every method it takes,
// tried by organisation B (its API certificate, Posten's API with its
// own number in the URL, its administrator's portal session, a signer's
// session of one of its jobs) with organisation A's ids, and with ids
// that exist nowhere. The two answers must be the same (status, headers
// that say anything, and the body with the ids put back), so an id tells
// B nothing, and that answer is "not found" wherever the route finds an
// object by id. The routes come from the server itself (Server.Routes),
// and each must have a row in tenancyRoutes: a route added without one
// fails the test.

// tenancyWant is what B gets on a route: status is the answer to every
// id, foreign or made up (0: no id to try, as for lists); why says why a
// route with no id is safe, or what else is checked of it.
type tenancyWant struct {
	status    int
	why       string
	orgStatus int               // the answer when the organisation in the path is A's (Posten's API: not a broker)
	form      []string          // ids sent in the form rather than the path
	fields    map[string]string // the rest of the form
}

// tenancyRoutes has a row for every pattern of Server.Routes.
var tenancyRoutes = map[string]tenancyWant{
	// /api/v1, with B's certificate.
	"POST /api/v1/jobs":                               {why: "creates B's own job; names no other object"},
	"GET /api/v1/jobs":                                {why: "list: TestTenancyListsAndFeeds"},
	"GET /api/v1/jobs/{id}":                           {status: 404},
	"DELETE /api/v1/jobs/{id}":                        {status: 404},
	"POST /api/v1/jobs/{id}/cancel":                   {status: 404},
	"GET /api/v1/jobs/{id}/documents/{doc}":           {status: 404},
	"GET /api/v1/jobs/{id}/documents/{doc}/signed":    {status: 404},
	"GET /api/v1/jobs/{id}/signers/{signer}/evidence": {status: 404},
	"GET /api/v1/status":                              {why: "status token: TestTenancyStatusTokens"},
	"GET /api/v1/events":                              {why: "feed: TestTenancyListsAndFeeds"},
	"POST /api/v1/events/ack":                         {why: "A's sequence numbers: TestTenancyIsolation"},
	"GET /api/v1/callback-secret":                     {why: "B's own secret: TestTenancyListsAndFeeds"},
	"GET /api/v1/openapi.json":                        {why: "public document"},
	"/api/":                                           {why: "no route: the same answer for any path"},

	// Posten's API, with B's certificate: B's own number in the path, or
	// A's, which has not made B its broker.
	"GET /api/{org}":                                               {status: 404, orgStatus: 403},
	"POST /api/{org}/direct/signature-jobs":                        {status: 404, orgStatus: 403},
	"POST /api/{org}/portal/signature-jobs":                        {status: 404, orgStatus: 403},
	"GET /api/{org}/direct/signature-jobs":                         {status: 404, orgStatus: 403},
	"GET /api/{org}/portal/signature-jobs":                         {status: 404, orgStatus: 403},
	"GET /api/{org}/direct/signature-jobs/{job}/status":            {status: 403, orgStatus: 403, why: "no status token is B's for A's job"},
	"POST /api/{org}/direct/signature-jobs/{job}/signers/{signer}": {status: 404, orgStatus: 403},
	"POST /api/{org}/portal/signature-jobs/{job}/cancel":           {status: 404, orgStatus: 403},
	"GET /api/{org}/archive/documents/{job}/pades":                 {status: 404, orgStatus: 403},
	"POST /api/{org}/direct/signature-jobs/{job}/complete":         {status: 404, orgStatus: 403},
	"POST /api/{org}/portal/signature-jobs/{job}/complete":         {status: 404, orgStatus: 403},
	"GET /api/{org}/direct/signature-jobs/{job}/xades/{signer}":    {status: 404, orgStatus: 403},
	"GET /api/{org}/portal/signature-jobs/{job}/xades/{signer}":    {status: 404, orgStatus: 403},
	"GET /api/{org}/direct/signature-jobs/{job}/pades":             {status: 404, orgStatus: 403},
	"GET /api/{org}/portal/signature-jobs/{job}/pades":             {status: 404, orgStatus: 403},
	"DELETE /api/{org}/direct/signature-jobs/{job}/documents":      {status: 404, orgStatus: 403},
	"DELETE /api/{org}/portal/signature-jobs/{job}/documents":      {status: 404, orgStatus: 403},
	"/api/{org}":  {status: 404, orgStatus: 403, why: "GET is Posten's whoami"},
	"/api/{org}/": {status: 404},

	// Pages that show nothing of any organisation's.
	"GET /static/{name}":       {why: "static assets"},
	"GET /favicon.ico":         {why: "static asset"},
	"GET /about/privacy":       {why: "static page"},
	"GET /about/accessibility": {why: "static page"},
	"GET /about/help":          {why: "static page"},
	"GET /about/contact":       {why: "static page"},
	"GET /logos/{org}/{file}":  {why: "a logo is public: the signer's pages show it before login"},
	"/sign/":                   {why: "no page: the same answer for any path"},
	"/portal/":                 {why: "no page: the same answer for any path"},
	"/admin/":                  {why: "no page: the same answer for any path"},
	"GET /sign/{$}":            {why: "start page"},
	"GET /session":             {why: "says only whether the request's own login is live"},
	"GET /sign/login":          {why: "starts a login"},
	"GET /sign/callback":       {why: "completes a login: TestCeremonyLoginTampering"},
	"POST /sign/logout":        {why: "ends the session"},
	"GET /portal/login":        {why: "starts a login"},
	"GET /portal/login/failed": {why: "explains a failed login"},
	"GET /portal/callback":     {why: "completes a login"},
	"POST /portal/logout":      {why: "ends the session"},
	"GET /admin/login":         {why: "starts a login"},
	"GET /admin/login/failed":  {why: "explains a failed login"},
	"GET /admin/callback":      {why: "completes a login"},
	"POST /admin/logout":       {why: "ends the session"},

	// The signer's pages, with a signer session of B's job and one of the
	// signer portal; a link's token is not given (it is an HMAC of the
	// signer: TestCeremonyReplayedLink).
	"GET /sign/{signer}":                 {status: 404},
	"POST /sign/{signer}/login":          {status: 404},
	"POST /sign/{signer}/code/send":      {status: 404},
	"POST /sign/{signer}/code":           {status: 404, fields: map[string]string{"code": "123456"}},
	"GET /sign/{signer}/job":             {status: 404},
	"GET /sign/{signer}/documents/{doc}": {status: 404},
	"POST /sign/{signer}/sign":           {status: 404, fields: map[string]string{"confirm": "yes"}},
	"POST /sign/{signer}/reject":         {status: 404, fields: map[string]string{"confirm": "yes", "reason": "nei"}},
	"GET /sign/{signer}/receipt":         {status: 404},
	"GET /sign/{signer}/receipt.pdf":     {status: 404},
	"GET /sign/{signer}/signed/{doc}":    {status: 404},

	// The portal, as B's administrator.
	"GET /portal/{$}":                                 {why: "list: TestTenancyListsAndFeeds"},
	"GET /portal/org":                                 {why: "the person's own organisations"},
	"POST /portal/org":                                {status: 403, form: []string{"org"}, why: "not a user of A's"},
	"GET /portal/jobs/new":                            {why: "an empty form"},
	"POST /portal/jobs":                               {why: "creates B's own job; names no other object"},
	"GET /portal/jobs/{id}":                           {status: 404},
	"POST /portal/jobs/{id}/cancel":                   {status: 404},
	"POST /portal/jobs/{id}/delete":                   {status: 404},
	"GET /portal/jobs/{id}/documents/{doc}":           {status: 404},
	"GET /portal/jobs/{id}/documents/{doc}/signed":    {status: 404},
	"GET /portal/jobs/{id}/signers/{signer}/evidence": {status: 404},
	"GET /portal/users":                               {why: "list: TestTenancyListsAndFeeds"},
	"POST /portal/users":                              {why: "grants access to B: a person may be a user of several organisations"},
	"POST /portal/users/role":                         {status: 404, form: []string{"pid"}, fields: map[string]string{"role": "sender"}},
	"POST /portal/users/remove":                       {status: 404, form: []string{"pid"}},

	// The central administration, as B's administrator, who is not one
	// of its administrators: refused alike whatever the organisation.
	"GET /admin/{$}":                         {why: "refused: TestAdminRefusesOthers"},
	"GET /admin/orgs":                        {why: "refused: TestAdminRefusesOthers"},
	"GET /admin/orgs/new":                    {why: "refused: TestAdminRefusesOthers"},
	"POST /admin/orgs/new":                   {status: 403, form: []string{"number"}},
	"GET /admin/orgs/{number}":               {status: 403},
	"POST /admin/orgs/{number}":              {status: 403},
	"POST /admin/orgs/{number}/logo":         {status: 403},
	"POST /admin/orgs/{number}/logo/remove":  {status: 403},
	"POST /admin/orgs/{number}/deactivate":   {status: 403},
	"POST /admin/orgs/{number}/reactivate":   {status: 403},
	"POST /admin/orgs/{number}/users/remove": {status: 403, form: []string{"pid"}},
	"GET /admin/usage":                       {why: "refused: TestAdminRefusesOthers"},
	"GET /admin/usage.csv":                   {why: "refused: TestAdminRefusesOthers"},
	"GET /admin/tasks":                       {why: "refused: TestAdminRefusesOthers"},
}

// TestTenancyMatrix: see the comment above.
func TestTenancyMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, b := e.client(orgA), e.client(orgB)

	// A's objects: a direct job its first signer has signed (evidence and
	// a signed revision exist) and a portal job; B's own of each, for the
	// ids B may use beside A's.
	reqA := directRequest()
	reqA.Title, reqA.Reference = "Avtale-A-tittel-3141", "sak-A-2718"
	jA := e.mustCreate(a, reqA)
	if _, err := e.srv.Svc.Sign(ctx, jA.Signers[0].ID, ola); err != nil {
		t.Fatal(err)
	}
	portalJob := func() client.JobRequest {
		req := directRequest()
		req.Flow, req.ExitURLs, req.Signers = "portal", nil, []client.SignerRequest{{PID: kariPID}}
		return req
	}
	jAP, jB, jBP := e.mustCreate(a, portalJob()), e.mustCreate(b, directRequest()), e.mustCreate(b, portalJob())
	ids := func(j *client.Job, org, pid string) map[string]string {
		return map[string]string{"id": j.ID, "job": j.ID, "doc": j.Documents[0].ID, "signer": j.Signers[0].ID,
			"org": org, "number": org, "pid": pid}
	}
	none := func(string) map[string]string {
		id := func() string { return uuid.Must(uuid.NewV7()).String() }
		return map[string]string{"id": id(), "job": id(), "doc": id(), "signer": id(), "org": onboardOrg, "number": onboardOrg,
			"pid": "12345678903"}
	}
	// jobs picks the jobs of a path's flow: Posten's API has a path per flow.
	jobs := func(path string) (foreign, own map[string]string) {
		if strings.Contains(path, "/portal/signature-jobs") {
			return ids(jAP, orgA, olaPID), ids(jBP, orgB, larsPID)
		}
		return ids(jA, orgA, olaPID), ids(jB, orgB, larsPID)
	}

	// B's people: its administrator in the portal and, logged in at the
	// administration, refused there; a signer of B's job by its link; a
	// signer logged in to the signer portal.
	lars := e.browser(t)
	lars.portalLogin(larsPID).want(t, http.StatusOK, "Signeringsoppdrag")
	larsAdmin := e.browser(t)
	larsAdmin.adminLogin(larsPID).want(t, http.StatusForbidden, "")
	olaB := e.browser(t)
	olaB.login(jB.Signers[0].SigningURL, olaPID, "").want(t, http.StatusOK, "Arbeidsavtale")
	kari := e.browser(t)
	kari.idp(kari.get("/sign/login"), kariPID, "bankid").want(t, http.StatusOK, "")
	web := func(br *browser, tokenPage string) func(method, path string, form url.Values) tenancyAnswer {
		m := csrfTokenRE.FindStringSubmatch(br.get(tokenPage).body)
		if m == nil {
			t.Fatalf("no CSRF token on %s", tokenPage)
		}
		br.bot.Follow = false
		return func(method, path string, form url.Values) tenancyAnswer {
			req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			if !safeMethod(method) {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-CSRF-Token", m[1])
			}
			p := br.check(br.bot.Do(req))
			return tenancyAnswer{status: p.status, header: p.header, body: p.body}
		}
	}
	api := func(method, path string, form url.Values) tenancyAnswer {
		req, err := http.NewRequest(method, e.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tenancyDo(t, b.HTTP, req)
	}
	type actor struct {
		name string
		do   func(method, path string, form url.Values) tenancyAnswer
	}
	actors := map[string][]actor{
		"/api/v1/":   {{"B's API client", api}},
		"/api/{org}": {{"B's Posten client", api}},
		"/portal/":   {{"B's administrator", web(lars, "/portal/")}},
		"/admin/":    {{"B's administrator at /admin", web(larsAdmin, "/admin/")}},
		"/sign/":     {{"B's signer", web(olaB, "/sign/"+jB.Signers[0].ID+"/job")}, {"a signer in the signer portal", web(kari, "/sign/")}},
		"/api/":      {{"B's API client", api}},
	}

	var missing []string
	for _, pattern := range e.srv.Routes {
		want, ok := tenancyRoutes[pattern]
		if !ok {
			missing = append(missing, pattern)
			continue
		}
		if want.status == 0 {
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		if path == "" {
			method, path = "GET", pattern
		}
		var who []actor
		longest := 0
		for prefix, as := range actors {
			if strings.HasPrefix(path, prefix) && len(prefix) > longest {
				who, longest = as, len(prefix)
			}
		}
		names := append(wildcards(path), want.form...)
		foreign, own := jobs(path)
		for _, ac := range who {
			for k := 0; k < len(names); k++ {
				// The first k ids are B's own, the rest A's or nobody's.
				fill := func(other map[string]string) (string, url.Values, []string) {
					p, form, used := path, url.Values{}, []string{}
					for i, n := range names {
						v := other[n]
						if i < k {
							v = own[n]
						}
						if strings.Contains(p, "{"+n+"}") {
							p = strings.Replace(p, "{"+n+"}", v, 1)
						} else {
							form.Set(n, v)
						}
						used = append(used, v)
					}
					for f, v := range want.fields {
						form.Set(f, v)
					}
					p = strings.Replace(p, "{$}", "", 1)
					if strings.HasSuffix(p, "/") && strings.HasPrefix(path, "/api/{org}") {
						p += "x"
					}
					return p, form, used
				}
				pf, ff, uf := fill(foreign)
				pn, fn, un := fill(none(path))
				got, gotNone := ac.do(method, pf, ff), ac.do(method, pn, fn)
				t.Logf("%-66s %-30s k=%d %d %d %.200s", pattern, ac.name, k, got.status, gotNone.status, got.body)
				if got.normal(uf, names) != gotNone.normal(un, names) {
					t.Errorf("%s as %s with %d own ids: A's ids answer\n%s\nunknown ids answer\n%s", pattern, ac.name, k, got, gotNone)
				}
				// With B's own job first, a refusal may be about that
				// job (a signer who has not signed has no receipt): the
				// same for any id after it, and never a success.
				wantStatus := want.status
				if names[k] == "org" && want.orgStatus != 0 {
					wantStatus = want.orgStatus
				}
				if k > 0 && got.status >= 400 {
					wantStatus = got.status
				}
				if got.status != wantStatus {
					t.Errorf("%s as %s with %d own ids: %d, want %d\n%.2000s", pattern, ac.name, k, got.status, wantStatus, got.body)
				}
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("routes without a row in tenancyRoutes: %q", missing)
	}

	// Every form of the pages, posted by B's own people with B's own ids
	// from another site: refused (403) without the CSRF token, and with it
	// when the browser says the request is cross-site (ASVS 3.5).
	type former struct {
		b         *browser
		tokenPage string
	}
	forms := map[string]former{"/portal/": {lars, "/portal/"}, "/admin/": {larsAdmin, "/admin/"},
		"/sign/": {olaB, "/sign/" + jB.Signers[0].ID + "/job"}}
	for _, pattern := range e.srv.Routes {
		method, path, _ := strings.Cut(pattern, " ")
		if path == "" || safeMethod(method) {
			continue
		}
		var f former
		for prefix, ff := range forms {
			if strings.HasPrefix(path, prefix) {
				f = ff
			}
		}
		if f.b == nil {
			continue
		}
		br := f.b
		_, own := jobs(path)
		for _, n := range wildcards(path) {
			path = strings.Replace(path, "{"+n+"}", own[n], 1)
		}
		m := csrfTokenRE.FindStringSubmatch(br.get(f.tokenPage).body)
		if m == nil {
			t.Fatalf("no CSRF token on %s", f.tokenPage)
		}
		for _, forged := range []struct {
			name   string
			header http.Header
			token  bool
		}{
			{"no token", nil, false},
			{"cross-site with the token", http.Header{"Sec-Fetch-Site": {"cross-site"}}, true},
			{"another origin with the token", http.Header{"Origin": {"https://evil.example"}}, true},
		} {
			form := url.Values{"confirm": {"yes"}, "org": {orgB}, "pid": {kariPID}, "role": {"admin"}}
			if forged.token {
				form.Set("csrf_token", m[1])
			}
			req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range forged.header {
				req.Header[k] = v
			}
			if p := br.check(br.bot.Do(req)); p.status != http.StatusForbidden {
				t.Errorf("%s posted %s: %d, want 403\n%.1000s", pattern, forged.name, p.status, p.body)
			}
		}
	}
	if got, err := b.Job(ctx, jB.ID); err != nil || got.Status != client.JobActive || got.Signers[0].Status != "waiting" && got.Signers[0].Status != "notified" {
		t.Errorf("B's job after the forged forms: %v %+v", err, got)
	}

	// Nothing of A's changed: no job cancelled, deleted, signed or
	// rejected, no user changed or removed, the organisation active.
	for _, j := range []*client.Job{jA, jAP} {
		got, err := a.Job(ctx, j.ID)
		if err != nil || got.Status != client.JobActive || got.DeletedAt != nil || got.Signers[len(got.Signers)-1].Status == "rejected" {
			t.Errorf("A's job %s after the matrix: %v %+v", j.ID, err, got)
		}
	}
	if u, err := e.srv.Store.User(ctx, orgA, olaPID); err != nil || u.Role != store.RoleAdmin {
		t.Errorf("A's administrator after the matrix: %v %+v", err, u)
	}
	if o, err := e.srv.Store.Org(ctx, orgA); err != nil || !o.Active || o.Logo.SHA256 != "" {
		t.Errorf("A after the matrix: %v %+v", err, o)
	}

	// Lists, searches and feeds: B sees none of A's rows, by any of its
	// ids, its title or its reference. (A signer's own tasks are listed
	// whoever sent them: they are the person's.)
	secrets := []string{jA.ID, jAP.ID, jA.Documents[0].ID, jA.Signers[0].ID, jAP.Signers[0].ID, jA.Title, jA.Reference}
	lists := []struct {
		name string
		got  tenancyAnswer
	}{
		{"GET /api/v1/jobs", api("GET", "/api/v1/jobs?limit=100", nil)},
		{"GET /api/v1/jobs?status=active", api("GET", "/api/v1/jobs?status=active", nil)},
		{"GET /api/v1/events", api("GET", "/api/v1/events", nil)},
		{"GET /api/v1/callback-secret", api("GET", "/api/v1/callback-secret", nil)},
		{"Posten direct poll", api("GET", "/api/"+orgB+"/direct/signature-jobs", nil)},
		{"Posten portal poll", api("GET", "/api/"+orgB+"/portal/signature-jobs", nil)},
		{"portal list", web(lars, "/portal/")("GET", "/portal/", nil)},
		{"portal users", web(lars, "/portal/")("GET", "/portal/users", nil)},
		{"portal organisations", web(lars, "/portal/")("GET", "/portal/org", nil)},
	}
	// A search for A's title, reference or id finds what a search for
	// words nobody used finds.
	search := web(lars, "/portal/")
	for _, term := range []string{jA.Title, jA.Reference, jA.ID, jA.Signers[0].ID} {
		other := strings.Repeat("x", len(term))
		got, gotNone := search("GET", "/portal/?"+url.Values{"q": {term}}.Encode(), nil), search("GET", "/portal/?"+url.Values{"q": {other}}.Encode(), nil)
		if got.normal([]string{term}, []string{"q"}) != gotNone.normal([]string{other}, []string{"q"}) {
			t.Errorf("the portal's search for %q of A's\n%s\nfor %q\n%s", term, got.normal([]string{term}, []string{"q"}), other, gotNone.normal([]string{other}, []string{"q"}))
		}
	}
	secretA, _ := e.client(orgA).CallbackSecret(ctx)
	for _, l := range lists {
		if l.got.status >= 400 {
			t.Errorf("%s: %d\n%.2000s", l.name, l.got.status, l.got.body)
		}
		for _, s := range append(secrets, secretA) {
			if strings.Contains(l.got.body, s) {
				t.Errorf("%s shows B %q of A's:\n%.3000s", l.name, s, l.got.body)
			}
		}
	}
}

func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// tenancyAnswer is what a client learns from an answer.
type tenancyAnswer struct {
	status int
	header http.Header
	body   string
}

func tenancyDo(t *testing.T, c *http.Client, req *http.Request) tenancyAnswer {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return tenancyAnswer{status: res.StatusCode, header: res.Header, body: string(body)}
}

// normal is the answer with the ids put back as their wildcards, and the
// headers that may say something about them.
func (ta tenancyAnswer) normal(ids, names []string) string {
	text := fmt.Sprintf("%d %s %s %s %s\n%s", ta.status, ta.header.Get("Content-Type"), ta.header.Get("Location"),
		ta.header.Get("Allow"), ta.header.Get("Content-Disposition"), ta.body)
	// The session timer counts seconds: two requests a second apart
	// under load differ there and nowhere else.
	text = sessionSecondsRE.ReplaceAllString(text, `$1""`)
	for i, id := range ids {
		text = strings.ReplaceAll(text, id, "{"+names[i]+"}")
		text = strings.ReplaceAll(text, url.PathEscape(id), "{"+names[i]+"}")
		text = strings.ReplaceAll(text, url.QueryEscape(id), "{"+names[i]+"}")
	}
	return text
}

func (ta tenancyAnswer) String() string {
	return fmt.Sprintf("%d %v\n%s", ta.status, ta.header, ta.body)
}

var wildcardRE = regexp.MustCompile(`\{([a-z]+)\}`)

var sessionSecondsRE = regexp.MustCompile(`(data-session-(?:left|end)=)"\d+"`)

// wildcards names the wildcards of a pattern's path in order ({$} is none).
func wildcards(path string) []string {
	var out []string
	for _, m := range wildcardRE.FindAllStringSubmatch(path, -1) {
		out = append(out, m[1])
	}
	return slices.Clip(out)
}

// TestTenancyStatusTokens: a status query token of A's job, which a
// signer carried back to A's exit URL, tells B no more when B presents it
// than a genuine token of a job that exists nowhere, from segl's API and
// from Posten's. (A forged token is told apart from a genuine one:
// TestCeremonyDirectTwoSignersToCompletion.)
func TestTenancyStatusTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jA := e.mustCreate(e.client(orgA), directRequest())
	genuine := e.srv.Svc.StatusToken(jA.ID, jA.Signers[0].ID)
	gone, goneSigner := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	nowhere := e.srv.Svc.StatusToken(gone, goneSigner)
	b := e.client(orgB).HTTP
	for _, path := range []string{"/api/v1/status?status_query_token=", "/api/" + orgB + "/direct/signature-jobs/{job}/status?status_query_token="} {
		ask := func(jobID, token string) tenancyAnswer {
			req, err := http.NewRequest("GET", e.srv.URL+strings.Replace(path, "{job}", jobID, 1)+url.QueryEscape(token), nil)
			if err != nil {
				t.Fatal(err)
			}
			return tenancyDo(t, b, req)
		}
		got, gotNowhere := ask(jA.ID, genuine), ask(gone, nowhere)
		names := []string{"token", "job", "signer"}
		if got.normal([]string{genuine, jA.ID, jA.Signers[0].ID}, names) != gotNowhere.normal([]string{nowhere, gone, goneSigner}, names) ||
			got.status != http.StatusNotFound {
			t.Errorf("%s: A's token answers\n%s\na token of no job\n%s", path, got, gotNowhere)
		}
	}
}
