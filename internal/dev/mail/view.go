package devmail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/segl/segl/internal/clock"
	devsms "github.com/segl/segl/internal/dev/sms"
)

// Parsed is a captured message decoded for reading: RFC 2047 headers
// decoded, and the text and HTML alternatives with their transfer encoding
// undone.
type Parsed struct {
	Header  mail.Header
	From    string
	To      string
	Subject string
	Text    string
	HTML    string
}

// Parse decodes m with the standard library's mail and MIME readers.
func (m Mail) Parse() (*Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, fmt.Errorf("devmail: %w", err)
	}
	var dec mime.WordDecoder
	p := &Parsed{Header: msg.Header}
	for _, h := range []struct {
		name string
		dst  *string
	}{{"From", &p.From}, {"To", &p.To}, {"Subject", &p.Subject}} {
		v, err := dec.DecodeHeader(msg.Header.Get(h.name))
		if err != nil {
			return nil, fmt.Errorf("devmail: %s: %w", h.name, err)
		}
		*h.dst = v
	}
	if err := p.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Parsed) readPart(contentType, cte string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("devmail: content-type: %w", err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		// NextPart undoes quoted-printable itself.
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("devmail: multipart: %w", err)
			}
			if err := p.readPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(cte) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: body})
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("devmail: %s body: %w", mt, err)
	}
	switch mt {
	case "text/plain":
		p.Text = string(b)
	case "text/html":
		p.HTML = string(b)
	}
	return nil
}

// newlineStripper drops CR and LF, which base64 bodies are wrapped with.
type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(b []byte) (int, error) {
	k, err := n.r.Read(b)
	j := 0
	for _, c := range b[:k] {
		if c != '\r' && c != '\n' {
			b[j] = c
			j++
		}
	}
	return j, err
}

// page lists the captured messages. Their times are Norwegian time, as the
// messages' own deadlines are, with the zone said ("14:05:09 CET").
var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"norway": func(t time.Time) string { return t.In(clock.Norway).Format("15:04:05 MST") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>segl dev mail</title>
<style>body{font-family:system-ui,sans-serif;margin:1em 2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}pre{white-space:pre-wrap}iframe{width:100%;height:28em;border:1px solid #ccc}</style>
</head>
<body>
<h1>Captured mail ({{len .Mail}})</h1>
{{range .Mail}}<details>
<summary>{{norway .Received}} — to {{.To}} — {{.Subject}}</summary>
{{if .Err}}<p>cannot parse: {{.Err}}</p>{{else}}
<table><tr><th>From</th><td>{{.From}}</td></tr><tr><th>Envelope</th><td>{{.Envelope}}</td></tr><tr><th>TLS</th><td>{{.TLS}}</td></tr></table>
<h3>Text</h3><pre>{{.Text}}</pre>
<h3>HTML</h3><iframe sandbox srcdoc="{{.HTML}}" title="HTML part"></iframe>{{end}}
<h3>Raw</h3><pre>{{.Raw}}</pre>
</details>{{else}}<p>None yet.</p>{{end}}
<h1>Captured SMS ({{len .SMS}})</h1>
<table><tr><th>Time</th><th>To</th><th>Sender</th><th>Text</th></tr>
{{range .SMS}}<tr><td>{{norway .Received}}</td><td>{{.To}}</td><td>{{.Sender}}</td><td>{{.Text}}</td></tr>{{end}}
</table>
</body>
</html>`))

type mailView struct {
	Received                  time.Time
	From, To, Subject         string
	Envelope, Text, HTML, Raw string
	TLS                       bool
	Err                       error
}

// Handler lists the mail captured by s and the SMS captured by g, newest
// first, on one page; either may be nil. The HTML alternative is shown in a
// sandboxed iframe so a message's markup cannot script the page.
func Handler(s *Server, g *devsms.Gateway) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var data struct {
			Mail []mailView
			SMS  []devsms.SMS
		}
		if s != nil {
			msgs := s.Messages()
			for i := len(msgs) - 1; i >= 0; i-- {
				m := msgs[i]
				v := mailView{Received: m.Received, TLS: m.TLS, Raw: string(m.Data),
					Envelope: m.From + " → " + strings.Join(m.To, ", "), To: strings.Join(m.To, ", ")}
				if p, err := m.Parse(); err != nil {
					v.Err = err
				} else {
					v.From, v.To, v.Subject, v.Text, v.HTML = p.From, p.To, p.Subject, p.Text, p.HTML
				}
				data.Mail = append(data.Mail, v)
			}
		}
		if g != nil {
			sms := g.Messages()
			for i := len(sms) - 1; i >= 0; i-- {
				data.SMS = append(data.SMS, sms[i])
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'")
		if err := page.Execute(w, data); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
}
