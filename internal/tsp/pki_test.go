package tsp

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/pki/pkitest"
)

// A test PKI of its own (pkitest for keys and issuing): a root, an optional
// intermediate and TSA certificates of every kind that must be refused.

type ca struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var testSerial atomic.Int64

func nextSerial() *big.Int {
	return big.NewInt(time.Now().Unix()<<20 + testSerial.Add(1))
}

// validity used by default: an hour ago to a year ahead.
func window() (time.Time, time.Time) {
	now := time.Now()
	return now.Add(-time.Hour), now.AddDate(1, 0, 0)
}

func newRoot(t testing.TB, name string) *ca { return newCA(t, name, nil, 20) }

func (c *ca) intermediate(t testing.TB, name string) *ca { return newCA(t, name, c, 10) }

// newCA is a CA certificate valid for years more than window's, issued by
// parent, or self-signed when parent is nil.
func newCA(t testing.TB, name string, parent *ca, years int) *ca {
	t.Helper()
	key := pkitest.Key(t, "p256")
	nb, na := window()
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"segl test"}},
		NotBefore:             nb,
		NotAfter:              na.AddDate(years, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	issuer, issuerKey := tmpl, key
	if parent != nil {
		issuer, issuerKey = parent.cert, parent.key
	}
	return &ca{cert: pkitest.Issue(t, tmpl, issuer, key.Public(), issuerKey), key: key}
}

// tsaOpts describes a TSA certificate; the zero value is a good one.
type tsaOpts struct {
	key         string // p256 (default), p384, rsa, ed25519
	nonCritical bool
	ekus        []asn1.ObjectIdentifier // default: timeStamping only
	noEKU       bool
	isCA        bool
	notBefore   time.Time
	notAfter    time.Time
}

func ekuExtension(t testing.TB, critical bool, ekus ...asn1.ObjectIdentifier) pkix.Extension {
	t.Helper()
	v, err := asn1.Marshal(ekus)
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oidExtKeyUsage, Critical: critical, Value: v}
}

func (c *ca) tsa(t testing.TB, o tsaOpts) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	if o.key == "" {
		o.key = "p256"
	}
	key := pkitest.Key(t, o.key)
	nb, na := window()
	if !o.notBefore.IsZero() {
		nb, na = o.notBefore, o.notAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: "segl test tsa", Organization: []string{"segl test"}},
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  o.isCA,
	}
	if o.isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if !o.noEKU {
		ekus := o.ekus
		if ekus == nil {
			ekus = []asn1.ObjectIdentifier{oidKPTimeStamping}
		}
		tmpl.ExtraExtensions = []pkix.Extension{ekuExtension(t, !o.nonCritical, ekus...)}
	}
	return pkitest.Issue(t, tmpl, c.cert, key.Public(), c.key), key
}

// env is a root, an optional intermediate and a TSA authority under them.
type env struct {
	root  *ca
	inter *ca
	auth  *Authority
	roots *x509.CertPool
}

func newEnv(t testing.TB, key string, withIntermediate bool) *env {
	t.Helper()
	e := &env{root: newRoot(t, "segl test root "+key)}
	issuer := e.root
	var chain []*x509.Certificate
	if withIntermediate {
		e.inter = e.root.intermediate(t, "segl test issuing ca")
		issuer = e.inter
		chain = []*x509.Certificate{e.inter.cert}
	}
	cert, k := issuer.tsa(t, tsaOpts{key: key})
	a, err := NewAuthority(k, cert, chain)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = a
	e.roots = x509.NewCertPool()
	e.roots.AddCert(e.root.cert)
	return e
}

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// unsynced is a time source that has lost synchronisation.
type unsynced struct{ err error }

func (u unsynced) Now() (time.Time, error) { return time.Time{}, u.err }

func fakeClock(at time.Time) TimeSource { return Synced(clock.NewFake(at)) }
