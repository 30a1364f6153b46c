// Package devmail is a stand-in SMTP relay for development and tests. It
// speaks enough of RFC 5321 for a submission client (EHLO/HELO, optional
// STARTTLS per RFC 3207 and AUTH PLAIN per RFC 4954/4616, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT), so notify.SMTP runs its real protocol code in every
// test, and it keeps what it receives in memory. Handler shows the captured
// mail and SMS in a browser (mounted at /dev/mail in --dev).
//
// It is not a mail server: it never relays, holds everything in memory and
// trusts its clients not to send endless lines. Never expose it.
package devmail

import (
	"bytes"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"time"
)

// Mail is one captured message as the client handed it over.
type Mail struct {
	From     string   // envelope sender (MAIL FROM)
	To       []string // envelope recipients (RCPT TO)
	Data     []byte   // the message, dot-unstuffed, CRLF line ends
	TLS      bool     // received after STARTTLS
	User     string   // the AUTH PLAIN user, if any
	Received time.Time
}

// Server captures mail sent to it. Configure the exported fields before
// Serve. Safe for concurrent use.
type Server struct {
	// Hostname is announced in the greeting; empty means "devmail.localhost".
	Hostname string
	// TLSConfig, when set, makes the server offer STARTTLS.
	TLSConfig *tls.Config
	// Users, when set, makes the server offer AUTH PLAIN and require it
	// before MAIL: user name to password.
	Users map[string]string
	// Reject, when set, is asked before accepting each MAIL (arg is the
	// sender), RCPT (the recipient) and DATA (the empty string); a non-zero
	// code is sent as the reply instead of accepting, for testing a client's
	// handling of 4xx and 5xx replies.
	Reject func(verb, arg string) (code int, text string)
	// MaxSize limits a message's size; zero means 10 MB.
	MaxSize int64

	mu       sync.Mutex
	msgs     []Mail
	ls       map[net.Listener]struct{}
	conns    map[net.Conn]struct{}
	closed   bool
	sessions sync.WaitGroup
}

// Keep is how many messages a server keeps, newest: a long-running
// development server must not hold every message it was ever sent.
const Keep = 1000

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("devmail: server closed")

// Start listens on addr ("127.0.0.1:0" for a free port) and serves in the
// background; it returns the address it listens on.
func (s *Server) Start(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("devmail: %w", err)
	}
	go s.Serve(l)
	return l.Addr().String(), nil
}

// Serve accepts SMTP sessions on l until Close.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.ls == nil {
		s.ls = map[net.Listener]struct{}{}
	}
	s.ls[l] = struct{}{}
	s.mu.Unlock()
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			return fmt.Errorf("devmail: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			continue
		}
		if s.conns == nil {
			s.conns = map[net.Conn]struct{}{}
		}
		s.conns[c] = struct{}{}
		s.sessions.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.sessions.Done()
			s.serveConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops every listener and session and waits for the sessions to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for l := range s.ls {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.sessions.Wait()
	return nil
}

// Messages returns a copy of the captured messages, oldest first.
func (s *Server) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.msgs...)
}

// Reset forgets the captured messages.
func (s *Server) Reset() {
	s.mu.Lock()
	s.msgs = nil
	s.mu.Unlock()
}

// session is one connection's state (RFC 5321 4.1.4: EHLO and RSET clear the
// transaction; STARTTLS clears everything, RFC 3207 4.2).
type session struct {
	conn   net.Conn
	tp     *textproto.Conn
	hello  bool
	tls    bool
	user   string
	from   string
	inMail bool
	to     []string
}

const maxRecipients = 100

