package config

import (
	"strings"
	"testing"
)

// TestDevRefusesProductionSettings: with --dev, each production setting
// stops start-up with an error that names it and says why, whether it comes
// from a flag, the environment or the file.
func TestDevRefusesProductionSettings(t *testing.T) {
	for _, tt := range []struct{ setting, value string }{
		{"tls-cert", "server.pem"},
		{"tls-key", "server.key"},
		{"client-cas", "buypass-root.pem"},
		{"seal-key", "seal.key"},
		{"seal-cert", "seal.pem"},
		{"seal-key-label", "seal"},
		{"tsa-url", "https://tsa.example.no"},
		{"tsa-policy", "2.16.578.1.1"},
		{"ocsp-url", "http://ocsp.example.no"},
		{"crl-url", "http://crl.example.no/root.crl"},
		{"pki-trust", "roots.pem"},
		{"idporten-issuer", "https://idporten.no"},
		{"idporten-client-id", "segl"},
		{"idporten-key", "idporten.key"},
		{"idporten-key-id", "segl-1"},
		{"csc-url", "https://signing.example.no/csc/v2"},
		{"smtp-addr", "smtp.example.no:587"},
		{"smtp-from", "noreply@segl.example.no"},
		{"smtp-user", "segl"},
		{"smtp-password", "secret"},
		{"sms-url", "https://sms.example.no/send"},
		{"sms-token", "token"},
		{"krr-url", "https://kontaktregisteret.no"},
		{"krr-token", "token"},
		{"brreg-url", "https://data.brreg.no/enhetsregisteret"},
		{"brreg-token", "token"},
		{"mailbox-url", "https://api.digipost.no"},
		{"mailbox-sender", "123456"},
		{"mailbox-key", "digipost.key"},
		{"api-tls-cert", "api.pem"},
		{"api-tls-key", "api.key"},
	} {
		t.Run("fail/"+tt.setting, func(t *testing.T) {
			_, err := Load("serve", []string{"--dev", "--" + tt.setting, tt.value}, env(nil))
			wantRefusal(t, err, tt.setting)
		})
	}
	t.Run("fail/from-the-environment", func(t *testing.T) {
		_, err := Load("serve", nil, env(map[string]string{"SEGL_DEV": "true", "SEGL_SMTP_ADDR": "smtp.example.no:587"}))
		wantRefusal(t, err, "smtp-addr")
	})
	t.Run("fail/every-one-named", func(t *testing.T) {
		_, err := Load("serve", []string{"--dev", "--tsa-url", "https://tsa.example.no", "--csc-url", "https://csc.example.no"}, env(nil))
		wantRefusal(t, err, "tsa-url")
		wantRefusal(t, err, "csc-url")
	})
}

func wantRefusal(t *testing.T, err error, setting string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s accepted with --dev", setting)
	}
	_, why, ok := strings.Cut(err.Error(), "--dev refuses "+setting+": ")
	if !ok || len(why) < 20 {
		t.Fatalf("got %q, want a refusal naming %s and saying why", err, setting)
	}
}

