package server

import (
	"crypto/tls"
	"testing"

	"github.com/segl/segl/internal/config"
)

// TestConfigForClientByName: the API host's name, in any case, gets the
// configuration that asks for a certificate, every other name and none at
// all the one that does not; choosing allocates nothing, so a handshake
// costs what it did on one host.
func TestConfigForClientByName(t *testing.T) {
	base := &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven}
	if err := askCertificateOnAPIHostOnly(config.Config{}, base, "https://api.segl.example:8443"); err != nil {
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
