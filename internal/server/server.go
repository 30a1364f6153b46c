// Package server wires segl together from a config: storage, blobs, keys, the
// use cases and the HTTP surface, on one HTTPS listener. cmd/segl and the
// end-to-end tests both start segl through here, so the tests run exactly
// what the binary runs.
package server

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/delivery"
	"github.com/segl/segl/internal/dev"
	devcsc "github.com/segl/segl/internal/dev/csc"
	devidp "github.com/segl/segl/internal/dev/idp"
	"github.com/segl/segl/internal/dev/population"
	devtsa "github.com/segl/segl/internal/dev/tsa"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/eid/csc"
	"github.com/segl/segl/internal/eid/oidc"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/httpapi"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/metrics"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/postenapi"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/renewal"
	"github.com/segl/segl/internal/scratch"
	"github.com/segl/segl/internal/signing"
	"github.com/segl/segl/internal/staff"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/web"
)

// Server is a running segl.
type Server struct {
	URL   string // where it serves, e.g. https://127.0.0.1:8443
	Store store.Store
	Dev   *pki.Dev // nil unless --dev
	// TSA is the in-process time-stamping authority: the development one
	// (served at /dev/tsa), or the one on a configured key (tsa-key-label);
	// nil when the seal uses a remote TSA.
	TSA *tsp.Authority
	Svc *ceremony.Service
	// Queue holds the background tasks; Delivery runs them.
	Queue    queue.Queue
	Delivery *delivery.Service
	// Renewals re-time-stamps archived documents; nil without a seal.
	Renewals *renewal.Service
	// DevDelivery is what the delivery stand-ins captured; nil unless --dev.
	DevDelivery *DevDelivery
	// APIURL is the API's own host (config.APIURL), the only one that asks
	// for a client certificate; empty when the API is on URL's host.
	APIURL string
	// MetricsURL is where Prometheus scrapes, empty unless metrics-addr is
	// set.
	MetricsURL string
	// Routes are the patterns of both APIs and of the pages, for tests
	// that must reach every one (the tenancy matrix).
	Routes  []string
	metrics *metrics.Metrics // nil without metrics-addr: nothing is measured
	http    *http.Server
	// rawPaths are served before the ServeMux, with the path as sent
	// (rawPrefix); empty unless --dev.
	rawPaths []rawPrefix

	tmp      *scratch.Dir      // this process's temporary files (DATA/tmp/<random>)
	seal     *signing.Config   // the TTP seal, TSA, OCSP and anchors of the signing engine; nil when no seal is configured
	roles    *roleKeys         // configured seal, TSA and OCSP keys; holds the HSM token
	stamper  cms.Stamper       // the TSA of the seal and the audit anchors; nil when none
	peers    peerChecks        // the remote TSA's and revocation sources' degrading checks
	login    eid.Login         // the signers' eID login; nil when none is configured
	keys     signing.KeySource // signers' own keys for advanced signatures; nil when none is configured
	queue    closingQueue
	stopWork []func()       // stop the background goroutines
	work     sync.WaitGroup // and wait for them
	closers  []func() error // then close these
	done     chan error

	// revocation answers OCSP and CRL questions: about the seal, the TSA
	// and signers for the signing engine, about API clients for the
	// ceremony service.
	revocation pki.RevocationSource
	// clientRevocation answers whether an API client's certificate is
	// revoked now: from the certificate's own responder or CRL (never
	// ocsp-url or crl-url, which name the seal's CAs'), taking answers
	// signed in advance while they are current.
	clientRevocation pki.RevocationSource
}

// Options are what tests may replace; the zero value is production's.
type Options struct {
	Clock clock.Clock // nil: the system clock
	Log   *slog.Logger
	// TaskBackoff spaces retries of failed background tasks; the zero
	// value is the queue's default (10 s doubling up to an hour).
	TaskBackoff queue.Backoff
}

