package devidp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/segl/segl/internal/testtool"
)

// BenchmarkLogin is a signer's login as segl's relying party takes it, one
// endpoint per sub-benchmark, each timing only its own request (handler
// and httptest recorder, no TLS): the pushed request and the token request
// with private_key_jwt client assertions (made outside the timer), the
// authorization endpoint showing the form for the pushed request, and the
// form's post.
//
//	go test ./internal/dev/idp -run '^$' -bench Login -benchmem
//
// "all" is the whole login in the timer, the relying party's two client
// assertions made there too, and reports the process's CPU time per login
// besides: the timer's stops and starts of the other sub-benchmarks cost
// more than some of the steps they time.
func BenchmarkLogin(b *testing.B) {
	for _, step := range []string{"par", "authorize", "login", "token", "all"} {
		b.Run(step, func(b *testing.B) {
			f := newFixture(&testing.T{})
			b.ReportAllocs()
			// timed starts and stops the timer around what the step times.
			timed := func(on bool) {
				if step == "all" {
					return
				}
				if on {
					b.StartTimer()
				} else {
					b.StopTimer()
				}
			}
			before := testtool.CPUTime()
			for b.Loop() {
				timed(false)
				f.clk.Advance(time.Second) // so that used assertions expire as in a real run
				par := withAssertion(authParams("key-client"), f.assertion(nil))
				timed(step == "par")
				w := f.post("/dev/idporten/par", par)
				timed(false)
				var pushed struct {
					RequestURI string `json:"request_uri"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &pushed); err != nil || w.Code != http.StatusCreated {
					b.Fatalf("par: %d %s", w.Code, w.Body)
				}
				timed(step == "authorize")
				w = f.get("/dev/idporten/authorize", url.Values{"client_id": {"key-client"}, "request_uri": {pushed.RequestURI}})
				timed(false)
				m := reqField.FindStringSubmatch(w.Body.String())
				if w.Code != http.StatusOK || m == nil {
					b.Fatalf("authorize: %d %s", w.Code, w.Body)
				}
				timed(step == "login")
				w = f.post("/dev/idporten/authorize", url.Values{"req": {m[1]}, "pid": {"21909825250"}, "eid": {""}})
				timed(false)
				loc, err := url.Parse(w.Header().Get("Location"))
				if w.Code != http.StatusSeeOther || err != nil || loc.Query().Get("code") == "" {
					b.Fatalf("login: %d %s", w.Code, w.Body)
				}
				token := withAssertion(tokenForm(loc.Query().Get("code")), f.assertion(nil))
				timed(step == "token")
				w = f.post("/dev/idporten/token", token)
				timed(false)
				if w.Code != http.StatusOK {
					b.Fatalf("token: %d %s", w.Code, w.Body)
				}
				timed(true)
			}
			if step == "all" {
				b.ReportMetric(float64(testtool.CPUTime()-before)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			}
		})
	}
}
