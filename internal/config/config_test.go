package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "segl.json")
	os.WriteFile(file, []byte(`{"addr": "127.0.0.1:1", "max-signers": 12, "dev": true}`), 0o600)
	c, err := Load("serve", []string{"--config", file, "--addr", "127.0.0.1:3"},
		env(map[string]string{"SEGL_ADDR": "127.0.0.1:2", "SEGL_MAX_DOCUMENTS": "30"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:3" || c.Limits.MaxSigners != 12 || c.Limits.MaxDocuments != 30 || !c.Dev {
		t.Fatalf("got %+v", c)
	}
	if c.LinkKeyFile != filepath.Join("segl-data", "secrets", "link.key") {
		t.Fatalf("link key default %q", c.LinkKeyFile)
	}
}

func TestStrict(t *testing.T) {
	file := filepath.Join(t.TempDir(), "segl.json")
	os.WriteFile(file, []byte(`{"adr": "x", "dev": true}`), 0o600)
	for name, tt := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"fail/unknown-file-key":    {[]string{"--config", file}, nil, `unknown key "adr"`},
		"fail/bad-env-number":      {[]string{"--dev"}, map[string]string{"SEGL_MAX_SIGNERS": "ten"}, "SEGL_MAX_SIGNERS"},
		"fail/production-no-tls":   {nil, nil, "tls-cert"},
		"fail/unknown-flag":        {[]string{"--nope"}, nil, "not defined"},
		"fail/zero-document-limit": {[]string{"--dev", "--max-document-mb", "0"}, nil, "max-document-mb"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load("serve", tt.args, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// The HTTP limits have safe defaults and are set like every option.
func TestHTTPLimits(t *testing.T) {
	c, err := Load("serve", []string{"--dev", "--body-idle-timeout", "5s", "--max-form-kb", "64"},
		env(map[string]string{"SEGL_BODY_MIN_RATE_KB": "16", "SEGL_WRITE_IDLE_TIMEOUT": "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultHTTPLimits
	want.BodyIdleTimeout, want.MaxFormBytes, want.BodyMinRate, want.WriteIdleTimeout = 5*time.Second, 64<<10, 16<<10, 2*time.Minute
	if c.HTTP != want {
		t.Fatalf("got %+v, want %+v", c.HTTP, want)
	}
	for _, args := range [][]string{{"--body-min-rate-kb", "0"}, {"--max-form-kb", "0"}, {"--body-idle-timeout", "10ms"}} {
		if _, err := Load("serve", append([]string{"--dev"}, args...), env(nil)); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestKeySettings: the HSM settings load from every source, and key
// settings that cannot work are refused at start-up, each naming what to fix.
func TestKeySettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "segl.json")
	os.WriteFile(file, []byte(`{"pkcs11-module": "/usr/lib/softhsm/libsofthsm2.so", "pkcs11-token": "segl", "pki-trust": "roots.pem"}`), 0o600)
	// The seal is a production setting, refused by --dev (TestDevRefusesProductionSettings).
	c, err := Load("serve", []string{"--config", file, "--seal-key-label", "seal", "--seal-cert", "seal.pem",
		"--tls-cert", "c", "--tls-key", "k", "--client-cas", "ca"},
		env(map[string]string{"SEGL_PKCS11_PIN_FILE": "/run/secrets/pin", "SEGL_TSA_KEY_LABEL": "tsa", "SEGL_TSA_CERT": "tsa.pem"}))
	if err != nil {
		t.Fatal(err)
	}
	if h := c.HSM(); h.Module != "/usr/lib/softhsm/libsofthsm2.so" || h.Token != "segl" || h.PINFile != "/run/secrets/pin" ||
		c.SealKeyLabel != "seal" || c.TSAKeyLabel != "tsa" || c.TSACert != "tsa.pem" {
		t.Fatalf("got %+v", c)
	}
	token := []string{"--pkcs11-module", "m.so", "--pkcs11-token", "t", "--pkcs11-pin-file", "pin"}
	prod := []string{"--tls-cert", "c", "--tls-key", "k", "--client-cas", "ca"}
	with := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	for name, tt := range map[string]struct {
		args []string
		want string
	}{
		"fail/seal-twice":        {with(token, prod, []string{"--seal-key", "k", "--seal-key-label", "s", "--seal-cert", "c"}), "exclude each other"},
		"fail/label-no-cert":     {with(token, prod, []string{"--seal-key-label", "s"}), "seal-cert"},
		"fail/tsa-no-cert":       {with(token, []string{"--dev", "--tsa-key-label", "t"}), "tsa-key-label and tsa-cert"},
		"fail/ocsp-no-cert":      {with(token, []string{"--dev", "--ocsp-key-label", "o"}), "ocsp-key-label and ocsp-cert"},
		"fail/label-no-token":    {with(prod, []string{"--seal-key-label", "s", "--seal-cert", "c", "--tsa-url", "https://tsa.test", "--pki-trust", "p"}), "pkcs11-module"},
		"fail/token-no-label":    {with(token, []string{"--dev"}), "no seal-key-label"},
		"fail/seal-no-tsa":       {with(token, prod, []string{"--seal-key-label", "s", "--seal-cert", "c", "--pki-trust", "p"}), "tsa-url or tsa-key-label"},
		"fail/tsa-without-seal":  {with(token, prod, []string{"--tsa-key-label", "t", "--tsa-cert", "c"}), "serves the seal"},
		"fail/ocsp-outside-dev":  {with(token, prod, []string{"--ocsp-key-label", "o", "--ocsp-cert", "c"}), "needs --dev"},
		"fail/half-token":        {[]string{"--dev", "--pkcs11-module", "m.so", "--tsa-key-label", "t", "--tsa-cert", "c"}, "pkcs11-pin-file"},
		"ok/production-hsm-seal": {with(token, prod, []string{"--seal-key-label", "s", "--seal-cert", "c", "--tsa-key-label", "t", "--tsa-cert", "c", "--pki-trust", "p"}), ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load("serve", tt.args, env(nil))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestDatabaseURL: PostgreSQL is chosen by database-url in the file, the
// environment or a flag; without it the store stays SQLite (empty URL).
func TestDatabaseURL(t *testing.T) {
	file := filepath.Join(t.TempDir(), "segl.json")
	os.WriteFile(file, []byte(`{"dev": true, "database-url": "postgres://file/segl"}`), 0o600)
	for name, tt := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"ok/default-sqlite": {[]string{"--dev"}, nil, ""},
		"ok/file":           {[]string{"--config", file}, nil, "postgres://file/segl"},
		"ok/env":            {[]string{"--config", file}, map[string]string{"SEGL_DATABASE_URL": "postgres://env/segl"}, "postgres://env/segl"},
		"ok/flag":           {[]string{"--config", file, "--database-url", "postgres://flag/segl"}, map[string]string{"SEGL_DATABASE_URL": "postgres://env/segl"}, "postgres://flag/segl"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Load("serve", tt.args, env(tt.env))
			if err != nil || c.DatabaseURL != tt.want {
				t.Fatalf("DatabaseURL = %q, %v; want %q", c.DatabaseURL, err, tt.want)
			}
		})
	}
}

// The object store is chosen by s3-endpoint; its keys come from files, and
// an incomplete setting is refused at start-up rather than half used.
func TestS3(t *testing.T) {
	c, err := Load("serve", []string{"--dev", "--s3-endpoint", "https://s3.example:9000", "--s3-bucket", "docs"},
		env(map[string]string{"SEGL_S3_ACCESS_KEY_FILE": "/run/secrets/ak", "SEGL_S3_SECRET_KEY_FILE": "/run/secrets/sk"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.S3Endpoint != "https://s3.example:9000" || c.S3Bucket != "docs" || c.S3AccessKeyFile != "/run/secrets/ak" || c.S3SecretKeyFile != "/run/secrets/sk" {
		t.Fatalf("got %+v", c)
	}
	if c, _ := Load("serve", []string{"--dev"}, env(nil)); c.S3Endpoint != "" {
		t.Fatalf("object store by default: %q", c.S3Endpoint)
	}
	for _, args := range [][]string{
		{"--s3-endpoint", "https://s3.example"},
		{"--s3-endpoint", "https://s3.example", "--s3-bucket", "docs", "--s3-access-key-file", "/ak"},
		{"--s3-bucket", "docs"},
	} {
		if _, err := Load("serve", append([]string{"--dev"}, args...), env(nil)); err == nil || !strings.Contains(err.Error(), "s3-") {
			t.Errorf("%v: %v, want a refusal naming the s3 settings", args, err)
		}
	}
	file := filepath.Join(t.TempDir(), "segl.json")
	os.WriteFile(file, []byte(`{"dev": true, "s3-secret-key": "inline"}`), 0o600)
	if _, err := Load("serve", []string{"--config", file}, env(nil)); err == nil || !strings.Contains(err.Error(), `unknown key "s3-secret-key"`) {
		t.Errorf("an inline secret key was accepted: %v", err)
	}
}

// TestRenewalSettings: the renewal margin and the algorithms' end dates
// load, and an end date that does not parse is refused at start-up.
func TestRenewalSettings(t *testing.T) {
	c, err := Load("serve", []string{"--dev", "--renew-margin", "720h"},
		env(map[string]string{"SEGL_RENEW_ALGORITHM_ENDS": "SHA-256=2040-01-01, ECDSA-P-256=2035-06-30"}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"SHA-256": time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		"ECDSA-P-256": time.Date(2035, 6, 30, 0, 0, 0, 0, time.UTC)}
	if c.RenewMargin != 720*time.Hour || len(c.RenewAlgorithmEnds) != 2 ||
		!c.RenewAlgorithmEnds["SHA-256"].Equal(want["SHA-256"]) || !c.RenewAlgorithmEnds["ECDSA-P-256"].Equal(want["ECDSA-P-256"]) {
		t.Fatalf("margin %v, ends %v", c.RenewMargin, c.RenewAlgorithmEnds)
	}
	if d, _ := Load("serve", []string{"--dev"}, env(nil)); d.RenewMargin != 365*24*time.Hour || d.RenewAlgorithmEnds != nil {
		t.Fatalf("defaults: margin %v, ends %v", d.RenewMargin, d.RenewAlgorithmEnds)
	}
	for _, v := range []string{"SHA-256", "SHA-256=2040", "=2040-01-01"} {
		if _, err := Load("serve", []string{"--dev", "--renew-algorithm-ends", v}, env(nil)); err == nil {
			t.Errorf("renew-algorithm-ends %q accepted", v)
		}
	}
}

// TestAPIURL: api-url is an https URL under base-url's path, set from
// every source; its own certificate needs a host of its own.
func TestAPIURL(t *testing.T) {
	prod := []string{"--tls-cert", "c", "--tls-key", "k", "--client-cas", "ca", "--base-url", "https://signering.example.no"}
	for name, tt := range map[string]struct {
		args []string
		env  map[string]string
		want string // empty: accepted
	}{
		"ok/own-host":           {[]string{"--api-url", "https://api.signering.example.no"}, nil, ""},
		"ok/own-host-slash":     {[]string{"--api-url", "https://api.signering.example.no/"}, nil, ""},
		"ok/env":                {nil, map[string]string{"SEGL_API_URL": "https://api.signering.example.no:8443"}, ""},
		"ok/own-certificate":    {[]string{"--api-url", "https://api.signering.example.no", "--api-tls-cert", "a.pem", "--api-tls-key", "a.key"}, nil, ""},
		"ok/same-host":          {[]string{"--api-url", "https://signering.example.no"}, nil, ""},
		"fail/address":          {[]string{"--api-url", "https://192.0.2.10"}, nil, "must be a DNS name"},
		"fail/http":             {[]string{"--api-url", "http://api.signering.example.no"}, nil, "must be an https URL"},
		"fail/no-host":          {[]string{"--api-url", "https:///api"}, nil, "must be an https URL"},
		"fail/query":            {[]string{"--api-url", "https://api.signering.example.no/?x=1"}, nil, "must be an https URL"},
		"fail/java-root":        {[]string{"--api-url", "https://api.signering.example.no/api"}, nil, "path must be base-url's"},
		"fail/other-path":       {[]string{"--api-url", "https://api.signering.example.no/segl"}, nil, "path must be base-url's"},
		"fail/key-without-cert": {[]string{"--api-url", "https://api.signering.example.no", "--api-tls-key", "a.key"}, nil, "go together"},
		"fail/cert-same-host":   {[]string{"--api-url", "https://signering.example.no:9443", "--api-tls-cert", "a.pem", "--api-tls-key", "a.key"}, nil, "host of its own"},
		"fail/cert-no-api-url":  {[]string{"--api-tls-cert", "a.pem", "--api-tls-key", "a.key"}, nil, "host of its own"},
		"fail/same-host-port":   {[]string{"--api-url", "https://signering.example.no:9443"}, nil, "must be base-url itself"},
		"fail/unicode-host":     {[]string{"--api-url", "https://api.signering.ærø.no"}, nil, "ASCII form"},
		"ok/a-label-host":       {[]string{"--api-url", "https://api.signering.xn--r-3fa9c.no"}, nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load("serve", append(append([]string{}, prod...), tt.args...), env(tt.env))
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	for _, bad := range []string{"http://signering.example.no", "signering.example.no", "https://", "https://signering.example.no/?a=1",
		"https://u:p@signering.example.no"} {
		if _, err := Load("serve", []string{"--tls-cert", "c", "--tls-key", "k", "--client-cas", "ca", "--base-url", bad},
			env(nil)); err == nil || !strings.Contains(err.Error(), "base-url") {
			t.Errorf("base-url %q: got %v", bad, err)
		}
	}
	if _, err := Load("serve", []string{"--tls-cert", "c", "--tls-key", "k", "--client-cas", "ca",
		"--api-url", "https://api.signering.example.no"}, env(nil)); err == nil || !strings.Contains(err.Error(), "needs base-url") {
		t.Fatalf("api-url without base-url: got %v", err)
	}
	// Behind a proxy that strips a prefix, the API keeps base-url's.
	if _, err := Load("serve", []string{"--tls-cert", "c", "--tls-key", "k", "--client-cas", "ca",
		"--base-url", "https://example.no/segl", "--api-url", "https://api.example.no/segl"}, env(nil)); err != nil {
		t.Fatal(err)
	}
}
