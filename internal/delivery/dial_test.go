package delivery

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCallbackDialRefusesSpecialAddresses: the address a callback actually
// dials is checked against the IANA special-purpose registries, including
// the blocks the first filter let through.
func TestCallbackDialRefusesSpecialAddresses(t *testing.T) {
	for _, addr := range []string{
		"127.0.0.1:443", "10.0.0.1:443", "169.254.169.254:80",
		"100.100.100.200:80", "100.64.0.1:443", "198.18.0.1:443", "192.0.0.1:443",
		"[64:ff9b::7f00:1]:443", "[2002:7f00:1::1]:443", "[fec0::1]:443", "[::ffff:127.0.0.1]:443",
	} {
		if err := publicOnly("tcp", addr, nil); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v", addr, err)
		}
	}
	if err := publicOnly("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("a public address: %v", err)
	}

	// A real dial, after name resolution: the receiver is on loopback.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	for _, u := range []string{srv.URL, "https://localhost:" + srv.URL[len("https://127.0.0.1:"):]} {
		_, err := CallbackClient(false).Get(u)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want a refusal", u, err)
		}
	}
}
