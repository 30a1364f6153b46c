package server_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/testtool"
)

// TestBrowserAdmin runs e2e/browser/admin.test.mjs in Debian's Chromium
// against segl started as `serve --dev` would run it, with a signature and
// a notice recorded so that the usage page has something to show, and then
// checks in the store what the administrator did in the browser.
func TestBrowserAdmin(t *testing.T) {
	t.Parallel()
	harness, chromium := testtool.Browser(t)
	e := newEnv(t)
	ctx := context.Background()
	j := e.mustCreate(e.client(orgA), directRequest())
	if _, err := e.srv.Svc.Sign(ctx, j.Signers[0].ID, ola); err != nil {
		t.Fatal(err)
	}
	_, err := e.srv.Store.RecordNotice(ctx, store.Notice{Key: "test/mailbox", Org: orgA, JobID: j.ID,
		Channel: store.ChannelMailbox, Template: "signed", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}

	const org = "971234571"
	cfg, _ := json.Marshal(map[string]string{"admin": adminPID, "other": olaPID, "org": org, "firstAdmin": kariPID})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	testtool.RunNode(t, ctx, harness, chromium, "admin.test.mjs", e.srv.URL, filepath.Join(e.data, "pki", "root-ca.pem"),
		"SEGL_ADMIN="+string(cfg))

	o, err := e.srv.Store.Org(ctx, org)
	if err != nil || o.Name != "Barnevernet test" || o.Active {
		t.Fatalf("the organisation onboarded and deactivated in the browser: %v %+v", err, o)
	}
	if u, err := e.srv.Store.User(ctx, org, kariPID); err != nil || u.Role != store.RoleAdmin {
		t.Fatalf("its first portal administrator: %v %+v", err, u)
	}
}
