package renewal_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/renewal"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/validate"
)

// tsaYears is the life of every TSA certificate in the simulation: short,
// so that thirty years need about thirty renewals, each with a TSA
// certificate issued at its own time.
const tsaYears = 2

// generation is a development PKI created at some point of the simulated
// decades: what a TSA of that time would run on. Each renewal uses a new
// one, as a real archive outlives its TSAs' certificates and CAs.
type generation struct {
	dir string
	dev *pki.Dev
	tsa *tsp.Authority
	// responder is the PKI as reloaded for answering, and when.
	responder pki.DevOCSP
	loadedAt  time.Time
}

// world is the simulated time and every generation so far.
type world struct {
	mu    sync.Mutex // guards the generations' responders
	t     testing.TB
	clk   *clock.Fake
	gens  []*generation
	roots *x509.CertPool
}

func (w *world) newGeneration() *generation {
	w.t.Helper()
	dir := w.t.TempDir()
	dev, err := pki.LoadOrCreateDev(dir, pki.Options{Now: w.clk.Now(), TSAYears: tsaYears})
	if err != nil {
		w.t.Fatal(err)
	}
	tsa, err := tsp.NewAuthority(dev.TSA.Key, dev.TSA.Cert, dev.TSA.Chain)
	if err != nil {
		w.t.Fatal(err)
	}
	tsa.Clock = tsp.Synced(w.clk)
	g := &generation{dir: dir, dev: dev, tsa: tsa}
	w.gens = append(w.gens, g)
	w.roots.AddCert(dev.Root)
	return g
}

// source is the revocation source of the generation whose CA issued a
// certificate, as of the simulated now: the development PKI reloaded then
// (at most 30 days before), which re-issues its responder certificate (it
// lives a year) as a development server does at start. Like real responders (RFC 6960
// §4.4.4) it no longer answers for expired certificates.
func (w *world) source(cert, issuer *x509.Certificate) (pki.DevOCSP, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.clk.Now().After(cert.NotAfter) {
		return pki.DevOCSP{}, fmt.Errorf("responder: %q expired on %s", cert.Subject.CommonName, cert.NotAfter)
	}
	for _, g := range w.gens {
		if !bytes.Equal(g.dev.Issuing.Cert.Raw, issuer.Raw) && !bytes.Equal(g.dev.Root.Raw, issuer.Raw) {
			continue
		}
		if g.responder.Dev != nil && w.clk.Now().Sub(g.loadedAt) < 30*24*time.Hour {
			return g.responder, nil
		}
		dev, err := pki.LoadOrCreateDev(g.dir, pki.Options{Now: w.clk.Now(), TSAYears: tsaYears})
		if err != nil {
			return pki.DevOCSP{}, err
		}
		rev, err := pki.OpenRevocations(dev.Dir)
		if err != nil {
			return pki.DevOCSP{}, err
		}
		g.responder, g.loadedAt = pki.DevOCSP{Dev: dev, Revoked: rev, Now: w.clk.Now}, w.clk.Now()
		return g.responder, nil
	}
	return pki.DevOCSP{}, fmt.Errorf("no generation issued %q", cert.Subject.CommonName)
}

func (w *world) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	src, err := w.source(cert, issuer)
	if err != nil {
		return nil, err
	}
	return src.OCSP(ctx, cert, issuer)
}

func (w *world) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	src, err := w.source(cert, issuer)
	if err != nil {
		return nil, err
	}
	return src.CRL(ctx, cert, issuer)
}

func (w *world) validate(doc []byte, at time.Time) *validate.Report {
	w.t.Helper()
	rep, err := validate.PDF(bytes.NewReader(doc), int64(len(doc)), validate.Options{Roots: w.roots, At: at})
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

// TestThirtyYearsOfRenewals drives a clock through thirty years of an
// archived, sealed PDF (MISSION L2, issue 12): at every renewal's time and
// at the end the file validates TOTAL_PASSED; at the end openssl ts -verify
// -attime accepts a sample of its document time-stamps at their own times,
// pdfsig reads every signature and qpdf --check is clean. The file as
// first sealed is INDETERMINATE at the end.
func TestThirtyYearsOfRenewals(t *testing.T) {
	if testing.Short() {
		t.Skip("thirty simulated years")
	}
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := &world{t: t, clk: clock.NewFake(t0), roots: x509.NewCertPool()}
	g0 := w.newGeneration()
	sealer := &pades.Sealer{Key: g0.dev.Seal.Key, Cert: g0.dev.Seal.Cert, Chain: g0.dev.Seal.Chain,
		Anchors: []*x509.Certificate{g0.dev.Root}, TSA: g0.tsa, OCSP: w, Now: w.clk.Now, TempDir: t.TempDir()}
	src := testdocs.PDF("Arkivavtale", 5_000)
	var out bytes.Buffer
	err := sealer.Seal(context.Background(), &out, bytes.NewReader(src), int64(len(src)),
		pades.Options{Level: pades.BLTA, Name: "segl TTP seal (development)", Reason: "archive"})
	if err != nil {
		t.Fatal(err)
	}
	original := bytes.Clone(out.Bytes())
	doc := original

	end := t0.AddDate(30, 0, 0)
	policy := renewal.Policy{}
	renewals := 0
	for {
		s, err := policy.Next(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			t.Fatal(err)
		}
		if s.Due.After(end) {
			break
		}
		// The scheduler runs the renewal once it is due.
		w.clk.Set(s.Due.Add(time.Hour))
		g := w.newGeneration()
		// The sealer knows the trust anchor of the TSA it uses (pki-trust).
		sealer.TSA, sealer.Anchors = g.tsa, append(sealer.Anchors, g.dev.Root)
		var next bytes.Buffer
		if err := sealer.Extend(context.Background(), &next, bytes.NewReader(doc), int64(len(doc)), true); err != nil {
			t.Fatalf("renewal %d at %s: %v", renewals+1, w.clk.Now(), err)
		}
		doc = next.Bytes()
		renewals++
		if rep := w.validate(doc, w.clk.Now()); rep.Indication != validate.TotalPassed {
			t.Fatalf("after renewal %d at %s: %s\n%+v", renewals, w.clk.Now(), rep.Indication, rep)
		}
	}
	if renewals < 25 {
		t.Fatalf("%d renewals in thirty years of %d-year TSA certificates", renewals, tsaYears)
	}
	if rep := w.validate(doc, end); rep.Indication != validate.TotalPassed {
		t.Fatalf("renewed file at %s: %s\n%+v", end, rep.Indication, rep)
	}
	if rep := w.validate(original, end); rep.Indication != validate.Indeterminate {
		t.Fatalf("the file without renewals at %s: %s, want INDETERMINATE", end, rep.Indication)
	}
	t.Logf("%d renewals; %d bytes at the end (%d as sealed)", renewals, len(doc), len(original))

	dir := t.TempDir()
	file := filepath.Join(dir, "archived.pdf")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	checkQPDF(t, file)
	checkPDFSig(t, file, renewals+2) // the seal, the first document time-stamp, one per renewal
	checkOpenSSL(t, w, doc, dir)
}

func checkQPDF(t *testing.T, file string) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		testtool.Missing(t, "qpdf not installed (Debian package qpdf)")
		return
	}
	out, err := exec.Command("qpdf", "--check", file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No syntax or stream encoding errors found") {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
}

