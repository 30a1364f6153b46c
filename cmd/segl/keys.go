package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/hsm"
	"github.com/segl/segl/internal/pki"
)

const keysUsage = `usage: segl keys <command> [flags]

commands:
  init [--data DIR] [--base-url URL] [--hosts H1,H2] [--orgs-from FILE]
        create (or load) the development PKI under DIR/pki and print its files
  show [--data DIR]
        describe every certificate of the development PKI under DIR/pki
  csr --key-out KEY.pem --csr-out REQ.pem --cn NAME --org NAME --orgnr NUMBER [--key-type TYPE]
        generate a key (default ec-p256) and a PKCS#10 request for a production certificate
  csr --key-label LABEL [--existing] --pkcs11-module LIB --pkcs11-token TOKEN --pkcs11-pin-file FILE
      --csr-out REQ.pem --cn NAME --org NAME --orgnr NUMBER [--key-type TYPE]
        the same with the key generated inside an HSM token, where it stays
        (--existing: a request for the key already there, to renew its certificate)
  certify --data DIR --role seal|tsa|ocsp --csr REQ.pem --out CHAIN.pem
        certify a request with the development issuing CA, for trying HSM keys in --dev

--data defaults to $SEGL_DATA, else segl-data, as for segl serve and segl audit verify.

key types: ec-p256, ec-p384, rsa-3072, rsa-4096
`

// runKeys implements "segl keys": creating and inspecting the development
// PKI, and preparing keys and certificate requests for production.
func runKeys(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return errors.New("keys: missing command")
	}
	switch args[0] {
	case "init":
		return keysInit(args[1:], stdout, stderr)
	case "show":
		return keysShow(args[1:], stdout, stderr)
	case "csr":
		return keysCSR(args[1:], stdout, stderr)
	case "certify":
		return keysCertify(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, keysUsage)
		return nil
	default:
		fmt.Fprint(stderr, keysUsage)
		return fmt.Errorf("keys: unknown command %q", args[0])
	}
}

func keysFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("segl keys "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func keysInit(args []string, stdout, stderr io.Writer) error {
	fs := keysFlags("init", stderr)
	dataDir := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory; the PKI goes to DIR/pki")
	baseURL := fs.String("base-url", "", "public base URL of the server, written into certificates as OCSP, CA issuers and CRL locations")
	hosts := fs.String("hosts", "", "comma-separated DNS names and IP addresses of the TLS server certificate (default localhost,127.0.0.1,::1)")
	orgsFrom := fs.String("orgs-from", "", `JSON file {"organisations":[{"orgnr":"…","name":"…"}]} whose organisations get enterprise certificates`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("keys init: takes no arguments")
	}
	opts := pki.Options{BaseURL: *baseURL}
	if *hosts != "" {
		for _, h := range strings.Split(*hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				opts.Hosts = append(opts.Hosts, h)
			}
		}
	}
	if *orgsFrom != "" {
		orgs, err := readOrgs(*orgsFrom)
		if err != nil {
			return err
		}
		opts.Orgs = orgs
	}
	dev, err := pki.LoadOrCreateDev(*dataDir, opts)
	if err != nil {
		return fmt.Errorf("keys init: %w", err)
	}
	fmt.Fprintf(stdout, "development PKI in %s\n", dev.Dir)
	for _, f := range []struct{ what, name string }{
		{"trust anchor", "root-ca.pem"},
		{"issuing CA", "issuing-ca.pem"},
		{"seal", "seal.pem"},
		{"time-stamping unit", "tsa.pem"},
		{"OCSP responder", "ocsp.pem"},
		{"TLS server", "server.pem"},
	} {
		fmt.Fprintf(stdout, "  %-20s %s\n", f.what, filepath.Join(dev.Dir, f.name))
	}
	for _, org := range opts.Orgs {
		certPath, keyPath := dev.ClientCertPaths(org.Number)
		fmt.Fprintf(stdout, "  %-20s %s %s (%s)\n", "client "+org.Number, certPath, keyPath, org.Name)
	}
	return nil
}

