package devmailbox

import (
	"bytes"
	"strings"
	"testing"
)

// TestSplit: the parts of a multipart body (RFC 2046 §5.1.1) are found
// with what may surround them (a preamble, transport padding, an
// epilogue) and are slices of the body; a body whose boundary lines or
// part headers are not well formed is refused.
func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string // each part's Content-Disposition and content; nil for an error
	}{
		{"ok/two-parts", "--b\r\nContent-Disposition: x\r\n\r\none\r\n--b\r\n\r\ntwo\r\n\r\n--b--\r\n", []string{"x|one", "|two\r\n"}},
		{"ok/preamble-padding-epilogue", "ignored\r\n--b \t\r\nContent-Disposition: y\r\n\r\nx--b\r\n--b--  \r\nignored", []string{"y|x--b"}},
		{"ok/empty-content", "--b\r\nContent-Disposition: z\r\n\r\n\r\n--b--", []string{"z|"}},
		{"ok/no-parts", "--b--", []string{}},
		{"fail/no-boundary", "--c\r\n\r\nx\r\n--c--", nil},
		{"ok/boundary-not-at-line-start-is-preamble", "x--b\r\n\r\nx\r\n--b--", []string{}},
		{"fail/delimiter-in-content", "--b\r\n\r\nx\r\n--bx\r\n--b--", nil},
		{"fail/no-close-delimiter", "--b\r\n\r\nx\r\n", nil},
		{"fail/lf-only", "--b\n\nx\n--b--", nil},
		{"fail/text-after-boundary", "--b\r\n\r\nx\r\n--bogus\r\n\r\ny\r\n--b--", nil},
		{"fail/header-without-empty-line", "--b\r\nContent-Disposition: x\r\n--b--", nil},
		{"fail/bad-header-line", "--b\r\nnot a header\r\n\r\nx\r\n--b--", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			parts, err := split(body, "b")
			if tc.want == nil {
				if err == nil {
					t.Fatalf("split = %d parts, want an error", len(parts))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range parts {
				got = append(got, p.header.Get("Content-Disposition")+"|"+string(p.content))
				if len(p.content) > 0 && !within(body, p.content) {
					t.Errorf("part %q is a copy, not a slice of the body", p.content)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") || len(got) != len(tc.want) {
				t.Errorf("parts %q, want %q", got, tc.want)
			}
		})
	}
}

// within reports whether b is a slice of the array of body.
func within(body, b []byte) bool {
	for i := range body {
		if &body[i] == &b[0] {
			return bytes.Equal(body[i:i+len(b)], b)
		}
	}
	return false
}
