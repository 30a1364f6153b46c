// Package signerbot is a scripted signer: a plain HTTP client with a cookie
// jar that goes through segl's signer pages and the development ID-porten's
// form the way a person's browser does (links, forms with their hidden CSRF
// fields, redirects within segl). The end-to-end tests and `segl bench`
// drive the real ceremony with it; browser tests use Chromium instead.
package signerbot

import (
	"bytes"
	"context"
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
	"sync"
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
	return newBrowser(base, &tls.Config{RootCAs: roots})
}

// NewPinned makes a browser for the segl at base that accepts only the
// server certificate pin holds (see Pin), and talks to it over one
// connection (oneConn), as a load generator's browsers should.
func NewPinned(base string, pin *Pin) (*Browser, error) {
	b, err := newBrowser(base, pin.config)
	if err != nil {
		return nil, err
	}
	b.HTTP.Transport = newOneConn(b.Base, pin.config)
	return b, nil
}

func newBrowser(base string, tc *tls.Config) (*Browser, error) {
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
		Transport: &http.Transport{TLSClientConfig: tc, MaxIdleConnsPerHost: 4},
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

// Pin is the server certificate of one segl, verified once as a browser
// verifies it (its chain to the trusted roots, for the URL's host), so
// that many browsers can then recognise the server by that certificate
// alone, without building and checking its chain again on every new
// connection: that took a load generator a third of its handshake.
// The server is still authenticated on every connection: TLS checks its
// handshake signature against the pinned certificate's key.
type Pin struct {
	config *tls.Config
}

// PinServer connects to the segl at base, verifies its certificate
// against roots and pins it.
func PinServer(ctx context.Context, base string, roots *x509.CertPool) (*Pin, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("signerbot: pin %s: not https", base)
	}
	d := tls.Dialer{Config: &tls.Config{RootCAs: roots, ServerName: u.Hostname()}}
	conn, err := d.DialContext(ctx, "tcp", hostPort(u))
	if err != nil {
		return nil, fmt.Errorf("signerbot: pin %s: %w", base, err)
	}
	leaf := conn.(*tls.Conn).ConnectionState().PeerCertificates[0].Raw
	conn.Close()
	return &Pin{config: &tls.Config{
		// The chain was verified above; VerifyConnection accepts only the
		// certificate that was verified.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, leaf) {
				return errors.New("signerbot: the server's certificate is not the pinned one")
			}
			return nil
		},
	}}, nil
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
	var body strings.Builder
	if res.ContentLength > 0 {
		body.Grow(int(min(res.ContentLength, 1<<20)))
	}
	// io.Copy would take a 32 KiB buffer of its own for every answer.
	buf := copyBuffers.Get().(*[]byte)
	_, err = io.CopyBuffer(&body, res.Body, *buf)
	copyBuffers.Put(buf)
	if err != nil {
		return Page{}, err
	}
	return Page{Status: res.StatusCode, URL: res.Request.URL, Location: res.Header.Get("Location"), Header: res.Header,
		Body: body.String()}, nil
}

// copyBuffers are what Do reads answers through: *[]byte of 4 KiB, the
// size of the connection's read buffer.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

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
	h1RE   = regexp.MustCompile(`<h1>([^<]*)</h1>`)
	linkRE = regexp.MustCompile(`<a [^>]*href="([^"]*)"[^>]*>([^<]*)</a>`)
)

// findForm returns the first form of page whose action ends with suffix:
// its action and what it holds up to </form>. The bench client looks for
// tags and attributes by scanning for them: regular expressions over the
// whole page (a form's content matched lazily up to its end tag, then
// every input and attribute) cost it more than the rest of its page
// handling.
func findForm(page, suffix string) (action, content string, ok bool) {
	for rest := page; ; {
		tag, after, ok := nextTag(rest, "<form")
		if !ok {
			return "", "", false
		}
		formEnd := strings.Index(after, "</form>")
		if formEnd < 0 {
			return "", "", false
		}
		content, rest = after[:formEnd], after[formEnd+len("</form>"):]
		if action, _ := attr(tag, "action"); strings.HasSuffix(action, suffix) {
			return action, content, true
		}
	}
}

// nextTag finds the first start tag in s that opens with open ("<form"):
// its attributes and what follows the tag.
func nextTag(s, open string) (attrs, rest string, ok bool) {
	for {
		i := strings.Index(s, open)
		if i < 0 {
			return "", "", false
		}
		s = s[i+len(open):]
		if s != "" && isWordByte(s[0]) {
			continue // <formula> and the like
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			return "", "", false
		}
		return s[:end], s[end+1:], true
	}
}

// attr is the value of the attribute name among a tag's attributes,
// unescaped: quoted (as html/template writes them) or not.
func attr(attrs, name string) (string, bool) {
	for {
		attrs = strings.TrimLeft(attrs, " \t\n\r\f/")
		if attrs == "" {
			return "", false
		}
		n := strings.IndexAny(attrs, " \t\n\r\f/=")
		if n < 0 {
			n = len(attrs)
		}
		if n == 0 { // a stray "="
			n = 1
		}
		key, value := attrs[:n], ""
		attrs = attrs[n:]
		if rest, ok := strings.CutPrefix(attrs, "="); ok && key != "=" {
			if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
				end := strings.IndexByte(rest[1:], rest[0])
				if end < 0 {
					end = len(rest) - 1
				}
				value, attrs = rest[1:1+end], rest[min(len(rest), end+2):]
			} else {
				end := strings.IndexAny(rest, " \t\n\r\f")
				if end < 0 {
					end = len(rest)
				}
				value, attrs = rest[:end], rest[end:]
			}
		}
		if strings.EqualFold(key, name) {
			return html.UnescapeString(value), true
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
	form := hiddenFields(content)
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

// hiddenFields are the names and values of the hidden inputs in a form's
// content.
func hiddenFields(content string) url.Values {
	form := url.Values{}
	for rest := content; ; {
		tag, after, ok := nextTag(rest, "<input")
		if !ok {
			return form
		}
		rest = after
		if typ, _ := attr(tag, "type"); strings.EqualFold(typ, "hidden") {
			name, _ := attr(tag, "name")
			value, _ := attr(tag, "value")
			form.Set(name, value)
		}
	}
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
