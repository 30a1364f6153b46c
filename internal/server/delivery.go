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
	"sync"
	"sync/atomic"
	"time"

	"github.com/segl/segl/internal/ceremony"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/delivery"
	devmail "github.com/segl/segl/internal/dev/mail"
	devmailbox "github.com/segl/segl/internal/dev/mailbox"
	"github.com/segl/segl/internal/dev/population"
	devregistry "github.com/segl/segl/internal/dev/registry"
	devsms "github.com/segl/segl/internal/dev/sms"
	"github.com/segl/segl/internal/mailbox"
	"github.com/segl/segl/internal/mailbox/digipost"
	"github.com/segl/segl/internal/notify"
	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/registry"
	"github.com/segl/segl/internal/registry/brreg"
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

// channels are the ports of delivery and of the business register: each
// the production adapter the configuration names or, in --dev, a stand-in
// for one it does not. They are all chosen before any service is built.
type channels struct {
	mail     notify.Mailer
	sms      notify.SMS
	contacts registry.ContactRegister
	roles    registry.Roles
	mailbox  mailbox.Mailbox
}

// openChannels makes the channels: the production adapters that are
// configured and, with --dev, stand-ins mounted under /dev for the rest.
// A channel left without either is off, and said so in the log.
func (s *Server) openChannels(cfg config.Config, opts Options, mux *http.ServeMux) (channels, error) {
	ch, err := s.configuredChannels(cfg, opts)
	if err != nil {
		return ch, err
	}
	if cfg.Dev {
		if err := s.devChannels(&ch, opts, mux); err != nil {
			return ch, err
		}
	}
	for what, missing := range map[string]bool{"e-mail notices (smtp-addr)": ch.mail == nil, "SMS notices (sms-url)": ch.sms == nil,
		"the contact register (krr-url)": ch.contacts == nil, "digital mailbox forwarding (mailbox-url)": ch.mailbox == nil} {
		if missing {
			opts.Log.Warn("not configured, so off: " + what)
		}
	}
	return ch, nil
}

// startDelivery starts the background workers of d: the outbox pump and
// the task runner (internal/delivery).
func (s *Server) startDelivery(cfg config.Config, opts Options, d *delivery.Service) {
	runner := queue.NewRunner(d.Queue, queue.RunnerOptions{Concurrency: cfg.Workers, Poll: 200 * time.Millisecond,
		Backoff: opts.TaskBackoff, Observe: s.metrics.Task, Clock: opts.Clock, Log: opts.Log})
	d.Handlers(runner)
	ctx, stop := context.WithCancel(context.Background())
	s.stopWork = append(s.stopWork, stop)
	s.startRenewals(ctx, cfg, opts, d.Svc, runner)
	s.work.Go(func() { runner.Run(ctx) })
	s.work.Go(func() { d.Pump(ctx, 200*time.Millisecond) })
}

// configuredChannels makes the production adapters that are configured.
func (s *Server) configuredChannels(cfg config.Config, opts Options) (channels, error) {
	var ch channels
	if cfg.SMTPAddr != "" {
		m, err := notify.NewSMTP(notify.SMTPConfig{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, FromName: "segl",
			Username: cfg.SMTPUser, Password: cfg.SMTPPassword, Clock: opts.Clock})
		if err != nil {
			return ch, err
		}
		s.closers = append(s.closers, m.Close)
		ch.mail = m
	}
	if cfg.SMSURL != "" {
		ch.sms = &notify.HTTPGateway{URL: cfg.SMSURL, Token: cfg.SMSToken, Sender: "segl"}
	}
	if cfg.KRRURL != "" {
		token := cfg.KRRToken
		ch.contacts = &krr.Client{BaseURL: cfg.KRRURL, Token: func(context.Context) (string, error) { return token, nil }}
	}
	if cfg.BrregURL != "" {
		token := cfg.BrregToken
		ch.roles = &brreg.Client{BaseURL: cfg.BrregURL, Token: func(context.Context) (string, error) { return token, nil }}
	}
	if cfg.MailboxURL != "" {
		key, err := loadRSAKey(cfg.MailboxKey)
		if err != nil {
			return ch, err
		}
		ch.mailbox = &digipost.Client{BaseURL: cfg.MailboxURL, SenderID: cfg.MailboxSender, Key: key}
	}
	return ch, nil
}

// devChannels points every channel and register not configured at a
// stand-in: a capturing SMTP server on a free local port, and the SMS
// gateway, KRR, the business register and the digital mailbox on segl's
// own listener; mail and SMS are viewable at /dev/mail.
func (s *Server) devChannels(ch *channels, opts Options, mux *http.ServeMux) error {
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
	if ch.mail == nil {
		addr, err := dev.Mail.Start("127.0.0.1:0")
		if err != nil {
			return err
		}
		s.closers = append(s.closers, dev.Mail.Close)
		m, err := notify.NewSMTP(notify.SMTPConfig{Addr: addr, From: "segl@segl.localhost", FromName: "segl",
			TLS: notify.StartTLSOpportunistic, Clock: opts.Clock})
		if err != nil {
			return err
		}
		s.closers = append([]func() error{m.Close}, s.closers...) // before the server it talks to
		ch.mail = m
	}
	if ch.sms == nil {
		mux.Handle("POST /dev/sms", dev.SMS)
		ch.sms = &notify.HTTPGateway{URL: s.URL + "/dev/sms", Sender: "segl", Client: client}
	}
	if ch.contacts == nil || ch.roles == nil {
		// KRR and the business register: one stand-in serves both.
		mux.Handle("/dev/registry/", http.StripPrefix("/dev/registry", devregistry.New(pop, devregistry.Options{})))
		token := func(context.Context) (string, error) { return "dev", nil }
		if ch.contacts == nil {
			ch.contacts = &krr.Client{BaseURL: s.URL + "/dev/registry", HTTP: client, Token: token}
		}
		if ch.roles == nil {
			ch.roles = &brreg.Client{BaseURL: s.URL + "/dev/registry/enhetsregisteret", HTTP: client, Token: token}
		}
	}
	if ch.mailbox == nil {
		// The stand-in does not check request signatures here: mounted
		// under /dev/mailbox it sees another path than the client signed.
		// Its own tests check them.
		mux.Handle("/dev/mailbox/", http.StripPrefix("/dev/mailbox", dev.Mailboxes))
		key, err := devMailboxKey()
		if err != nil {
			return err
		}
		// Its own HTTP/1.1 client, as in production (digipost.Transport).
		ch.mailbox = &digipost.Client{BaseURL: s.URL + "/dev/mailbox", SenderID: "segl-dev", Key: key,
			HTTP: &http.Client{Timeout: client.Timeout, Transport: digipost.Transport(&tls.Config{RootCAs: s.Dev.Roots(), MinVersion: tls.VersionTLS12})}}
	}
	mux.Handle("GET /dev/mail", devmail.Handler(dev.Mail, dev.SMS))
	return nil
}

// devMailboxKey signs a development server's requests to the mailbox
// stand-in. It is made once per process: an RSA key takes a tenth of a
// second or more, and the tests start a hundred servers in one process.
var devMailboxKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

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
