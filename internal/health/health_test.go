package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/testtool"
)

// counter is a log handler that counts records by level.
type counter struct{ errors, infos atomic.Int32 }

func (c *counter) Enabled(context.Context, slog.Level) bool { return true }
func (c *counter) Handle(_ context.Context, r slog.Record) error {
	switch r.Level {
	case slog.LevelError:
		c.errors.Add(1)
	case slog.LevelInfo:
		c.infos.Add(1)
	}
	return nil
}
func (c *counter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *counter) WithGroup(string) slog.Handler      { return c }

func readyz(t *testing.T, r *Readiness) (int, Report) {
	t.Helper()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var rep Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("readyz body %q: %v", rec.Body, err)
	}
	return rec.Code, rep
}

// TestStorage fills a small file system: a hundred refused requests log
// "storage is full" once, readiness says not ready with the code
// storage-full until space is freed, and the recovery is logged once.
func TestStorage(t *testing.T) {
	dir := testtool.SmallFS(t, 4<<20)
	logs := &counter{}
	s := &Storage{Dir: dir, Log: slog.New(logs)}
	var r Readiness
	r.Add("storage", s.Check)
	if code, rep := readyz(t, &r); code != http.StatusOK || rep.Status != "ready" {
		t.Fatalf("empty disk: %d %+v", code, rep)
	}
	free := testtool.Fill(t, dir)
	quiet := slog.New(s.Quiet(slog.NewTextHandler(io.Discard, nil)).WithAttrs(nil))
	other := &counter{}
	loud := slog.New(s.Quiet(other))
	for i := range 100 {
		full := fmt.Errorf("request %d: %w", i, errs.StorageFull(errors.New("no space left on device")))
		s.Observe(full)
		s.Observe(errs.E(errs.Invalid, "invalid-pdf", "not storage"))
		quiet.Error("delivery: pump failed", "err", full) // a background loop retrying
		loud.Error("queue: claim failed", "err", errors.New("not storage"))
	}
	if n := logs.errors.Load(); n != 1 {
		t.Fatalf("logged the full disk %d times, want once", n)
	}
	if n := other.errors.Load(); n != 100 {
		t.Fatalf("%d of 100 other errors logged", n)
	}
	for range 3 {
		code, rep := readyz(t, &r)
		if code != http.StatusServiceUnavailable || rep.Status != "not-ready" || rep.Failed["storage"] != errs.CodeStorageFull {
			t.Fatalf("full disk: %d %+v", code, rep)
		}
	}
	free()
	for range 3 {
		if code, rep := readyz(t, &r); code != http.StatusOK || rep.Status != "ready" {
			t.Fatalf("after space was freed: %d %+v", code, rep)
		}
	}
	if n := logs.infos.Load(); n != 1 {
		t.Fatalf("logged the recovery %d times, want once", n)
	}
}