// Start opens storage, prepares keys and starts serving in the background.
func Start(ctx context.Context, cfg config.Config, opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	// config.Load checked these already; a configuration built in code is
	// held to the same fences.
	if err := cfg.CheckDev(); err != nil {
		return nil, err
	}
	if err := cfg.CheckAPIURL(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s, err := start(ctx, cfg, opts, ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

func start(ctx context.Context, cfg config.Config, opts Options, ln net.Listener) (*Server, error) {
	base := cfg.BaseURL
	if base == "" {
		base = "https://" + ln.Addr().String()
	}
	base = strings.TrimRight(base, "/")
	// Full storage is learnt from the errors the API and the pages answer
	// and from what the background loops would log, logged once, and
	// reported by /readyz until a probe finds space again.
	storage := &health.Storage{Dir: filepath.Join(cfg.Data, "tmp"), Log: opts.Log}
	opts.Log = slog.New(storage.Quiet(opts.Log.Handler()))
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{URL: base, done: make(chan error, 1), metrics: newMetrics(cfg)}
	s.Store = s.metrics.Store(db)
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()
	blobs, err := OpenBlobs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	linkKey, err := loadOrCreateSecret(cfg.LinkKeyFile)
	if err != nil {
		return nil, err
	}
	if s.roles, err = loadKeys(cfg); err != nil {
		return nil, err
	}
	defer func() {
		if !ok {
			s.roles.close()
		}
	}()
	if s.roles.tsa != nil {
		if s.TSA, err = newAuthority(*s.roles.tsa, opts); err != nil {
			return nil, err
		}
	}
	// Temporary files of uploads and signing acts that a crash of an
	// earlier process left behind are removed here (see package scratch).
	if s.tmp, err = scratch.Open(filepath.Join(cfg.Data, "tmp")); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, s.tmp.Close)
	defer func() {
		if !ok && s.tmp != nil {
			s.tmp.Close()
		}
	}()
	mux := http.NewServeMux()
	// Records as large as a write: crypto/tls otherwise starts each
	// connection with records of one TCP segment, growing by one segment
	// per record over its first 128 KB, which made every page (a signer's
	// browser has a new connection) several records, each sealed and sent
	// with a system call of its own, for a first paint sooner on lossy
	// links that a page of a few KB does not need.
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: aeadSuites, ClientAuth: tls.VerifyClientCertIfGiven,
		DynamicRecordSizingDisabled: true}
	if cfg.Dev {
		if err := s.startDev(ctx, cfg, opts, base, mux, tlsConfig); err != nil {
			return nil, err
		}
	}
	if err := s.useConfigured(cfg, opts); err != nil {
		return nil, err
	}
	if err := loadProductionTLS(cfg, tlsConfig); err != nil {
		return nil, err
	}
	// apiURL and apiHost are empty unless the API has a host of its own.
	var apiURL, apiHost string
	if cfg.APIURL != "" && !config.SameHost(base, cfg.APIURL) {
		apiURL = strings.TrimRight(cfg.APIURL, "/")
		s.APIURL = apiURL
		if apiHost, err = hostOf(apiURL); err != nil {
			return nil, err
		}
	}
	if err := askCertificateOnAPIHostOnly(cfg, tlsConfig, apiHost); err != nil {
		return nil, err
	}
	var engine *signing.Engine
	if s.seal != nil {
		sc := *s.seal
		sc.Keys, sc.Blobs, sc.Clock, sc.Location, sc.TempDir = s.keys, blobs, opts.Clock, oslo(), s.tmp.Path()
		if engine, err = signing.New(sc); err != nil {
			return nil, err
		}
	}
	defer func() {
		if !ok {
			s.stop()
		}
	}()
	q, err := openQueue(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.queue, s.Queue = q, q
	if err := s.metrics.Queue(q, opts.Clock.Now); err != nil {
		return nil, err
	}
	ch, err := s.openChannels(cfg, opts, mux)
	if err != nil {
		return nil, err
	}

	// Every port is chosen; each service is built complete.
	svc := &ceremony.Service{Store: s.Store, Blobs: s.metrics.Blobs(blobs), Clock: opts.Clock, Limits: cfg.Limits, LinkKey: linkKey,
		Engine: engine, TempDir: s.tmp.Path(), PrivateCallbacks: cfg.Dev,
		DeletionNotice: time.Duration(cfg.DeletionNoticeDays) * 24 * time.Hour, Queue: q, Roles: ch.roles,
		ClientCerts: &ceremony.CertRevocation{Source: s.clientRevocation}, Log: opts.Log}
	// In --dev, callbacks may go to receivers on this machine or network.
	d := &delivery.Service{Store: s.Store, Queue: q, Svc: svc, Mail: s.metrics.Mailer("smtp", ch.mail), SMS: ch.sms, Contacts: ch.contacts, Mailbox: ch.mailbox,
		HTTP: s.metrics.Client("callback", delivery.CallbackClient(cfg.Dev)), BaseURL: base, RemindAfter: cfg.RemindAfter, Clock: opts.Clock, Log: opts.Log}
	s.Svc, s.Delivery = svc, d
	s.startDelivery(cfg, opts, d)
	ready := &health.Readiness{}
	ready.Add("storage", storage.Check)
	addPing(ready, "database", db)
	addPing(ready, "queue", s.queue)
	ready.Add("blobs", blobCheck(blobs))
	s.roles.health(ready)
	s.peers.add(ready)
	if err := s.metrics.Degraded(ready); err != nil {
		return nil, err
	}
	api := &httpapi.API{Svc: svc, BaseURL: base, APIURL: apiURL, Log: opts.Log, Observe: storage.Observe}
	api.Routes(mux)
	// Posten's signature API beside it (MISSION I2), on the same listener
	// and mutual TLS. A development server lets senders poll an empty
	// queue again after seconds, as Posten's test environment does, and
	// allows more calls a second.
	var pollWait time.Duration // zero: Posten's own
	var rate int
	if cfg.Dev {
		// Tests and local integrations make bursts Posten's 10 calls a
		// second would block for 30 seconds; the rule itself is tested in
		// internal/postenapi.
		pollWait, rate = 5*time.Second, 100
	}
	posten := &postenapi.API{Svc: svc, BaseURL: base, APIURL: apiURL, Log: opts.Log, EmptyQueueWait: pollWait, RatePerSecond: rate,
		Polls: s.Store, ClientRoots: tlsConfig.ClientCAs, Others: http.HandlerFunc(api.NoRoute)}
	posten.Routes(mux)
	// The signer pages. Without a remote signing service (s.keys nil)
	// advanced jobs say that signing with one's own key is unavailable.
	adminPIDs := cfg.AdminPIDs
	if cfg.Dev && len(adminPIDs) == 0 {
		adminPIDs = []string{dev.AdminPID}
	}
	webUI, err := web.New(web.Options{Key: linkKey, Clock: opts.Clock, Log: opts.Log, Observe: storage.Observe,
		MaxForm: cfg.HTTP.MaxFormBytes, MaxUpload: cfg.Limits.MaxUploadBytes(),
		Operator: web.Operator{Name: cfg.OperatorName, Email: cfg.OperatorEmail, Phone: cfg.OperatorPhone},
		Signing:  &web.Signing{Svc: svc, Login: s.login, BaseURL: base},
		Staff: &web.Staff{Svc: svc, Login: s.login, BaseURL: base,
			Admin: &staff.Service{Store: s.Store, Clock: opts.Clock, AdminPIDs: adminPIDs, Queue: s.Queue, Log: opts.Log}}})
	if err != nil {
		return nil, err
	}
	webUI.Routes(mux)
	s.Routes = slices.Concat(api.Patterns(), posten.Patterns(), webUI.Patterns())
	// Liveness: the process answers. Readiness: it should get traffic.
	// Both answer on the metrics listener too, outside the connection
	// limit (startMetrics).
	mux.HandleFunc("GET /healthz", liveness)
	mux.Handle("GET /readyz", ready)

	// No ReadTimeout or WriteTimeout: they bound a whole request or
	// response and would cut a large upload or download on a slow line.
	// edge bounds the body and the response by their progress instead.
	handler := s.metrics.Routes(rawPrefixes(s.rawPaths, postenapi.Paths(mux)))
	if apiHost != "" {
		handler = misdirected{next: handler, apiHost: apiHost}
	}
	maxConns, lowered := connectionsWithin(cmp.Or(cfg.HTTP.MaxConnections, config.DefaultHTTPLimits.MaxConnections))
	if lowered {
		opts.Log.Warn("max-connections lowered to fit the open-file limit (ulimit -n)", "max-connections", maxConns,
			"asked", cmp.Or(cfg.HTTP.MaxConnections, config.DefaultHTTPLimits.MaxConnections), "reserved", fdReserve)
	}
	conns := newConnLimit(maxConns)
	ln = conns.listener(ln)
	s.http = &http.Server{
		Handler:           &edge{next: handler, limits: cfg.HTTP, maxDrain: cfg.Limits.MaxUploadBytes()},
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: cfg.HTTP.HeaderTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		ConnState:         conns.connState,
		ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
	}
	// Jobs that fell due while segl was down are expired or activated
	// before the first request is served, not a sweep interval later.
	if err := s.startMetrics(cfg, ready, opts.Log); err != nil {
		return nil, err
	}
	svc.SweepDue(ctx)
	// ServeTLS (not Serve over tls.NewListener) so HTTP/2 is offered too.
	go func() { s.done <- s.http.ServeTLS(ln, "", "") }()
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	s.stopWork = append(s.stopWork, stopSweep)
	s.work.Go(func() { svc.Sweep(sweepCtx, cfg.SweepEvery) })
	s.work.Go(func() { storage.Watch(sweepCtx, storageWatchEvery) })
	s.work.Go(func() { s.anchorAudit(sweepCtx, cfg.AuditAnchorEvery, opts.Log) })
	ok = true
	if cfg.Dev {
		opts.Log.Warn(dev.Banner)
	}
	opts.Log.Info("segl serving", "url", base, "api-url", cmp.Or(apiURL, base), "data", cfg.Data, "dev", cfg.Dev)
	return s, nil
}

// liveness answers GET /healthz: the process serves, whatever else fails
// (restarting it would not bring a database back).
func liveness(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") }

// anchorAudit time-stamps the audit chain's head at start, every interval,
// and once more when ctx ends (shutdown), so the records written since the
// last anchor are anchored too. Without a TSA there is nothing to anchor
// with, which is said once.
func (s *Server) anchorAudit(ctx context.Context, every time.Duration, log *slog.Logger) {
	if s.stamper == nil {
		log.Warn("audit anchoring off: no time-stamping authority (tsa-url or tsa-key-label)")
		return
	}
	anchor := func(ctx context.Context) {
		a, ok, err := audit.AnchorHead(ctx, s.Store, s.stamper)
		switch {
		case err != nil:
			log.Error("audit anchor", "err", err)
		case ok:
			log.Info("audit anchored", "seq", a.Seq, "at", a.At)
		}
	}
	anchor(ctx)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), anchorAtShutdown)
			anchor(final)
			cancel()
			return
		case <-t.C:
			anchor(ctx)
		}
	}
}

