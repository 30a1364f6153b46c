package httpapi

import "testing"

// TestDecodeRefusesNonUnicodeText: invalid UTF-8 and unpaired surrogate
// escapes, which encoding/json would turn into U+FFFD, are refused as
// invalid-text; paired surrogates and escaped backslashes are text.
func TestDecodeRefusesNonUnicodeText(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{"ok/plain", `{"title":"Blåbær"}`, ""},
		{"ok/pair", `{"title":"\ud83d\ude00 avtale"}`, ""},
		{"ok/escaped-backslash", `{"title":"C:\\ud800"}`, ""},
		{"ok/escaped-quote", `{"title":"\"\ud83d\ude00\""}`, ""},
		{"fail/lone-high", `{"title":"\ud800"}`, "invalid-text"},
		{"fail/lone-high-then-text", `{"title":"\uD800abcdef"}`, "invalid-text"},
		{"fail/lone-low", `{"title":"\udc00"}`, "invalid-text"},
		{"fail/high-high", `{"title":"\ud800\ud800"}`, "invalid-text"},
		{"fail/in-signer", `{"title":"x","signers":[{"email":"a\udfff@example.test"}]}`, "invalid-text"},
		{"fail/invalid-utf8", "{\"title\":\"bl\xe5b\xe6r\"}", "invalid-text"},
	})
}
