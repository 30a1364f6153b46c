package devmailbox

import "testing"

// TestFreeBuffersBounded: the buffers of messages no longer kept are held
// for reuse up to maxFreeBytes together, the oldest going first, not up to
// maxFree buffers of any size (which let 128 MiB sit beyond MaxKept).
func TestFreeBuffersBounded(t *testing.T) {
	h := &Handler{}
	for range maxFree {
		h.reuse(make([]byte, 0, 6<<20))
	}
	var total int64
	for _, b := range h.free {
		total += int64(cap(b))
	}
	if total > maxFreeBytes || total != h.freeBytes {
		t.Fatalf("%d bytes of free buffers (counted %d), want at most %d", total, h.freeBytes, maxFreeBytes)
	}
	if len(h.free) != 2 {
		t.Fatalf("%d free buffers of 6 MiB, want the newest 2", len(h.free))
	}
	if b := h.buffer(5 << 20); cap(b) != 6<<20 || h.freeBytes != 6<<20 {
		t.Fatalf("a body of 5 MiB got a buffer of %d bytes, leaving %d free; want a free one of 6 MiB, leaving 6 MiB", cap(b), h.freeBytes)
	}
}
