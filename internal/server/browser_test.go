package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/testtool"
)

// TestBrowserCeremony runs e2e/browser/ceremony.test.mjs in Debian's
// Chromium against segl started as `serve --dev` would run it, with the
// jobs created through the API, and then asks the API, with the status
// query tokens the browser carried to the sender, how the jobs ended.
// Like internal/web's TestBrowser it needs node, npm, certutil and
// chromium; SEGL_SCREENSHOTS keeps the screenshots.
func TestBrowserCeremony(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are slow")
	}
	chromium := os.Getenv("SEGL_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	var missing []string
	for _, tool := range []string{"node", "npm", "certutil", chromium} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		if os.Getenv("SEGL_BROWSER_REQUIRED") != "" {
			t.Fatalf("browser tests need %v (apt-get install chromium libnss3-tools nodejs npm)", missing)
		}
		testtool.Missing(t, "browser tests need %v (apt-get install chromium libnss3-tools nodejs npm)", missing)
	}
	harness, err := filepath.Abs(filepath.Join("..", "..", "e2e", "browser"))
	if err != nil {
		t.Fatal(err)
	}

	e := newEnv(t)
	ctx := context.Background()
	c := e.client(orgA)
	direct := e.createWithText(c, directRequest())
	wrong := e.mustCreate(c, directRequest())
	highReq := directRequest()
	highReq.LevelOfAssurance = "high"
	high := e.mustCreate(c, highReq)
	portalReq := directRequest()
	portalReq.Flow, portalReq.ExitURLs, portalReq.Title = "portal", nil, "Samtykkeerklæring"
	portalReq.Signers = []client.SignerRequest{{PID: olaPID}}
	portal := e.createWithText(c, portalReq)
	cfg, _ := json.Marshal(map[string]any{
		"direct":      []string{direct.Signers[0].SigningURL, direct.Signers[1].SigningURL},
		"wrongPerson": wrong.Signers[0].SigningURL,
		"high":        high.Signers[0].SigningURL,
		"ola":         olaPID,
		"kari":        kariPID,
		"portalTitle": portal.Title,
	})

	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(harness, "node_modules")); errors.Is(err, os.ErrNotExist) {
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = harness
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	shots := os.Getenv("SEGL_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	result := filepath.Join(t.TempDir(), "out.json")
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", filepath.Join(harness, "ceremony.test.mjs"))
	cmd.Env = append(os.Environ(),
		"SEGL_URL="+e.srv.URL,
		"SEGL_CA="+filepath.Join(e.data, "pki", "root-ca.pem"),
		"SEGL_CHROMIUM="+chromium,
		"SEGL_SCREENSHOTS="+shots,
		"SEGL_CEREMONY="+string(cfg),
		"SEGL_CEREMONY_OUT="+result,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test e2e/browser/ceremony.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}

	raw, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	var tokens struct{ Direct []string }
	if err := json.Unmarshal(raw, &tokens); err != nil || len(tokens.Direct) != 2 {
		t.Fatalf("tokens from the browser: %s", raw)
	}
	// A token stands for the job, whose status is now the last signer's.
	for i, tok := range tokens.Direct {
		st, err := c.Status(ctx, tok)
		if err != nil || st.ID != direct.ID || st.Status != "completed" || st.Signers[i].Status != "signed" {
			t.Fatalf("status behind token %d: %v %+v", i, err, st)
		}
	}
	if got, err := c.Job(ctx, portal.ID); err != nil || got.Status != "completed" {
		t.Fatalf("portal job: %v %+v", err, got)
	}
}