// anchorAtShutdown bounds the last anchor's wait for the TSA.
const anchorAtShutdown = 10 * time.Second

// storageWatchEvery is how often a node whose storage is full probes for
// space, so that the recovery is logged even when nothing polls /readyz.
const storageWatchEvery = 10 * time.Second

// startDev creates the development PKI, onboards the synthetic
// organisations and mounts the development endpoints.
func (s *Server) startDev(ctx context.Context, cfg config.Config, opts Options, base string, mux *http.ServeMux, tlsConfig *tls.Config) error {
	pop, err := population.Load()
	if err != nil {
		return err
	}
	var orgs []pki.Org
	for _, o := range pop.Organisations {
		orgs = append(orgs, pki.Org{Number: o.Number, Name: o.Name})
	}
	// No AIA/CRL URLs in development certificates: validators (NSS in
	// pdfsig) would fetch OCSP from them, and NSS speaks OCSP over plain HTTP
	// only, while segl serves everything over HTTPS. segl embeds OCSP
	// responses itself (DSS, XAdES values), and /dev/ocsp stays available.
	dev, err := pki.LoadOrCreateDev(cfg.Data, pki.Options{Orgs: orgs, Now: opts.Clock.Now()})
	if err != nil {
		return err
	}
	s.Dev = dev
	if err := devCAKeys(dev, s.roles); err != nil {
		return err
	}
	for _, o := range pop.Organisations {
		// Onboard once; a later deactivation by an administrator sticks.
		if _, err := s.Store.Org(ctx, o.Number); !errs.Is(err, errs.NotFound) {
			if err != nil {
				return err
			}
			continue
		}
		err := s.Store.PutOrg(ctx, store.By{Actor: "dev", At: opts.Clock.Now()}, store.Org{Number: o.Number, Name: o.Name, Active: true,
			SignatureTypes: []job.SignatureType{job.Authenticated, job.Advanced}, CreatedAt: opts.Clock.Now()})
		if err != nil {
			return err
		}
		// The general manager (DAGL) administers the organisation's
		// portal users.
		for _, r := range o.Roles {
			if r.Role != "DAGL" {
				continue
			}
			p, _ := pop.Person(r.PID)
			err := s.Store.PutUser(ctx, store.By{Actor: "dev", At: opts.Clock.Now()}, store.User{Org: o.Number, PID: r.PID, Name: p.Name(), Role: store.RoleAdmin,
				CreatedAt: opts.Clock.Now(), CreatedBy: "dev"})
			if err != nil {
				return err
			}
		}
	}
	tlsConfig.Certificates = []tls.Certificate{dev.Server.TLSCertificate()}
	tlsConfig.ClientCAs = dev.Roots()
	revoked, err := pki.OpenRevocations(dev.Dir)
	if err != nil {
		return err
	}
	now := opts.Clock.Now
	if s.roles.ocsp != nil {
		// The responder's own key in the HSM; its certificate must be
		// issued by the development issuing CA (RFC 6960 section 4.2.2.2).
		dev.OCSP = *s.roles.ocsp
	}
	mux.Handle("/dev/ocsp", dev.OCSPHandler(revoked, now))
	// A GET's base64 request may hold "//", which the mux would redirect
	// away (rawPrefix).
	s.rawPaths = append(s.rawPaths, rawPrefix{prefix: "/dev/ocsp/", h: dev.OCSPHandler(revoked, now)})
	mux.Handle("GET /dev/crl", dev.CRLHandler(revoked, now))
	mux.Handle("GET /dev/root-crl", dev.RootCRLHandler(now))
	mux.Handle("GET /dev/pki/issuing-ca.cer", dev.IssuingCAHandler())
	if s.TSA == nil { // no configured time-stamping key: the development one
		if s.TSA, err = newAuthority(dev.TSA, opts); err != nil {
			return err
		}
	}
	mux.Handle("POST /dev/tsa", s.TSA)
	// The signing engine's time-stamps pass a gate, open unless a test
	// holds it (/dev/tsa/hold) to stop a completion half-way.
	gate := &devtsa.Gate{TSA: s.TSA}
	mux.Handle("/dev/tsa/hold", gate)
	s.revocation = &pki.RevocationCache{Source: pki.DevOCSP{Dev: dev, Revoked: revoked, Now: opts.Clock.Now}, Now: opts.Clock.Now}
	s.clientRevocation = s.revocation
	s.seal = &signing.Config{Seal: dev.Seal, Anchors: []*x509.Certificate{dev.Root}, TSA: gate, OCSP: s.revocation}
	// The ID-porten stand-in, with segl's own relying party (the production
	// eid/oidc code) registered as its client. Both sides live in this
	// process, so a fresh client key at every start is enough.
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	const clientID, keyID = "segl-dev", "segl-dev-1"
	idp, err := devidp.New(devidp.Config{Issuer: base + "/dev/idporten", KeyDir: filepath.Join(cfg.Data, "dev"), Clock: opts.Clock,
		Clients: []devidp.Client{{ID: clientID, Keys: map[string]crypto.PublicKey{keyID: clientKey.Public()},
			RedirectURIs: []string{base + "/sign/callback", base + "/portal/callback", base + "/admin/callback"}}}})
	if err != nil {
		return err
	}
	mux.Handle("/dev/idporten/", idp)
	s.login, err = oidc.New(oidc.Config{Issuer: base + "/dev/idporten", ClientID: clientID, Key: clientKey, KeyID: keyID,
		Roots: dev.Roots(), Clock: opts.Clock, Instrument: s.metrics.Wrap("idporten")})
	if err != nil {
		return err
	}
	// The remote signing service stand-in (CSC API v2) for advanced
	// signatures: it takes the signer's ID-porten ID token as authorization
	// and signs with a key certified by the development PKI.
	cscService, err := devcsc.New(devcsc.Config{Issuer: idp.Issuer(), Audiences: []string{clientID}, IDP: idp, Dev: dev,
		Dir: filepath.Join(cfg.Data, "dev", "csc"), Clock: opts.Clock})
	if err != nil {
		return err
	}
	mux.Handle("/dev/csc/", cscService)
	cscConfig := csc.Config{BaseURL: base + "/dev/csc/v2", Roots: dev.Roots(), Clock: opts.Clock}
	s.keys = func(ctx context.Context, idToken string, n int) (*pki.KeyPair, error) {
		return csc.Open(ctx, cscConfig, idToken, n)
	}
	return nil
}

