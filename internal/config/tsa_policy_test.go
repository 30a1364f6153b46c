package config

import (
	"encoding/asn1"
	"strings"
	"testing"
)

// TestTSAPolicy: tsa-policy is an object identifier that goes with
// tsa-url, read as the TSA client needs it.
func TestTSAPolicy(t *testing.T) {
	seal := []string{"--tls-cert", "c", "--tls-key", "k", "--client-cas", "ca", "--seal-key", "k", "--seal-cert", "c",
		"--pki-trust", "p"}
	for name, tt := range map[string]struct {
		args []string
		want string
	}{
		"ok/with-tsa-url":   {[]string{"--tsa-url", "https://tsa.test", "--tsa-policy", "2.16.578.1.1"}, ""},
		"fail/not-an-oid":   {[]string{"--tsa-url", "https://tsa.test", "--tsa-policy", "qualified"}, "not an object identifier"},
		"fail/one-arc":      {[]string{"--tsa-url", "https://tsa.test", "--tsa-policy", "2"}, "not an object identifier"},
		"fail/huge-arc":     {[]string{"--tsa-url", "https://tsa.test", "--tsa-policy", "2.16.99999999999999999999"}, "object identifier"},
		"fail/without-url":  {[]string{"--tsa-policy", "2.16.578.1.1", "--tsa-url", ""}, "tsa-policy goes with tsa-url"},
		"fail/not-with-dev": {[]string{"--dev", "--tsa-policy", "2.16.578.1.1"}, "tsa-policy"},
	} {
		t.Run(name, func(t *testing.T) {
			args := tt.args
			if !strings.HasPrefix(name, "fail/not-with-dev") {
				args = append(append([]string{}, seal...), args...)
			}
			c, err := Load("serve", args, env(nil))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if id, err := ParseOID(c.TSAPolicy); err != nil || !id.Equal(asn1.ObjectIdentifier{2, 16, 578, 1, 1}) {
					t.Fatalf("policy %q: %v, %v", c.TSAPolicy, id, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
