package health

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestFailingLogsOncePerOutage: a loop that fails every 200 ms through a
// 20 s outage logs its start, one reminder a minute (none here), and its
// end, not a hundred lines; a second outage is logged again.
func TestFailingLogsOncePerOutage(t *testing.T) {
	var buf bytes.Buffer
	f := &Failing{What: "queue: claim", Log: slog.New(slog.NewTextHandler(&buf, nil))}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	down := errors.New("the database cannot be reached")
	run := func(d time.Duration, err error) {
		for end := now.Add(d); now.Before(end); now = now.Add(200 * time.Millisecond) {
			f.Note(err, now)
		}
	}
	run(time.Second, nil)
	run(20*time.Second, down)
	run(time.Second, nil)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "level=ERROR") || !strings.Contains(lines[0], "the database cannot be reached") ||
		!strings.Contains(lines[1], "level=INFO") || !strings.Contains(lines[1], "failed_tries=100") || !strings.Contains(lines[1], "for=20s") {
		t.Fatalf("a 20 s outage logged:\n%s", buf.String())
	}

	buf.Reset()
	run(150*time.Second, down)
	run(time.Second, nil)
	if n := strings.Count(buf.String(), "still failing"); n != 2 {
		t.Fatalf("a 150 s outage: %d reminders, want 2 (at 1 and 2 minutes):\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "works again") {
		t.Fatalf("the end of the second outage was not logged:\n%s", buf.String())
	}
}
