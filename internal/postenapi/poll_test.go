package postenapi

import (
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/job"
)

// Posten's DoS filter: more than 10 calls in a second blocks the
// organisation for 30 seconds; other organisations are not affected.
func TestRateLimit(t *testing.T) {
	var p rateLimit
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for i := range 10 {
		if p.allow("317510748", t0.Add(time.Duration(i)*time.Millisecond), 10) {
			t.Fatalf("call %d blocked", i+1)
		}
	}
	if !p.allow("317510748", t0.Add(500*time.Millisecond), 10) {
		t.Fatal("the 11th call in a second passed")
	}
	if p.allow("319386416", t0.Add(500*time.Millisecond), 10) {
		t.Fatal("another organisation is blocked")
	}
	if !p.allow("317510748", t0.Add(29*time.Second), 10) {
		t.Fatal("unblocked before 30 seconds")
	}
	if p.allow("317510748", t0.Add(31*time.Second), 10) {
		t.Fatal("still blocked after 30 seconds")
	}
}

// Queue keys have one size whatever name the sender chose, and differ by
// flow and name.
func TestQueueKey(t *testing.T) {
	long := queueKey(job.Portal, strings.Repeat("kø", 10_000))
	if len(long) != len(queueKey(job.Portal, "")) || queueKey(job.Portal, "a") == queueKey(job.Direct, "a") ||
		queueKey(job.Portal, "a") == queueKey(job.Portal, "b") || queueKey(job.Portal, "") == queueKey(job.Portal, "a") {
		t.Fatalf("queue keys: %q", long)
	}
}

func TestJobNumber(t *testing.T) {
	// UUIDv7: 48-bit milliseconds, version 7, 12-bit sequence.
	a, b := jobNumber("01a24c75-7fbc-7ac4-950c-1086367b1522"), jobNumber("01a24c75-7fbc-7ac5-850c-1086367b1522")
	if a <= 0 || b != a+1 || a>>12 != 0x01a24c757fbc {
		t.Fatalf("jobNumber = %x, %x", a, b)
	}
}

// polling_queue as the clients send it: Java percent-encodes the name
// (and sends a bare parameter for the default queue), .NET puts it in the
// URL as it is, so a "+" is a plus, not a space.
func TestPollingQueueParameter(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", ""},
		{"polling_queue", ""},
		{"polling_queue=", ""},
		{"polling_queue=kø", "kø"},
		{"polling_queue=k%C3%B8", "kø"},
		{"polling_queue=a+b", "a+b"},
		{"polling_queue=a%2Bb", "a+b"},
		{"polling_queue=a%20b", "a b"},
		{"other=1&polling_queue=q", "q"},
		{"polling_queue=100%", "100%"},
	} {
		if got := pollingQueue(tc.raw); got != tc.want {
			t.Errorf("pollingQueue(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}
