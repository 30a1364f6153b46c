package health

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/segl/segl/internal/errs"
)

// DefaultProbeSize is how much Storage writes to decide that space has
// come back: enough for a typical signing act's revisions, far less than
// a full upload, which may still be refused and mark storage full again.
const DefaultProbeSize = 1 << 20

// Storage follows whether the data directory's storage is exhausted. It
// learns that storage is full from the errors segl answers (Observe, fed
// by the API and the pages), not by polling, and that it has space again
// from a probe: a file of ProbeSize bytes written, synced and removed in
// Dir. It logs each change once, however many requests fail in between,
// and fails its readiness check (Check) while storage is full. Requests
// are never held back: each one tries to write, so service returns as soon
// as space does, whether or not anyone asks for readiness.
type Storage struct {
	// Dir is where the probe writes: a directory on the file system that
	// holds the database and the blobs (the data directory's tmp/).
	Dir string
	// ProbeSize is the probe's size in bytes; zero means
	// DefaultProbeSize.
	ProbeSize int64
	// Log receives the changes; nil means slog.Default().
	Log *slog.Logger

	mu    sync.Mutex
	full  bool
	since time.Time
}

// Observe looks at an error segl answers with; a storage-full one marks
// storage full and, the first time, logs it with its cause.
func (s *Storage) Observe(err error) {
	if !errs.Is(err, errs.InsufficientStorage) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full {
		return
	}
	s.full, s.since = true, time.Now()
	s.log().Error("storage is full: uploads and signing are refused with 507 until space is freed", "err", err)
}

// Full reports whether storage was last seen full.
func (s *Storage) Full() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.full
}

// Check is the readiness check: nil unless storage is full. While it is
// full, every call probes, and a probe that succeeds ends the full state
// (logged once).
func (s *Storage) Check(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.full {
		return nil
	}
	if err := s.probe(); err != nil {
		return errs.StorageFull(err)
	}
	s.full = false
	s.log().Info("storage has space again", "full_for", time.Since(s.since).Round(time.Second).String())
	return nil
}

// Watch runs Check every interval until ctx ends, so that recovery is
// logged even when nothing asks for readiness. It writes nothing while
// storage is not full.
func (s *Storage) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Check(ctx)
		}
	}
}

// probe writes ProbeSize bytes to a new file in Dir, syncs and removes it.
func (s *Storage) probe() error {
	f, err := os.CreateTemp(s.Dir, "segl-probe-*")
	if err != nil {
		return fmt.Errorf("health: probe: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	size := s.ProbeSize
	if size <= 0 {
		size = DefaultProbeSize
	}
	buf := make([]byte, 64<<10)
	rand.Read(buf) // not zeros, which a compressing file system would store in nothing
	for left := size; left > 0; left -= int64(len(buf)) {
		if _, err := f.Write(buf[:min(left, int64(len(buf)))]); err != nil {
			return fmt.Errorf("health: probe: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("health: probe: %w", err)
	}
	return nil
}

func (s *Storage) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Quiet wraps a log handler so that a record about a storage-full error
// is observed (see Observe) instead of written: background loops that
// retry every few hundred milliseconds (the outbox pump, the queue's
// claims, the due sweep) would otherwise log the same full disk several
// times a second. Every other record passes through. Storage.Log must not
// be a Quiet handler, or the transition itself would be swallowed.
func (s *Storage) Quiet(h slog.Handler) slog.Handler { return quiet{s: s, next: h} }

type quiet struct {
	s    *Storage
	next slog.Handler
}

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool { return q.next.Enabled(ctx, l) }

func (q quiet) Handle(ctx context.Context, r slog.Record) error {
	var full error
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && errs.Is(err, errs.InsufficientStorage) {
			full = err
			return false
		}
		return true
	})
	if full != nil {
		q.s.Observe(full)
		return nil
	}
	return q.next.Handle(ctx, r)
}

func (q quiet) WithAttrs(as []slog.Attr) slog.Handler {
	return quiet{s: q.s, next: q.next.WithAttrs(as)}
}
func (q quiet) WithGroup(name string) slog.Handler {
	return quiet{s: q.s, next: q.next.WithGroup(name)}
}
