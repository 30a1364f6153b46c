// Package signerbot is a scripted signer: a plain HTTP client with a cookie
// jar that goes through segl's signer pages and the development ID-porten's
// form the way a person's browser does (links, forms with their hidden CSRF
// fields, redirects within segl). The end-to-end tests and `segl bench`
// drive the real ceremony with it; browser tests use Chromium instead.
package signerbot

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// Browser is one person's browser. It follows redirects only within segl
// (and not at all while Follow is false): a redirect that leaves segl, to a
// sender's exit URL, is returned as the Page.
type Browser struct {
	Base   *url.URL
	HTTP   *http.Client
	Follow bool
}

// New makes a browser for the segl at base that trusts roots.
func New(base string, roots *x509.CertPool) (*Browser, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	b := &Browser{Base: u, Follow: true}
	b.HTTP = &http.Client{Jar: jar,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !b.Follow || req.URL.Host != u.Host {
				return http.ErrUseLastResponse
			}
			if len(via) > 10 {
				return errors.New("signerbot: too many redirects")
			}
			return nil
		}}
	return b, nil
}

// Page is a response as the browser ended up with it.
type Page struct {
	Status   int
	URL      *url.URL // where it was fetched from
	Location string   // of a redirect that was not followed
	Header   http.Header
	Body     string
}

// Do sends a request and reads the whole answer.
func (b *Browser) Do(req *http.Request) (Page, error) {
	res, err := b.HTTP.Do(req)
	if err != nil {
		return Page{}, fmt.Errorf("signerbot: %s %s: %w", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return Page{}, err
	}
	return Page{Status: res.StatusCode, URL: res.Request.URL, Location: res.Header.Get("Location"), Header: res.Header,
		Body: string(body)}, nil
}

// Get fetches a URL, or a path on segl.
func (b *Browser) Get(target string) (Page, error) {
	req, err := http.NewRequest("GET", b.abs(target), nil)
	if err != nil {
		return Page{}, err
	}
	return b.Do(req)
}

func (b *Browser) abs(target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimRight(b.Base.String(), "/") + target
	}
	return target
}

var (
	inputRE = regexp.MustCompile(`<input\b([^>]*)>`)
	attrRE  = regexp.MustCompile(`\b(name|value|type|action)="([^"]*)"`)
	h1RE    = regexp.MustCompile(`<h1>([^<]*)</h1>`)
	linkRE  = regexp.MustCompile(`<a [^>]*href="([^"]*)"[^>]*>([^<]*)</a>`)
)

func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(s, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// findForm returns the first form of page whose action ends with suffix:
// its action and what it holds up to </form>. It looks for the tags with
// strings.Index: a regular expression over the whole page (a form's
// content matched lazily up to its end tag) cost the bench client more
// than the rest of its page handling.
func findForm(page, suffix string) (action, content string, ok bool) {
	for rest := page; ; {
		i := strings.Index(rest, "<form")
		if i < 0 {
			return "", "", false
		}
		rest = rest[i+len("<form"):]
		if rest != "" && isWordByte(rest[0]) {
			continue // <formula> and the like
		}
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return "", "", false
		}
		tag := rest[:end]
		rest = rest[end+1:]
		formEnd := strings.Index(rest, "</form>")
		if formEnd < 0 {
			return "", "", false
		}
		content, rest = rest[:formEnd], rest[formEnd+len("</form>"):]
		if action := attrs(tag)["action"]; strings.HasSuffix(action, suffix) {
			return action, content, true
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// Submit posts the form of p whose action ends with suffix, with its hidden
// fields (the CSRF token, the IdP's interaction id …) plus fields.
func (b *Browser) Submit(p Page, suffix string, fields url.Values) (Page, error) {
	action, content, ok := findForm(p.Body, suffix)
	if !ok {
		return Page{}, fmt.Errorf("signerbot: no form with an action ending in %q on %s (%d)", suffix, p.URL, p.Status)
	}
	form := url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(content, -1) {
		if a := attrs(in[1]); a["type"] == "hidden" {
			form.Set(a["name"], a["value"])
		}
	}
	for k, v := range fields {
		form[k] = v
	}
	target, err := p.URL.Parse(action)
	if err != nil {
		return Page{}, err
	}
	req, err := http.NewRequest("POST", target.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return Page{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// Link follows the link of p whose text contains text.
func (b *Browser) Link(p Page, text string) (Page, error) {
	for _, m := range linkRE.FindAllStringSubmatch(p.Body, -1) {
		if strings.Contains(html.UnescapeString(m[2]), text) {
			target, err := p.URL.Parse(html.UnescapeString(m[1]))
			if err != nil {
				return Page{}, err
			}
			return b.Get(target.String())
		}
	}
	return Page{}, fmt.Errorf("signerbot: no link %q on %s", text, p.URL)
}

// IDPorten logs in on the development ID-porten's form in p as pid with the
// eID method ("" picks the person's best).
func (b *Browser) IDPorten(p Page, pid, method string) (Page, error) {
	if p.Status != 200 || p.URL.Path != "/dev/idporten/authorize" {
		return Page{}, fmt.Errorf("signerbot: not the ID-porten form: %d %s", p.Status, p.URL)
	}
	if method == "" {
		method = "auto"
	}
	return b.Submit(p, "/dev/idporten/authorize", url.Values{"pid": {pid}, "eid": {method}})
}

// Login opens a signer link and logs in as pid with method, landing on the
// job's page.
func (b *Browser) Login(link, pid, method string) (Page, error) {
	start, err := b.Get(link)
	if err != nil {
		return Page{}, err
	}
	if start.Status != 200 {
		return Page{}, fmt.Errorf("signerbot: signer link: %d", start.Status)
	}
	form, err := b.Submit(start, "/login", nil)
	if err != nil {
		return Page{}, err
	}
	return b.IDPorten(form, pid, method)
}

// H1 is the page's main heading.
func (p Page) H1() string {
	m := h1RE.FindStringSubmatch(p.Body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// ExitToken returns the status query token of a redirect to the sender's
// exit URL exit, or an error when p is not one.
func (p Page) ExitToken(exit string) (string, error) {
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, exit+"?status_query_token=") {
		return "", fmt.Errorf("signerbot: %s: got %d to %q, want a redirect to %s?status_query_token=…", p.URL, p.Status, p.Location, exit)
	}
	u, err := url.Parse(p.Location)
	if err != nil {
		return "", err
	}
	return u.Query().Get("status_query_token"), nil
}
