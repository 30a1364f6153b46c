package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/segl/segl/internal/clock"
)

// TLSMode says what to do when the SMTP server does or does not offer STARTTLS.
type TLSMode int

const (
	// StartTLSRequired refuses to send unless the server offers STARTTLS and
	// the handshake verifies. The zero value, so the safe default.
	StartTLSRequired TLSMode = iota
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and
	// sends in clear text otherwise (a local relay, the dev server). A failed
	// handshake is still an error: an offered but broken TLS is not skipped.
	StartTLSOpportunistic
)

// SMTPConfig configures an SMTP submission client. Zero values are safe
// defaults where one exists.
type SMTPConfig struct {
	// Addr is the relay's host:port, for example "smtp.example.no:587".
	Addr string
	// From is the envelope sender and the From address, a bare address.
	From string
	// FromName is the display name shown with From, for example "segl".
	FromName string
	// HelloName is the name given in EHLO; empty means "localhost".
	HelloName string
	// TLS is the STARTTLS policy; the zero value requires it.
	TLS TLSMode
	// TLSConfig verifies the server; nil means the system roots with
	// ServerName taken from Addr.
	TLSConfig *tls.Config
	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN (RFC 4616). net/smtp refuses to send them over a clear-text
	// connection except to localhost.
	Username string
	Password string
	// Timeout bounds one whole delivery (dial to QUIT) when the context has
	// no earlier deadline; zero means 30 seconds.
	Timeout time.Duration
	// Clock dates the message; nil means the system clock.
	Clock clock.Clock
}

// SMTP sends notifications by e-mail through a relay (RFC 5321). A
// connection is kept for the next message (several transactions per
// session, RFC 5321 3.3), up to a few idle ones for a short while, since
// connecting, greeting and TLS cost more than a message. Safe for
// concurrent use.
type SMTP struct {
	cfg  SMTPConfig
	host string

	mu   sync.Mutex
	idle []*session // most recently used last
}

// session is an open SMTP connection past EHLO, STARTTLS and AUTH.
type session struct {
	conn net.Conn
	c    *smtp.Client
	used time.Time
}

const (
	maxIdleSessions = 8
	idleTimeout     = 20 * time.Second // well below the 5 minutes servers wait for a command (RFC 5321 4.5.3.2.7)
)

var _ Mailer = (*SMTP)(nil)

// NewSMTP checks cfg and returns a mailer.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("notify: smtp address %q: %w", cfg.Addr, err)
	}
	if err := checkAddress("from", cfg.From); err != nil {
		return nil, err
	}
	if err := checkHeader("from name", cfg.FromName); err != nil {
		return nil, err
	}
	if err := checkHeader("hello name", cfg.HelloName); err != nil {
		return nil, err
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	return &SMTP{cfg: cfg, host: host}, nil
}

// checkAddress accepts a bare ASCII addr-spec (RFC 5322 3.4.1) and nothing
// else: no display name, no angle brackets, no CR/LF, no comments. We do not
// speak SMTPUTF8, so non-ASCII addresses are refused too.
func checkAddress(field, addr string) error {
	if err := checkHeader(field, addr); err != nil {
		return err
	}
	if len(addr) > 254 {
		return invalid("%s: address too long", field)
	}
	for i := 0; i < len(addr); i++ {
		if addr[i] >= 0x80 || addr[i] == ' ' {
			return invalid("%s: address %q must be plain ASCII without spaces", field, addr)
		}
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || !strings.Contains(addr, "@") {
		return invalid("%s: not an e-mail address: %q", field, addr)
	}
	return nil
}

// Send renders m and delivers it. It returns an error that is ErrTemporary or
// ErrPermanent (and ErrInvalid for a message refused before any connection),
// whose text never holds the recipient's address.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	return withoutRecipient(s.send(ctx, m), m.To)
}

func (s *SMTP) send(ctx context.Context, m Message) error {
	if err := checkAddress("to", m.To); err != nil {
		return err
	}
	r, err := Render(m)
	if err != nil {
		return err
	}
	msg, err := s.compose(m.To, r)
	if err != nil {
		return err
	}
	return s.deliver(ctx, m.To, msg)
}

