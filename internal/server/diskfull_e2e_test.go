package server_test

import (
	"context"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/testtool"
)

// TestFullDisk runs segl on a small file system and fills it: an upload
// is answered 507 problem+json storage-full (with Retry-After), a signer
// who signs is told to try again later on segl's page (not sent to the
// sender's error URL), and /readyz says not ready. Once space is freed the
// same upload and the same signer's act succeed, /readyz is ready again,
// and `segl audit verify` finds the chain intact.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	data := testtool.SmallFS(t, 16<<20)
	e := newEnv(t, func(c *config.Config) {
		c.Data, c.LinkKeyFile = data, filepath.Join(data, "secrets", "link.key")
	})
	ctx := context.Background()
	c := e.client(orgA)
	last := &lastResponse{next: c.HTTP.Transport}
	c.HTTP.Transport = last
	j := e.mustCreate(c, directRequest())
	ola := e.browser(t)
	view := ola.login(j.Signers[0].SigningURL, olaPID, "bankid")
	view.want(t, 200, "Arbeidsavtale")
	if code, rep := e.readyz(t); code != http.StatusOK || rep.Status != "ready" {
		t.Fatalf("readyz with space: %d %+v", code, rep)
	}

	free := testtool.Fill(t, data)
	_, err := c.CreateJob(ctx, directRequest(), []client.Upload{pdfUpload("doc1")})
	problemOf(t, err, http.StatusInsufficientStorage, "storage-full")
	if h := last.header; h.Get("Content-Type") != "application/problem+json" || h.Get("Retry-After") == "" {
		t.Fatalf("upload on a full disk: %v", h)
	}
	signed := ola.submit(view, "/sign", url.Values{"confirm": {"yes"}})
	if strings.HasPrefix(signed.location, "https://sender.example/") || signed.url.Host == "sender.example" {
		t.Fatalf("a signer on a full disk was sent to the sender: %s", signed.location)
	}
	signed.want(t, http.StatusInsufficientStorage, "Prøv igjen senere")
	if !strings.Contains(signed.body, "lenken din virker fortsatt") || !strings.Contains(signed.body, `<html lang="nb"`) {
		t.Fatalf("the page does not say to try again later:\n%s", signed.body)
	}
	// In English too, and its way on leads back to the job.
	en := ola.get(view.url.Path + "?lang=en")
	retried := ola.submit(en, "/sign", url.Values{"confirm": {"yes"}})
	retried.want(t, http.StatusInsufficientStorage, "Try again later")
	if !strings.Contains(retried.body, "your link still works") || strings.HasPrefix(retried.location, "https://sender.example/") {
		t.Fatalf("the English page does not say to try again later:\n%s", retried.body)
	}
	if back := ola.link(retried, "Try again"); back.status != http.StatusOK || back.h1() != "Arbeidsavtale" {
		t.Fatalf("the way on from the page: %d %q", back.status, back.h1())
	}
	if code, rep := e.readyz(t); code != http.StatusServiceUnavailable || rep.Failed["storage"] != "storage-full" {
		t.Fatalf("readyz on a full disk: %d %+v", code, rep)
	}

	free()
	if code, rep := e.readyz(t); code != http.StatusOK || rep.Status != "ready" {
		t.Fatalf("readyz after space was freed: %d %+v", code, rep)
	}
	if _, err := c.CreateJob(ctx, directRequest(), []client.Upload{pdfUpload("doc1")}); err != nil {
		t.Fatalf("the same upload after space was freed: %v", err)
	}
	// The same link still works, and the act succeeds.
	again := ola.get(j.Signers[0].SigningURL)
	again.want(t, 200, "Arbeidsavtale")
	ola.submit(again, "/sign", url.Values{"confirm": {"yes"}}).exitToken(t, "https://sender.example/ok")
	got, err := c.Job(ctx, j.ID)
	if err != nil || got.Signers[0].Status != "signed" {
		t.Fatalf("after the retry: %+v %v", got, err)
	}

	out, err := exec.Command(seglBinary(t), "audit", "verify", "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("segl audit verify: %v\n%s", err, out)
	}
}

// lastResponse keeps the headers of the last response a client received.
type lastResponse struct {
	next   http.RoundTripper
	header http.Header
}

func (l *lastResponse) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil {
		l.header = resp.Header
	}
	return resp, err
}

// readyz asks /readyz without a client certificate, as a load balancer would.
func (e *env) readyz(t *testing.T) (int, health.Report) {
	t.Helper()
	return readyzOf(t, e.anonymous(), e.srv.URL)
}
