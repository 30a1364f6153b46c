package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/store"
)

// Signer sessions live entirely in a cookie, so any node can serve any
// request and nothing needs sharing (DESIGN section 1).
//
// Threat model. The cookie is sealed with XChaCha20-Poly1305 under a key
// derived from the server secret, with the cookie name as associated data:
//   - a signer or anyone who sees the cookie cannot read it (it may carry
//     the national identity number) nor change it (job, signer, level of
//     assurance are authenticated), nor move it to another cookie name;
//   - random 192-bit nonces, so sealing never repeats a nonce however many
//     nodes seal with the same key;
//   - a stolen cookie is a bearer credential until it ends: HttpOnly keeps
//     it from scripts, Secure and the __Host- prefix from plain HTTP and
//     sibling domains, SameSite=Lax from cross-site subrequests and forms,
//     and the sliding idle limit (Options.SessionIdle, 15 minutes) and the
//     absolute limit (SessionMax, 2 hours) bound how long it is worth
//     anything;
//   - a stateless session cannot be revoked before it ends. A signer's
//     logout only deletes the cookie in that browser, so every handler must
//     still check the job and signer state in the store: a session never
//     lets a signer sign twice or act on a job that has been cancelled, it
//     only says who they are and which one job (and signer) they were let
//     in for. A staff session (the portal, the administration) is ended
//     everywhere by its person's logout, through the session generation
//     the store keeps for them (Gen, staff.Service.EndSessions); a signer
//     gets none, as no identity number of a signer may outlive its job;
//   - timestamps are the server's own (Options.Clock), so a client cannot
//     extend a session; a session stamped in the future beyond a minute of
//     clock skew between nodes is refused.
//
// Key rotation: Options.OldKeys still open sessions sealed before.
const sessionCookie = "__Host-segl-session"

// Session areas.
const (
	AreaPortal = "portal"
	AreaAdmin  = "admin"
)

// maxSkew is how far a session's stamps may lie in the future, for clocks
// of different nodes that disagree a little.
const maxSkew = time.Minute

// Session is a signer's session, bound to one job (the direct flow, opened
// from a signer link) or, with Job and Signer empty, to the person alone
// (the portal, where they see every task waiting for them).
type Session struct {
	ID       string    `json:"id"`                 // random; CSRF tokens are bound to it
	Job      string    `json:"job,omitempty"`      // the one job this session is for
	Signer   string    `json:"signer,omitempty"`   // the signer within that job
	Subject  string    `json:"sub,omitempty"`      // who logged in (national identity number); empty before login
	LoA      string    `json:"loa,omitempty"`      // level of assurance of the login
	AuthTime time.Time `json:"auth_time,omitzero"` // when the eID login happened
	Created  time.Time `json:"created"`            // start of the absolute lifetime
	Seen     time.Time `json:"seen"`               // last use; the idle lifetime counts from here

	// Pending is a started eID login, until its callback: it holds the
	// PKCE verifier, which is why it lives only in this sealed cookie and
	// never in a URL or a log.
	Pending *eid.Pending `json:"pending,omitempty"`
	// Link is the signer link's token a direct-flow session was started
	// with: for the way back to the sender when the login is cancelled, and
	// for logging in again.
	Link string `json:"link,omitempty"`
	// Next is the portal task (signer id) to open after the login.
	Next string `json:"next,omitempty"`
	// Area is where the session was opened: "" for the signer pages,
	// AreaPortal or AreaAdmin for the staff pages. A session of one area
	// is worth nothing in another.
	Area string `json:"area,omitempty"`
	// Org is the organisation a portal user acts for.
	Org string `json:"org,omitempty"`
	// Coded is the signer (id) whose one-time code this browser entered,
	// for signers addressed by e-mail or mobile (MISSION S9).
	Coded string `json:"coded,omitempty"`
	// Gen is the staff session generation the session was made in
	// (staff.Service.EndSessions): a logout moves the person's generation
	// past it, and the staff pages then refuse the session on every node.
	Gen int64 `json:"gen,omitempty"`

	// The rest of the verified login, for the signing act's evidence.
	Name    string `json:"name,omitempty"`
	Method  string `json:"eid,omitempty"`
	IDToken string `json:"id_token,omitempty"`
	Issuer  string `json:"iss,omitempty"`
}

// LoggedIn reports whether the session carries a verified login.
func (s Session) LoggedIn() bool { return s.Subject != "" }

// Identity is the verified login the session carries.
func (s Session) Identity() eid.Identity {
	return eid.Identity{PID: s.Subject, Name: s.Name, Assurance: eid.Assurance(s.LoA), Method: s.Method,
		AuthTime: s.AuthTime, IDToken: s.IDToken, Issuer: s.Issuer}
}

// withIdentity returns s carrying the login id.
func (s Session) withIdentity(id eid.Identity) Session {
	s.Subject, s.Name, s.LoA, s.Method = id.PID, id.Name, string(id.Assurance), id.Method
	s.AuthTime, s.IDToken, s.Issuer = id.AuthTime, id.IDToken, id.Issuer
	return s
}

// For checks that the session was opened for this job and signer. Any other
// job is "not found", as for a job of another tenant: the session does not
// reveal whether it exists.
func (s Session) For(job, signer string) error {
	if s.Job != job || s.Signer != signer {
		return errs.E(errs.NotFound, store.CodeJobNotFound, "no such job")
	}
	return nil
}

