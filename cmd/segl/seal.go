package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
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
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/validate"
	"github.com/segl/segl/internal/xades"
)

// runSeal applies an organisation seal to a PDF with no server running:
// the development PKI of --data (created if missing) and an in-process
// time-stamping authority, or a key, certificate and TSA given explicitly.
func runSeal(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("segl seal", flag.ContinueOnError)
	data := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory with the development PKI")
	in := fs.String("in", "", "PDF to seal")
	out := fs.String("out", "", "where to write the sealed PDF")
	level := fs.String("level", "B-LTA", "PAdES level: B-B, B-T, B-LT or B-LTA")
	keyFile := fs.String("key", "", "seal private key (PEM); default: the development seal")
	keyLabel := fs.String("key-label", "", "the seal's key in an HSM token instead of --key (see --pkcs11-*)")
	module := fs.String("pkcs11-module", os.Getenv(config.EnvName("pkcs11-module")), "PKCS#11 library of the HSM")
	token := fs.String("pkcs11-token", os.Getenv(config.EnvName("pkcs11-token")), "label of the HSM token")
	pinFile := fs.String("pkcs11-pin-file", os.Getenv(config.EnvName("pkcs11-pin-file")), "file holding the token's user PIN")
	certFile := fs.String("cert", "", "seal certificate chain (PEM, leaf first)")
	tsaURL := fs.String("tsa-url", "", "RFC 3161 time-stamping authority; default: the in-process development TSA")
	ocspURL := fs.String("ocsp-url", "", "OCSP responder to ask instead of the one named in the certificates")
	crlURL := fs.String("crl-url", "", "CRL to fetch for a CA certificate that names no distribution point")
	trust := fs.String("trust", "", "PEM trust anchors for the TSA's certificate and for HTTPS to the TSA and OCSP responders")
	reason := fs.String("reason", "", "reason shown in PDF viewers")
	location := fs.String("location", "", "location shown in PDF viewers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return errors.New("seal: --in and --out are required")
	}
	lvl, err := pades.ParseLevel(*level)
	if err != nil {
		return err
	}
	if *keyFile != "" && *keyLabel != "" {
		return errors.New("seal: --key and --key-label exclude each other")
	}
	var key crypto.Signer
	if *keyLabel != "" {
		tok, err := hsm.Open(hsm.Config{Module: *module, Token: *token, PINFile: *pinFile})
		if err != nil {
			return fmt.Errorf("seal: %w", err)
		}
		defer tok.Close()
		if key, err = tok.Signer(*keyLabel); err != nil {
			return fmt.Errorf("seal: %w", err)
		}
	} else if *keyFile != "" {
		if key, err = pki.LoadSigner(*keyFile); err != nil {
			return err
		}
	}
	sealer, err := newSealer(*data, key, *certFile, *tsaURL, *ocspURL, *crlURL, *trust)
	if err != nil {
		return err
	}
	src, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".segl-seal-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	sealer.TempDir = filepath.Dir(*out)
	err = sealer.Seal(context.Background(), tmp, src, st.Size(), pades.Options{Level: lvl,
		Name: sealer.Cert.Subject.CommonName, Reason: *reason, Location: *location})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sealed %s → %s (PAdES %s, %s)\n", *in, *out, lvl, sealer.Cert.Subject.CommonName)
	return nil
}

// newSealer uses the given key (from a file or an HSM) and certificate, or
// the development seal.
func newSealer(data string, key crypto.Signer, certFile, tsaURL, ocspURL, crlURL, trust string) (*pades.Sealer, error) {
	s := &pades.Sealer{}
	var roots *x509.CertPool
	if trust != "" {
		var err error
		if roots, err = pki.LoadPool(trust); err != nil {
			return nil, err
		}
		// The anchors close the paths, so that long-term validation data
		// covers every CA below them.
		if s.Anchors, err = pki.LoadCertificates(trust); err != nil {
			return nil, err
		}
	}
	httpClient := pki.TrustingClient(roots)
	if key != nil || certFile != "" {
		if key == nil {
			return nil, errors.New("seal: --cert needs --key or --key-label")
		}
		kp, err := pki.LoadKeyPair(key, certFile)
		if err != nil {
			return nil, err
		}
		s.Key, s.Cert, s.Chain, s.OCSP = kp.Key, kp.Cert, kp.Chain, pki.HTTPOCSP{Client: httpClient, Responder: ocspURL, CRLURL: crlURL}
	} else {
		dev, err := pki.LoadOrCreateDev(data, pki.Options{})
		if err != nil {
			return nil, err
		}
		rev, err := pki.OpenRevocations(dev.Dir)
		if err != nil {
			return nil, err
		}
		s.Key, s.Cert, s.Chain, s.Anchors = dev.Seal.Key, dev.Seal.Cert, dev.Seal.Chain, []*x509.Certificate{dev.Root}
		s.OCSP = pki.DevOCSP{Dev: dev, Revoked: rev, Now: time.Now}
		if roots == nil {
			roots = dev.Roots()
		}
		if tsaURL == "" {
			tsa, err := tsp.NewAuthority(dev.TSA.Key, dev.TSA.Cert, dev.TSA.Chain)
			if err != nil {
				return nil, err
			}
			s.TSA = tsa
		}
	}
	if tsaURL != "" {
		if roots == nil {
			return nil, errors.New("seal: --tsa-url needs --trust (or the development PKI) to check the TSA's certificate")
		}
		s.TSA = &tsp.Client{URL: tsaURL, Roots: roots, HTTP: httpClient}
	}
	return s, nil
}

