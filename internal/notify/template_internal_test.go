package notify

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// withLanguage is the embedded templates plus a copy of bokmål's as
// language lang, each file changed by edit, as a translator would add
// a language; a file edit returns "" for is left out.
func withLanguage(t *testing.T, lang string, edit func(name, text string) string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, _ := templateFS.ReadFile(p)
		fsys[p] = &fstest.MapFile{Data: raw}
		if name, ok := strings.CutPrefix(p, "templates/"+LangNB+"/"); ok {
			if text := edit(name, string(raw)); text != "" {
				fsys["templates/"+lang+"/"+name] = &fstest.MapFile{Data: []byte(text)}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// A language of notices is added with its files alone, its dates
// included; one missing a file does not load.
func TestNoticeLanguageAddedByFiles(t *testing.T) {
	sami := withLanguage(t, "se", func(name, text string) string {
		if name == "common.txt" {
			return strings.Replace(text, "januar februar mars", "ođđajagemánnu guovvamánnu njukčamánnu", 1)
		}
		return strings.ReplaceAll(text, "Hei,", "Buorre beaivi,")
	})
	sets, langs, err := loadTemplates(sami)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(langs, "se") || langs[0] != LangNB {
		t.Fatalf("languages %v", langs)
	}
	var b strings.Builder
	deadline := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	err = sets["se/"+Reminder].text.ExecuteTemplate(&b, "text", map[string]any{"Sender": "NAV", "Title": "T",
		"Link": "https://x.example/s", "Deadline": deadline})
	if err != nil || !strings.Contains(b.String(), "Buorre beaivi,") || !strings.Contains(b.String(), "2. njukčamánnu 2026 kl. 13:00") {
		t.Fatalf("se reminder: %v\n%s", err, b.String())
	}

	partial := withLanguage(t, "se", func(name, text string) string {
		if name == "reminder.html" {
			return ""
		}
		return text
	})
	if _, _, err := loadTemplates(partial); err == nil {
		t.Fatal("a language missing a template loaded")
	}
}
