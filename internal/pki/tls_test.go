package pki

import (
	"crypto/tls"
	"github.com/segl/segl/internal/testtool"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"
)

// TestMutualTLS runs a real TLS server that requires client certificates
// from the development root, as the M2M API does, and reads the organisation
// from the verified chain (never from anything the client merely claims).
func TestMutualTLS(t *testing.T) {
	d, _ := newDev(t, Options{Orgs: population})
	other, _ := newDev(t, Options{Orgs: population})

	serverCert, err := tls.LoadX509KeyPair(d.file("server.pem"), d.file("server.key"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgnr, err := OrgNumber(r.TLS.VerifiedChains[0][0])
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, orgnr)
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    d.Roots(),
		MinVersion:   tls.VersionTLS12,
	}
	// Rejected handshakes are the point of two subtests; keep them out of
	// the test log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	get := func(t *testing.T, cert tls.Certificate) (string, error) {
		t.Helper()
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs:      d.Roots(),
			Certificates: []tls.Certificate{cert},
		}}}
		defer c.CloseIdleConnections()
		resp, err := c.Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}

	t.Run("ok/client-certificate-files-give-org-number", func(t *testing.T) {
		for _, org := range population {
			certPath, keyPath := d.ClientCertPaths(org.Number)
			cert, err := tls.LoadX509KeyPair(certPath, keyPath)
			if err != nil {
				t.Fatal(err)
			}
			got, err := get(t, cert)
			if err != nil || got != org.Number {
				t.Errorf("got %q, %v; want %s", got, err, org.Number)
			}
		}
	})
	t.Run("ok/issued-client-key-pair", func(t *testing.T) {
		kp, err := d.IssueClient(Org{Number: "999999999", Name: "Ukjent test AS"}, nowish())
		if err != nil {
			t.Fatal(err)
		}
		if got, err := get(t, kp.TLSCertificate()); err != nil || got != "999999999" {
			t.Errorf("got %q, %v", got, err)
		}
	})
	t.Run("ok/curl-with-files-as-documented", func(t *testing.T) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			testtool.Missing(t, "curl not installed")
		}
		certPath, keyPath := d.ClientCertPaths(population[1].Number)
		out, err := exec.Command(curl, "-sS", "--cert", certPath, "--key", keyPath, "--cacert", d.file("root-ca.pem"), srv.URL).CombinedOutput()
		if err != nil || string(out) != population[1].Number {
			t.Fatalf("curl: %v: %s", err, out)
		}
	})
	t.Run("fail/client-from-another-root", func(t *testing.T) {
		kp, err := other.Client(population[0].Number)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := get(t, kp.TLSCertificate()); err == nil {
			t.Fatalf("handshake accepted a foreign client: %q", got)
		}
	})
	t.Run("fail/server-certificate-is-not-a-client", func(t *testing.T) {
		if got, err := get(t, d.Server.TLSCertificate()); err == nil {
			t.Fatalf("handshake accepted the server certificate as a client: %q", got)
		}
	})
}
