package asice

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/xades"
)

var lim = Limits{MaxEntries: 30, MaxEntrySize: 1 << 20, MaxXMLSize: 1 << 20}

func signer(t testing.TB) xades.SignOptions {
	t.Helper()
	d, err := pki.LoadOrCreateDev(t.TempDir(), pki.Options{Orgs: []pki.Org{{Number: "317510748", Name: "Test"}}})
	if err != nil {
		t.Fatal(err)
	}
	kp, err := d.Client("317510748")
	if err != nil {
		t.Fatal(err)
	}
	return xades.SignOptions{Signer: kp.Key, Certificate: kp.Cert, Chain: kp.Chain}
}

func bundle(t *testing.T, opts xades.SignOptions, extra ...zipEntry) []byte {
	t.Helper()
	if len(extra) == 0 {
		return bundleTB(t, opts)
	}
	return rezip(t, bundleTB(t, opts), extra...)
}

func bundleTB(t testing.TB, opts xades.SignOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	docs := []xades.ASiCFile{{Name: "0000_kontrakt.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.7\n")}}
	if err := Write(&buf, docs, []byte("<manifest/>"), opts, time.Now()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zipEntry struct {
	name    string
	content string // replaces an entry of the same name, or is added
}

func rezip(t *testing.T, in []byte, changes ...zipEntry) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	done := map[string]bool{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		content, _ := io.ReadAll(rc)
		for _, c := range changes {
			if c.name == f.Name {
				content, done[c.name] = []byte(c.content), true
			}
		}
		w, _ := zw.Create(f.Name)
		w.Write(content)
	}
	for _, c := range changes {
		if !done[c.name] {
			w, _ := zw.Create(c.name)
			w.Write([]byte(c.content))
		}
	}
	zw.Close()
	return out.Bytes()
}

func TestRead(t *testing.T) {
	opts := signer(t)
	good := bundle(t, opts)
	b, err := Read(bytes.NewReader(good), int64(len(good)), lim)
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Manifest) != "<manifest/>" || len(b.Documents) != 1 || !b.Signature.Certificate.Equal(opts.Certificate) {
		t.Fatalf("read %v", b)
	}
	for _, tc := range []struct {
		name string
		zip  []byte
		code string
	}{
		{"fail/changed-document", bundle(t, opts, zipEntry{"0000_kontrakt.pdf", "%PDF-1.7 endret\n"}), CodeSignature},
		{"fail/changed-manifest", bundle(t, opts, zipEntry{"manifest.xml", "<manifest>x</manifest>"}), CodeSignature},
		{"fail/unsigned-document", bundle(t, opts, zipEntry{"extra.pdf", "%PDF-1.7\n"}), CodeSignature},
		{"fail/second-meta-inf-entry", bundle(t, opts, zipEntry{"META-INF/manifest.xml", "<x/>"}), codeInvalid},
		{"fail/parent-path", bundle(t, opts, zipEntry{"../x.pdf", "x"}), codeInvalid},
		{"fail/no-signature", rezipWithout(t, good, SignatureName), codeInvalid},
		{"fail/not-a-zip", []byte("%PDF-1.7"), codeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.zip), int64(len(tc.zip)), lim)
			if !errs.HasCode(err, tc.code) {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
	t.Run("fail/document-over-the-limit", func(t *testing.T) {
		small := lim
		small.MaxEntrySize = 4
		if _, err := Read(bytes.NewReader(good), int64(len(good)), small); !errs.Is(err, errs.TooLarge) {
			t.Fatalf("got %v", err)
		}
	})
}

func rezipWithout(t *testing.T, in []byte, name string) []byte {
	zr, _ := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == name {
			continue
		}
		rc, _ := f.Open()
		content, _ := io.ReadAll(rc)
		w, _ := zw.Create(f.Name)
		w.Write(content)
	}
	zw.Close()
	return out.Bytes()
}
