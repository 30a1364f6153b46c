package delivery_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// TestCallbackRedirectNotFollowed: a receiver that answers a callback with
// a redirect has not received it. Following a 302 or 303 turns the POST
// into a GET without the body, whose 2xx would record a callback as
// delivered that nobody got; following a 307 sends the body and its
// signature to wherever the redirect names. So a redirect is a failed
// attempt, retried like any other, and the target is never called.
func TestCallbackRedirectNotFollowed(t *testing.T) {
	for _, status := range []int{http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newEnv(t)
			var mu sync.Mutex
			var reached []string
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				reached = append(reached, r.Method+" "+r.URL.Path+" "+string(body))
				mu.Unlock()
				if r.URL.Path == "/cb" {
					http.Redirect(w, r, "/elsewhere", status)
				}
			}))
			defer receiver.Close()
			j := e.create(job.Direct, receiver.URL+"/cb", job.SignerRequest{PID: ola})
			e.drain()
			mu.Lock()
			defer mu.Unlock()
			for _, r := range reached {
				if !strings.HasPrefix(r, "POST /cb ") {
					t.Errorf("the redirect was followed: %s", r)
				}
			}
			if len(reached) == 0 {
				t.Fatal("no callback was attempted")
			}
			notices, err := e.db.JobNotices(e.ctx, org, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range notices {
				if n.Channel == store.ChannelCallback {
					t.Errorf("callback %s recorded as delivered after a %d", n.Key, status)
				}
			}
		})
	}
}
