package testtool

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Browser returns the browser harness (e2e/browser, with its node modules
// installed) and the Chromium to drive, or ends the test when node, npm,
// certutil or Chromium is missing (failing it in CI, or when
// SEGL_BROWSER_REQUIRED is set).
func Browser(t *testing.T) (harness, chromium string) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow")
	}
	chromium = os.Getenv("SEGL_CHROMIUM")
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
		Missing(t, "browser tests need %v (apt-get install chromium libnss3-tools nodejs npm)", missing)
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	harness = filepath.Join(root, "e2e", "browser")
	// Parallel tests must not run npm ci together: it removes
	// node_modules before it installs.
	npmInstall.Lock()
	defer npmInstall.Unlock()
	if _, err := os.Stat(filepath.Join(harness, "node_modules")); errors.Is(err, os.ErrNotExist) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = harness
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	return harness, chromium
}

var npmInstall sync.Mutex

// RunNode runs `node --test` on one test file of the harness against the
// segl at url (trusting caFile), with extra environment, and fails the test
// when the browser tests fail. SEGL_SCREENSHOTS keeps the screenshots.
func RunNode(t *testing.T, ctx context.Context, harness, chromium, file, url, caFile string, env ...string) {
	t.Helper()
	shots := os.Getenv("SEGL_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", filepath.Join(harness, file))
	cmd.Env = append(append(os.Environ(), "SEGL_URL="+url, "SEGL_CA="+caFile, "SEGL_CHROMIUM="+chromium,
		"SEGL_SCREENSHOTS="+shots), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test e2e/browser/%s:\n%s", file, out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}

// ModuleRoot is the directory of go.mod above the working directory, where
// scripts/ is.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testtool: go.mod not found")
		}
		dir = parent
	}
}