// devCAKeys refuses, in --dev, a time-stamping or OCSP key whose
// certificate the development issuing CA did not issue. Development mode
// takes HSM keys only for that CA's own time-stamping unit and OCSP
// responder, to rehearse a key ceremony (config.CheckDev); a certificate
// from another CA would put a production identity behind /dev/tsa or
// /dev/ocsp, where anyone may ask it to sign.
func devCAKeys(d *pki.Dev, keys *roleKeys) error {
	for _, k := range []struct {
		setting string
		pair    *pki.KeyPair
	}{{"tsa-cert", keys.tsa}, {"ocsp-cert", keys.ocsp}} {
		if k.pair != nil && !pki.SignedBy(k.pair.Cert, d.Issuing.Cert) {
			return fmt.Errorf("server: --dev refuses %s: %q is not issued by the development issuing CA, "+
				"and development mode takes HSM keys only for that CA's own time-stamping unit and OCSP responder",
				k.setting, k.pair.Cert.Subject.String())
		}
	}
	return nil
}

// loadProductionTLS adds configured server certificates and client trust
// anchors (outside --dev; config.CheckDev refuses them in it).
func loadProductionTLS(cfg config.Config, tlsConfig *tls.Config) error {
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("server: tls certificate: %w", err)
		}
		tlsConfig.Certificates = []tls.Certificate{cert}
	}
	if cfg.ClientCAs != "" {
		pem, err := os.ReadFile(cfg.ClientCAs)
		if err != nil {
			return fmt.Errorf("server: client CAs: %w", err)
		}
		if tlsConfig.ClientCAs == nil {
			tlsConfig.ClientCAs = x509.NewCertPool()
		}
		if !tlsConfig.ClientCAs.AppendCertsFromPEM(pem) {
			return errors.New("server: client CAs: no certificates in " + cfg.ClientCAs)
		}
	}
	if len(tlsConfig.Certificates) == 0 {
		return errors.New("server: no TLS certificate: use --dev or --tls-cert/--tls-key")
	}
	return nil
}

// loadOrCreateSecret reads a 32-byte hex secret, creating it on first use.
// Every node of a scaled-out deployment must be given the same file.
func loadOrCreateSecret(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(key) < 32 {
			return nil, fmt.Errorf("server: %s: want at least 32 hex-encoded bytes", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("server: %w", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return key, nil
}

// Close stops serving, waiting up to the context's deadline for requests in
// flight, and closes storage.
func (s *Server) Close(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.http.Close())
	}
	if serr := <-s.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	// The HSM session ends after the background work, which may still seal.
	return errors.Join(err, s.stop(), s.roles.close(), s.Store.Close())
}

// stop ends the background work and closes what it used. A task cut off
// by the stop is not lost: its lease runs out and it runs again.
func (s *Server) stop() error {
	for _, stop := range s.stopWork {
		stop()
	}
	s.work.Wait()
	var err error
	for _, c := range s.closers {
		err = errors.Join(err, c())
	}
	if s.queue != nil {
		err = errors.Join(err, s.queue.Close())
	}
	return err
}
