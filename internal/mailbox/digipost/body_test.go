package digipost

import (
	"errors"
	"testing"
)

// TestLateReaderOfAReleasedBody: once the last holder let go of a body, a
// reader asked for later (a retry's GetBody after the answer) is refused,
// and the buffer, back in the pool once, is not handed out to two bodies.
func TestLateReaderOfAReleasedBody(t *testing.T) {
	body := newPooledBody(1)
	r, err := body.reader()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	body.release()
	if late, err := body.reader(); !errors.Is(err, errBodyReleased) {
		if late != nil {
			late.Close()
		}
		t.Fatalf("reader of a released body: %v, want %v", err, errBodyReleased)
	}
	if n := body.holds.Load(); n != 0 {
		t.Fatalf("a released body has %d holds after a late reader, want 0", n)
	}
	a, b := newPooledBody(1), newPooledBody(1)
	defer a.release()
	defer b.release()
	if a.buf == b.buf {
		t.Fatal("the pool handed one buffer to two bodies")
	}
}
