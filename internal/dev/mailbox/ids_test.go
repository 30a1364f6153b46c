package devmailbox

import (
	"encoding/binary"
	"testing"
)

// TestRemembersTheLastMessageIDs checks that the message ids the stand-in
// remembers (to refuse a repeat) are bounded: the newest maxIDs of them.
func TestRemembersTheLastMessageIDs(t *testing.T) {
	h := &Handler{ids: map[messageID]bool{}}
	id := func(i int) (m messageID) {
		binary.BigEndian.PutUint64(m[:], uint64(i))
		return m
	}
	for i := range maxIDs + 10 {
		h.remember(id(i))
	}
	if len(h.ids) != maxIDs || len(h.order) != maxIDs {
		t.Fatalf("%d ids remembered in a ring of %d, want %d", len(h.ids), len(h.order), maxIDs)
	}
	for _, i := range []int{0, 9} {
		if h.ids[id(i)] {
			t.Errorf("id %d of the oldest ten is still remembered", i)
		}
	}
	for _, i := range []int{10, maxIDs, maxIDs + 9} {
		if !h.ids[id(i)] {
			t.Errorf("id %d of the newest is forgotten", i)
		}
	}
}