// runValidate validates signed files (PAdES PDFs, XAdES evidence) and prints a report per file; it
// fails when any signature does not pass.
func runValidate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("segl validate", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	at := fs.String("at", "", "validate as of this time (RFC 3339), e.g. ten years ahead")
	data := fs.String("data", envOr("SEGL_DATA", "segl-data"), "trust the development root of this data directory, if present")
	trust := fs.String("trust", "", "PEM file of further trust anchors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("validate: name at least one file")
	}
	roots, anchors, err := trustAnchors(*data, *trust)
	if err != nil {
		return err
	}
	opts := validate.Options{Roots: roots}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("validate: --at: %w", err)
		}
		opts.At = t
	}
	if anchors == 0 {
		fmt.Fprintln(os.Stderr, "validate: no trust anchors (give --data or --trust): nothing can pass")
	}
	allPassed := true
	var reports []fileReport
	for _, name := range fs.Args() {
		rep, err := validateFile(name, opts)
		if err != nil {
			return err
		}
		allPassed = allPassed && rep.Passed()
		reports = append(reports, fileReport{File: name, Report: rep})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	} else {
		for _, r := range reports {
			printReport(stdout, r)
		}
	}
	if !allPassed {
		return errors.New("validate: not every signature passed")
	}
	return nil
}

type fileReport struct {
	File string `json:"file"`
	*validate.Report
}

func validateFile(name string, opts validate.Options) (*validate.Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, 1024)
	n, _ := f.ReadAt(head, 0)
	head = bytes.TrimSpace(head[:n])
	if !bytes.Contains(head, []byte("%PDF-")) && bytes.HasPrefix(head, []byte("<")) {
		// An evidence file: XAdES is small enough to read whole (bounded).
		if st.Size() > xades.MaxSize {
			return nil, fmt.Errorf("validate: %s: larger than %d bytes", name, xades.MaxSize)
		}
		data, err := io.ReadAll(f)
		if err != nil {
			return nil, err
		}
		return validate.XAdES(data, opts), nil
	}
	rep, err := validate.PDF(f, st.Size(), opts)
	if err != nil {
		return &validate.Report{ValidationTime: opts.At, Indication: validate.TotalFailed,
			Warnings: []string{err.Error()}}, nil
	}
	return rep, nil
}

func printReport(w io.Writer, r fileReport) {
	fmt.Fprintf(w, "%s: %s (validated at %s)\n", r.File, r.Indication, r.ValidationTime.UTC().Format(time.RFC3339))
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
	for i, s := range r.Signatures {
		res := string(s.Result.Indication)
		if s.Result.SubIndication != "" {
			res += "/" + string(s.Result.SubIndication)
		}
		fmt.Fprintf(w, "  %d. %s %q (revision %d, %s): %s\n", i+1, s.Kind, s.Field, s.Revision, s.SubFilter, res)
		if s.Result.Detail != "" {
			fmt.Fprintf(w, "     why: %s\n", s.Result.Detail)
		}
		if s.Signer != nil {
			fmt.Fprintf(w, "     by: %s\n", s.Signer.Subject)
		}
		if s.ClaimedSigningTime != nil {
			fmt.Fprintf(w, "     claimed time: %s\n", s.ClaimedSigningTime.UTC().Format(time.RFC3339))
		}
		if s.BestSignatureTime != nil {
			fmt.Fprintf(w, "     existed by: %s\n", s.BestSignatureTime.UTC().Format(time.RFC3339))
		}
		for _, ts := range s.TimeStamps {
			fmt.Fprintf(w, "     time-stamp %s by %s: %s\n", ts.GenTime.UTC().Format(time.RFC3339), ts.TSA.Subject, ts.Result.Indication)
		}
		fmt.Fprintf(w, "     covers whole document: %v\n", s.CoversWholeDocument)
		if len(s.LaterChanges) > 0 {
			fmt.Fprintf(w, "     later revisions: %s\n", strings.Join(s.LaterChanges, "; "))
		}
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "     warning: %s\n", warn)
		}
	}
}
