package devidp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// BenchmarkLogin is a signer's login as segl's relying party takes it, one
// endpoint per sub-benchmark, each timing only its own request (handler
// and httptest recorder, no TLS): the pushed request and the token request
// with private_key_jwt client assertions (made outside the timer), the
// authorization endpoint showing the form for the pushed request, and the
// form's post.
//
//	go test ./internal/dev/idp -run '^$' -bench Login -benchmem
func BenchmarkLogin(b *testing.B) {
	for _, step := range []string{"par", "authorize", "login", "token"} {
		b.Run(step, func(b *testing.B) {
			f := newFixture(&testing.T{})
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				f.clk.Advance(time.Second) // so that used assertions expire as in a real run
				par := withAssertion(authParams("key-client"), f.assertion(nil))
				b.StartTimer()
				if step != "par" {
					b.StopTimer()
				}
				w := f.post("/dev/idporten/par", par)
				b.StopTimer()
				var pushed struct {
					RequestURI string `json:"request_uri"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &pushed); err != nil || w.Code != http.StatusCreated {
					b.Fatalf("par: %d %s", w.Code, w.Body)
				}
				if step == "authorize" {
					b.StartTimer()
				}
				w = f.get("/dev/idporten/authorize", url.Values{"client_id": {"key-client"}, "request_uri": {pushed.RequestURI}})
				b.StopTimer()
				m := reqField.FindStringSubmatch(w.Body.String())
				if w.Code != http.StatusOK || m == nil {
					b.Fatalf("authorize: %d %s", w.Code, w.Body)
				}
				if step == "login" {
					b.StartTimer()
				}
				w = f.post("/dev/idporten/authorize", url.Values{"req": {m[1]}, "pid": {"21909825250"}, "eid": {""}})
				b.StopTimer()
				loc, err := url.Parse(w.Header().Get("Location"))
				if w.Code != http.StatusSeeOther || err != nil || loc.Query().Get("code") == "" {
					b.Fatalf("login: %d %s", w.Code, w.Body)
				}
				token := withAssertion(tokenForm(loc.Query().Get("code")), f.assertion(nil))
				if step == "token" {
					b.StartTimer()
				}
				w = f.post("/dev/idporten/token", token)
				b.StopTimer()
				if w.Code != http.StatusOK {
					b.Fatalf("token: %d %s", w.Code, w.Body)
				}
				b.StartTimer()
			}
		})
	}
}