func (s *SMTP) compose(to string, r Rendered) ([]byte, error) {
	var id [16]byte
	rand.Read(id[:])
	domain := s.cfg.From[strings.LastIndexByte(s.cfg.From, '@')+1:]
	return composeMIME(mimeMessage{
		From:      mail.Address{Name: s.cfg.FromName, Address: s.cfg.From},
		To:        to,
		Subject:   r.Subject,
		Date:      s.cfg.Clock.Now(),
		MessageID: "<" + hex.EncodeToString(id[:]) + "@" + domain + ">",
		Text:      r.Text,
		HTML:      r.HTML,
	})
}

func (s *SMTP) deliver(ctx context.Context, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if ss := s.takeIdle(); ss != nil {
		stale, err := s.transact(ctx, ss, to, msg)
		if !stale {
			return err
		}
		// The server had closed the idle connection before our MAIL:
		// nothing was sent; try a fresh one.
	}
	ss, err := s.open(ctx)
	if err != nil {
		return err
	}
	_, err = s.transact(ctx, ss, to, msg)
	return err
}

// open connects, greets, starts TLS and authenticates as configured.
func (s *SMTP) open(ctx context.Context) (*session, error) {
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, temporary("notify: smtp dial", err)
	}
	defer bound(ctx, conn)()
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return nil, classify("notify: smtp greeting", err)
	}
	ss := &session{conn: conn, c: c}
	if err := s.handshake(c); err != nil {
		ss.close()
		return nil, err
	}
	return ss, nil
}

func (s *SMTP) handshake(c *smtp.Client) error {
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return classify("notify: smtp ehlo", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.cfg.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = s.host
		}
		if err := c.StartTLS(cfg); err != nil {
			// A handshake that fails verification will fail the same way
			// next time, but the fix is on the server, not in the message:
			// retry, and let the queue give up eventually.
			return classify("notify: smtp starttls", err)
		}
	} else if s.cfg.TLS == StartTLSRequired {
		return temporary("notify: smtp", errors.New("server does not offer STARTTLS and it is required"))
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return temporary("notify: smtp", errors.New("server does not offer AUTH and it is configured"))
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
			return classify("notify: smtp auth", err)
		}
	}
	return nil
}

// bound makes ctx's deadline and cancellation bound every read and write
// on conn until the returned function is called.
func bound(ctx context.Context, conn net.Conn) func() {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stop()
		conn.SetDeadline(time.Time{})
	}
}

// transact sends one message on ss, then keeps the session for the next
// one or closes it. stale reports that a reused session was found closed
// before the server answered anything, so nothing was sent.
func (s *SMTP) transact(ctx context.Context, ss *session, to string, msg []byte) (stale bool, err error) {
	release := bound(ctx, ss.conn)
	defer func() {
		release()
		if err != nil || ctx.Err() != nil {
			ss.close()
			return
		}
		s.putIdle(ss)
	}()
	if err := ss.c.Mail(s.cfg.From); err != nil {
		var te *textproto.Error
		return !ss.used.IsZero() && !errors.As(err, &te), classify("notify: smtp mail from", err)
	}
	if err := ss.c.Rcpt(to); err != nil {
		return false, classify("notify: smtp rcpt to", err)
	}
	w, err := ss.c.Data()
	if err != nil {
		return false, classify("notify: smtp data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return false, classify("notify: smtp data", err)
	}
	// Close reads the reply to the end of DATA: only now is the message the
	// relay's responsibility.
	if err := w.Close(); err != nil {
		return false, classify("notify: smtp data", err)
	}
	return false, nil
}

func (s *SMTP) takeIdle() *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.idle) > 0 {
		ss := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if time.Since(ss.used) < idleTimeout {
			return ss
		}
		go ss.close()
	}
	return nil
}

func (s *SMTP) putIdle(ss *session) {
	ss.used = time.Now()
	s.mu.Lock()
	if len(s.idle) < maxIdleSessions {
		s.idle = append(s.idle, ss)
		ss = nil
	}
	s.mu.Unlock()
	if ss != nil {
		ss.close()
	}
}

// close ends the session politely; a failed QUIT changes nothing.
func (ss *session) close() {
	ss.conn.SetDeadline(time.Now().Add(2 * time.Second))
	_ = ss.c.Quit()
	ss.c.Close()
}

// Close ends the idle sessions.
func (s *SMTP) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, ss := range idle {
		ss.close()
	}
	return nil
}

// classify maps an SMTP exchange error onto ErrTemporary or ErrPermanent: a
// 5yz reply is a permanent negative completion and 4yz a transient one (RFC
// 5321 4.2.1); anything without a reply (timeouts, resets, TLS) is temporary.
func classify(prefix string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return permanent(prefix, err)
	}
	return temporary(prefix, err)
}
