package signing

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/xades"
)

// withSami returns the built-in catalogues (internal/doctext/i18n) and
// a translator's i18n/se.json: the English texts, each marked "se:" so
// that the test can tell where they show (a test does not make up Sámi).
func withSami(t *testing.T) fs.FS {
	t.Helper()
	src := os.DirFS("../doctext")
	files, err := fs.Glob(src, "i18n/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("catalogues: %v %v", files, err)
	}
	out := fstest.MapFS{}
	for _, f := range files {
		b, err := fs.ReadFile(src, f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = &fstest.MapFile{Data: b}
	}
	var texts any
	if err := json.Unmarshal(out["i18n/en.json"].Data, &texts); err != nil {
		t.Fatal(err)
	}
	var mark func(v any) any
	mark = func(v any) any {
		switch v := v.(type) {
		case string:
			return "se:" + v
		case map[string]any:
			for k, x := range v {
				v[k] = mark(x)
			}
		}
		return v
	}
	b, err := json.Marshal(mark(texts))
	if err != nil {
		t.Fatal(err)
	}
	out["i18n/se.json"] = &fstest.MapFile{Data: b}
	return out
}

// A translator's se.json makes Northern Sámi a job language without a
// change to the code: the signature page and the slot are in Sámi beside
// English, the receipt in Sámi. Without the file, se is refused as a
// language without texts.
func TestLanguageFromCatalogue(t *testing.T) {
	env := setup(t)
	j := Job{ID: "job-se", Title: "Soahpamuš", SenderOrg: "312345679", SenderName: "Guovdageainnu suohkan",
		Identifier: job.ShowBirthDateAndName, Signers: 1, Lang: "se"}
	upload := []byte("Mun dohkkehan. áčđŋšŧž\n")

	builtin := env.engine(t)
	var out bytes.Buffer
	_, err := builtin.prepare(context.Background(), &out, j, Document{ID: "doc-1", Title: "Soahpamuš", FileName: "soahpamus.txt",
		MediaType: "text/plain", SHA256: sum(upload), Size: int64(len(upload))}, bytes.NewReader(upload), int64(len(upload)))
	if e := errs.From(err); e == nil || e.Kind != errs.Invalid || e.Code != "bad-lang" {
		t.Fatalf("se without a catalogue: err = %v, want bad-lang", err)
	}

	e := env.engine(t, func(c *Config) { c.catalogues = withSami(t) })
	d := prepare(t, e, j, "doc-1", "Soahpamuš", "soahpamus.txt", "text/plain", upload)
	signer := ola
	signer.EIDMethod = eid.BankID
	ev := sign(t, e, Act{Job: j, Slot: 0, Signer: signer, SignedAt: time.Date(2026, 3, 5, 11, 2, 3, 0, time.UTC)}, []*document{d})
	page := pageText(t, d.data, pageCount(t, d.data))
	for _, want := range []string{
		"se:Signatures / Signatures", "se:Sender / Sender", "Guovdageainnu suohkan (312345679)",
		"se:The signatures are digital signatures (PAdES)", "se:Signature page 1 of 1 / Signature page 1 of 1",
		"se:Date of birth / Date of birth: " + ola.BirthDate,
		"eID: BankID, se:level of assurance high / level of assurance high",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("Sámi signature page lacks %q:\n%s", want, page)
		}
	}
	for _, other := range []string{"Signaturer", "Avsender", "Fødselsdato"} {
		if strings.Contains(page, other) {
			t.Errorf("Sámi signature page has the bokmål %q:\n%s", other, page)
		}
	}

	v, err := xades.Verify(ev)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := e.Receipt(context.Background(), &out, Receipt{Act: v.Facts, SenderName: "Guovdageainnu suohkan", Lang: "se"}); err != nil {
		t.Fatal(err)
	}
	receipt := run(t, out.Bytes(), "pdftotext", "-enc", "UTF-8", "{}", "-")
	for _, want := range []string{"se:Signing receipt", "se:Signer: Ola Nordmann", "se:Level of assurance: se:high", "se:Documents you signed"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("Sámi receipt lacks %q:\n%s", want, receipt)
		}
	}
	if info := run(t, out.Bytes(), "pdfinfo", "{}"); !strings.Contains(info, " se:Signing receipt\n") {
		t.Errorf("Sámi receipt's title:\n%s", info)
	}
}
