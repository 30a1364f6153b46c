package job

import "testing"

// The signers sign every document of a job without a combined document,
// and only the combined document of a job that has one; New marks the
// sender's documents as originals.
func TestSigns(t *testing.T) {
	plain, _ := New(&Request{Title: "t", Signers: []SignerRequest{{PID: "21909825250"}}}, "o", "c",
		[]Document{{ID: "a"}, {ID: "b"}}, func() string { return "id" }, now, DefaultLimits)
	for i := range plain.Documents {
		d := &plain.Documents[i]
		if d.Role != Original || !plain.Signs(d) {
			t.Fatalf("document %s of a job without a combined one: role %q, signs %v", d.ID, d.Role, plain.Signs(d))
		}
	}
	if plain.Combined() != nil {
		t.Fatalf("a job of originals has a combined document: %+v", plain.Combined())
	}

	combined, _ := New(&Request{Title: "t", Signers: []SignerRequest{{PID: "21909825250"}}}, "o", "c",
		[]Document{{ID: "a"}, {ID: "b"}, {ID: "ab", Role: Combined}}, func() string { return "id" }, now, DefaultLimits)
	want := map[string]bool{"a": false, "b": false, "ab": true}
	for i := range combined.Documents {
		d := &combined.Documents[i]
		if got := combined.Signs(d); got != want[d.ID] {
			t.Errorf("Signs(%s) = %v, want %v", d.ID, got, want[d.ID])
		}
	}
	if c := combined.Combined(); c == nil || c.ID != "ab" {
		t.Fatalf("Combined() = %+v, want ab", c)
	}
}
