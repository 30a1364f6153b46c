package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/metrics"
)

// newMetrics is the server's registry, or nil (nothing measured) when no
// metrics listener is configured.
func newMetrics(cfg config.Config) *metrics.Metrics {
	if cfg.MetricsAddr == "" {
		return nil
	}
	return metrics.New()
}

// startMetrics serves /metrics, /healthz and /readyz on their own
// plain-HTTP listener, outside the connection limit: they are for the
// operators' Prometheus and orchestrator, not for the service's clients,
// so the listener is bound where only they reach it (loopback, a
// management network) instead of sitting behind the service's mutual
// TLS. An address
// that cannot be bound stops start-up; a listener that fails later
// degrades the node (serveMetrics).
func (s *Server) startMetrics(cfg config.Config, ready *health.Readiness, log *slog.Logger) error {
	if s.metrics == nil {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("server: metrics-addr %s: %w", cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	// The probes again, for an orchestrator: the public listener's
	// connection limit holds them back once a flood or many slow uploads
	// fill it, and a liveness probe that waits there restarts a node
	// that is only busy, cutting every act and upload in flight.
	mux.HandleFunc("GET /healthz", liveness)
	mux.Handle("GET /readyz", ready)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	check, _ := serveMetrics(srv, ln, log)
	ready.AddDegrading("metrics", check)
	s.closers = append(s.closers, srv.Close)
	s.MetricsURL = "http://" + ln.Addr().String() + "/metrics"
	log.Info("metrics serving", "url", s.MetricsURL)
	return nil
}

// serveMetrics serves srv on ln in the background and returns the
// health check that fails once Serve has given up (net/http retries
// temporary accept errors, such as running out of descriptors, by itself;
// what ends Serve is a listener that is gone). Such a node is unwatched,
// and Prometheus already sees its target down; the check makes /readyz
// say why. It degrades the node rather than failing readiness: the node
// still serves signers and senders, and taking it out of the load
// balancer would cost capacity without bringing its numbers back; a
// restart binds the listener again. A Serve ended by shutdown (Close) is
// no failure. served is closed once Serve has returned.
func serveMetrics(srv *http.Server, ln net.Listener, log *slog.Logger) (_ health.Check, served <-chan struct{}) {
	var failed atomic.Pointer[error]
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			return
		}
		log.Error("metrics listener failed: degraded until restarted", "addr", ln.Addr().String(), "err", err)
		failed.Store(&err)
	}()
	return func(context.Context) error {
		if err := failed.Load(); err != nil {
			return errs.Wrap(*err, errs.Unavailable, codeMetricsUnavailable, "metrics listener %s", ln.Addr())
		}
		return nil
	}, done
}

// pinger is the optional capability of a store or a queue to answer a
// cheap probe of its database (sqlite.DB, postgres.DB, sqlitequeue).
type pinger interface {
	Ping(ctx context.Context) error
}

// addPing makes v's probe a readiness check, when v has one. On
// PostgreSQL the queue shares the store's database, whose check covers it.
func addPing(ready *health.Readiness, name string, v any) {
	if p, ok := v.(pinger); ok {
		ready.Add(name, p.Ping)
	}
}

// emptyKey is the blob key of no content, which blobProbe asks for.
var emptyKey = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// blobCheck is the readiness check of a blob store: its own Check when it
// has one (blob.Checker: an object store on another machine), else a probe
// that opens one key, which for local files finds a lost mount or a
// directory that cannot be read. The content is not needed: found or not
// found both say that the store answers; anything else says it does not.
func blobCheck(b blob.Store) health.Check {
	if c, ok := b.(blob.Checker); ok {
		return c.Check
	}
	return func(ctx context.Context) error {
		o, err := b.Open(ctx, emptyKey)
		if err == nil {
			return o.Close()
		}
		if errs.Is(err, errs.NotFound) {
			return nil
		}
		if e := errs.From(err); e != nil && e.Code != "" {
			return err
		}
		return errs.Wrap(err, errs.Unavailable, codeBlobsUnavailable, "blob store: probe")
	}
}
