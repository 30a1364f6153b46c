package audit

import (
	"strings"
	"testing"
	"time"
)

func chain(n int) []Record {
	var out []Record
	var prev *Record
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := range n {
		r := Record{At: t0.Add(time.Duration(i) * time.Second), Org: "317510748", Actor: "cert:1",
			Action: "job.created", JobID: "j", Details: Details(map[string]any{"n": i})}
		r.Seal(prev)
		out = append(out, r)
		prev = &out[len(out)-1]
	}
	return out
}

func verify(records []Record) error {
	var v Verifier
	for _, r := range records {
		if err := v.Next(r); err != nil {
			return err
		}
	}
	return nil
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func([]Record) []Record
		wantErr string
	}{
		{"ok/untouched", func(r []Record) []Record { return r }, ""},
		{"fail/edited-actor", func(r []Record) []Record { r[2].Actor = "cert:2"; return r }, "record 3 was altered"},
		{"fail/edited-details", func(r []Record) []Record { r[1].Details = []byte(`{"n":9}`); return r }, "record 2 was altered"},
		{"fail/removed", func(r []Record) []Record { return append(r[:2], r[3:]...) }, "record 4 found where 3"},
		{"fail/reordered", func(r []Record) []Record { r[1], r[2] = r[2], r[1]; return r }, "record 3 found where 2"},
		{"fail/renumbered-after-removal", func(r []Record) []Record {
			r = append(r[:2], r[3:]...)
			r[2].Seq, r[3].Seq = 3, 4
			return r
		}, "does not follow"},
		{"fail/rehashed-edit", func(r []Record) []Record {
			r[1].Actor = "cert:evil"
			r[1].Hash = r[1].Sum() // a forger recomputes the hash, but the next record still points at the old one
			return r
		}, "record 3 does not follow record 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.tamper(chain(5)))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}
