package web

import (
	"os"
	"regexp"
	"testing"
)

// The signer pages choose some texts in Go (error pages, the reason a task
// cannot be signed now): every such key must be in both catalogues, with
// .title and .text for an error page.
func TestSignPageKeysExist(t *testing.T) {
	e := newEnv(t, Options{})
	src, err := os.ReadFile("sign.go")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, m := range regexp.MustCompile(`"((?:sign|doc)\.[a-z0-9.-]+)"`).FindAllStringSubmatch(string(src), -1) {
		key := m[1]
		keys := []string{key}
		if regexp.MustCompile(`^sign\.error\.[a-z-]+$`).MatchString(key) {
			keys = []string{key + ".title", key + ".text"}
		}
		for _, k := range keys {
			found++
			for _, lang := range Languages {
				if _, ok := e.web.catalogues[lang][k]; !ok {
					t.Errorf("sign.go uses %q, missing in %s", k, lang)
				}
			}
		}
	}
	if found < 10 {
		t.Fatalf("only %d keys found: is the pattern right?", found)
	}
}

func TestFormatSize(t *testing.T) {
	w := portalWeb(t)
	for _, tc := range []struct {
		lang string
		n    int64
		want string
	}{
		{"nb", 56, "56 byte"},
		{"en", 1023, "1023 bytes"},
		{"nb", 1024, "1 kB"},
		{"nb", 1025, "1,0 kB"},
		{"en", 9_876, "9.6 kB"},
		{"nb", 100_000, "97,7 kB"},
		{"en", 212_345, "207 kB"},
		{"nb", 10 << 20, "10 MB"}, // the default limit: a round number (issue 14 item 10)
		{"nb", 10_500_000, "10,0 MB"},
		{"nb", 10<<20 + 1, "10,0 MB"},
		{"en", 3 << 30, "3 GB"},
	} {
		if got := w.FormatSize(tc.lang, tc.n); got != tc.want {
			t.Errorf("FormatSize(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}
