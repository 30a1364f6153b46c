package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/testdocs"
	"github.com/segl/segl/internal/tsp"
)

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run scripts/install-deps.sh", tool)
		}
	}
}

func segl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(args, &out, &out)
	return out.String(), err
}

// sealed makes a B-LTA file with `segl seal`, as a user would.
func sealed(t *testing.T, level string) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	in := filepath.Join(dir, "contract.pdf")
	os.WriteFile(in, testdocs.PDF("Arbeidsavtale for Ola Nordmann", 50_000), 0o600)
	file = filepath.Join(dir, "sealed.pdf")
	if out, err := segl(t, "seal", "--data", dir, "--in", in, "--out", file, "--level", level); err != nil {
		t.Fatalf("seal: %v\n%s", err, out)
	}
	return dir, file
}

// nssdb makes an NSS database trusting the development root, for pdfsig.
func nssdb(t *testing.T, dir string) string {
	db := filepath.Join(dir, "nssdb")
	os.Mkdir(db, 0o700)
	for _, args := range [][]string{{"-N", "-d", db, "--empty-password"},
		{"-A", "-d", db, "-n", "segl-dev-root", "-t", "C,C,C", "-i", filepath.Join(dir, "pki", "root-ca.pem")}} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return db
}

func TestSealCheckedByIndependentTools(t *testing.T) {
	need(t, "pdfsig", "qpdf", "openssl", "certutil")
	dir, file := sealed(t, "B-LTA")

	// pdfsig (poppler/NSS): the seal is valid and trusted; the document
	// time-stamp is a type it does not implement, so only the seal is read.
	out, _ := exec.Command("pdfsig", "-nssdir", nssdb(t, dir), file).CombinedOutput()
	text := string(out)
	if !strings.Contains(text, "Signature Type: ETSI.CAdES.detached") || !strings.Contains(text, "Signature Validation: Signature is Valid.") ||
		!strings.Contains(text, "Certificate Validation: Certificate is Trusted.") {
		t.Fatalf("pdfsig does not accept the seal:\n%s", text)
	}

	if out, err := exec.Command("qpdf", "--check", file).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}

	// openssl verifies the CMS over the exact byte range, and each
	// time-stamp token, also as of ten years from now with -attime at the
	// token's time.
	raw, _ := os.ReadFile(file)
	r, err := pdf.Open(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := r.Signatures()
	if err != nil || len(sigs) != 2 {
		t.Fatalf("signatures: %d, %v", len(sigs), err)
	}
	root, tsa := filepath.Join(dir, "pki", "root-ca.pem"), filepath.Join(dir, "pki", "tsa.pem")
	for i, s := range sigs {
		br := s.ByteRange
		content := append(append([]byte{}, raw[br[0]:br[0]+br[1]]...), raw[br[2]:br[2]+br[3]]...)
		cf, sf := filepath.Join(dir, fmt.Sprintf("content%d", i)), filepath.Join(dir, fmt.Sprintf("sig%d.der", i))
		os.WriteFile(cf, content, 0o600)
		os.WriteFile(sf, s.DER, 0o600)
		switch s.SubFilter {
		case pdf.SubFilterCAdES:
			opensslOK(t, "cms", "-verify", "-inform", "DER", "-in", sf, "-binary", "-content", cf, "-CAfile", root,
				"-purpose", "any", "-out", os.DevNull)
			sd, err := cms.Parse(s.DER)
			if err != nil || sd.Signers[0].TimeStampToken == nil {
				t.Fatalf("signature time-stamp missing: %v", err)
			}
			sv, tok := filepath.Join(dir, "sigvalue"), filepath.Join(dir, "sigts.der")
			os.WriteFile(sv, sd.Signers[0].Signature, 0o600)
			os.WriteFile(tok, sd.Signers[0].TimeStampToken, 0o600)
			verifyToken(t, sv, tok, root, tsa)
		case pdf.SubFilterRFC3161:
			verifyToken(t, cf, sf, root, tsa)
		}
	}
}

func opensslOK(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args[:2], " "), err, out)
	}
	return string(out)
}

// verifyToken checks a token with openssl ts now, and ten years ahead at
// the token's own time (what a B-LTA chain proves).
func verifyToken(t *testing.T, data, token, root, tsa string) {
	t.Helper()
	raw, _ := os.ReadFile(token)
	info, err := tsp.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := opensslOK(t, "ts", "-verify", "-data", data, "-in", token, "-token_in", "-CAfile", root, "-untrusted", tsa)
	if !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl ts: %s", out)
	}
	at := fmt.Sprint(info.GenTime.Unix())
	out = opensslOK(t, "ts", "-verify", "-data", data, "-in", token, "-token_in", "-CAfile", root, "-untrusted", tsa, "-attime", at)
	if !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl ts -attime: %s", out)
	}
}

