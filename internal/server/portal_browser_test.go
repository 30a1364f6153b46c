package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
)

// TestPortalBrowser runs e2e/browser/portal.test.mjs in Debian's Chromium
// against segl started as `serve --dev` would run it: Lånekassen's
// administrator gives Kari access, Kari sends a PDF for signing and
// follows it, also on a phone. Then the store and the API are asked what
// the browser did. Like TestBrowserCeremony it needs node, npm, certutil
// and chromium; SEGL_SCREENSHOTS keeps the screenshots.
func TestPortalBrowser(t *testing.T) {
	t.Parallel()
	harness, chromium := testtool.Browser(t)
	e := newEnv(t)
	pdf := filepath.Join(t.TempDir(), "ansettelsesavtale.pdf")
	if err := os.WriteFile(pdf, testdocs.PDF("Ansettelsesavtale", 60_000), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]string{"admin": olaPID, "adminName": "Ola Nordmann", "org": orgName(t, e, orgA),
		"colleague": kariPID, "colleagueName": "Kari Nordmann", "pdf": pdf})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	testtool.RunNode(t, ctx, harness, chromium, "portal.test.mjs", e.srv.URL, filepath.Join(e.data, "pki", "root-ca.pem"),
		"SEGL_PORTAL="+string(cfg))

	u, err := e.srv.Store.User(ctx, orgA, kariPID)
	if err != nil || u.Role != store.RoleSender || u.CreatedBy != "pid:"+olaPID {
		t.Fatalf("Kari's access: %v %+v", err, u)
	}
	list, err := e.client(orgA).ListJobs(ctx, client.ListOptions{})
	if err != nil || len(list.Jobs) != 1 {
		t.Fatalf("jobs: %v %+v", err, list)
	}
	j, err := e.client(orgA).Job(ctx, list.Jobs[0].ID)
	if err != nil || j.Title != "Ansettelsesavtale" || j.Flow != "portal" || j.Status != "cancelled" || j.Reference != "sak 2026/42" ||
		len(j.Documents) != 1 || j.Documents[0].FileName != "ansettelsesavtale.pdf" || j.Documents[0].Title != "Arbeidsavtale med vedlegg" || len(j.Signers) != 1 || j.Signers[0].PID != olaPID {
		t.Fatalf("the job the browser sent: %v %+v", err, j)
	}
}

// TestBrowserSweep runs e2e/browser/sweep.test.mjs: the pages issue 14
// added or changed (the about pages, the job list searched and sorted,
// the new-job form, the signer's front page) in bokmål, nynorsk and
// English at 1280 and 375 pixels, with axe-core's WCAG 2.1 AA rules and
// no violation of any impact; the portal's and the administration's pages
// with the browser's text at 200 % at 320 and 1280 pixels, and the login's
// time limit announced and extended. The list holds jobs of several statuses and
// references, so the table is full.
func TestBrowserSweep(t *testing.T) {
	t.Parallel()
	harness, chromium := testtool.Browser(t)
	e := newEnv(t, func(c *config.Config) {
		c.OperatorName, c.OperatorEmail, c.OperatorPhone = "Digitaliseringsdirektoratet", "segl@digdir.example", "+47 22 45 10 00"
	})
	api := e.client(orgA)
	for i, title := range []string{"Arbeidsavtale", "Leieavtale for Øvre Ås", "Samtykke til behandling", "Arbeidsavtale"} {
		req := directRequest()
		req.Title, req.Reference = title, fmt.Sprintf("sak 2026/%d", 40+i)
		j := e.mustCreate(api, req)
		if i == 1 {
			if _, err := api.CancelJob(context.Background(), j.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg, _ := json.Marshal(map[string]any{"admin": olaPID, "centralAdmin": adminPID, "languages": []string{"nb", "nn", "en"}, "search": "avtale"})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	testtool.RunNode(t, ctx, harness, chromium, "sweep.test.mjs", e.srv.URL, filepath.Join(e.data, "pki", "root-ca.pem"),
		"SEGL_SWEEP="+string(cfg))
}
