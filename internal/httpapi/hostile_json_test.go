package httpapi

import (
	"bytes"
	"strings"
	"testing"

	"github.com/segl/segl/internal/errs"
)

// TestDecodeRefusesAmbiguousNames: a member named twice in one object,
// or spelt in a case (or with a Unicode letter) that encoding/json folds
// onto a field's name, is refused as invalid-json rather than decoded as
// one of the readings; an escaped name is the name it spells.
func TestDecodeRefusesAmbiguousNames(t *testing.T) {
	const signer = `{"pid":"21909825250","order":1}`
	runDecodeCases(t, []decodeCase{
		{"ok/nested-same-names", `{"title":"x","documents":[{"title":"a","file":"f"}],"exit_urls":{"error":"https://e.test"},"signers":[` + signer + `,` + signer + `]}`, ""},
		{"ok/escaped-name", `{"titl\u0065":"x"}`, ""},
		{"ok/empty-objects", `{"title":"x","exit_urls":{},"signers":[{}]}`, ""},
		{"fail/top-level-twice", `{"title":"x","title":"y"}`, codeInvalidJSON},
		{"fail/signers-twice", `{"signers":[` + signer + `],"title":"x","signers":[]}`, codeInvalidJSON},
		{"fail/escaped-twice", `{"title":"x","titl\u0065":"y"}`, codeInvalidJSON},
		{"fail/in-signer", `{"signers":[{"pid":"21909825250","pid":"03896127682"}]}`, codeInvalidJSON},
		{"fail/in-exit-urls", `{"exit_urls":{"completion":"https://a.test","completion":"https://b.test"}}`, codeInvalidJSON},
		{"fail/after-nested-object", `{"exit_urls":{"error":"https://e.test"},"title":"x","exit_urls":null}`, codeInvalidJSON},
		{"fail/upper-case", `{"Title":"x"}`, codeInvalidJSON},
		{"fail/case-twice", `{"title":"x","TITLE":"y"}`, codeInvalidJSON},
		{"fail/long-s", `{"title":"x","ſigners":[` + signer + `]}`, codeInvalidJSON},
		{"fail/kelvin-sign", `{"title":"x","callbacK_url":"https://c.test"}`, codeInvalidJSON},
	})
}

// A job part over its limit says so, rather than what the JSON decoder
// says of the cut-off text.
func TestDecodeSaysTheJobPartIsTooLarge(t *testing.T) {
	big := `{"title":"` + strings.Repeat("a", maxJobPart) + `"}`
	_, err := decodeRequest(bytes.NewReader([]byte(big)))
	if !errs.HasCode(err, codeInvalidJSON) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v, want %s saying the part is too large", err, codeInvalidJSON)
	}
}

// The name check reads no further into a list than the decoding does:
// a 1 MiB list of 87,000 signers costs what a list of a thousand does,
// not a map and its names each (1.3 million allocations, 43 MB).
func TestCheckJSONNamesBoundedByTheListLimit(t *testing.T) {
	raw := []byte(`{"title":"x","signers":[{"order":1}` + strings.Repeat(`,{"order":1}`, 87_000) + `]}`)
	allocs := testing.AllocsPerRun(2, func() {
		if err := checkJSONNames(raw); err != nil {
			t.Fatal(err)
		}
	})
	const most = 20_000
	if allocs > most {
		t.Fatalf("%.0f allocations for %d bytes, more than %d", allocs, len(raw), most)
	}
}

// decodeCase is a job part and the code decodeRequest answers it with
// ("" for none).
type decodeCase struct{ name, json, code string }

func runDecodeCases(t *testing.T, cases []decodeCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeRequest(strings.NewReader(tt.json))
			code := ""
			if e := errs.From(err); e != nil {
				code = e.Code
			} else if err != nil {
				t.Fatalf("untyped error %v", err)
			}
			if code != tt.code {
				t.Fatalf("%s: code %q (%v), want %q", tt.json, code, err, tt.code)
			}
		})
	}
}
