package server

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/delivery"
	"github.com/segl/segl/internal/mailbox/devmailbox"
	"github.com/segl/segl/internal/mailbox/digipost"
	"github.com/segl/segl/internal/notify"
	"github.com/segl/segl/internal/notify/devmail"
	"github.com/segl/segl/internal/notify/devsms"
	"github.com/segl/segl/internal/population"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/registry/brreg"
	"github.com/segl/segl/internal/registry/devregistry"
	"github.com/segl/segl/internal/registry/krr"
	"github.com/segl/segl/internal/renewal"
)

// DevDelivery is what the development stand-ins for delivery captured, for
// tests and for the /dev/mail page.
type DevDelivery struct {
	Mail      *devmail.Server     // the SMTP server notices go to
	SMS       *devsms.Gateway     // the SMS gateway
	Mailboxes *devmailbox.Handler // the digital mailbox
	// MailDown, while set, makes the SMTP server refuse every message with
	// a temporary error, as a relay that is down does.
	MailDown atomic.Bool
}

// startDelivery opens the task queue and starts the background workers:
// the outbox pump and the task runner (internal/delivery). With --dev,
// channels not configured go to the stand-ins, mounted under /dev.
func (s *Server) startDelivery(cfg config.Config, opts Options, svc *ceremony.Service, mux *http.ServeMux) error {
	q, err := openQueue(context.Background(), cfg)
	if err != nil {
		return err
	}
	s.queue, s.Queue, svc.Queue = q, q, q
	// In --dev, callbacks may go to receivers on this machine or network.
	d := &delivery.Service{Store: s.Store, Queue: q, Svc: svc, BaseURL: s.URL, RemindAfter: cfg.RemindAfter,
		HTTP: delivery.CallbackClient(cfg.Dev), Clock: opts.Clock, Log: opts.Log}
	if err := s.configureChannels(cfg, d); err != nil {
		return err
	}
	if cfg.Dev {
		if err := s.devChannels(d, mux); err != nil {
			return err
		}
	}
	for what, missing := range map[string]bool{"e-mail notices (smtp-addr)": d.Mail == nil, "SMS notices (sms-url)": d.SMS == nil,
		"the contact register (krr-url)": d.Contacts == nil, "digital mailbox forwarding (mailbox-url)": d.Mailbox == nil} {
		if missing {
			opts.Log.Warn("not configured, so off: " + what)
		}
	}
	runner := queue.NewRunner(q, queue.RunnerOptions{Concurrency: cfg.Workers, Poll: 200 * time.Millisecond,
		Backoff: opts.TaskBackoff, Clock: opts.Clock, Log: opts.Log})
	d.Handlers(runner)
	s.Delivery = d
	ctx, stop := context.WithCancel(context.Background())
	s.stopWork = append(s.stopWork, stop)
	s.startRenewals(ctx, cfg, opts, svc, runner)
	s.work.Go(func() { runner.Run(ctx) })
	s.work.Go(func() { d.Pump(ctx, 200*time.Millisecond) })
	return nil
}

// configureChannels sets up the production adapters that are configured.
func (s *Server) configureChannels(cfg config.Config, d *delivery.Service) error {
	if cfg.SMTPAddr != "" {
		m, err := notify.NewSMTP(notify.SMTPConfig{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, FromName: "segl",
			Username: cfg.SMTPUser, Password: cfg.SMTPPassword, Clock: d.Clock})
		if err != nil {
			return err
		}
		s.closers = append(s.closers, m.Close)
		d.Mail = m
	}
	if cfg.SMSURL != "" {
		d.SMS = &notify.HTTPGateway{URL: cfg.SMSURL, Token: cfg.SMSToken, Sender: "segl"}
	}
	if cfg.KRRURL != "" {
		token := cfg.KRRToken
		d.Contacts = &krr.Client{BaseURL: cfg.KRRURL, Token: func(context.Context) (string, error) { return token, nil }}
	}
	if cfg.BrregURL != "" {
		token := cfg.BrregToken
		d.Svc.Roles = &brreg.Client{BaseURL: cfg.BrregURL, Token: func(context.Context) (string, error) { return token, nil }}
	}
	if cfg.MailboxURL != "" {
		key, err := loadRSAKey(cfg.MailboxKey)
		if err != nil {
			return err
		}
		d.Mailbox = &digipost.Client{BaseURL: cfg.MailboxURL, SenderID: cfg.MailboxSender, Key: key}
	}
	return nil
}