func TestValidateTimeTravel(t *testing.T) {
	dir, file := sealed(t, "B-LTA")
	for _, at := range []string{"", time.Now().AddDate(10, 0, 0).Format(time.RFC3339)} {
		args := []string{"validate", "--data", dir, file}
		if at != "" {
			args = []string{"validate", "--data", dir, "--at", at, file}
		}
		out, err := segl(t, args...)
		if err != nil || !strings.HasPrefix(out, file+": TOTAL_PASSED") {
			t.Fatalf("validate at %q: %v\n%s", at, err, out)
		}
	}
	// A B-T file has no validation data and no archive time-stamp: ten
	// years on, nothing proves its seal certificate was good when used.
	_, bt := sealed(t, "B-T")
	out, err := segl(t, "validate", "--data", filepath.Dir(bt), "--at", time.Now().AddDate(10, 0, 0).Format(time.RFC3339), bt)
	if err == nil {
		t.Fatalf("a B-T file passed ten years on:\n%s", out)
	}
}

// TestTampering changes a sealed file in the ways attackers do; segl
// validate must not pass any of them, and pdfsig must see the flipped byte.
func TestTampering(t *testing.T) {
	need(t, "pdfsig", "certutil")
	dir, file := sealed(t, "B-LTA")
	raw, _ := os.ReadFile(file)
	tests := []struct {
		name   string
		tamper func([]byte) []byte
	}{
		{"flipped-byte", func(b []byte) []byte {
			i := bytes.Index(b, []byte("Arbeidsavtale"))
			b[i] ^= 0x20
			return b
		}},
		{"bytes-appended", func(b []byte) []byte { return append(b, []byte("\n% not signed by anyone\n")...) }},
		{"page-added", func(b []byte) []byte { return addPage(t, b) }},
		{"moved-contents", func(b []byte) []byte {
			// Point the first signature's /ByteRange gap one byte off.
			re := regexp.MustCompile(`/ByteRange\s*\[\s*0\s+(\d+)`)
			loc := re.FindSubmatchIndex(b)
			n := string(b[loc[2]:loc[3]])
			var v int
			fmt.Sscan(n, &v)
			repl := fmt.Sprintf("%-*d", len(n), v-1)
			copy(b[loc[2]:loc[3]], repl)
			return b
		}},
		{"removed-byterange", func(b []byte) []byte {
			i := bytes.Index(b, []byte("/ByteRange"))
			copy(b[i:], "/ByteRangX")
			return b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.tamper(append([]byte{}, raw...))
			f := filepath.Join(t.TempDir(), "tampered.pdf")
			if err := os.WriteFile(f, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := segl(t, "validate", "--data", dir, f)
			if err == nil || strings.Contains(out, f+": TOTAL_PASSED") {
				t.Fatalf("segl validate passed a tampered file:\n%s", out)
			}
			if tt.name == "flipped-byte" {
				ps, _ := exec.Command("pdfsig", "-nssdir", nssdb(t, dir), f).CombinedOutput()
				if !strings.Contains(string(ps), "Digest Mismatch") {
					t.Fatalf("pdfsig did not see the flipped byte:\n%s", ps)
				}
			}
		})
	}
}

// addPage appends an incremental update that adds a page, as an attacker
// adding terms after signing would.
func addPage(t *testing.T, b []byte) []byte {
	r, err := pdf.Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	size := int(r.Trailer()["Size"].(pdf.Int))
	root := r.Trailer()["Root"].(pdf.Ref)
	cat, _ := r.Object(root)
	pagesRef := cat.(pdf.Dict)["Pages"].(pdf.Ref)
	pagesObj, _ := r.Object(pagesRef)
	kids := pagesObj.(pdf.Dict)["Kids"].(pdf.Array)
	var kidList []string
	for _, k := range kids {
		kidList = append(kidList, k.(pdf.Ref).String())
	}
	var u bytes.Buffer
	u.Write(b)
	newPage := size
	off1 := u.Len()
	fmt.Fprintf(&u, "%d 0 obj\n<< /Type /Pages /Kids [%s %d 0 R] /Count %d >>\nendobj\n", pagesRef.Num,
		strings.Join(kidList, " "), newPage, len(kids)+1)
	off2 := u.Len()
	fmt.Fprintf(&u, "%d 0 obj\n<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>\nendobj\n", newPage, pagesRef.Num)
	xref := u.Len()
	fmt.Fprintf(&u, "xref\n%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n", pagesRef.Num, off1, newPage, off2)
	fmt.Fprintf(&u, "trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size+1, root, r.Revisions()[0], xref)
	return u.Bytes()
}