// TestDevListensOnLoopback: a development server's listeners and public
// URL stay on this machine.
func TestDevListensOnLoopback(t *testing.T) {
	for name, tt := range map[string]struct {
		setting, value string
		ok             bool
	}{
		"fail/addr-every-interface":      {"addr", ":8443", false},
		"fail/addr-unspecified-v4":       {"addr", "0.0.0.0:8443", false},
		"fail/addr-unspecified-v6":       {"addr", "[::]:8443", false},
		"fail/addr-public":               {"addr", "192.0.2.10:8443", false},
		"fail/addr-private":              {"addr", "10.0.0.5:8443", false},
		"fail/addr-name":                 {"addr", "segl.example.no:8443", false},
		"fail/metrics-every-interface":   {"metrics-addr", ":9090", false},
		"fail/metrics-public":            {"metrics-addr", "192.0.2.10:9090", false},
		"fail/base-url-public":           {"base-url", "https://segl.example.no", false},
		"fail/base-url-public-ip":        {"base-url", "https://192.0.2.10:8443", false},
		"fail/api-url-public":            {"api-url", "https://api.segl.example.no", false},
		"ok/addr-default":                {"addr", "127.0.0.1:8443", true},
		"ok/addr-random-port":            {"addr", "127.0.0.1:0", true},
		"ok/addr-loopback-net":           {"addr", "127.0.0.2:8443", true},
		"ok/addr-v6-loopback":            {"addr", "[::1]:8443", true},
		"ok/addr-localhost":              {"addr", "localhost:8443", true},
		"ok/metrics-loopback":            {"metrics-addr", "127.0.0.1:9090", true},
		"ok/base-url-localhost":          {"base-url", "https://localhost:8443", true},
		"ok/base-url-loopback-with-path": {"base-url", "https://127.0.0.1:8443/segl", true},
		"ok/api-url-localhost":           {"api-url", "https://localhost:8443", true},
	} {
		t.Run(name, func(t *testing.T) {
			args := []string{"--dev", "--" + tt.setting, tt.value}
			if tt.setting == "api-url" {
				args = append(args, "--base-url", "https://127.0.0.1:8443")
			}
			_, err := Load("serve", args, env(nil))
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "--dev refuses "+tt.setting+" ") || !strings.Contains(err.Error(), "loopback only") {
				t.Fatalf("got %v, want a refusal of %s naming loopback", err, tt.setting)
			}
		})
	}
	// Outside --dev the same addresses are the operator's choice.
	if _, err := Load("serve", []string{"--addr", ":8443", "--metrics-addr", ":9090", "--base-url", "https://segl.example.no",
		"--tls-cert", "c", "--tls-key", "k", "--client-cas", "ca"}, env(nil)); err != nil {
		t.Fatal(err)
	}
}

// TestDevAllows: storage, the development CA's own HSM keys and the choice
// of administrator stay allowed with --dev.
func TestDevAllows(t *testing.T) {
	_, err := Load("serve", []string{"--dev", "--database-url", "postgres://127.0.0.1/segl",
		"--s3-endpoint", "https://127.0.0.1:8333", "--s3-bucket", "docs", "--s3-access-key-file", "ak", "--s3-secret-key-file", "sk",
		"--pkcs11-module", "m.so", "--pkcs11-token", "t", "--pkcs11-pin-file", "pin",
		"--tsa-key-label", "tsa", "--tsa-cert", "tsa.pem", "--ocsp-key-label", "ocsp", "--ocsp-cert", "ocsp.pem",
		"--admin-pids", "07839635529", "--link-key-file", "link.key"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
}

// TestEverySettingDecidedForDev: each setting is either refused by --dev
// (devRefused, or a listener checked for loopback) or known to be safe in
// development. A new setting fails here until someone decides which.
func TestEverySettingDecidedForDev(t *testing.T) {
	safe := map[string]bool{
		"addr": true, "metrics-addr": true, "base-url": true, "api-url": true, // loopback only
		"data": true, "database-url": true, "dev": true, "relaxed-sync": true, "link-key-file": true, "log-format": true,
		"pkcs11-module": true, "pkcs11-token": true, "pkcs11-pin-file": true, // the development CA's own keys
		"tsa-key-label": true, "tsa-cert": true, "ocsp-key-label": true, "ocsp-cert": true,
		"admin-pids": true, "remind-after": true, "workers": true, "shutdown-timeout": true, "sweep-every": true,
		"audit-anchor-every": true, "renew-margin": true, "renew-algorithm-ends": true, "deletion-notice-days": true,
		"header-timeout": true, "idle-timeout": true, "body-idle-timeout": true, "body-min-rate-kb": true,
		"body-max-duration": true, "write-idle-timeout": true, "max-form-kb": true, "max-connections": true,
		"s3-endpoint": true, "s3-bucket": true, "s3-region": true, "s3-access-key-file": true, "s3-secret-key-file": true, "s3-ca-file": true,
		"max-documents": true, "max-signers": true, "max-document-mb": true, "max-expiry-days": true,
		"operator-name": true, "operator-email": true, "operator-phone": true, // shown on the about pages only
	}
	refused := map[string]bool{}
	for _, r := range devRefused {
		refused[r.setting] = true
	}
	for _, o := range options {
		if safe[o.name] == refused[o.name] {
			t.Errorf("setting %s: decide whether --dev refuses it (devRefused) or allows it", o.name)
		}
	}
}
