package server_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/server"
)

// records keeps the log records a server writes, for tests that check
// what an operator reads.
type records struct {
	mu   sync.Mutex
	list []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// count is how many records at level have the message msg.
func (r *records) count(level slog.Level, msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.list {
		if rec.Level == level && rec.Message == msg {
			n++
		}
	}
	return n
}

// TestDevBanner: a development server says once, as a warning, that it is
// development mode with stand-ins, a development CA and a fixed
// administrator, not for production.
func TestDevBanner(t *testing.T) {
	t.Parallel()
	for _, want := range []string{"DEVELOPMENT MODE", "stand-ins", "development CA", "fixed administrator", dev.AdminPID, "Not for production"} {
		if !strings.Contains(dev.Banner, want) {
			t.Errorf("banner %q does not say %q", dev.Banner, want)
		}
	}
	log := &records{}
	cfg := config.Default()
	cfg.Dev, cfg.Addr, cfg.Data, cfg.RelaxedSync = true, "127.0.0.1:0", t.TempDir(), true
	cfg.LinkKeyFile = filepath.Join(cfg.Data, "secrets", "link.key")
	s, err := server.Start(context.Background(), cfg, server.Options{Log: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := log.count(slog.LevelWarn, dev.Banner); n != 1 {
		t.Fatalf("banner logged %d times as a warning, want once", n)
	}
}

// TestDevRefusedAtStart: a configuration built in code, not by
// config.Load, is held to the same fence: --dev on an address outside
// loopback, or with a production setting, stops before anything is
// listened on or written.
func TestDevRefusedAtStart(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		mutate func(*config.Config)
		want   string
	}{
		"fail/every-interface": {func(c *config.Config) { c.Addr = "0.0.0.0:0" }, "--dev refuses addr"},
		"fail/metrics-outside": {func(c *config.Config) { c.MetricsAddr = ":0" }, "--dev refuses metrics-addr"},
		"fail/real-idporten":   {func(c *config.Config) { c.IDPortenIssuer = "https://idporten.no" }, "--dev refuses idporten-issuer"},
		"fail/smtp-relay":      {func(c *config.Config) { c.SMTPAddr = "smtp.example.no:587" }, "--dev refuses smtp-addr"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Dev, cfg.Addr, cfg.Data = true, "127.0.0.1:0", filepath.Join(t.TempDir(), "data")
			tt.mutate(&cfg)
			s, err := server.Start(context.Background(), cfg, server.Options{Log: slog.New(&records{})})
			if err == nil {
				s.Close(context.Background())
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(cfg.Data); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the data directory was touched: %v", err)
			}
		})
	}
}
