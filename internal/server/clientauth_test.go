package server

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/segl/segl/internal/config"
)

// TestConfigForClientByName: the API host's name, in any case, gets the
// configuration that asks for a certificate, every other name and none at
// all the one that does not; choosing allocates nothing, so a handshake
// costs what it did on one host.
func TestConfigForClientByName(t *testing.T) {
	base := &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven}
	apiHost, err := hostOf("https://api.segl.example.:8443")
	if err != nil || apiHost != "api.segl.example" {
		t.Fatalf("host %q, %v", apiHost, err)
	}
	if err := askCertificateOnAPIHostOnly(config.Config{}, base, apiHost); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]tls.ClientAuthType{
		"api.segl.example": tls.VerifyClientCertIfGiven, "API.Segl.Example": tls.VerifyClientCertIfGiven,
		"segl.example": tls.NoClientCert, "": tls.NoClientCert, "api.segl.example.evil": tls.NoClientCert,
	} {
		c, err := base.GetConfigForClient(&tls.ClientHelloInfo{ServerName: name})
		if err != nil || c.ClientAuth != want || len(c.NextProtos) == 0 {
			t.Errorf("server name %q: %v, %v", name, c.ClientAuth, err)
		}
	}
	hello := &tls.ClientHelloInfo{ServerName: "api.segl.example"}
	if n := testing.AllocsPerRun(100, func() { base.GetConfigForClient(hello) }); n != 0 {
		t.Errorf("%v allocations per hello", n)
	}
	one := &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven}
	if err := askCertificateOnAPIHostOnly(config.Config{}, one, ""); err != nil || one.GetConfigForClient != nil {
		t.Fatalf("one host: %v, callback set %v", err, one.GetConfigForClient != nil)
	}
}

// TestMisdirected: a request naming the API host on a connection made for
// another name is answered 421; every other pairing passes.
func TestMisdirected(t *testing.T) {
	h := misdirected{apiHost: "api.segl.example", next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	for _, tt := range []struct {
		serverName, host string
		want             int
	}{
		{"api.segl.example", "api.segl.example:8443", http.StatusOK},
		{"API.segl.example", "api.segl.example.", http.StatusOK},
		{"segl.example", "segl.example", http.StatusOK},
		{"api.segl.example", "segl.example", http.StatusOK},
		{"segl.example", "api.segl.example:8443", http.StatusMisdirectedRequest},
		{"", "Api.Segl.Example", http.StatusMisdirectedRequest},
	} {
		r := httptest.NewRequest("GET", "https://"+tt.host+"/api/v1/jobs", nil)
		r.TLS = &tls.ConnectionState{ServerName: tt.serverName}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("connection for %q, request for %q: %d, want %d", tt.serverName, tt.host, w.Code, tt.want)
		}
	}
}
