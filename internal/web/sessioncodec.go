package web

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segl/segl/internal/eid"
)

// A session cookie's plaintext is the JSON that json.Marshal makes of a
// Session, and stays so: every node of a deployment, old and new, reads
// every other's cookies. json.Unmarshal reads it by reflection and scans
// the ID token it carries (over a kilobyte) twice, byte by byte, on every
// signer page after the login. unmarshalSession reads the JSON that
// json.Marshal writes of a session directly and hands anything else to
// encoding/json, so it gives exactly what json.Unmarshal gives
// (TestSessionDecodingIsEncodingJSON, FuzzUnmarshalSession).

// plainJSON reports whether s is a string that json.Marshal writes as it
// is between quotes, and json.Unmarshal reads back as it is: valid UTF-8
// without control characters, quotes, backslashes, the characters
// json.Marshal escapes for HTML (<, >, &), U+2028 or U+2029.
func plainJSON[T string | []byte](s T) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			ascii = false
		} else if !plainJSONByte[c] {
			return false
		}
	}
	if ascii {
		return true
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += n
	}
	return true
}

// plainJSONByte says which ASCII bytes encoding/json writes unescaped.
var plainJSONByte = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()

// unmarshalSession is json.Unmarshal(b, &s).
func unmarshalSession(b []byte) (Session, error) {
	if s, ok := readSession(b); ok {
		return s, nil
	}
	var s Session
	err := json.Unmarshal(b, &s)
	return s, err
}

// readSession reads the JSON json.Marshal writes of a Session: one object
// of known members, each at most once, with plain strings and no white
// space. Anything else (a member it does not know, an escape, null) it
// leaves to encoding/json by answering false.
func readSession(b []byte) (Session, bool) {
	var s Session
	d := sessionDecoder{b: b}
	ok := d.object(func(k []byte) bool {
		switch string(k) {
		case "id":
			return d.str(&s.ID)
		case "job":
			return d.str(&s.Job)
		case "signer":
			return d.str(&s.Signer)
		case "sub":
			return d.str(&s.Subject)
		case "loa":
			return d.str(&s.LoA)
		case "auth_time":
			return d.time(&s.AuthTime)
		case "created":
			return d.time(&s.Created)
		case "seen":
			return d.time(&s.Seen)
		case "pending":
			s.Pending = new(eid.Pending)
			return d.pending(s.Pending)
		case "link":
			return d.str(&s.Link)
		case "next":
			return d.str(&s.Next)
		case "area":
			return d.str(&s.Area)
		case "org":
			return d.str(&s.Org)
		case "coded":
			return d.str(&s.Coded)
		case "gen":
			return d.int(&s.Gen)
		case "name":
			return d.str(&s.Name)
		case "eid":
			return d.str(&s.Method)
		case "id_token":
			return d.str(&s.IDToken)
		case "iss":
			return d.str(&s.Issuer)
		}
		return false
	})
	return s, ok && len(d.b) == 0
}

// sessionDecoder reads b from the front.
type sessionDecoder struct{ b []byte }

// object reads {"key":value,...}, calling member for each key to read its
// value. A key that comes twice is left to encoding/json (which keeps the
// last); the keys of a session object are fewer than 32.
func (d *sessionDecoder) object(member func(key []byte) bool) bool {
	if len(d.b) < 2 || d.b[0] != '{' {
		return false
	}
	d.b = d.b[1:]
	if d.b[0] == '}' {
		d.b = d.b[1:]
		return true
	}
	var seen [32][]byte
	for n := 0; ; n++ {
		raw, ok := d.quoted()
		if !ok || n == len(seen) || len(d.b) == 0 || d.b[0] != ':' {
			return false
		}
		k := raw[1 : len(raw)-1]
		for _, s := range seen[:n] {
			if bytes.Equal(s, k) {
				return false
			}
		}
		seen[n] = k
		d.b = d.b[1:]
		if !member(k) || len(d.b) == 0 {
			return false
		}
		c := d.b[0]
		d.b = d.b[1:]
		switch c {
		case ',':
		case '}':
			return true
		default:
			return false
		}
	}
}

// str reads a string that encoding/json would read as it is between its
// quotes (see plainJSON).
func (d *sessionDecoder) str(v *string) bool {
	raw, ok := d.quoted()
	if !ok || !plainJSON(raw[1:len(raw)-1]) {
		return false
	}
	*v = string(raw[1 : len(raw)-1])
	return true
}

// quoted reads a string with its quotes, unchecked.
func (d *sessionDecoder) quoted() ([]byte, bool) {
	if len(d.b) == 0 || d.b[0] != '"' {
		return nil, false
	}
	end := bytes.IndexByte(d.b[1:], '"')
	if end < 0 {
		return nil, false
	}
	raw := d.b[:end+2]
	d.b = d.b[end+2:]
	return raw, true
}

// int reads a number as encoding/json writes an int64 that is not
// negative: digits, without a leading zero.
func (d *sessionDecoder) int(v *int64) bool {
	n := 0
	for n < len(d.b) && '0' <= d.b[n] && d.b[n] <= '9' {
		n++
	}
	if n == 0 || n > 1 && d.b[0] == '0' {
		return false
	}
	x, err := strconv.ParseInt(string(d.b[:n]), 10, 64)
	if err != nil {
		return false
	}
	*v, d.b = x, d.b[n:]
	return true
}

// time reads a time as time.Time.UnmarshalJSON does.
func (d *sessionDecoder) time(t *time.Time) bool {
	raw, ok := d.quoted()
	return ok && t.UnmarshalJSON(raw) == nil
}

func (d *sessionDecoder) pending(p *eid.Pending) bool {
	return d.object(func(k []byte) bool {
		switch string(k) {
		case "State":
			return d.str(&p.State)
		case "Nonce":
			return d.str(&p.Nonce)
		case "Verifier":
			return d.str(&p.Verifier)
		case "Want":
			var w string
			ok := d.str(&w)
			p.Want = eid.Assurance(w)
			return ok
		case "Created":
			return d.time(&p.Created)
		}
		return false
	})
}
