package job

import (
	"testing"

	"github.com/segl/segl/internal/errs"
)

// TestValidateRefusesBidiControls: a text field holding an embedding,
// override or isolate character (written as escapes here, so the source
// shows what it holds) is invalid-text, in every text field a signer or
// sender is shown; right-to-left text and the direction marks are text.
func TestValidateRefusesBidiControls(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(r *Request)
		code   string
	}{
		{"ok/hebrew-title", func(r *Request) { r.Title = "\u05d7\u05d5\u05d6\u05d4 2026" }, ""},
		{"ok/direction-marks", func(r *Request) { r.Title = "Avtale \u200f\u05d7\u05d5\u05d6\u05d4\u200e 2026" }, ""},
		{"fail/override-in-title", func(r *Request) { r.Title = "Leie 100 000 kr \u202e000 001" }, CodeInvalidText},
		{"fail/override-in-file-name", func(r *Request) { r.Documents[0].FileName = "kontrakt\u202efdp.exe" }, CodeInvalidText},
		{"fail/embedding-in-description", func(r *Request) { r.Description = "a\u202bb\u202c" }, CodeInvalidText},
		{"fail/isolate-in-document-title", func(r *Request) { r.Documents[0].Title = "\u2067x\u2069" }, CodeInvalidText},
		{"fail/left-to-right-override-in-reference", func(r *Request) { r.Reference = "\u202dsak-17" }, CodeInvalidText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validRequest()
			tc.mutate(&r)
			err := r.Validate(now, DefaultLimits)
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.code != "" && !errs.HasCode(err, tc.code):
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}
