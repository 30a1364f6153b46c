package signing

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/validate"
	"github.com/segl/segl/internal/xades"
)

// A receipt says what the evidence of the act says, in the signer's
// language, and is sealed so that pdfsig, qpdf and our validator accept
// it (issue 14 item 6).
func TestReceipt(t *testing.T) {
	env := setup(t)
	e := env.engine(t)
	j := Job{ID: "job-receipt", Title: "Leieavtale Storgata 1", SenderOrg: "312345679", SenderName: "Eksempel kommune",
		Identifier: job.ShowBirthDateAndName, Signers: 1}
	d1 := prepare(t, e, j, "doc-1", "Leieavtale", "leieavtale.txt", "text/plain", []byte("Leieavtale. æøå\n"))
	d2 := prepare(t, e, j, "doc-2", "Husordensregler", "regler.txt", "text/plain", []byte("Regler.\n"))
	signer := ola
	signer.EIDMethod = eid.BankID
	ev := sign(t, e, Act{Job: j, Slot: 0, Signer: signer, SignedAt: time.Date(2026, 3, 5, 11, 2, 3, 0, time.UTC)}, []*document{d1, d2})
	v, err := xades.Verify(ev)
	if err != nil {
		t.Fatal(err)
	}
	// The first receipt sizes the signatures of those after it
	// (pades.Options.Fit), which the tools below check.
	if err := e.Receipt(context.Background(), io.Discard, Receipt{Act: v.Facts, SenderName: "Eksempel kommune"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"nb", []string{"Kvittering for signering", "Avsender: Eksempel kommune (312345679)", "Undertegner: Ola Nordmann",
			"Fødselsdato: " + ola.BirthDate, "eID: BankID", "Sikkerhetsnivå: høyt", "Signert: 2026-03-05 12:02:03 CET"}},
		{"nn", []string{"Kvittering for signering", "Avsendar: Eksempel kommune (312345679)", "Underteiknar: Ola Nordmann",
			"Sikkerheitsnivå: høgt", "Dokument du signerte"}},
		{"en", []string{"Signing receipt", "Sender: Eksempel kommune (312345679)", "Signer: Ola Nordmann",
			"Date of birth: " + ola.BirthDate, "Level of assurance: high"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var out bytes.Buffer
			err := e.Receipt(context.Background(), &out, Receipt{Act: v.Facts, SenderName: "Eksempel kommune", Lang: tc.lang})
			if err != nil {
				t.Fatal(err)
			}
			data := out.Bytes()
			text := run(t, data, "pdftotext", "-enc", "UTF-8", "{}", "-")
			tc.want = append(tc.want, "Leieavtale Storgata 1", "Leieavtale", "leieavtale.txt", "Husordensregler",
				fmt.Sprintf("%x", d1.meta.SHA256), fmt.Sprintf("%x", d2.meta.SHA256), j.ID)
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("receipt lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, ola.PID) {
				t.Errorf("receipt shows the identity number the job did not allow:\n%s", text)
			}
			if out := run(t, data, "qpdf", "--check", "{}"); !strings.Contains(out, "No syntax or stream encoding errors found") {
				t.Errorf("qpdf --check:\n%s", out)
			}
			rep, err := validate.PDF(bytes.NewReader(data), int64(len(data)), validate.Options{Roots: env.dev.Roots()})
			if err != nil || !rep.Passed() || len(rep.Signatures) != 1 || !strings.Contains(rep.Signatures[0].Signer.Subject, "seal") {
				t.Fatalf("validate: %v %+v", err, rep)
			}
			if r, err := pdf.Open(bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			} else if infos, err := r.Signatures(); err != nil || len(infos) != 1 {
				t.Errorf("%d signatures, %v", len(infos), err)
			} else if len(infos[0].Raw) >= pdf.DefaultContentsSize {
				t.Errorf("the receipt's signature has %d bytes reserved, want less than the default %d", len(infos[0].Raw), pdf.DefaultContentsSize)
			}
			// The receipt's font is prepared once per language (a subset of
			// its repertoire): Apache PDFBox's preflight checks its widths,
			// /CIDSet and glyphs against what the pages show.
			if tc.lang == "nb" {
				for _, p := range preflight(t, data) {
					if !liftedByPDFA3(p) {
						t.Errorf("preflight: %s", p)
					}
				}
			}
			if env.nssdir == "" {
				testtool.Missing(t, "certutil not installed (libnss3-tools)")
			}
			sig := run(t, data, "pdfsig", "-nssdir", env.nssdir, "{}")
			if !strings.Contains(sig, "Signature Validation: Signature is Valid.") || !strings.Contains(sig, "Certificate Validation: Certificate is Trusted.") {
				t.Errorf("pdfsig:\n%s", sig)
			}
		})
	}
}
