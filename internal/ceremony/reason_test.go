package ceremony

import (
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
)

// TestCheckReason: a rejection reason is the text a browser's text area
// sends (line breaks as CRLF, tabs, any script), and nothing else: bytes
// that are not UTF-8, NUL, terminal escapes and bidirectional overrides
// are invalid-text before the signer is asked to confirm, so they reach
// neither the store nor the sender.
func TestCheckReason(t *testing.T) {
	for _, tc := range []struct {
		name, reason, code string
	}{
		{"ok/empty", "", ""},
		{"ok/text-area-lines", "Feil beløp.\r\nRiktig er 10 000 kr.\tMvh", ""},
		{"ok/right-to-left", "\u05dc\u05d0 \u05de\u05e1\u05db\u05d9\u05dd", ""},
		{"fail/too-long", strings.Repeat("å", 1001), job.CodeTooLong},
		{"fail/not-utf8", "bl\xe5b\xe6r", job.CodeInvalidText},
		{"fail/nul", "a\x00b", job.CodeInvalidText},
		{"fail/terminal-escape", "\x1b[2J\x1b[31mOK", job.CodeInvalidText},
		{"fail/override", "avviser ikke \u202eikke", job.CodeInvalidText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckReason(tc.reason)
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.code != "" && !errs.HasCode(err, tc.code):
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}
