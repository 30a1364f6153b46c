// Package metrics owns segl's Prometheus metrics: one registry per server
// (never the global default, so two servers in one test process do not mix
// their numbers), the collectors, and the small wrappers that feed them at
// the shared places — the HTTP mux, the HTTP clients of the peers (TSA,
// OCSP, ID-porten, …), the SMTP client, the store and the blob store, the
// task runner.
//
// Label values come from fixed sets only (route patterns, peer names, job
// statuses, task kinds, error kinds), never from request data, so the
// number of series stays bounded whatever the traffic.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/segl/segl/internal/errs"
)

// Metrics is the registry and the metrics segl updates as it works. The
// methods are safe for concurrent use; a nil *Metrics records nothing, so
// code wired without metrics (tests, commands) needs no checks.
type Metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.HistogramVec
	peerCalls     *prometheus.HistogramVec
	transitions   *prometheus.CounterVec
	signingActs   *prometheus.CounterVec
	tasks         *prometheus.CounterVec
	storageErrors *prometheus.CounterVec
}

// New makes a registry with segl's metrics and the Go runtime and process
// collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "segl_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "code"}),
		peerCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "segl_peer_call_duration_seconds",
			Help:    "Time of a call to an outside service (tsa, ocsp, idporten, smtp, …) by peer and outcome (ok or error).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"peer", "outcome"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segl_job_transitions_total",
			Help: "Jobs that reached a status (created, active, completed, rejected, expired, cancelled, failed) on this node.",
		}, []string{"status"}),
		signingActs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segl_signing_acts_total",
			Help: "Signers who signed, by signature type (authenticated or advanced).",
		}, []string{"type"}),
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segl_tasks_total",
			Help: "Background task deliveries by kind and outcome: done, retry (failed, will run again), dead (failed for good), released (handed back at shutdown), postponed (segl's own storage was away; no attempt spent).",
		}, []string{"kind", "outcome"}),
		storageErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segl_storage_errors_total",
			Help: "Failed database and blob store calls (store: database or blob) by error kind; not-found, conflict and other answers about the data are not errors.",
		}, []string{"store", "kind"}),
	}
	m.reg.MustRegister(m.requests, m.peerCalls, m.transitions, m.signingActs, m.tasks, m.storageErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds a collector of segl's own (the queue depth, for one).
func (m *Metrics) Register(c prometheus.Collector) error {
	return m.reg.Register(c)
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Task records the outcome of one background task delivery (queue.Runner's
// Observe hook).
func (m *Metrics) Task(kind, outcome string) {
	if m == nil {
		return
	}
	m.tasks.WithLabelValues(kind, outcome).Inc()
}

// PeerCall records one call to an outside service.
func (m *Metrics) PeerCall(peer string, took time.Duration, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.peerCalls.WithLabelValues(peer, outcome).Observe(took.Seconds())
}

// storageError counts err from the named store when it is a failure of the
// store rather than an answer about the data: NotFound, Conflict, Invalid
// and the like are how a healthy store says no, and a caller that gave up
// (its context ended) is not the store's fault.
func (m *Metrics) storageError(store string, err error) {
	if m == nil || err == nil {
		return
	}
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Conflict) || errs.Is(err, errs.Invalid) ||
		errs.Is(err, errs.TooLarge) || errs.Is(err, errs.Forbidden) || errors.Is(err, context.Canceled) {
		return
	}
	m.storageErrors.WithLabelValues(store, errs.KindOf(err).String()).Inc()
}
