package postenapi

import (
	"testing"
	"time"
)

// Posten's DoS filter: more than 10 calls in a second blocks the
// organisation for 30 seconds; other organisations are not affected.
func TestRateLimit(t *testing.T) {
	var p pollState
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

// A delivered job is held back until confirmed or for 10 minutes;
// confirming returns the sequence number the delivery covered.
func TestLease(t *testing.T) {
	var p pollState
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	k := jobKey{"317510748", "job"}
	p.lease(k, lease{until: t0.Add(redeliverAfter), through: 42})
	if !p.leased(k, t0.Add(time.Minute)) || p.leased(k, t0.Add(redeliverAfter)) {
		t.Fatal("hold is not 10 minutes")
	}
	if got := p.release(k.org, k.job); got != 42 || p.leased(k, t0) {
		t.Fatalf("release = %d", got)
	}
	if got := p.release(k.org, k.job); got != 0 {
		t.Fatalf("second release = %d, want 0 (all changes)", got)
	}
}

func TestJobNumber(t *testing.T) {
	// UUIDv7: 48-bit milliseconds, version 7, 12-bit sequence.
	a, b := jobNumber("01a24c75-7fbc-7ac4-950c-1086367b1522"), jobNumber("01a24c75-7fbc-7ac5-850c-1086367b1522")
	if a <= 0 || b != a+1 || a>>12 != 0x01a24c757fbc {
		t.Fatalf("jobNumber = %x, %x", a, b)
	}
}
