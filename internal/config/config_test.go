package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