func (s *Server) serveConn(c net.Conn) {
	host := s.Hostname
	if host == "" {
		host = "devmail.localhost"
	}
	maxSize := s.MaxSize
	if maxSize <= 0 {
		maxSize = 10 << 20
	}
	ss := &session{conn: c, tp: textproto.NewConn(c)}
	defer func() { ss.conn.Close() }()
	reply := func(code int, format string, args ...any) error {
		return ss.tp.PrintfLine("%d %s", code, fmt.Sprintf(format, args...))
	}
	reject := func(verb, arg string) bool {
		if s.Reject == nil {
			return false
		}
		code, text := s.Reject(verb, arg)
		if code == 0 {
			return false
		}
		reply(code, "%s", text)
		return true
	}
	ss.conn.SetDeadline(time.Now().Add(time.Minute))
	if reply(220, "%s ESMTP devmail", host) != nil {
		return
	}
	for {
		ss.conn.SetDeadline(time.Now().Add(time.Minute))
		line, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		switch verb {
		case "EHLO", "HELO":
			if arg == "" {
				reply(501, "5.5.4 %s needs a domain", verb)
				continue
			}
			ss.hello, ss.inMail, ss.from, ss.to = true, false, "", nil
			if verb == "HELO" {
				reply(250, "%s", host)
				continue
			}
			lines := []string{host, "8BITMIME", "ENHANCEDSTATUSCODES", fmt.Sprintf("SIZE %d", maxSize)}
			if s.TLSConfig != nil && !ss.tls {
				lines = append(lines, "STARTTLS")
			}
			if s.Users != nil {
				lines = append(lines, "AUTH PLAIN")
			}
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				ss.tp.PrintfLine("250%s%s", sep, l)
			}
		case "STARTTLS":
			if s.TLSConfig == nil || ss.tls {
				reply(502, "5.5.1 STARTTLS not available")
				continue
			}
			if reply(220, "2.0.0 ready to start TLS") != nil {
				return
			}
			tc := tls.Server(ss.conn, s.TLSConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			ss.conn, ss.tp = tc, textproto.NewConn(tc)
			ss.tls, ss.hello, ss.inMail, ss.from, ss.to, ss.user = true, false, false, "", nil, ""
		case "AUTH":
			if s.Users == nil {
				reply(502, "5.5.1 AUTH not available")
				continue
			}
			if ss.user != "" || ss.inMail {
				reply(503, "5.5.1 already authenticated or in a transaction")
				continue
			}
			mech, initial, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				reply(504, "5.5.4 only PLAIN")
				continue
			}
			if initial == "" {
				reply(334, "")
				if initial, err = ss.tp.ReadLine(); err != nil {
					return
				}
			}
			user, ok := s.checkPlain(initial)
			if !ok {
				reply(535, "5.7.8 authentication credentials invalid")
				continue
			}
			ss.user = user
			reply(235, "2.7.0 authentication succeeded")
		case "MAIL":
			from, ok := pathArg(arg, "FROM:")
			switch {
			case !ss.hello:
				reply(503, "5.5.1 EHLO first")
			case s.Users != nil && ss.user == "":
				reply(530, "5.7.0 authentication required")
			case ss.inMail:
				reply(503, "5.5.1 nested MAIL")
			case !ok:
				reply(501, "5.5.4 syntax: MAIL FROM:<address>")
			case reject("MAIL", from):
			default:
				ss.inMail, ss.from, ss.to = true, from, nil
				reply(250, "2.1.0 ok")
			}
		case "RCPT":
			to, ok := pathArg(arg, "TO:")
			switch {
			case !ss.inMail:
				reply(503, "5.5.1 MAIL first")
			case !ok || to == "":
				reply(501, "5.5.4 syntax: RCPT TO:<address>")
			case len(ss.to) >= maxRecipients:
				reply(452, "4.5.3 too many recipients")
			case reject("RCPT", to):
			default:
				ss.to = append(ss.to, to)
				reply(250, "2.1.5 ok")
			}
		case "DATA":
			if len(ss.to) == 0 {
				reply(503, "5.5.1 RCPT first")
				continue
			}
			if reject("DATA", "") {
				continue
			}
			if reply(354, "end data with <CR><LF>.<CR><LF>") != nil {
				return
			}
			ss.conn.SetDeadline(time.Now().Add(5 * time.Minute))
			dr := ss.tp.DotReader()
			data, err := io.ReadAll(io.LimitReader(dr, maxSize+1))
			if err != nil {
				return
			}
			if int64(len(data)) > maxSize {
				if _, err := io.Copy(io.Discard, dr); err != nil {
					return
				}
				reply(552, "5.3.4 message too big")
			} else {
				s.mu.Lock()
				s.msgs = append(s.msgs, Mail{
					From: ss.from, To: ss.to, TLS: ss.tls, User: ss.user, Received: time.Now(),
					Data: bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")),
				})
				if len(s.msgs) > Keep {
					s.msgs = slices.Delete(s.msgs, 0, len(s.msgs)-Keep)
				}
				n := len(s.msgs)
				s.mu.Unlock()
				reply(250, "2.0.0 ok: queued as %d", n)
			}
			ss.inMail, ss.from, ss.to = false, "", nil
		case "RSET":
			ss.inMail, ss.from, ss.to = false, "", nil
			reply(250, "2.0.0 ok")
		case "NOOP":
			reply(250, "2.0.0 ok")
		case "QUIT":
			reply(221, "2.0.0 bye")
			return
		default:
			reply(502, "5.5.2 command not recognised")
		}
	}
}

// checkPlain checks an RFC 4616 PLAIN response: base64 of
// authzid NUL authcid NUL passwd.
func (s *Server) checkPlain(b64 string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", false
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || (parts[0] != "" && parts[0] != parts[1]) {
		return "", false
	}
	want, ok := s.Users[parts[1]]
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(parts[2])) != 1 {
		return "", false
	}
	return parts[1], true
}

// pathArg parses "FROM:<path> params" (RFC 5321 4.1.2), ignoring parameters.
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}
