package pki

import (
	"bytes"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options for creating the development PKI. The zero value is a safe
// default: no revocation URLs, a server certificate for the loopback
// addresses, no organisation certificates, and the current time.
type Options struct {
	// BaseURL is the public base URL of the server, for example
	// "https://127.0.0.1:8443". Every certificate the issuing CA makes then
	// carries the OCSP responder BaseURL+"/dev/ocsp" and the caIssuers URL
	// BaseURL+"/dev/pki/issuing-ca.cer" (authority information access, RFC
	// 5280 section 4.2.2.1) and the CRL distribution point BaseURL+"/dev/crl"
	// (RFC 5280 section 4.2.1.13), so validators can find revocation data on
	// their own. Stored certificates with other URLs are re-issued. Empty
	// means no such extensions on new certificates, and stored ones are kept
	// whatever URLs they carry.
	BaseURL string
	// Hosts are the DNS names and IP addresses of the TLS server
	// certificate. Empty means localhost, 127.0.0.1 and ::1.
	Hosts []string
	// Orgs are the organisations that get an enterprise (mutual TLS client)
	// certificate. Organisations already stored keep theirs.
	Orgs []Org
	// Now is the time used to issue and to decide renewals, injected by
	// tests. Zero means time.Now().
	Now time.Time
	// TSAYears is the validity of a newly issued time-stamping certificate;
	// zero means 12 years. Tests of archive renewal over decades make it
	// short, so that each renewal needs a TSA certificate issued later.
	TSAYears int
}

// Org is an organisation that gets an enterprise certificate.
type Org struct {
	Number string // nine-digit organisation number
	Name   string // legal name; the subject CN and O
}

// KeyPair is a certificate with its private key behind crypto.Signer, so a
// key in an HSM fits the same type, and the chain a relying party needs to
// reach the root.
type KeyPair struct {
	Cert  *x509.Certificate
	Chain []*x509.Certificate // intermediates, leaf excluded, root excluded
	Key   crypto.Signer
}

// TLSCertificate returns the key pair as a tls.Certificate that sends the
// leaf followed by its chain.
func (kp KeyPair) TLSCertificate() tls.Certificate {
	c := tls.Certificate{PrivateKey: kp.Key, Leaf: kp.Cert, Certificate: [][]byte{kp.Cert.Raw}}
	for _, ic := range kp.Chain {
		c.Certificate = append(c.Certificate, ic.Raw)
	}
	return c
}

// Dev is the development PKI stored under DIR/pki: root CA → issuing CA →
// seal, time-stamping unit, OCSP responder, TLS server and enterprise
// certificates. The root's private key is not held: it is only needed to
// issue a new issuing CA and stays on disk.
type Dev struct {
	Dir     string // DIR/pki
	Root    *x509.Certificate
	Issuing KeyPair // issuing CA (its Chain is empty)
	Seal    KeyPair // segl's TTP organisation seal (e-seal) certificate
	TSA     KeyPair // time-stamping unit (critical EKU timeStamping, RFC 3161 section 2.3)
	OCSP    KeyPair // delegated OCSP responder (EKU OCSPSigning, ocsp-nocheck; RFC 6960 section 4.2.2.2)
	Server  KeyPair // TLS server certificate for Options.Hosts

	baseURL  string
	tsaYears int
}

// File names under DIR/pki. They are a contract (DESIGN.md section 6): tests
// and people point openssl and curl at them.
const (
	rootCertFile    = "root-ca.pem"
	rootKeyFile     = "root-ca.key"
	issuingCertFile = "issuing-ca.pem"
	issuingKeyFile  = "issuing-ca.key"
	clientsDir      = "clients"
)

// Validity periods, in years.
const (
	rootYears    = 25
	issuingYears = 15
	sealYears    = 3
	tsaYears     = 12 // outlives a B-LTA file validated 10 years ahead; the issuing CA (15) outlives it
	ocspYears    = 1
	serverYears  = 1
	clientYears  = 3
)

var defaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// caCurve is the curve of new development CA keys. P-256, like the leaves:
// every TLS handshake, chain check and validation verifies the CAs'
// signatures, and Go verifies P-256 about five times faster than P-384
// (which has no assembly), so development runs and benchmarks do not spend
// their client CPU on it. Production keys and CAs are configured, not made
// here; a stored P-384 development PKI keeps working and is not replaced.
var caCurve = elliptic.P256()

// LoadOrCreateDev loads the development PKI from dataDir/pki and creates
// whatever is missing, so the first start of "segl serve --dev" makes it and
// every later start reuses it. Certificates that expire within 30 days, that
// no longer chain to the stored CA, or whose subject, hosts or URLs differ
// from what opts asks for are re-issued (with the stored key when there is
// one); an organisation added to opts.Orgs gets its certificate on the next
// start. A file that exists but cannot be parsed is an error rather than
// something to overwrite, because it may be a key someone relies on.
func LoadOrCreateDev(dataDir string, opts Options) (*Dev, error) {
	if dataDir == "" {
		return nil, errors.New("pki: empty data directory")
	}
	for _, org := range opts.Orgs {
		if !nineDigits(org.Number) {
			return nil, fmt.Errorf("pki: organisation number %q is not nine digits", org.Number)
		}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	hosts := opts.Hosts
	if len(hosts) == 0 {
		hosts = defaultHosts
	}

	d := &Dev{Dir: filepath.Join(dataDir, "pki"), baseURL: strings.TrimRight(opts.BaseURL, "/"), tsaYears: tsaYears}
	if opts.TSAYears > 0 {
		d.tsaYears = opts.TSAYears
	}
	if err := os.MkdirAll(filepath.Join(d.Dir, clientsDir), 0o755); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	unlock, err := lockDir(d.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	rootKey, err := d.loadOrCreateRoot(now)
	if err != nil {
		return nil, err
	}
	if err := d.loadOrCreateIssuing(now, rootKey); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		kp   *KeyPair
		spec leafSpec
	}{
		{&d.Seal, d.sealSpec()},
		{&d.TSA, d.tsaSpec()},
		{&d.OCSP, d.ocspSpec()},
		{&d.Server, d.serverSpec(hosts)},
	} {
		if *l.kp, err = d.loadOrIssueLeaf(l.spec, now); err != nil {
			return nil, err
		}
	}
	for _, org := range opts.Orgs {
		if _, err := d.loadOrIssueLeaf(d.clientSpec(org), now); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *Dev) path(name string) string { return filepath.Join(d.Dir, name) }

// loadOrCreateRoot sets d.Root, creating a self-signed root when none is
// stored or the stored one is about to expire. It returns the root key only
// when it made a new one, so the caller need not read it back from disk.
func (d *Dev) loadOrCreateRoot(now time.Time) (crypto.Signer, error) {
	subject := devName("segl development root CA")
	certs, err := LoadCertificates(d.path(rootCertFile))
	switch {
	case err == nil:
		c := certs[0]
		if bytes.Equal(c.RawSubject, rawName(subject)) && c.CheckSignatureFrom(c) == nil && !expiresSoon(c, now) {
			d.Root = c
			return nil, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}

	key, err := newKey(caCurve)
	if err != nil {
		return nil, err
	}
	c, err := createCA(subject, rootYears, key, nil, nil, nil, now)
	if err != nil {
		return nil, err
	}
	if err := writeKey(d.path(rootKeyFile), key); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(d.path(rootCertFile), encodeCertificates(c), 0o644); err != nil {
		return nil, err
	}
	d.Root = c
	return key, nil
}

// loadOrCreateIssuing sets d.Issuing, creating a new issuing CA with a new
// key when none is stored or the stored one does not chain to d.Root, is
// about to expire, or does not match its key. A new key means every leaf is
// re-issued too, so no certificate is left pointing at a retired CA.
func (d *Dev) loadOrCreateIssuing(now time.Time, rootKey crypto.Signer) error {
	subject := devName("segl development issuing CA")
	certs, certErr := LoadCertificates(d.path(issuingCertFile))
	if certErr != nil && !errors.Is(certErr, fs.ErrNotExist) {
		return certErr
	}
	key, keyErr := LoadSigner(d.path(issuingKeyFile))
	if keyErr != nil && !errors.Is(keyErr, fs.ErrNotExist) {
		return keyErr
	}
	if certErr == nil && keyErr == nil {
		c := certs[0]
		if sameKey(c, key) && c.CheckSignatureFrom(d.Root) == nil &&
			bytes.Equal(c.RawSubject, rawName(subject)) && !expiresSoon(c, now) {
			d.Issuing = KeyPair{Cert: c, Key: key}
			return nil
		}
	}

	if rootKey == nil {
		var err error
		if rootKey, err = LoadSigner(d.path(rootKeyFile)); err != nil {
			return fmt.Errorf("pki: a new issuing CA needs the root key: %w", err)
		}
		if !sameKey(d.Root, rootKey) {
			return errors.New("pki: root-ca.key does not match root-ca.pem")
		}
	}
	key, err := newKey(caCurve)
	if err != nil {
		return err
	}
	var crlDP []string
	if d.baseURL != "" {
		crlDP = []string{d.rootCRLURL()}
	}
	c, err := createCA(subject, issuingYears, key, d.Root, rootKey, crlDP, now)
	if err != nil {
		return err
	}
	if err := writeKey(d.path(issuingKeyFile), key); err != nil {
		return err
	}
	if err := writeFileAtomic(d.path(issuingCertFile), encodeCertificates(c), 0o644); err != nil {
		return err
	}
	d.Issuing = KeyPair{Cert: c, Key: key}
	return nil
}

// createCA makes a CA certificate for key, self-signed when parent is nil.
// The root may sign CAs below it; the issuing CA is limited to end entities
// (path length 0, RFC 5280 section 4.2.1.9). crlDP, for a CA below the
// root, names where the root's CRL is served (RFC 5280 section 4.2.1.13);
// a stored issuing CA without one is kept, since replacing it would
// replace its key and every certificate below it.
func createCA(subject pkix.Name, years int, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer, crlDP []string, now time.Time) (*x509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(years, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski,
		CRLDistributionPoints: crlDP,
	}
	if parent == nil {
		parent, parentKey = t, key
	} else {
		t.MaxPathLenZero = true
		if t.NotAfter.After(parent.NotAfter) {
			t.NotAfter = parent.NotAfter
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, key.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("pki: create %s: %w", subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// loadOrIssueLeaf returns the stored certificate for spec when it is still
// fit (see leafFits), and otherwise issues a new one. A stored key is reused,
// so a re-issued enterprise certificate keeps working with the key file
// someone already copied; the key is written before the certificate, so a
// crash in between leaves a key that the next start certifies.
func (d *Dev) loadOrIssueLeaf(spec leafSpec, now time.Time) (KeyPair, error) {
	certs, certErr := LoadCertificates(spec.certPath)
	if certErr != nil && !errors.Is(certErr, fs.ErrNotExist) {
		return KeyPair{}, certErr
	}
	key, keyErr := LoadSigner(spec.keyPath)
	if keyErr != nil && !errors.Is(keyErr, fs.ErrNotExist) {
		return KeyPair{}, keyErr
	}
	if certErr == nil && keyErr == nil && d.leafFits(spec, certs, key, now) {
		return KeyPair{Cert: certs[0], Chain: []*x509.Certificate{d.Issuing.Cert}, Key: key}, nil
	}
	if keyErr != nil {
		var err error
		if key, err = newKey(elliptic.P256()); err != nil {
			return KeyPair{}, err
		}
		if err := writeKey(spec.keyPath, key); err != nil {
			return KeyPair{}, err
		}
	}
	return d.storeLeaf(spec, key, now)
}

// storeLeaf issues a certificate for key and writes it followed by the
// issuing CA, so that "curl --cert" and TLS stacks send the whole chain.
func (d *Dev) storeLeaf(spec leafSpec, key crypto.Signer, now time.Time) (KeyPair, error) {
	c, err := d.issueLeaf(spec, key.Public(), now)
	if err != nil {
		return KeyPair{}, err
	}
	if err := writeFileAtomic(spec.certPath, encodeCertificates(c, d.Issuing.Cert), 0o644); err != nil {
		return KeyPair{}, err
	}
	return KeyPair{Cert: c, Chain: []*x509.Certificate{d.Issuing.Cert}, Key: key}, nil
}

func (d *Dev) sealSpec() leafSpec {
	return leafSpec{
		certPath: d.path("seal.pem"),
		keyPath:  d.path("seal.key"),
		subject:  orgName("segl TTP seal (development)", "segl TTP (development)", DevSealOrgNumber),
		years:    sealYears,
		// contentCommitment (nonRepudiation) marks a key that signs content
		// on behalf of its holder, as ETSI EN 319 412-3 expects of a seal.
		keyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
}

func (d *Dev) tsaSpec() leafSpec {
	return leafSpec{
		certPath: d.path("tsa.pem"),
		keyPath:  d.path("tsa.key"),
		subject:  devName("segl development time-stamping unit"),
		years:    d.tsaYears,
		keyUsage: x509.KeyUsageDigitalSignature,
		extra:    []pkix.Extension{criticalTimeStampingEKU()},
	}
}

func (d *Dev) ocspSpec() leafSpec {
	return leafSpec{
		certPath:    d.path("ocsp.pem"),
		keyPath:     d.path("ocsp.key"),
		subject:     devName("segl development OCSP responder"),
		years:       ocspYears,
		keyUsage:    x509.KeyUsageDigitalSignature,
		extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		extra:       []pkix.Extension{ocspNoCheck()},
	}
}

func (d *Dev) serverSpec(hosts []string) leafSpec {
	spec := leafSpec{
		certPath:    d.path("server.pem"),
		keyPath:     d.path("server.key"),
		subject:     devName("segl development TLS server"),
		years:       serverYears,
		keyUsage:    x509.KeyUsageDigitalSignature,
		extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			spec.ips = append(spec.ips, ip)
		} else {
			spec.dnsNames = append(spec.dnsNames, h)
		}
	}
	return spec
}

func (d *Dev) clientSpec(org Org) leafSpec {
	name := org.Name
	if name == "" {
		name = org.Number
	}
	certPath, keyPath := d.ClientCertPaths(org.Number)
	return leafSpec{
		certPath:    certPath,
		keyPath:     keyPath,
		subject:     orgName(name, name, org.Number),
		years:       clientYears,
		keyUsage:    x509.KeyUsageDigitalSignature,
		extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// ClientCertPaths returns the paths of an organisation's enterprise
// certificate (leaf then issuing CA) and PKCS#8 key: DIR/pki/clients/ORGNR.pem
// and DIR/pki/clients/ORGNR.key.
func (d *Dev) ClientCertPaths(orgnr string) (certPEM, keyPEM string) {
	base := filepath.Join(d.Dir, clientsDir, orgnr)
	return base + ".pem", base + ".key"
}

// IssueClient issues an enterprise certificate with a new key for org at now
// and stores it under DIR/pki/clients, replacing any earlier one. Tests use
// it to make certificates for organisations segl does not know.
func (d *Dev) IssueClient(org Org, now time.Time) (KeyPair, error) {
	if !nineDigits(org.Number) {
		return KeyPair{}, fmt.Errorf("pki: organisation number %q is not nine digits", org.Number)
	}
	if now.IsZero() {
		now = time.Now()
	}
	unlock, err := lockDir(d.Dir)
	if err != nil {
		return KeyPair{}, err
	}
	defer unlock()
	spec := d.clientSpec(org)
	key, err := newKey(elliptic.P256())
	if err != nil {
		return KeyPair{}, err
	}
	if err := writeKey(spec.keyPath, key); err != nil {
		return KeyPair{}, err
	}
	return d.storeLeaf(spec, key, now)
}

// Client loads the stored enterprise certificate and key of an organisation.
func (d *Dev) Client(orgnr string) (KeyPair, error) {
	if !nineDigits(orgnr) {
		return KeyPair{}, fmt.Errorf("pki: organisation number %q is not nine digits", orgnr)
	}
	certPath, keyPath := d.ClientCertPaths(orgnr)
	certs, err := LoadCertificates(certPath)
	if err != nil {
		return KeyPair{}, err
	}
	key, err := LoadSigner(keyPath)
	if err != nil {
		return KeyPair{}, err
	}
	if !sameKey(certs[0], key) {
		return KeyPair{}, fmt.Errorf("pki: %s does not match %s", keyPath, certPath)
	}
	return KeyPair{Cert: certs[0], Chain: certs[1:], Key: key}, nil
}

// Roots returns a pool holding only the development root, the trust anchor
// for everything segl makes in development (mutual TLS ClientCAs, validation).
func (d *Dev) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(d.Root)
	return pool
}

// IssuingCAHandler serves the issuing CA certificate in DER, the caIssuers
// target (RFC 5280 section 4.2.2.1) written into every certificate it issues
// when Options.BaseURL is set.
func (d *Dev) IssuingCAHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-cert")
		_, _ = w.Write(d.Issuing.Cert.Raw)
	})
}
