package health

import (
	"log/slog"
	"sync"
	"time"
)

// FailingRemind is how often a loop that keeps failing says so again.
const FailingRemind = time.Minute

// Failing logs the failures of a background loop that retries by itself
// every fraction of a second (the task runner's claims, the outbox pump)
// once per outage instead of at every try: while the database is down
// such a loop fails five times a second on every node, and a log that
// repeats one line thousands of times hides what else happened. The first
// failure is logged at error level, then a reminder with the latest error
// every FailingRemind while it lasts, and the recovery, with how many
// tries failed over how long, at info level. The zero value needs What
// and Log set before use; it is safe for concurrent use.
type Failing struct {
	What string // what fails, as a log message prefix: "queue: claim"
	Log  *slog.Logger

	mu       sync.Mutex
	failures int       // tries that failed since the last success
	since    time.Time // when the first of them failed
	reminded time.Time // when the outage was last logged
}

// Note records the outcome of one try made at now: err nil is a success.
func (f *Failing) Note(err error, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case err == nil && f.failures == 0:
	case err == nil:
		f.Log.Info(f.What+" works again", "failed_tries", f.failures, "for", now.Sub(f.since).Round(time.Millisecond))
		f.failures = 0
	case f.failures == 0:
		f.failures, f.since, f.reminded = 1, now, now
		f.Log.Error(f.What+" failed; retrying, logged again once it works or every "+FailingRemind.String(), "err", err)
	default:
		f.failures++
		if now.Sub(f.reminded) >= FailingRemind {
			f.reminded = now
			f.Log.Error(f.What+" still failing", "failed_tries", f.failures, "for", now.Sub(f.since).Round(time.Millisecond), "err", err)
		}
	}
}
