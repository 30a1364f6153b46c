package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segl/segl/internal/blob/fs"
	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
	"github.com/segl/segl/internal/validate"
	"github.com/segl/segl/internal/xades"
)

// One development PKI for the package: the TTP seal, TSA and OCSP
// responder of internal/pki, an NSS database trusting its root for pdfsig,
// and a signing certificate for Kari Nordmann (advanced signatures) from
// its issuing CA.
var (
	envOnce sync.Once
	envVal  *testEnv
	envErr  error
	envDir  string
)

type testEnv struct {
	dev    *pki.Dev
	nssdir string
	kari   pki.KeyPair
}

func TestMain(m *testing.M) {
	code := m.Run()
	if envDir != "" {
		os.RemoveAll(envDir)
	}
	os.Exit(code)
}

func setup(t testing.TB) *testEnv {
	t.Helper()
	envOnce.Do(func() {
		if envDir, envErr = os.MkdirTemp("", "segl-signing-"); envErr != nil {
			return
		}
		var dev *pki.Dev
		if dev, envErr = pki.LoadOrCreateDev(envDir, pki.Options{}); envErr != nil {
			return
		}
		env := &testEnv{dev: dev}
		if env.kari, envErr = issueSigner(dev, "Kari Nordmann"); envErr != nil {
			return
		}
		if _, err := exec.LookPath("certutil"); err == nil {
			env.nssdir = filepath.Join(envDir, "nss")
			os.Mkdir(env.nssdir, 0o700)
			for _, args := range [][]string{{"-N", "-d", env.nssdir, "--empty-password"},
				{"-A", "-d", env.nssdir, "-n", "segl-dev-root", "-t", "C,C,C", "-i", filepath.Join(dev.Dir, "root-ca.pem")}} {
				if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
					envErr = fmt.Errorf("certutil %v: %v\n%s", args, err, out)
					return
				}
			}
		}
		envVal = env
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	return envVal
}

// issueSigner makes a person's signing certificate (digitalSignature and
// nonRepudiation, as EN 319 412-2 expects of a signature key) from the
// development issuing CA, standing in for the test eID CA of DESIGN.md §4.
func issueSigner(dev *pki.Dev, name string) (pki.KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return pki.KeyPair{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return pki.KeyPair{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Country: []string{"NO"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, dev.Issuing.Cert, key.Public(), dev.Issuing.Key)
	if err != nil {
		return pki.KeyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return pki.KeyPair{}, err
	}
	return pki.KeyPair{Cert: cert, Chain: []*x509.Certificate{dev.Issuing.Cert}, Key: key}, nil
}

var oslo = time.FixedZone("CET", 3600)

func (env *testEnv) engine(t testing.TB, opts ...func(*Config)) *Engine {
	t.Helper()
	d := env.dev
	rev, err := pki.OpenRevocations(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := tsp.NewAuthority(d.TSA.Key, d.TSA.Cert, d.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := fs.Open(t.TempDir(), fs.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Seal: d.Seal, Anchors: []*x509.Certificate{d.Root},
		TSA: tsa, OCSP: pki.DevOCSP{Dev: d, Revoked: rev, Now: time.Now},
		Keys:     env.keys,
		Blobs:    blobs,
		Location: oslo,
		TempDir:  t.TempDir(),
		// The development PKI lives in real time: its certificates and
		// revocation data are checked against the engine's clock.
		Clock: clock.NewFake(time.Now()),
	}
	for _, o := range opts {
		o(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// keys is the remote signing service of the tests: Kari Nordmann's key
// for her ID token.
func (env *testEnv) keys(ctx context.Context, idToken string, n int) (*pki.KeyPair, error) {
	if idToken != kari.IDToken {
		return nil, errs.E(errs.NotFound, "no-key", "no key for this person")
	}
	return &env.kari, nil
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testtool.Missing(t, "%s not installed", tool)
		}
	}
}

// idToken is an unsigned stand-in for an ID-porten ID token: what matters
// here is that its claims carry the identity number.
func idToken(pid string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"test"}`)) + "." +
		enc([]byte(`{"sub":"x","pid":"`+pid+`","acr":"idporten-loa-high"}`)) + "." + enc([]byte("signature"))
}

var (
	ola = xades.SignerFacts{Name: "Ola Nordmann", PID: "21909825250", BirthDate: "1998-10-21", EIDMethod: "BankID",
		LevelOfAssurance: "high", AuthTime: time.Date(2026, 3, 5, 10, 1, 0, 0, time.UTC), IDToken: idToken("21909825250")}
	kari = xades.SignerFacts{Name: "Kari Nordmann", PID: "03896127682", BirthDate: "1961-09-03", EIDMethod: "MinID",
		LevelOfAssurance: "substantial", AuthTime: time.Date(2026, 3, 6, 8, 30, 0, 0, time.UTC), IDToken: idToken("03896127682")}
)

const vedlegg = "Vedlegg A – husordensregler for Storgata 1\n\n" +
	"1. Det skal være ro i bygården mellom kl. 23 og 07.\n" +
	"2. Søppel kastes i containerne i bakgården; glass og metall for seg.\n" +
	"3. Sykler står i sykkelboden, ikke i oppgangen.\n\nÆrlige Åse Østby, styreleder – æøå ÆØÅ\n"

// document is a prepared document with the bytes of every revision.
type document struct {
	meta Document
	data []byte // the current revision
}

func sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func prepare(t *testing.T, e *Engine, j Job, id, title, name, mediaType string, upload []byte) *document {
	t.Helper()
	d := Document{ID: id, Title: title, FileName: name, MediaType: mediaType, SHA256: sum(upload), Size: int64(len(upload))}
	var out bytes.Buffer
	res, err := e.prepare(context.Background(), &out, j, d, bytes.NewReader(upload), int64(len(upload)))
	if err != nil {
		t.Fatalf("Prepare %s: %v", id, err)
	}
	if res.Size != int64(out.Len()) {
		t.Fatalf("Prepare %s: Size %d, wrote %d", id, res.Size, out.Len())
	}
	return &document{meta: d, data: out.Bytes()}
}

func sign(t *testing.T, e *Engine, act Act, docs []*document) []byte {
	t.Helper()
	revs := make([]Revision, len(docs))
	outs := make([]*bytes.Buffer, len(docs))
	for i, d := range docs {
		act.Documents = append(act.Documents, d.meta)
		outs[i] = &bytes.Buffer{}
		revs[i] = Revision{Document: d.meta.ID, Src: bytes.NewReader(d.data), Size: int64(len(d.data)), Out: outs[i]}
	}
	var key *pki.KeyPair
	if act.Advanced {
		var err error
		if key, err = e.ownKey(context.Background(), act.Signer.IDToken, len(docs)+1); err != nil {
			t.Fatal(err)
		}
	}
	ev, _, err := e.signRevisions(context.Background(), act, key, revs)
	if err != nil {
		t.Fatalf("Sign slot %d: %v", act.Slot, err)
	}
	for i, d := range docs {
		if !bytes.HasPrefix(outs[i].Bytes(), d.data) {
			t.Fatalf("document %s: the next revision does not append to the current one", d.meta.ID)
		}
		d.data = outs[i].Bytes()
	}
	return ev
}

func complete(t *testing.T, e *Engine, d *document) {
	t.Helper()
	var out bytes.Buffer
	if err := e.completeTo(context.Background(), &out, bytes.NewReader(d.data), int64(len(d.data)), nil); err != nil {
		t.Fatalf("Complete %s: %v", d.meta.ID, err)
	}
	d.data = out.Bytes()
}

// run runs a tool on data written to a file and returns its output; pdfsig
// exits 0 whatever it finds, so its text is what counts.
func run(t *testing.T, data []byte, name string, args ...string) string {
	t.Helper()
	need(t, name)
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "{}" {
			args[i] = path
		}
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// pageText is pdftotext's text of one page (1-based), widget appearances
// included.
func pageText(t *testing.T, data []byte, page int) string {
	n := fmt.Sprint(page)
	return run(t, data, "pdftotext", "-enc", "UTF-8", "-f", n, "-l", n, "{}", "-")
}

func pageCount(t *testing.T, data []byte) int {
	t.Helper()
	r, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.PageCount()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A job with a PDF and a text document and two signers: Ola signs with
// BankID (authenticated: segl's seal signs), Kari with MinID and her own
// key (advanced); then each document is completed to B-LTA and checked by
// our validator and by tools we did not write.
func TestSignJobEndToEnd(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	j := Job{ID: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e77", Title: "Leieavtale Storgata 1", Reference: "Sak 2026/41",
		SenderOrg: "312345679", SenderName: "Eksempel kommune", Identifier: job.ShowPID, Signers: 2, Lang: "nb"}
	contract := prepare(t, e, j, "doc-1", "Leieavtale", "leieavtale.pdf", "application/pdf",
		testdocs.PDF("Leieavtale for Storgata 1", 20_000))
	rules := prepare(t, e, j, "doc-2", "Vedlegg A – husordensregler", "vedlegg-a.txt", "text/plain; charset=utf-8", []byte(vedlegg))
	docs := []*document{contract, rules}
	// An act on another document first sizes the seal's signatures
	// (pades.Options.Fit): the first act below, by the seal, is fitted, the
	// second, by the signer's own key, has the default room, and the tools
	// below check both.
	other := prepare(t, e, j, "doc-0", "Annet", "annet.pdf", "application/pdf", testdocs.PDF("Annet", 5_000))
	sign(t, e, Act{Job: j, Slot: 0, Signer: ola, SignedAt: time.Date(2026, 3, 5, 11, 0, 0, 0, time.UTC)}, []*document{other})

	ev1 := sign(t, e, Act{Job: j, Slot: 0, Signer: ola, SignedAt: time.Date(2026, 3, 5, 11, 2, 3, 0, time.UTC)}, docs)
	ev2 := sign(t, e, Act{Job: j, Slot: 1, Signer: kari, SignedAt: time.Date(2026, 3, 6, 9, 31, 0, 0, time.UTC), Advanced: true}, docs)
	for _, d := range docs {
		complete(t, e, d)
	}

	roots := env.dev.Roots()
	for _, d := range docs {
		t.Run(d.meta.ID, func(t *testing.T) {
			data := d.data

			// Our validator: both signatures and the document time-stamp
			// pass, none flagged for what came after it.
			rep, err := validate.PDF(bytes.NewReader(data), int64(len(data)), validate.Options{Roots: roots})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Signatures) != 3 || !rep.Passed() {
				t.Errorf("validate: %s with %d signatures", rep.Indication, len(rep.Signatures))
			}
			for _, s := range rep.Signatures {
				if !s.Result.Passed() {
					t.Errorf("validate: %s (%s) %+v; later changes %v; warnings %v", s.Field, s.Kind, s.Result, s.LaterChanges, s.Warnings)
				}
			}
			if s := rep.Signatures[0]; s.Signer == nil || !strings.Contains(s.Signer.Subject, "seal") {
				t.Errorf("first signature by %+v, want the TTP seal", s.Signer)
			}
			if s := rep.Signatures[1]; s.Signer == nil || !strings.Contains(s.Signer.Subject, "Kari Nordmann") {
				t.Errorf("second signature by %+v, want Kari Nordmann's key", s.Signer)
			}
			if r, err := pdf.Open(bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			} else if infos, err := r.Signatures(); err != nil || len(infos) != 3 {
				t.Errorf("%d signatures, %v", len(infos), err)
			} else if seal, own := len(infos[0].Raw), len(infos[1].Raw); seal >= pdf.DefaultContentsSize || own != pdf.DefaultContentsSize {
				t.Errorf("room for the seal's signature %d, the signer's own %d; want less than %d and %[3]d", seal, own, pdf.DefaultContentsSize)
			}

			// pdfsig (poppler with NSS): each CAdES signature valid and its
			// certificate trusted.
			if env.nssdir == "" {
				testtool.Missing(t, "certutil not installed (libnss3-tools)")
			}
			out := run(t, data, "pdfsig", "-nssdir", env.nssdir, "{}")
			var cades int
			for _, block := range strings.Split(out, "Signature #")[1:] {
				if !strings.Contains(block, "ETSI.CAdES.detached") {
					continue
				}
				cades++
				if !strings.Contains(block, "Signature Validation: Signature is Valid.") || !strings.Contains(block, "Certificate Validation: Certificate is Trusted.") {
					t.Errorf("pdfsig does not accept signature #%s", block)
				}
			}
			if cades != 2 {
				t.Errorf("pdfsig found %d CAdES signatures, want 2:\n%s", cades, out)
			}

			// Long-term validation data: revocation data, produced after
			// each signature's and time-stamp's time, for every
			// certificate of every path but the root.
			checkPDFLTV(t, data, roots)

			if out := run(t, data, "qpdf", "--check", "{}"); !strings.Contains(out, "No syntax or stream encoding errors found") {
				t.Errorf("qpdf --check:\n%s", out)
			}

			// No font is embedded twice: both slots' appearances draw
			// with the signature page's subset, which pdffonts lists once
			// (by its object); a rendered text has its own besides.
			subsets := regexp.MustCompile(`(?m)^[A-Z]{6}\+DejaVuSans `).FindAllString(run(t, data, "pdffonts", "{}"), -1)
			if want := map[string]int{"doc-1": 1, "doc-2": 2}[d.meta.ID]; len(subsets) != want {
				t.Errorf("pdffonts lists DejaVu Sans subsets %q, want %d", subsets, want)
			}

			// Both signers' evidence is attached, as signed.
			list := run(t, data, "pdfdetach", "-list", "{}")
			for _, name := range []string{"evidence-signer-1.xml", "evidence-signer-2.xml"} {
				if !strings.Contains(list, name) {
					t.Errorf("pdfdetach -list lacks %s:\n%s", name, list)
				}
			}
			dir := t.TempDir()
			run(t, data, "pdfdetach", "-saveall", "-o", dir, "{}")
			for i, ev := range [][]byte{ev1, ev2} {
				got, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("evidence-signer-%d.xml", i+1)))
				if err != nil || !bytes.Equal(got, ev) {
					t.Errorf("attached evidence %d differs from Sign's: %v", i+1, err)
				}
			}

			// The signature page, the last page: bilingual, and showing
			// both signers through their widgets.
			last := pageCount(t, data)
			text := pageText(t, data, last)
			for _, want := range []string{
				"Signaturer / Signatures", "Dokument / Document", d.meta.Title, d.meta.FileName,
				fmt.Sprintf("%x", d.meta.SHA256), j.ID, j.Reference,
				"Avsender / Sender", "Eksempel kommune (312345679)", "Oppdrag / Job", j.Title,
				"Signaturene er digitale signaturer (PAdES)", "The signatures are digital signatures (PAdES)",
				"Ola Nordmann", "Fødselsnummer / National identity number: 21909825250",
				"Signert / Signed: 2026-03-05 12:02:03 CET (autentisert / authenticated)",
				"eID: BankID, sikkerhetsnivå høyt / level of assurance high",
				"Kari Nordmann", "Fødselsnummer / National identity number: 03896127682",
				"Signert / Signed: 2026-03-06 10:31:00 CET (avansert / advanced)",
				"eID: MinID, sikkerhetsnivå betydelig / level of assurance substantial",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("signature page lacks %q:\n%s", want, text)
				}
			}
			if n := strings.Count(text, "Dokumentets SHA-256 / Document SHA-256:\n"+fmt.Sprintf("%x", d.meta.SHA256)); n != 2 {
				t.Errorf("the document's SHA-256 is in %d slots, want 2:\n%s", n, text)
			}
			// The page renders; SEGL_SIGNING_PNG_DIR keeps the image and
			// the file, to look at.
			png := filepath.Join(t.TempDir(), "sigpage")
			run(t, data, "pdftoppm", "-png", "-r", "80", "-f", fmt.Sprint(last), "-l", fmt.Sprint(last), "-singlefile", "{}", png)
			if dir := os.Getenv("SEGL_SIGNING_PNG_DIR"); dir != "" {
				b, _ := os.ReadFile(png + ".png")
				os.WriteFile(filepath.Join(dir, d.meta.ID+"-sigpage.png"), b, 0o644)
				os.WriteFile(filepath.Join(dir, d.meta.ID+".pdf"), data, 0o644)
			}
		})
	}

	// The evidence: our verifier and xmlsec1, each signer's XAdES over the
	// SHA-256 of both documents.
	for i, ev := range [][]byte{ev1, ev2} {
		t.Run(fmt.Sprintf("evidence-%d", i+1), func(t *testing.T) {
			v, err := xades.Verify(ev)
			if err != nil {
				t.Fatalf("xades.Verify: %v", err)
			}
			if len(v.Facts.Documents) != 2 || !bytes.Equal(v.Facts.Documents[0].SHA256, contract.meta.SHA256) ||
				!bytes.Equal(v.Facts.Documents[1].SHA256, rules.meta.SHA256) || v.TimeStampToken == nil ||
				len(v.Validation.OCSPs) == 0 {
				t.Errorf("evidence facts %+v, B-LT values %d OCSP", v.Facts.Documents, len(v.Validation.OCSPs))
			}
			wantSigner := []string{"seal", "Kari Nordmann"}[i]
			if !strings.Contains(v.Certificate.Subject.CommonName, wantSigner) {
				t.Errorf("evidence signed by %s, want %s", v.Certificate.Subject, wantSigner)
			}
			checkEvidenceLTV(t, ev, roots)
			if rep := validate.XAdES(ev, validate.Options{Roots: roots}); !rep.Passed() {
				t.Errorf("validate.XAdES: %+v", rep.Signatures[0].Result)
			}
			need(t, "xmlsec1")
			path := filepath.Join(t.TempDir(), "evidence.xml")
			os.WriteFile(path, ev, 0o600)
			out, err := exec.Command("xmlsec1", "--verify", "--trusted-pem", filepath.Join(env.dev.Dir, "root-ca.pem"),
				"--id-attr:Id", "urn:segl:evidence:1:Evidence",
				"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", path).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "OK") {
				t.Errorf("xmlsec1: %v\n%s", err, out)
			}
		})
	}
}

// What identifies a signer follows the job: with "name" neither identity
// number nor birth date appears on the page or in the evidence (nor the ID
// token, which carries the number); with "birth_date_and_name" the birth
// date and not the number.
func TestIdentifierRule(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	claims := strings.Split(ola.IDToken, ".")[1]
	for _, tc := range []struct {
		id          job.Identifier
		show, never []string
	}{
		{job.ShowName, nil, []string{ola.PID, ola.BirthDate, claims, "Fødsels"}},
		{job.ShowBirthDateAndName, []string{"Fødselsdato / Date of birth: 1998-10-21"}, []string{ola.PID, claims, "Fødselsnummer"}},
		{job.ShowPID, []string{"Fødselsnummer / National identity number: 21909825250"}, nil},
	} {
		t.Run(string(tc.id), func(t *testing.T) {
			j := Job{ID: "job-" + string(tc.id), Title: "Samtykke", SenderOrg: "312345679", Identifier: tc.id, Signers: 1}
			d := prepare(t, e, j, "doc-1", "Samtykke", "samtykke.txt", "text/plain", []byte("Jeg samtykker. æøå\n"))
			ev := sign(t, e, Act{Job: j, Slot: 0, Signer: ola, SignedAt: time.Date(2026, 3, 5, 11, 2, 3, 0, time.UTC)}, []*document{d})
			text := pageText(t, d.data, pageCount(t, d.data))
			if !strings.Contains(text, "Ola Nordmann") {
				t.Fatalf("the slot does not show the signer:\n%s", text)
			}
			for _, s := range tc.show {
				if !strings.Contains(text, s) {
					t.Errorf("page lacks %q:\n%s", s, text)
				}
			}
			for _, s := range tc.never {
				if strings.Contains(text, s) || bytes.Contains(ev, []byte(s)) || bytes.Contains(d.data, []byte(s)) {
					t.Errorf("%q shows on the page, in the evidence or in the file", s)
				}
			}
			v, err := xades.Verify(ev)
			if err != nil {
				t.Fatal(err)
			}
			if tc.id != job.ShowPID && !strings.HasPrefix(v.Facts.Signer.IDToken, "sha256:") {
				t.Errorf("evidence keeps the ID token %q", v.Facts.Signer.IDToken)
			}
		})
	}
}

// A job in Nynorsk gets its signature page and its slots in Nynorsk and
// English, and the eID named as its issuer writes it.
func TestNynorskSlot(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	j := Job{ID: "job-nn", Title: "Samtykke", SenderOrg: "312345679", SenderName: "Eksempel kommune",
		Identifier: job.ShowBirthDateAndName, Signers: 1, Lang: "nn"}
	d := prepare(t, e, j, "doc-1", "Samtykke", "samtykke.txt", "text/plain", []byte("Eg samtykkjer. æøå\n"))
	signer := ola
	signer.EIDMethod = eid.BankID
	sign(t, e, Act{Job: j, Slot: 0, Signer: signer, SignedAt: time.Date(2026, 3, 5, 11, 2, 3, 0, time.UTC)}, []*document{d})
	text := pageText(t, d.data, pageCount(t, d.data))
	for _, want := range []string{
		"Signaturar / Signatures", "Avsendar / Sender", "Eksempel kommune (312345679)",
		"Fødselsdato / Date of birth: " + ola.BirthDate,
		"eID: BankID, sikkerheitsnivå høgt / level of assurance high",
		"SHA-256 for dokumentet / Document SHA-256:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Nynorsk signature page lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, ola.PID) || strings.Contains(text, "sikkerhetsnivå") {
		t.Errorf("Nynorsk signature page shows the identity number or bokmål:\n%s", text)
	}
}

func TestErrors(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	ctx := context.Background()
	j := Job{ID: "job-1", SenderOrg: "312345679", Identifier: job.ShowPID, Signers: 1}
	upload := testdocs.PDF("x", 1000)
	doc := Document{ID: "doc-1", FileName: "x.pdf", MediaType: "application/pdf", SHA256: sum(upload), Size: int64(len(upload))}

	prepared := prepare(t, e, j, doc.ID, "", doc.FileName, doc.MediaType, upload)
	signed := &document{meta: prepared.meta, data: prepared.data}
	sign(t, e, Act{Job: j, Signer: ola}, []*document{signed})
	xfa := testdocs.DynamicXFAPDF("x")

	for _, tc := range []struct {
		name   string
		j      Job
		doc    Document
		upload []byte
		kind   errs.Kind
		code   string // the code CheckPDF gives the same upload at job creation, if any
	}{
		{"fail/no-signers", Job{Identifier: job.ShowPID}, doc, upload, errs.Invalid, ""},
		{"fail/media-type", j, Document{ID: "d", MediaType: "image/png", SHA256: sum(upload), Size: doc.Size}, upload, errs.Invalid, ""},
		{"fail/charset", j, Document{ID: "d", MediaType: "text/plain; charset=iso-8859-1", SHA256: sum(upload), Size: doc.Size}, upload, errs.Invalid, ""},
		{"fail/not-a-pdf", j, Document{ID: "d", MediaType: "application/pdf", SHA256: sum([]byte("hello")), Size: 5}, []byte("hello"), errs.Invalid, "invalid-pdf"},
		{"fail/already-signed", j, Document{ID: "d", MediaType: "application/pdf", SHA256: sum(signed.data), Size: int64(len(signed.data))}, signed.data, errs.Invalid, "signed-upload"},
		{"fail/dynamic-xfa", j, Document{ID: "d", MediaType: "application/pdf", SHA256: sum(xfa), Size: int64(len(xfa))}, xfa, errs.Invalid, "dynamic-xfa"},
		{"fail/digest-differs", j, Document{ID: "d", MediaType: "application/pdf", SHA256: sum([]byte("other")), Size: doc.Size}, upload, errs.Internal, ""},
	} {
		t.Run("prepare/"+tc.name, func(t *testing.T) {
			_, err := e.prepare(ctx, &bytes.Buffer{}, tc.j, tc.doc, bytes.NewReader(tc.upload), int64(len(tc.upload)))
			if err == nil || errs.KindOf(err) != tc.kind || Unsignable(err) != (tc.kind == errs.Invalid) {
				t.Errorf("err = %v (%v), want %v", err, errs.KindOf(err), tc.kind)
			}
			if tc.code == "" {
				return
			}
			if !errs.HasCode(err, tc.code) {
				t.Errorf("err = %v, want code %s", err, tc.code)
			}
			if _, err := CheckPDF(bytes.NewReader(tc.upload), int64(len(tc.upload)), "d"); !errs.HasCode(err, tc.code) {
				t.Errorf("CheckPDF: %v, want code %s", err, tc.code)
			}
		})
	}

	rev := func(d *document) []Revision {
		return []Revision{{Document: d.meta.ID, Src: bytes.NewReader(d.data), Size: int64(len(d.data)), Out: &bytes.Buffer{}}}
	}
	noPID := ola
	noPID.PID = ""
	for _, tc := range []struct {
		name string
		act  Act
		revs []Revision
		kind errs.Kind
	}{
		{"fail/slot-out-of-range", Act{Job: j, Slot: 1, Signer: ola, Documents: []Document{doc}}, rev(prepared), errs.Invalid},
		{"fail/unknown-document", Act{Job: j, Signer: ola, Documents: []Document{{ID: "other", SHA256: doc.SHA256}}}, rev(prepared), errs.Invalid},
		{"fail/no-pid-to-show", Act{Job: j, Signer: noPID, Documents: []Document{doc}}, rev(prepared), errs.Invalid},
		{"fail/bad-facts", Act{Job: j, Signer: xades.SignerFacts{Name: "A", PID: "1"}, Documents: []Document{doc}}, rev(prepared), errs.Invalid},
		{"fail/slot-taken", Act{Job: j, Signer: ola, Documents: []Document{doc}}, rev(signed), errs.Internal},
	} {
		t.Run("sign/"+tc.name, func(t *testing.T) {
			_, _, err := e.signRevisions(ctx, tc.act, nil, tc.revs)
			if err == nil || errs.KindOf(err) != tc.kind {
				t.Errorf("err = %v (%v), want %v", err, errs.KindOf(err), tc.kind)
			}
		})
	}
	t.Run("complete/not-signed", func(t *testing.T) {
		err := e.completeTo(ctx, &bytes.Buffer{}, bytes.NewReader(prepared.data), int64(len(prepared.data)), nil)
		if errs.KindOf(err) != errs.Conflict {
			t.Errorf("err = %v, want a conflict", err)
		}
	})
}

// With more signers than the first signature page holds, a later slot is
// on a later page, and the validator still finds nothing added after the
// first signature.
func TestSlotOnLaterPage(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	j := Job{ID: "job-8", Title: "Styrevedtak", SenderOrg: "312345679", Identifier: job.ShowName, Signers: 8}
	d := prepare(t, e, j, "doc-1", "Styrevedtak", "vedtak.pdf", "application/pdf", testdocs.PDF("Styrevedtak", 5000))
	pages := pageCount(t, d.data)
	if pages != 3 {
		t.Fatalf("%d pages, want the document and two signature pages", pages)
	}
	sign(t, e, Act{Job: j, Slot: 0, Signer: ola}, []*document{d})
	sign(t, e, Act{Job: j, Slot: 7, Signer: kari, Advanced: true}, []*document{d})
	complete(t, e, d)
	if text := pageText(t, d.data, 2); !strings.Contains(text, "Ola Nordmann") || strings.Contains(text, "Kari Nordmann") {
		t.Errorf("first signature page:\n%s", text)
	}
	if text := pageText(t, d.data, 3); !strings.Contains(text, "Kari Nordmann") || !strings.Contains(text, "(forts. / cont.)") {
		t.Errorf("second signature page:\n%s", text)
	}
	rep, err := validate.PDF(bytes.NewReader(d.data), int64(len(d.data)), validate.Options{Roots: env.dev.Roots()})
	if err != nil || !rep.Passed() || len(rep.Signatures) != 3 {
		t.Fatalf("validate: %v %+v", err, rep)
	}
}

// An act over a job whose signers sign its combined document signs that
// document alone: the originals get no revision, and the evidence still
// names every document by its SHA-256. Completion leaves the originals
// as they are.
func TestUnsignedDocuments(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	ctx := context.Background()
	j := Job{ID: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e78", Title: "To avtaler", SenderOrg: "312345679",
		Identifier: job.ShowPID, Signers: 1, Lang: "nb"}
	var docs []Document
	for i, text := range []string{"Avtale A", "Avtale B", "Avtale A og B"} {
		upload := testdocs.PDF(text, 2_000)
		ref, err := e.cfg.Blobs.Put(ctx, bytes.NewReader(upload), int64(len(upload)))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, Document{ID: fmt.Sprintf("doc-%d", i+1), Title: text, FileName: fmt.Sprintf("%d.pdf", i+1),
			MediaType: "application/pdf", SHA256: sum(upload), Size: int64(len(upload)), Upload: ref.Key, Unsigned: i < 2})
	}
	signed, err := e.Sign(ctx, Act{Job: j, Documents: docs, Signer: ola, SignedAt: time.Date(2026, 3, 5, 11, 2, 3, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(signed.Revisions) != 3 || signed.Revisions[0].SHA256 != "" || signed.Revisions[1].SHA256 != "" || signed.Revisions[2].SHA256 == "" {
		t.Fatalf("revisions = %+v, want only the third document's", signed.Revisions)
	}
	ev := readEvidence(t, e, signed)
	v, err := xades.Verify(ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Facts.Documents) != 3 {
		t.Fatalf("the evidence names %d documents, want 3", len(v.Facts.Documents))
	}
	for i, d := range v.Facts.Documents {
		if !bytes.Equal(d.SHA256, docs[i].SHA256) {
			t.Errorf("evidence document %d: SHA-256 %x, want %x", i, d.SHA256, docs[i].SHA256)
		}
	}
	final, err := e.Complete(ctx, signed.Revisions)
	if err != nil {
		t.Fatal(err)
	}
	if final[0].SHA256 != "" || final[1].SHA256 != "" || final[2].SHA256 == signed.Revisions[2].SHA256 {
		t.Fatalf("completed = %+v", final)
	}
}

// TestPreparedRunsCompareTheUpload checks that a prepared document's
// copied runs become spans of the upload only where the upload holds
// the very bytes preparation wrote: the first act signs on from the
// SHA-256 of what was written, so a wrong run must not get that far.
func TestPreparedRunsCompareTheUpload(t *testing.T) {
	e := setup(t).engine(t)
	prepared := []byte("%PDF-1.7 rewritten objects, copied stream data: 0123456789, more objects")
	upload := []byte("upload bytes ... 0123456789 ... the rest")
	at, off := int64(bytes.Index(prepared, []byte("0123"))), int64(bytes.Index(upload, []byte("0123")))
	sum := fmt.Sprintf("%x", sha256.Sum256(prepared))
	for _, tc := range []struct {
		name string
		run  pdf.Run
		ok   bool
	}{
		{"ok/the-upload's-bytes", pdf.Run{At: at, Offset: off, Size: 10}, true},
		{"fail/other-bytes", pdf.Run{At: at, Offset: off + 1, Size: 10}, false},
		{"fail/past-the-upload", pdf.Run{At: at, Offset: int64(len(upload)) - 5, Size: 10}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rev, own, err := e.preparedRuns(bytes.NewReader(prepared), int64(len(prepared)), sum, bytes.NewReader(upload), "upload-key", []pdf.Run{tc.run})
			if !tc.ok {
				if err == nil {
					own.Close()
					t.Fatalf("run %+v accepted", tc.run)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer own.Close()
			if len(rev.Parts) != 3 || rev.Parts[1].Key != "upload-key" || rev.Size != int64(len(prepared)) || own.Size() != int64(len(prepared))-10 {
				t.Fatalf("revision %+v, own %d bytes", rev, own.Size())
			}
		})
	}
}

// downOCSP is a revocation source whose OCSP responder is down.
type downOCSP struct{ pki.RevocationSource }

func (downOCSP) OCSP(context.Context, *x509.Certificate, *x509.Certificate) ([]byte, error) {
	return nil, errors.New("ocsp responder down")
}

// countingKey counts the signatures of a signer's own key.
type countingKey struct {
	crypto.Signer
	n *atomic.Int64
}

func (k countingKey) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	k.n.Add(1)
	return k.Signer.Sign(r, digest, opts)
}

// An act whose revocation data cannot be gathered fails before the
// signer's own key signs anything: the remote signing service allows that
// key one signature per document and the evidence, and STYLE.md's "record
// intent before signing" means no signature is made that is then thrown away.
func TestActFailsBeforeTheKeyIsUsed(t *testing.T) {
	env := setup(t)
	e := env.engine(t, func(c *Config) { c.OCSP = downOCSP{c.OCSP} })
	j := Job{ID: "job-ocsp", Title: "Avtale", SenderOrg: "312345679", Identifier: job.ShowName, Signers: 1}
	d := prepare(t, e, j, "doc-1", "Avtale", "avtale.pdf", "application/pdf", testdocs.PDF("Avtale", 2000))
	var n atomic.Int64
	key := env.kari
	key.Key = countingKey{Signer: env.kari.Key, n: &n}
	var out bytes.Buffer
	act := Act{Job: j, Slot: 0, Signer: kari, Advanced: true, Documents: []Document{d.meta}}
	_, _, err := e.signRevisions(context.Background(), act, &key,
		[]Revision{{Document: d.meta.ID, Src: bytes.NewReader(d.data), Size: int64(len(d.data)), Out: &out}})
	if err == nil || !strings.Contains(err.Error(), "ocsp responder down") {
		t.Fatalf("got %v, want the responder's error", err)
	}
	if n.Load() != 0 {
		t.Errorf("the signer's key signed %d times before the act failed", n.Load())
	}
}

// The seal's and the TSA's paths are found once and then kept: the
// validation data of later acts is what a fresh engine gathers, and a
// signer's own key, or another chain, has its path found anew.
func TestKnownPaths(t *testing.T) {
	env := setup(t)
	ctx := context.Background()
	e := env.engine(t)
	first, err := e.validationData(ctx, e.cfg.Seal.Cert, e.cfg.Seal.Chain)
	if err != nil {
		t.Fatal(err)
	}
	if e.sealPath.last.Load() == nil || e.tsaPath.last.Load() == nil {
		t.Fatal("the seal's and the TSA's paths are not kept")
	}
	again, err := e.validationData(ctx, e.cfg.Seal.Cert, e.cfg.Seal.Chain)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := env.engine(t).validationData(ctx, e.cfg.Seal.Cert, e.cfg.Seal.Chain)
	if err != nil {
		t.Fatal(err)
	}
	for _, vd := range []*xades.ValidationData{again, fresh} {
		if !slices.EqualFunc(vd.Certs, first.Certs, bytes.Equal) || len(vd.OCSPs) != len(first.OCSPs) || len(vd.CRLs) != len(first.CRLs) {
			t.Fatalf("validation data %d certificates, %d OCSP, %d CRL; first %d, %d, %d",
				len(vd.Certs), len(vd.OCSPs), len(vd.CRLs), len(first.Certs), len(first.OCSPs), len(first.CRLs))
		}
	}

	var k knownPath
	finds := 0
	find := func(path ...*x509.Certificate) func() []*x509.Certificate {
		return func() []*x509.Certificate { finds++; return path }
	}
	leaf, chain := e.cfg.Seal.Cert, e.cfg.Seal.Chain
	k.of(leaf, chain, find(leaf))
	k.of(leaf, slices.Clone(chain), find(leaf))
	if finds != 1 {
		t.Fatalf("found %d times for the same certificates, want once", finds)
	}
	other := *leaf
	for _, c := range []struct {
		leaf  *x509.Certificate
		chain []*x509.Certificate
	}{{&other, chain}, {leaf, chain[:len(chain)-1]}, {leaf, append(slices.Clone(chain), leaf)}} {
		before := finds
		if got := k.of(c.leaf, c.chain, find(c.leaf, leaf)); finds != before+1 || len(got) != 2 || got[0] != c.leaf {
			t.Fatalf("another leaf or chain: found %d times, path %v", finds-before, got)
		}
	}
}
