// Package devsms is a stand-in SMS gateway for development and tests: it
// speaks the wire protocol notify.HTTPGateway posts (JSON {to, text, sender}
// with a bearer token) and keeps what it receives in memory instead of
// sending it.
package devsms

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"
)

// SMS is one captured text message.
type SMS struct {
	To       string    `json:"to"`
	Text     string    `json:"text"`
	Sender   string    `json:"sender"`
	Received time.Time `json:"-"`
}

// Gateway is an http.Handler that accepts POSTs of SMS. The zero value accepts
// any token. Safe for concurrent use.
type Gateway struct {
	// Token, when set, must be presented as "Authorization: Bearer <Token>".
	Token string

	mu   sync.Mutex
	msgs []SMS
}

// keep is how many messages the gateway keeps, newest.
const keep = 1000

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// maxText is generous: a long SMS is concatenated from up to a few parts.
const maxText = 1600

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if g.Token != "" {
		want := "Bearer " + g.Token
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
	}
	var m SMS
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !e164.MatchString(m.To) || m.Text == "" || len(m.Text) > maxText {
		http.Error(w, "bad request: to must be E.164 and text 1-1600 bytes", http.StatusBadRequest)
		return
	}
	m.Received = time.Now()
	g.mu.Lock()
	g.msgs = append(g.msgs, m)
	if len(g.msgs) > keep {
		// A long-running development server must not keep every message.
		g.msgs = slices.Delete(g.msgs, 0, len(g.msgs)-keep)
	}
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	w.Write([]byte(`{"status":"accepted"}`))
}

// Messages returns a copy of the captured messages, oldest first.
func (g *Gateway) Messages() []SMS {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]SMS(nil), g.msgs...)
}