// NewSession starts a session (with a new ID: never reuse one across a
// login, which is what stops session fixation) and sets its cookie. Fields
// ID, Created and Seen are filled in. A page rendered after this in the same
// request gets CSRF tokens bound to the new session.
func (w *Web) NewSession(rw http.ResponseWriter, r *http.Request, s Session) (Session, error) {
	id := make([]byte, 16)
	rand.Read(id)
	s.ID = base64.RawURLEncoding.EncodeToString(id)
	now := w.clock.Now()
	s.Created, s.Seen = now, now
	if err := w.writeSession(rw, s); err != nil {
		return Session{}, err
	}
	if st := stateOf(r); st != nil {
		st.sessionID, st.session = s.ID, &openedSession{s: s}
	}
	return s, nil
}

// Session returns the request's session and slides its idle expiry (the
// cookie is re-issued, sealed with the current key, unless it is sealed
// with it already and was last used under a slideSteps-th of the idle
// lifetime ago: the pages a signer goes through one after the other need
// not each seal it again, and the session then ends at most that much
// earlier, never later). No cookie, a cookie that is not authentic, and a session past
// its idle or absolute lifetime are all Unauthenticated, which Error shows
// as "your session has ended".
func (w *Web) Session(rw http.ResponseWriter, r *http.Request) (Session, error) {
	st := stateOf(r)
	var s Session
	var err error
	var oldKey bool
	if st != nil && st.session != nil {
		s, oldKey, err = st.session.s, st.session.oldKey, st.session.err
	} else {
		s, oldKey, err = w.openSession(r)
	}
	if err != nil {
		return Session{}, err
	}
	now := w.clock.Now()
	switch {
	case s.Created.After(now.Add(maxSkew)) || s.Seen.After(now.Add(maxSkew)):
		return Session{}, errs.E(errs.Unauthenticated, codeSessionInvalid, "session from the future")
	case !now.Before(s.Seen.Add(w.idle)) || !now.Before(s.Created.Add(w.max)):
		return Session{}, errs.E(errs.Unauthenticated, codeSessionExpired, "session expired")
	}
	if now.Sub(s.Seen) < w.idle/slideSteps && !oldKey {
		return s, nil
	}
	s.Seen = now
	if err := w.writeSession(rw, s); err != nil {
		return Session{}, err
	}
	if st != nil {
		st.session = &openedSession{s: s}
	}
	return s, nil
}

// sessionAlive answers the session timer's "stay logged in" (segl.js):
// 204 while the request's login is live, which reading it slides on as
// any page does, and 401 once it has ended (expired, logged out, the
// person removed), so that the page never says a login was extended that
// was not. It names nothing of the session.
func (w *Web) sessionAlive(rw http.ResponseWriter, r *http.Request) error {
	s, err := w.Session(rw, r)
	if err == nil && s.LoggedIn() && (s.Area == AreaPortal || s.Area == AreaAdmin) {
		err = w.staffSessionLive(r, s)
	}
	rw.Header().Set("Cache-Control", "no-store")
	switch {
	case err == nil && s.LoggedIn():
		rw.WriteHeader(http.StatusNoContent)
	case err == nil || errs.Is(err, errs.Unauthenticated):
		rw.WriteHeader(http.StatusUnauthorized)
	default:
		return err
	}
	return nil
}

// slideSteps is how finely Session slides the idle expiry: in steps of a
// sixteenth of the idle lifetime (under a minute of fifteen).
const slideSteps = 16

// EndSession deletes the session cookie (see the threat model: this ends
// the session in this browser only).
func (w *Web) EndSession(rw http.ResponseWriter, r *http.Request) {
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if st := stateOf(r); st != nil {
		st.sessionID = ""
		st.session = &openedSession{err: errs.E(errs.Unauthenticated, codeSessionMissing, "no session")}
	}
}

func (w *Web) writeSession(rw http.ResponseWriter, s Session) error {
	plain, err := json.Marshal(s)
	if err != nil {
		return errs.Wrap(err, errs.Internal, codeSessionEncode, "encode session")
	}
	aead, err := chacha20poly1305.NewX(w.sessionKeys[0])
	if err != nil {
		return errs.Wrap(err, errs.Internal, codeSessionKey, "session key")
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plain, []byte(sessionCookie))
	// The browser may drop the cookie when the idle lifetime is over; the
	// server checks anyway.
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: base64.RawURLEncoding.EncodeToString(sealed),
		Path: "/", MaxAge: int(w.idle / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}

// openSession decrypts and authenticates the session cookie, without
// checking its lifetime (the CSRF check binds to the ID of an authentic but
// expired session, so the page says "session ended" rather than "form
// refused"). The bool says it was sealed with one of Options.OldKeys.
func (w *Web) openSession(r *http.Request) (Session, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return Session{}, false, errs.E(errs.Unauthenticated, codeSessionMissing, "no session")
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(sealed) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
		return Session{}, false, errs.E(errs.Unauthenticated, codeSessionInvalid, "malformed session cookie")
	}
	nonce, box := sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:]
	for i, k := range w.sessionKeys {
		aead, err := chacha20poly1305.NewX(k)
		if err != nil {
			return Session{}, false, errs.Wrap(err, errs.Internal, codeSessionKey, "session key")
		}
		plain, err := aead.Open(nil, nonce, box, []byte(sessionCookie))
		if err != nil {
			continue
		}
		s, err := unmarshalSession(plain)
		if err != nil || s.ID == "" {
			return Session{}, false, errs.E(errs.Unauthenticated, codeSessionInvalid, "malformed session")
		}
		return s, i > 0, nil
	}
	return Session{}, false, errs.E(errs.Unauthenticated, codeSessionInvalid, "session cookie not authentic")
}
