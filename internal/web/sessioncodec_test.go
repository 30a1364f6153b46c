package web

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/eid"
)

// sessionCases are sessions as segl makes them (before and after the
// login, in the portal) and with values json.Marshal escapes or refuses,
// whose JSON unmarshalSession leaves to encoding/json.
func sessionCases() map[string]Session {
	now := time.Date(2026, 12, 7, 15, 4, 5, 123456789, time.UTC)
	oslo := now.In(time.FixedZone("CET", 3600))
	token := "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0." + strings.Repeat("eyJpc3MiOiJodHRwczovL2V4YW1wbGUifQ", 30) + ".c2ln"
	pending := &eid.Pending{State: "st-" + strings.Repeat("a", 40), Nonce: "no", Verifier: strings.Repeat("v", 43),
		Want: eid.Substantial, Created: now}
	loggedIn := Session{ID: "abc", Job: "j1", Signer: "s1", Subject: "21909825250", LoA: "substantial", AuthTime: now,
		Created: now, Seen: now.Add(time.Minute), Link: "tok", Coded: "s1", Name: "Kari Nordmann", Method: "bankid",
		IDToken: token, Issuer: "https://127.0.0.1:8443/dev/idporten"}
	cases := map[string]Session{
		"ok/empty":      {},
		"ok/pending":    {ID: "abc", Job: "j1", Signer: "s1", Created: now, Seen: now, Pending: pending, Link: "tok"},
		"ok/empty-pend": {ID: "abc", Created: now, Seen: now, Pending: &eid.Pending{}},
		"ok/logged-in":  loggedIn,
		"ok/portal":     {ID: "abc", Subject: "21909825250", Created: now, Seen: now, Next: "s9", Area: AreaPortal, Org: "317510748"},
		"ok/zone":       {ID: "abc", Created: oslo, Seen: oslo, AuthTime: oslo},
		"ok/non-ascii":  {ID: "abc", Name: "Bjørn Ærlig Øye 😀", Created: now, Seen: now},
	}
	for name, v := range map[string]string{
		"html":      "Smith & <Sons>",
		"quote":     `Kari "K" Nordmann`,
		"backslash": `a\b`,
		"control":   "a\nb\x00",
		"invalid":   "a\xffb",
		"separator": "a\u2028b\u2029",
	} {
		s := loggedIn
		s.Name = v
		cases["slow/"+name] = s
		p := *pending
		p.Verifier = v
		s = loggedIn
		s.Pending = &p
		cases["slow/pending-"+name] = s
	}
	far := loggedIn
	far.Seen = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	cases["fail/year-10000"] = far
	return cases
}

// unmarshalSession reads every kind of session as json.Unmarshal reads it,
// and what json.Marshal writes of the sessions segl makes without
// encoding/json.
func TestSessionDecodingIsEncodingJSON(t *testing.T) {
	for name, s := range sessionCases() {
		plain, err := json.Marshal(s)
		if strings.HasPrefix(name, "fail/") {
			if err == nil {
				t.Errorf("%s: json.Marshal wrote %s", name, plain)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want Session
		if err := json.Unmarshal(plain, &want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := unmarshalSession(plain)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: unmarshalSession\n got %+v, %v\nwant %+v", name, got, err, want)
		}
		if _, direct := readSession(plain); direct != strings.HasPrefix(name, "ok/") {
			t.Errorf("%s: read directly: %v", name, direct)
		}
	}
}

// Whatever the bytes, the session read directly is the one encoding/json
// reads, or none: the rest is encoding/json's.
func FuzzUnmarshalSession(f *testing.F) {
	for _, s := range sessionCases() {
		if b, err := json.Marshal(s); err == nil {
			f.Add(b)
		}
	}
	for _, b := range []string{`{}`, `{"id":"a","id":"b"}`, `{"ID":"a"}`, `{"id":"a","x":1}`, `{"id":"a"} `,
		`{"pending":null}`, `{"pending":{"State":"a","State":"b"}}`, `{"id":"a\u0062"}`, `{"i\u0064":"a"}`,
		`{"seen":"2026-12-07T15:04:05Z","seen":"2026-12-07T15:04:06Z"}`, `{"created":"2026-13-07T15:04:05Z"}`,
		`{"id":"a",}`, `{"id":"a"`, `{"id":"a\"}`, `{"a\":"b":"c"}`} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := readSession(b)
		if !ok {
			return
		}
		var want Session
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("read %q directly, which encoding/json refuses: %v", b, err)
		}
		if !reflect.DeepEqual(s, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", b, s, want)
		}
	})
}

// BenchmarkUnmarshalSession reads a signer's session after the login, as
// every page after it does.
func BenchmarkUnmarshalSession(b *testing.B) {
	plain, _ := json.Marshal(sessionCases()["ok/logged-in"])
	b.ReportAllocs()
	for b.Loop() {
		unmarshalSession(plain)
	}
}

// A session with every field set, a field added later included, is still
// read directly: a field readSession does not know would send every cookie
// to encoding/json again, correct but unseen.
func TestEverySessionFieldReadDirectly(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 4, 5, 0, time.UTC)
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := range v.NumField() {
			f := v.Field(i)
			switch {
			case f.Kind() == reflect.String:
				f.SetString("x" + v.Type().Field(i).Name)
			case f.Kind() == reflect.Int64:
				f.SetInt(int64(1000 + i))
			case f.Type() == reflect.TypeOf(now):
				f.Set(reflect.ValueOf(now))
			case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct:
				f.Set(reflect.New(f.Type().Elem()))
				fill(f.Elem())
			default:
				t.Fatalf("%s.%s is a %s: teach readSession and this test to read it", v.Type(), v.Type().Field(i).Name, f.Type())
			}
		}
	}
	var s Session
	fill(reflect.ValueOf(&s).Elem())
	plain, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	got, direct := readSession(plain)
	if !direct || !reflect.DeepEqual(got, s) {
		t.Errorf("read directly: %v\n got %+v\nwant %+v", direct, got, s)
	}
}
