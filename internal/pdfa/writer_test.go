package pdfa

import (
	"io"
	"strings"
	"testing"
)

// A quick document takes a BestSpeed flater and leaves the default-level
// ones idle for the next document at that level: it once took one of each
// and lost the default-level one (about 1 MB of compressor state).
func TestQuickLeavesDefaultFlatersIdle(t *testing.T) {
	a, b := getFlater(), getFlater() // two idle, so that the render's own
	a.release()                      // font flater cannot hide a lost one
	b.release()
	before := len(flaters)
	if _, err := RenderText(io.Discard, strings.NewReader("Kvittering\n"), Meta{Title: "Kvittering", Quick: true}); err != nil {
		t.Fatal(err)
	}
	if after := len(flaters); after < before {
		t.Errorf("idle default-level flaters %d → %d after a quick document", before, after)
	}
}
