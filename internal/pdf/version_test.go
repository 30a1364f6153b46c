package pdf

import (
	"bytes"
	"fmt"
	"testing"
)

// TestFeaturesRaiseVersion checks that a signature, an attachment or a DSS
// added to an old document make it declare what they need: a PDF 1.2
// upload must not come out as PDF 1.2 with /UF, /AF and /DSS. PDF 1.7
// with ETSI's /ESIC extension is declared (see featureVersion); a PDF 2.0
// document and a later ESIC level are left alone.
func TestFeaturesRaiseVersion(t *testing.T) {
	doc := func(version, catalogExtra string) []byte {
		b := newBuilder(version)
		size := b.pageDoc(1, catalogExtra, "")
		b.xref(fmt.Sprintf("<< /Size %d /Root 1 0 R >>", size))
		return b.Bytes()
	}
	sign := func(t *testing.T, src []byte) []byte {
		t.Helper()
		p, err := PrepareSignature(bytes.NewReader(src), int64(len(src)), SignatureSpec{
			SubFilter:   SubFilterCAdES,
			Attachments: []Attachment{{Name: "evidence.xml", MediaType: "application/xml", Data: []byte("<e/>")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := p.WriteTo(&out, []byte{0x30, 0x00}); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	dss := func(t *testing.T, src []byte) []byte {
		t.Helper()
		var out bytes.Buffer
		if _, err := AppendDSS(&out, bytes.NewReader(src), int64(len(src)), DSS{Certs: [][]byte{{0x30, 0x00}}}); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	esic := func(t *testing.T, data []byte) int64 {
		t.Helper()
		r := mustOpen(t, data)
		cat, err := r.catalog()
		if err != nil {
			t.Fatal(err)
		}
		ext, _ := r.Resolve(cat["Extensions"])
		d, _ := ext.(Dict)
		e, _ := r.Resolve(d["ESIC"])
		ed, _ := e.(Dict)
		level, _ := intValue(ed["ExtensionLevel"])
		if level > 0 && ed["BaseVersion"] != Name("1.7") {
			t.Errorf("ESIC base version %v", ed["BaseVersion"])
		}
		return level
	}
	for _, tc := range []struct {
		name, version, catalog string
		step                   func(*testing.T, []byte) []byte
		want                   string
		wantLevel              int64
	}{
		{"1.2 signed", "1.2", "", sign, "1.7", 1},
		{"1.2 DSS", "1.2", "", dss, "1.7", 1},
		{"1.4 with catalog 1.5 DSS", "1.4", "/Version /1.5", dss, "1.7", 1},
		{"1.7 signed", "1.7", "", sign, "1.7", 1},
		{"2.0 signed", "2.0", "", sign, "2.0", 0},
		{"1.7 ESIC 5 kept", "1.7", "/Extensions << /ESIC << /BaseVersion /1.7 /ExtensionLevel 5 >> /ADBE << /BaseVersion /1.7 /ExtensionLevel 3 >> >>", dss, "1.7", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.step(t, doc(tc.version, tc.catalog))
			if v := mustOpen(t, out).Version(); v != tc.want {
				t.Errorf("version %s, want %s", v, tc.want)
			}
			if level := esic(t, out); level != tc.wantLevel {
				t.Errorf("ESIC extension level %d, want %d", level, tc.wantLevel)
			}
			// A second update finds everything declared and keeps it.
			again := dss(t, out)
			if v := mustOpen(t, again).Version(); v != tc.want {
				t.Errorf("version %s after another update", v)
			}
		})
	}
	// Other extensions survive.
	out := dss(t, doc("1.7", "/Extensions << /ADBE << /BaseVersion /1.7 /ExtensionLevel 3 >> >>"))
	r := mustOpen(t, out)
	cat, _ := r.catalog()
	ext, _ := r.Resolve(cat["Extensions"])
	if _, ok := ext.(Dict)["ADBE"]; !ok {
		t.Errorf("extensions %v lost ADBE", ext)
	}
}