// readOrgs reads the organisations of a file shaped like the synthetic
// population (other members are ignored).
func readOrgs(path string) ([]pki.Org, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	var doc struct {
		Organisations []struct {
			OrgNr string `json:"orgnr"`
			Name  string `json:"name"`
		} `json:"organisations"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	orgs := make([]pki.Org, 0, len(doc.Organisations))
	for _, o := range doc.Organisations {
		orgs = append(orgs, pki.Org{Number: o.OrgNr, Name: o.Name})
	}
	return orgs, nil
}

func keysShow(args []string, stdout, stderr io.Writer) error {
	fs := keysFlags("show", stderr)
	dataDir := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory holding DIR/pki")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("keys show: takes no arguments")
	}
	dir := filepath.Join(*dataDir, "pki")
	files := []string{"root-ca.pem", "issuing-ca.pem", "seal.pem", "tsa.pem", "ocsp.pem", "server.pem"}
	clients, err := filepath.Glob(filepath.Join(dir, "clients", "*.pem"))
	if err != nil {
		return fmt.Errorf("keys show: %w", err)
	}
	for _, c := range clients {
		rel, _ := filepath.Rel(dir, c)
		files = append(files, rel)
	}
	shown := 0
	for _, name := range files {
		certs, err := pki.LoadCertificates(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("keys show: %w", err)
		}
		c := certs[0]
		fmt.Fprintf(stdout, "%s\n", filepath.Join(dir, name))
		fmt.Fprintf(stdout, "  subject:  %s\n", readableName(c.Subject))
		fmt.Fprintf(stdout, "  issuer:   %s\n", readableName(c.Issuer))
		fmt.Fprintf(stdout, "  serial:   %x\n", c.SerialNumber)
		fmt.Fprintf(stdout, "  valid:    %s to %s\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
		fmt.Fprintf(stdout, "  key:      %s\n", keyType(c))
		if orgnr, err := pki.OrgNumber(c); err == nil {
			fmt.Fprintf(stdout, "  orgnr:    %s\n", orgnr)
		}
		shown++
	}
	if shown == 0 {
		return fmt.Errorf("keys show: no certificates in %s (run segl keys init)", dir)
	}
	return nil
}

// readableName prints a distinguished name in certificate order with short
// attribute names, including organizationIdentifier, which pkix.Name.String
// would show only as a hex dump.
func readableName(n pkix.Name) string {
	short := map[string]string{
		"2.5.4.3": "CN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
		"2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.97": "organizationIdentifier",
	}
	parts := make([]string, 0, len(n.Names))
	for _, atv := range n.Names {
		typ, ok := short[atv.Type.String()]
		if !ok {
			typ = atv.Type.String()
		}
		parts = append(parts, fmt.Sprintf("%s=%v", typ, atv.Value))
	}
	return strings.Join(parts, ", ")
}

func keyType(c *x509.Certificate) string { return keyAlgorithm(c.PublicKey) }

func keysCSR(args []string, stdout, stderr io.Writer) error {
	fs := keysFlags("csr", stderr)
	keyOut := fs.String("key-out", "", "where to write the new private key (PKCS#8 PEM, mode 0600); must not exist")
	keyLabel := fs.String("key-label", "", "generate the key in the HSM token under this label instead (see --pkcs11-*)")
	existing := fs.Bool("existing", false, "with --key-label: use the key already in the token")
	keyType := fs.String("key-type", string(hsm.ECP256), "key algorithm and size: ec-p256, ec-p384, rsa-3072 or rsa-4096")
	module := fs.String("pkcs11-module", os.Getenv(config.EnvName("pkcs11-module")), "PKCS#11 library of the HSM")
	token := fs.String("pkcs11-token", os.Getenv(config.EnvName("pkcs11-token")), "label of the HSM token")
	pinFile := fs.String("pkcs11-pin-file", os.Getenv(config.EnvName("pkcs11-pin-file")), "file holding the token's user PIN")
	csrOut := fs.String("csr-out", "", "where to write the certificate request (PEM)")
	cn := fs.String("cn", "", "subject common name")
	org := fs.String("org", "", "subject organisation name")
	orgnr := fs.String("orgnr", "", "organisation number, written as organizationIdentifier NTRNO-<orgnr>")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*keyOut == "") == (*keyLabel == "") || *csrOut == "" || *cn == "" || *org == "" || *orgnr == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("keys csr: one of --key-out and --key-label, and --csr-out, --cn, --org and --orgnr are required")
	}
	if *existing && *keyLabel == "" {
		return errors.New("keys csr: --existing goes with --key-label")
	}
	if *keyLabel != "" {
		return keysCSRInToken(hsm.Config{Module: *module, Token: *token, PINFile: *pinFile}, *keyLabel, hsm.KeyType(*keyType), *existing,
			*csrOut, *cn, *org, *orgnr, stdout)
	}
	key, err := generateFileKey(hsm.KeyType(*keyType))
	if err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	req, err := pki.CreateCSR(key, *cn, *org, *orgnr)
	if err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	if err := createNew(*keyOut, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	if err := createNew(*csrOut, req, 0o644); err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	fmt.Fprintf(stdout, "key:     %s\nrequest: %s\n", *keyOut, *csrOut)
	return nil
}

// generateFileKey makes a key of the types the HSM offers, in memory, for a
// PEM file.
func generateFileKey(typ hsm.KeyType) (crypto.Signer, error) {
	switch typ {
	case hsm.ECP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case hsm.ECP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case hsm.RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case hsm.RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	}
	return nil, fmt.Errorf("key type %q is not one of %v", typ, hsm.KeyTypes)
}

// keysCSRInToken generates the key inside the token (or, for a renewal,
// finds the one there) and writes a request signed by it; the private key
// never leaves the token. A key whose request cannot be written stays in the
// token under its label, and a second run with --existing writes it.
func keysCSRInToken(cfg hsm.Config, label string, typ hsm.KeyType, existing bool, csrOut, cn, org, orgnr string, stdout io.Writer) error {
	tok, err := hsm.Open(cfg)
	if err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	defer tok.Close()
	var key crypto.Signer
	if existing {
		key, err = tok.Signer(label)
	} else {
		key, err = tok.Generate(label, typ)
	}
	if err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	req, err := pki.CreateCSR(key, cn, org, orgnr)
	if err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	if err := createNew(csrOut, req, 0o644); err != nil {
		return fmt.Errorf("keys csr: %w", err)
	}
	fmt.Fprintf(stdout, "key:     %q in token %q (%s)\nrequest: %s\n", label, cfg.Token, keyAlgorithm(key.Public()), csrOut)
	return nil
}

// keyAlgorithm names a public key's algorithm and size for people.
func keyAlgorithm(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

func keysCertify(args []string, stdout, stderr io.Writer) error {
	fs := keysFlags("certify", stderr)
	dataDir := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory holding the development PKI (DIR/pki)")
	role := fs.String("role", "", "what the key is for: seal, tsa or ocsp")
	csrIn := fs.String("csr", "", "the certificate request (PEM)")
	out := fs.String("out", "", "where to write the certificate and the issuing CA (PEM); must not exist")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *role == "" || *csrIn == "" || *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("keys certify: --role, --csr and --out are required")
	}
	req, err := os.ReadFile(*csrIn)
	if err != nil {
		return fmt.Errorf("keys certify: %w", err)
	}
	dev, err := pki.LoadOrCreateDev(*dataDir, pki.Options{})
	if err != nil {
		return fmt.Errorf("keys certify: %w", err)
	}
	chain, err := dev.CertifyRequest(*role, req, time.Time{})
	if err != nil {
		return fmt.Errorf("keys certify: %w", err)
	}
	if err := createNew(*out, chain, 0o644); err != nil {
		return fmt.Errorf("keys certify: %w", err)
	}
	fmt.Fprintf(stdout, "certificate: %s (%s, issued by %s)\n", *out, *role, filepath.Join(dev.Dir, "issuing-ca.pem"))
	return nil
}

// createNew writes data to path only if path does not exist yet: a production
// key must never be overwritten by accident. The data goes to a temporary
// file first and is linked into place, so the file appears whole or not at all.
func createNew(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists", path)
		}
		return err
	}
	return nil
}
