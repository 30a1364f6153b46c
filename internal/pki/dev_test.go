package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestLoadOrCreateDevProfiles(t *testing.T) {
	d, _ := newDev(t, Options{BaseURL: "https://127.0.0.1:8443/", Orgs: population, Now: t0})

	t.Run("ok/keys-p256-for-cas-and-leaves", func(t *testing.T) {
		curve := func(c *x509.Certificate) elliptic.Curve { return c.PublicKey.(*ecdsa.PublicKey).Curve }
		if curve(d.Root) != elliptic.P256() || curve(d.Issuing.Cert) != elliptic.P256() {
			t.Error("CA keys are not P-256")
		}
		for _, kp := range []KeyPair{d.Seal, d.TSA, d.OCSP, d.Server} {
			if curve(kp.Cert) != elliptic.P256() {
				t.Errorf("%s: key is not P-256", kp.Cert.Subject.CommonName)
			}
		}
	})

	t.Run("ok/validity-periods", func(t *testing.T) {
		for _, tt := range []struct {
			c     *x509.Certificate
			years int
		}{{d.Root, 25}, {d.Issuing.Cert, 15}, {d.Seal.Cert, 3}, {d.TSA.Cert, 12}, {d.OCSP.Cert, 1}, {d.Server.Cert, 1}} {
			if want := t0.AddDate(tt.years, 0, 0); !tt.c.NotAfter.Equal(want) {
				t.Errorf("%s: NotAfter %v, want %v", tt.c.Subject.CommonName, tt.c.NotAfter, want)
			}
			if tt.c.NotBefore.After(t0) {
				t.Errorf("%s: NotBefore %v after creation", tt.c.Subject.CommonName, tt.c.NotBefore)
			}
			if tt.c.SerialNumber.BitLen() < 64 {
				t.Errorf("%s: serial %x has too little entropy", tt.c.Subject.CommonName, tt.c.SerialNumber)
			}
		}
	})

	t.Run("ok/chains-verify-for-their-purpose", func(t *testing.T) {
		inter := x509.NewCertPool()
		inter.AddCert(d.Issuing.Cert)
		for _, tt := range []struct {
			kp  KeyPair
			eku x509.ExtKeyUsage
		}{
			{d.TSA, x509.ExtKeyUsageTimeStamping},
			{d.OCSP, x509.ExtKeyUsageOCSPSigning},
			{d.Server, x509.ExtKeyUsageServerAuth},
			{d.Seal, x509.ExtKeyUsageAny},
		} {
			_, err := tt.kp.Cert.Verify(x509.VerifyOptions{Roots: d.Roots(), Intermediates: inter, CurrentTime: t0, KeyUsages: []x509.ExtKeyUsage{tt.eku}})
			if err != nil {
				t.Errorf("%s: %v", tt.kp.Cert.Subject.CommonName, err)
			}
			if len(tt.kp.Chain) != 1 || !tt.kp.Chain[0].Equal(d.Issuing.Cert) {
				t.Errorf("%s: chain is not [issuing CA]", tt.kp.Cert.Subject.CommonName)
			}
		}
		if len(d.Issuing.Chain) != 0 {
			t.Error("issuing CA has a chain")
		}
	})

	t.Run("ok/tsa-eku-critical-timestamping-only", func(t *testing.T) {
		var found bool
		for _, e := range d.TSA.Cert.Extensions {
			if e.Id.Equal(oidExtKeyUsage) {
				found = e.Critical
			}
		}
		if !found || len(d.TSA.Cert.ExtKeyUsage) != 1 || d.TSA.Cert.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
			t.Errorf("TSA EKU critical=%v usages=%v", found, d.TSA.Cert.ExtKeyUsage)
		}
		if d.TSA.Cert.KeyUsage != x509.KeyUsageDigitalSignature {
			t.Errorf("TSA key usage %v", d.TSA.Cert.KeyUsage)
		}
	})

	t.Run("ok/ocsp-responder-has-nocheck", func(t *testing.T) {
		var found bool
		for _, e := range d.OCSP.Cert.Extensions {
			found = found || e.Id.Equal(oidOCSPNoCheck)
		}
		if !found {
			t.Error("no id-pkix-ocsp-nocheck")
		}
	})

	t.Run("ok/seal-subject-and-usage", func(t *testing.T) {
		orgnr, err := OrgNumber(d.Seal.Cert)
		if err != nil || orgnr != DevSealOrgNumber {
			t.Errorf("seal OrgNumber = %q, %v", orgnr, err)
		}
		if got := d.Seal.Cert.Subject.Organization; len(got) != 1 || got[0] != "segl TTP (development)" {
			t.Errorf("seal O = %v", got)
		}
		if want := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment; d.Seal.Cert.KeyUsage != want {
			t.Errorf("seal key usage %v", d.Seal.Cert.KeyUsage)
		}
	})

	t.Run("ok/revocation-pointers", func(t *testing.T) {
		for _, kp := range []KeyPair{d.Seal, d.TSA, d.OCSP, d.Server} {
			c := kp.Cert
			if len(c.OCSPServer) != 1 || c.OCSPServer[0] != "https://127.0.0.1:8443/dev/ocsp" ||
				len(c.IssuingCertificateURL) != 1 || c.IssuingCertificateURL[0] != "https://127.0.0.1:8443/dev/pki/issuing-ca.cer" ||
				len(c.CRLDistributionPoints) != 1 || c.CRLDistributionPoints[0] != "https://127.0.0.1:8443/dev/crl" {
				t.Errorf("%s: AIA %v %v CRLDP %v", c.Subject.CommonName, c.OCSPServer, c.IssuingCertificateURL, c.CRLDistributionPoints)
			}
		}
	})

	t.Run("ok/client-certificates", func(t *testing.T) {
		for _, org := range population {
			kp, err := d.Client(org.Number)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := OrgNumber(kp.Cert); err != nil || got != org.Number {
				t.Errorf("OrgNumber = %q, %v; want %s", got, err, org.Number)
			}
			if kp.Cert.Subject.CommonName != org.Name || kp.Cert.Subject.Organization[0] != org.Name {
				t.Errorf("subject %v", kp.Cert.Subject)
			}
			if len(kp.Cert.ExtKeyUsage) != 1 || kp.Cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
				t.Errorf("EKU %v", kp.Cert.ExtKeyUsage)
			}
			if want := t0.AddDate(3, 0, 0); !kp.Cert.NotAfter.Equal(want) {
				t.Errorf("NotAfter %v, want %v", kp.Cert.NotAfter, want)
			}
		}
	})

	t.Run("ok/server-hosts-default-loopback", func(t *testing.T) {
		for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
			if err := d.Server.Cert.VerifyHostname(h); err != nil {
				t.Error(err)
			}
		}
	})
}

