package notify

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

type mimeMessage struct {
	From      mail.Address
	To        string
	Subject   string
	Date      time.Time
	MessageID string
	Text      string
	HTML      string
}

// composeMIME builds an RFC 5322 message with a multipart/alternative body
// (RFC 2046 5.1.4: plain text first, HTML last, the richest the reader can
// show wins). Bodies are UTF-8 in quoted-printable, so every line stays under
// 78 octets and 7-bit clean whatever the relay supports; non-ASCII in headers
// is RFC 2047 encoded. Every header value is checked for CR/LF first.
func composeMIME(m mimeMessage) ([]byte, error) {
	for _, h := range []struct{ name, v string }{
		{"from name", m.From.Name}, {"from", m.From.Address}, {"to", m.To},
		{"subject", m.Subject}, {"message-id", m.MessageID},
	} {
		if err := checkHeader(h.name, h.v); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	header := func(name, v string) { b.WriteString(name + ": " + v + "\r\n") }
	header("Date", m.Date.Format(time.RFC1123Z))
	// mail.Address.String RFC 2047-encodes a non-ASCII display name and
	// quotes one with specials.
	header("From", m.From.String())
	header("To", m.To)
	header("Subject", encodeSubject(m.Subject))
	header("Message-ID", m.MessageID)
	header("MIME-Version", "1.0")
	// RFC 3834 3.1.7: tells vacation responders not to answer.
	header("Auto-Submitted", "auto-generated")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header("Content-Type", "multipart/alternative;\r\n boundary="+mw.Boundary())
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, content string }{
		{"text/plain", m.Text}, {"text/html", m.HTML},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(strings.ReplaceAll(part.content, "\r\n", "\n"))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// encodeSubject RFC 2047-encodes a subject that is not plain printable
// ASCII, as Q-encoded words of whole characters (RFC 2047 5: an encoded word
// must not split a character) folded one per line, each line under 78 octets.
func encodeSubject(s string) string {
	if !needsEncoding(s) {
		return s
	}
	const maxContent = 78 - len("Subject: =?utf-8?q??=")
	var words []string
	var cur strings.Builder
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!*+-/", r)):
			enc = string(r)
		default:
			var buf [utf8.UTFMax]byte
			for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
				enc += fmt.Sprintf("=%02X", c)
			}
		}
		if cur.Len()+len(enc) > maxContent {
			words = append(words, cur.String())
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	words = append(words, cur.String())
	for i, w := range words {
		words[i] = "=?utf-8?q?" + w + "?="
	}
	return strings.Join(words, "\r\n ")
}

func needsEncoding(s string) bool {
	if len(s) > 78-len("Subject: ") {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return true
		}
	}
	return strings.Contains(s, "=?")
}
