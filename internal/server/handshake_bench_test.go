package server_test

import (
	"crypto/tls"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/testtool"
)

// BenchmarkHandshake makes full TLS handshakes (no session resumption)
// with segl's listener, client and server in one process: a browser on the
// public host (an address, so no server name) and an API client with its
// enterprise certificate naming the API host. "one-host" is the default
// listener, which asks every connection for a certificate; "api-host" has
// api-url on a host of its own, chosen per ClientHello
// (GetConfigForClient), and must cost no more per handshake.
// cpu-µs/handshake is the CPU time of the whole process (client and
// server, the server's connection goroutine included) per handshake.
func BenchmarkHandshake(b *testing.B) {
	for _, host := range []struct {
		name string
		env  func(testing.TB) *env
	}{
		{"one-host", func(tb testing.TB) *env { return newEnvB(tb) }},
		{"api-host", func(tb testing.TB) *env { return newSplitEnv(tb) }},
	} {
		e := host.env(b)
		pair, err := tls.LoadX509KeyPair(filepath.Join(e.data, "pki", "clients", orgA+".pem"), filepath.Join(e.data, "pki", "clients", orgA+".key"))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			tc   *tls.Config
		}{
			{"browser", &tls.Config{RootCAs: e.srv.Dev.Roots(), ServerName: "127.0.0.1", NextProtos: []string{"h2", "http/1.1"}}},
			{"api", &tls.Config{RootCAs: e.srv.Dev.Roots(), ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"},
				Certificates: []tls.Certificate{pair}}},
		} {
			b.Run(host.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				cpu := testtool.CPUTime()
				for b.Loop() {
					conn, err := tls.Dial("tcp", e.cfg.Addr, c.tc)
					if err != nil {
						b.Fatal(err)
					}
					conn.Close()
				}
				b.ReportMetric(float64((testtool.CPUTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/handshake")
			})
		}
		e.stop()
	}
}