func TestLoadOrCreateDevFiles(t *testing.T) {
	d, dir := newDev(t, Options{Orgs: population[:1], Now: t0})

	t.Run("ok/keys-are-private", func(t *testing.T) {
		keys, _ := filepath.Glob(filepath.Join(d.Dir, "*.key"))
		clients, _ := filepath.Glob(filepath.Join(d.Dir, "clients", "*.key"))
		keys = append(keys, clients...)
		if len(keys) != 7 { // root, issuing, seal, tsa, ocsp, server, one client
			t.Fatalf("key files %v", keys)
		}
		for _, k := range keys {
			fi, err := os.Stat(k)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v", k, fi.Mode().Perm())
			}
			if _, err := LoadSigner(k); err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("ok/leaf-files-hold-leaf-then-issuing-ca", func(t *testing.T) {
		certPath, _ := d.ClientCertPaths(population[0].Number)
		for _, p := range []string{"seal.pem", "tsa.pem", "ocsp.pem", "server.pem", certPath} {
			if !filepath.IsAbs(p) {
				p = d.file(p)
			}
			certs, err := LoadCertificates(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(certs) != 2 || !certs[1].Equal(d.Issuing.Cert) || certs[0].IsCA {
				t.Errorf("%s: not leaf + issuing CA", p)
			}
		}
		for _, p := range []string{"root-ca.pem", "issuing-ca.pem"} {
			certs, err := LoadCertificates(d.file(p))
			if err != nil || len(certs) != 1 {
				t.Errorf("%s: %d certificates, %v", p, len(certs), err)
			}
		}
	})

	t.Run("ok/no-temporary-files-left", func(t *testing.T) {
		left, _ := filepath.Glob(filepath.Join(d.Dir, ".*.tmp*"))
		if len(left) != 0 {
			t.Errorf("left over: %v", left)
		}
	})

	t.Run("ok/client-cert-paths", func(t *testing.T) {
		c, k := d.ClientCertPaths("317510748")
		if c != filepath.Join(dir, "pki", "clients", "317510748.pem") || k != filepath.Join(dir, "pki", "clients", "317510748.key") {
			t.Errorf("paths %s %s", c, k)
		}
	})
}

func TestLoadOrCreateDevTwice(t *testing.T) {
	tests := []struct {
		name   string
		second Options
		check  func(t *testing.T, first, second *Dev)
	}{
		{
			name:   "ok/second-start-reuses-everything",
			second: Options{Orgs: population[:1], Now: t0.Add(24 * time.Hour)},
			check: func(t *testing.T, a, b *Dev) {
				sameAll(t, a, b, "root", "issuing", "seal", "tsa", "ocsp", "server")
			},
		},
		{
			name:   "ok/added-org-gets-certificate-existing-kept",
			second: Options{Orgs: population, Now: t0.Add(time.Hour)},
			check: func(t *testing.T, a, b *Dev) {
				sameAll(t, a, b, "root", "issuing", "seal", "tsa", "ocsp", "server")
				old, err := a.Client(population[0].Number)
				if err != nil {
					t.Fatal(err)
				}
				kept, err := b.Client(population[0].Number)
				if err != nil || !kept.Cert.Equal(old.Cert) {
					t.Errorf("existing client re-issued (%v)", err)
				}
				added, err := b.Client(population[1].Number)
				if err != nil {
					t.Fatalf("added org has no certificate: %v", err)
				}
				if err := added.Cert.CheckSignatureFrom(b.Issuing.Cert); err != nil {
					t.Error(err)
				}
			},
		},
		{
			name:   "ok/ocsp-and-server-renewed-within-30-days-of-expiry",
			second: Options{Orgs: population[:1], Now: t0.AddDate(0, 11, 5)},
			check: func(t *testing.T, a, b *Dev) {
				sameAll(t, a, b, "root", "issuing", "seal", "tsa")
				if a.OCSP.Cert.Equal(b.OCSP.Cert) || a.Server.Cert.Equal(b.Server.Cert) {
					t.Error("OCSP or server certificate not renewed")
				}
				if !sameKey(b.Server.Cert, a.Server.Key) {
					t.Error("server key not reused")
				}
			},
		},
		{
			name:   "ok/base-url-set-later-reissues-leaves-not-cas",
			second: Options{BaseURL: "https://segl.test", Orgs: population[:1], Now: t0},
			check: func(t *testing.T, a, b *Dev) {
				sameAll(t, a, b, "root", "issuing")
				if a.Seal.Cert.Equal(b.Seal.Cert) || len(b.Seal.Cert.OCSPServer) != 1 || b.Seal.Cert.OCSPServer[0] != "https://segl.test/dev/ocsp" {
					t.Errorf("seal not re-issued with AIA: %v", b.Seal.Cert.OCSPServer)
				}
				c, err := b.Client(population[0].Number)
				if err != nil || len(c.Cert.CRLDistributionPoints) != 1 {
					t.Errorf("client not re-issued with CRL DP (%v)", err)
				}
			},
		},
		{
			name:   "ok/new-host-reissues-server-only",
			second: Options{Hosts: []string{"segl.test", "10.0.0.7"}, Orgs: population[:1], Now: t0},
			check: func(t *testing.T, a, b *Dev) {
				sameAll(t, a, b, "root", "issuing", "seal", "tsa", "ocsp")
				if b.Server.Cert.VerifyHostname("segl.test") != nil || b.Server.Cert.VerifyHostname("10.0.0.7") != nil {
					t.Error("server certificate lacks the new hosts")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first, err := LoadOrCreateDev(dir, Options{Orgs: population[:1], Now: t0})
			if err != nil {
				t.Fatal(err)
			}
			second, err := LoadOrCreateDev(dir, tt.second)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, first, second)
		})
	}
}

func sameAll(t *testing.T, a, b *Dev, which ...string) {
	t.Helper()
	pick := func(d *Dev, w string) *x509.Certificate {
		switch w {
		case "root":
			return d.Root
		case "issuing":
			return d.Issuing.Cert
		case "seal":
			return d.Seal.Cert
		case "tsa":
			return d.TSA.Cert
		case "ocsp":
			return d.OCSP.Cert
		case "server":
			return d.Server.Cert
		}
		t.Fatalf("unknown %s", w)
		return nil
	}
	for _, w := range which {
		if !pick(a, w).Equal(pick(b, w)) {
			t.Errorf("%s changed between starts", w)
		}
	}
}

func TestLoadOrCreateDevRepairs(t *testing.T) {
	t.Run("ok/lost-issuing-ca-is-recreated-under-same-root", func(t *testing.T) {
		dir := t.TempDir()
		a, err := LoadOrCreateDev(dir, Options{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(a.file("issuing-ca.key")); err != nil {
			t.Fatal(err)
		}
		b, err := LoadOrCreateDev(dir, Options{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		sameAll(t, a, b, "root")
		if a.Issuing.Cert.Equal(b.Issuing.Cert) || b.Seal.Cert.CheckSignatureFrom(b.Issuing.Cert) != nil {
			t.Error("issuing CA not recreated or leaves not re-issued under it")
		}
	})

	t.Run("ok/lost-leaf-certificate-reissued-for-stored-key", func(t *testing.T) {
		dir := t.TempDir()
		a, err := LoadOrCreateDev(dir, Options{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(a.file("tsa.pem")); err != nil {
			t.Fatal(err)
		}
		b, err := LoadOrCreateDev(dir, Options{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if !sameKey(b.TSA.Cert, a.TSA.Key) {
			t.Error("TSA key not reused")
		}
	})

	t.Run("fail/corrupt-key-is-not-overwritten", func(t *testing.T) {
		dir := t.TempDir()
		a, err := LoadOrCreateDev(dir, Options{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		junk := []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
		if err := os.WriteFile(a.file("seal.key"), junk, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateDev(dir, Options{Now: t0}); err == nil {
			t.Fatal("want an error for a corrupt key")
		}
		if got, _ := os.ReadFile(a.file("seal.key")); !bytes.Equal(got, junk) {
			t.Error("corrupt key was overwritten")
		}
	})

	t.Run("fail/new-issuing-ca-without-root-key", func(t *testing.T) {
		dir := t.TempDir()
		a, err := LoadOrCreateDev(dir, Options{Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"root-ca.key", "issuing-ca.pem"} {
			if err := os.Remove(a.file(f)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := LoadOrCreateDev(dir, Options{Now: t0}); err == nil {
			t.Fatal("want an error")
		}
	})

	t.Run("fail/organisation-number-not-nine-digits", func(t *testing.T) {
		for _, n := range []string{"12345", "../../etc", ""} {
			if _, err := LoadOrCreateDev(t.TempDir(), Options{Orgs: []Org{{Number: n, Name: "x"}}}); err == nil {
				t.Errorf("%q: want an error", n)
			}
		}
	})

	t.Run("fail/empty-data-dir", func(t *testing.T) {
		if _, err := LoadOrCreateDev("", Options{}); err == nil {
			t.Fatal("want an error")
		}
	})
}

// TestLoadOrCreateDevConcurrent starts several loaders on one empty
// directory at once, as a server and a CLI command might: all must end up
// with the same hierarchy.
func TestLoadOrCreateDevConcurrent(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	devs := make([]*Dev, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			devs[i], errs[i] = LoadOrCreateDev(dir, Options{Orgs: population, Now: t0})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		sameAll(t, devs[0], devs[i], "root", "issuing", "seal", "tsa", "ocsp", "server")
	}
}

func TestIssueClient(t *testing.T) {
	d, _ := newDev(t, Options{Now: t0})
	t.Run("ok/unknown-org", func(t *testing.T) {
		org := Org{Number: "999999999", Name: "Ukjent test AS"}
		kp, err := d.IssueClient(org, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := d.Client(org.Number)
		if err != nil || !stored.Cert.Equal(kp.Cert) {
			t.Fatalf("stored certificate differs (%v)", err)
		}
		if got, err := OrgNumber(kp.Cert); err != nil || got != org.Number {
			t.Errorf("OrgNumber = %q, %v", got, err)
		}
		if tc := kp.TLSCertificate(); len(tc.Certificate) != 2 {
			t.Errorf("TLS certificate carries %d certificates", len(tc.Certificate))
		}
	})
	t.Run("fail/path-traversal-orgnr", func(t *testing.T) {
		if _, err := d.IssueClient(Org{Number: "../seal", Name: "x"}, t0); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("fail/client-not-stored", func(t *testing.T) {
		if _, err := d.Client("312878933"); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestIssuingCAHandler(t *testing.T) {
	d, _ := newDev(t, Options{})
	rec := httptest.NewRecorder()
	d.IssuingCAHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/pki/issuing-ca.cer", nil))
	c, err := x509.ParseCertificate(rec.Body.Bytes())
	if err != nil || !c.Equal(d.Issuing.Cert) || rec.Header().Get("Content-Type") != "application/pkix-cert" {
		t.Fatalf("not the issuing CA in DER: %v", err)
	}
}