// checkPDFSig: poppler reads every signature, and verifies the seal's CMS
// (it lists document time-stamps without checking them, and trust in the
// simulated roots is not asked: they are not in an NSS database).
func checkPDFSig(t *testing.T, file string, want int) {
	if _, err := exec.LookPath("pdfsig"); err != nil {
		testtool.Missing(t, "pdfsig not installed (Debian package poppler-utils)")
		return
	}
	out, _ := exec.Command("pdfsig", file).CombinedOutput()
	text := string(out)
	if got := strings.Count(text, "Signature Field Name:"); got != want ||
		strings.Count(text, "Signature Validation: Signature is Valid.") != 1 ||
		strings.Contains(text, "Invalid") || strings.Contains(text, "Mismatch") {
		t.Fatalf("pdfsig read %d signatures, want %d with the seal valid:\n%s", got, want, out)
	}
}

// checkOpenSSL verifies a sample of the document time-stamps (the first,
// two in the middle, the last) with openssl ts -verify at their own
// genTime, over the bytes each covers.
func checkOpenSSL(t *testing.T, w *world, doc []byte, dir string) {
	if _, err := exec.LookPath("openssl"); err != nil {
		testtool.Missing(t, "openssl not installed (Debian package openssl)")
		return
	}
	r, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	infos, err := r.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	var stamps []pdf.SignatureInfo
	for _, info := range infos {
		if info.SubFilter == pdf.SubFilterRFC3161 {
			stamps = append(stamps, info)
		}
	}
	var roots bytes.Buffer
	for _, g := range w.gens {
		pem.Encode(&roots, &pem.Block{Type: "CERTIFICATE", Bytes: g.dev.Root.Raw})
	}
	rootFile := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(rootFile, roots.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	n := len(stamps)
	for _, i := range []int{0, n / 3, 2 * n / 3, n - 1} {
		st := stamps[i]
		var covered []byte
		for k := 0; k+1 < len(st.ByteRange); k += 2 {
			covered = append(covered, doc[st.ByteRange[k]:st.ByteRange[k]+st.ByteRange[k+1]]...)
		}
		info, err := tsp.Parse(st.DER)
		if err != nil {
			t.Fatal(err)
		}
		var chain bytes.Buffer
		for _, c := range append([]*x509.Certificate{info.Certificate}, info.Chain...) {
			pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
		base := filepath.Join(dir, "ts"+strconv.Itoa(i))
		for name, b := range map[string][]byte{".data": covered, ".tst": st.DER, ".chain.pem": chain.Bytes()} {
			if err := os.WriteFile(base+name, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		attime := strconv.FormatInt(info.GenTime.Unix(), 10)
		out, err := exec.Command("openssl", "ts", "-verify", "-data", base+".data", "-in", base+".tst", "-token_in",
			"-CAfile", rootFile, "-untrusted", base+".chain.pem", "-attime", attime).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verification: OK") {
			t.Fatalf("openssl ts -verify -attime %s (%s) of document time-stamp %d/%d: %v\n%s",
				attime, info.GenTime, i+1, n, err, out)
		}
		// And at the end of the thirty years the same token's certificate
		// has long expired: openssl alone (no later time-stamp) refuses it.
		if i == 0 {
			late := strconv.FormatInt(w.clk.Now().Unix(), 10)
			out, err := exec.Command("openssl", "ts", "-verify", "-data", base+".data", "-in", base+".tst", "-token_in",
				"-CAfile", rootFile, "-untrusted", base+".chain.pem", "-attime", late).CombinedOutput()
			if err == nil {
				t.Fatalf("openssl accepted the first time-stamp thirty years on:\n%s", out)
			}
		}
	}
}
