package queue

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 10 * time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		if got := b.Delay(attempt); got != want {
			t.Errorf("Delay(%d) = %v, want %v", attempt, got, want)
		}
	}
	if got := (Backoff{}).Delay(1); got != 10*time.Second {
		t.Errorf("zero Backoff Delay(1) = %v, want 10s", got)
	}
	j := Backoff{Base: time.Second, Max: time.Minute, Jitter: 0.5}
	for range 100 {
		if got := j.Delay(3); got <= 2*time.Second || got > 4*time.Second {
			t.Fatalf("jittered Delay(3) = %v, want in (2s, 4s]", got)
		}
	}
}
