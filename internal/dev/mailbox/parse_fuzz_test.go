package devmailbox

import (
	"bytes"
	"encoding/xml"
	"mime/multipart"
	"net/textproto"
	"testing"

	"github.com/segl/segl/internal/mailbox/digipost"
)

// FuzzParse: whatever body a request carries, parse neither panics nor
// returns documents longer together than the body or not slices of it,
// and documents refuses what does not pair one document with one part.
//
//	go test ./internal/dev/mailbox -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	msg := digipost.Message{ID: "m", Primary: digipost.Document{UUID: "a", Subject: "Avtale", FileType: "pdf"},
		Attachments: []digipost.Document{{UUID: "b", Subject: "Kvittering", FileType: "pdf"}}}
	x, err := xml.Marshal(msg)
	if err != nil {
		f.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.SetBoundary("segl-fuzz"); err != nil {
		f.Fatal(err)
	}
	for _, p := range []struct{ name, content string }{{"message", string(x)}, {"a", "%PDF-1.7 a"}, {"b", "%PDF-1.7 b"}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`attachment; filename="` + p.name + `"`}})
		if err != nil {
			f.Fatal(err)
		}
		w.Write([]byte(p.content))
	}
	mw.Close()
	f.Add(body.Bytes())
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, parts, err := parse(digipost.MediaTypeMultipart+"; boundary=segl-fuzz", body)
		if err != nil {
			return
		}
		total := 0
		for name, p := range parts {
			total += len(p)
			if len(p) > 0 && !within(body, p) {
				t.Fatalf("document %q is a copy, not a slice of the body", name)
			}
		}
		if total > len(body) {
			t.Fatalf("documents of %d bytes from a body of %d", total, len(body))
		}
		docs, err := documents(msg, parts)
		if err == nil && len(docs) != len(parts) {
			t.Fatalf("%d documents from %d parts", len(docs), len(parts))
		}
	})
}