// devChannels points every channel and register not configured at a
// stand-in: a capturing SMTP server on a free local port, and the SMS
// gateway, KRR, the business register and the digital mailbox on segl's
// own listener; mail and SMS are viewable at /dev/mail.
func (s *Server) devChannels(d *delivery.Service, mux *http.ServeMux) error {
	pop, err := population.Load()
	if err != nil {
		return err
	}
	dev := &DevDelivery{Mail: &devmail.Server{}, SMS: &devsms.Gateway{}, Mailboxes: devmailbox.New(pop, devmailbox.Options{})}
	dev.Mail.Reject = func(verb, _ string) (int, string) {
		if verb == "MAIL" && dev.MailDown.Load() {
			return 421, "4.3.2 service not available"
		}
		return 0, ""
	}
	s.DevDelivery = dev
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
		MaxIdleConnsPerHost: 16, TLSClientConfig: &tls.Config{RootCAs: s.Dev.Roots(), MinVersion: tls.VersionTLS12}}}
	if d.Mail == nil {
		addr, err := dev.Mail.Start("127.0.0.1:0")
		if err != nil {
			return err
		}
		s.closers = append(s.closers, dev.Mail.Close)
		m, err := notify.NewSMTP(notify.SMTPConfig{Addr: addr, From: "segl@segl.localhost", FromName: "segl",
			TLS: notify.StartTLSOpportunistic, Clock: d.Clock})
		if err != nil {
			return err
		}
		s.closers = append([]func() error{m.Close}, s.closers...) // before the server it talks to
		d.Mail = m
	}
	if d.SMS == nil {
		mux.Handle("POST /dev/sms", dev.SMS)
		d.SMS = &notify.HTTPGateway{URL: s.URL + "/dev/sms", Sender: "segl", Client: client}
	}
	if d.Contacts == nil || d.Svc.Roles == nil {
		// KRR and the business register: one stand-in serves both.
		mux.Handle("/dev/registry/", http.StripPrefix("/dev/registry", devregistry.New(pop, devregistry.Options{})))
		token := func(context.Context) (string, error) { return "dev", nil }
		if d.Contacts == nil {
			d.Contacts = &krr.Client{BaseURL: s.URL + "/dev/registry", HTTP: client, Token: token}
		}
		if d.Svc.Roles == nil {
			d.Svc.Roles = &brreg.Client{BaseURL: s.URL + "/dev/registry/enhetsregisteret", HTTP: client, Token: token}
		}
	}
	if d.Mailbox == nil {
		// The stand-in does not check request signatures here: mounted
		// under /dev/mailbox it sees another path than the client signed.
		// Its own tests check them.
		mux.Handle("/dev/mailbox/", http.StripPrefix("/dev/mailbox", dev.Mailboxes))
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		d.Mailbox = &digipost.Client{BaseURL: s.URL + "/dev/mailbox", SenderID: "segl-dev", Key: key, HTTP: client}
	}
	mux.Handle("GET /dev/mail", devmail.Handler(dev.Mail, dev.SMS))
	return nil
}

func loadRSAKey(path string) (*rsa.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: mailbox key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, errors.New("server: mailbox key: no PEM block in " + path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if rk, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 == nil {
			return rk, nil
		}
		return nil, fmt.Errorf("server: mailbox key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("server: mailbox key: not an RSA key")
	}
	return rk, nil
}

// startRenewals registers the archive renewal task and starts its sweep
// (internal/renewal): archived documents get a new document time-stamp,
// with the seal's TSA and revocation sources, before the newest one's TSA
// certificate expires. Without a seal there is nothing to renew with.
func (s *Server) startRenewals(ctx context.Context, cfg config.Config, opts Options, svc *ceremony.Service, runner *queue.Runner) {
	if svc.Engine == nil {
		opts.Log.Warn("not configured, so off: archive renewal (needs a seal and a TSA)")
		return
	}
	s.Renewals = &renewal.Service{Store: s.Store, Blobs: svc.Blobs, Queue: s.Queue, Sealer: svc.Engine.Sealer(),
		Policy: renewal.Policy{Margin: cfg.RenewMargin, Ends: cfg.RenewAlgorithmEnds}, Clock: opts.Clock, Log: opts.Log, TempDir: svc.TempDir}
	s.Renewals.Handlers(runner)
	s.work.Go(func() { s.Renewals.Sweep(ctx, cfg.SweepEvery) })
}
