package pdfa

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// TestBreaker checks line breaking with a line exactly as wide as fit.
func TestBreaker(t *testing.T) {
	tests := []struct {
		name string
		fit  string // the widest line that fits
		text string // \n is a line break of the input
		want []string
	}{
		{"ok/fits", "abc def", "abc def", []string{"abc def"}},
		{"ok/break-at-last-space", "aaaa bbbb", "aaaa bbbb cccc", []string{"aaaa bbbb", "cccc"}},
		{"ok/spaces-at-break-dropped", "aaaa bbbb", "aaaa bbbb    cccc", []string{"aaaa bbbb", "cccc"}},
		{"ok/space-overflows", "aaaa", "aaaa aaaa", []string{"aaaa", "aaaa"}},
		{"ok/long-word-split", "xxxx", "xxxxxxxxxx", []string{"xxxx", "xxxx", "xx"}},
		{"ok/long-word-after-short", "xxxx", "a xxxxxx", []string{"a", "xxxx", "xx"}},
		{"ok/indent-kept", "xxxxxxxxxxxx", "  ab\n    cd", []string{"  ab", "    cd"}},
		{"ok/indent-only-line-not-broken-at-indent", "xxxx", "  abcdef", []string{"  ab", "cdef"}},
		{"ok/tab-expands-to-column-8", "xxxxxxxxxxxxxxxxxxxx", "a\tb\nabcdefgh\tc", []string{"a       b", "abcdefgh        c"}},
		{"ok/trailing-spaces-trimmed", "xxxxxxxxxx", "ab   \ncd", []string{"ab", "cd"}},
		{"ok/empty-lines-kept", "xxxx", "a\n\nb", []string{"a", "", "b"}},
	}
	sub, err := newSubset()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			b := &breaker{sub: sub, emit: func(l []glyph) error {
				rs := make([]rune, len(l))
				for i, g := range l {
					rs[i] = sub.runes[g.cid]
				}
				got = append(got, string(rs))
				return nil
			}}
			for _, r := range tc.fit {
				_, w, _ := sub.lookup(r)
				b.limit += w
			}
			for _, r := range tc.text {
				if r == '\n' {
					err = b.newline()
				} else {
					err = b.add(r)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if b.pending() {
				if err := b.newline(); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBreakerBoundsZeroWidthRuns(t *testing.T) {
	sub, err := newSubset()
	if err != nil {
		t.Fatal(err)
	}
	var lines int
	b := newBreaker(sub, bodySize, textWidth, func(l []glyph) error {
		if len(l) > maxLineGlyphs {
			t.Fatalf("line of %d glyphs", len(l))
		}
		lines++
		return nil
	})
	for range 5000 {
		if err := b.add('\u0301'); err != nil { // combining acute accent: zero width
			t.Fatal(err)
		}
	}
	if lines < 4 {
		t.Errorf("%d lines for 5000 zero-width glyphs", lines)
	}
}

// TestSubset checks the font subset: CIDs per character from 1, the
// stand-in for missing characters, and composite glyphs (å in DejaVu Sans
// is a with a ring) carried with their components.
func TestSubset(t *testing.T) {
	sub, err := newSubset()
	if err != nil {
		t.Fatal(err)
	}
	if sub.missing != '\ufffd' {
		t.Fatalf("missing-glyph stand-in %q, want U+FFFD", sub.missing)
	}
	for i, r := range []rune("Aå\u0378\x01") {
		cid, w, err := sub.lookup(r)
		if err != nil {
			t.Fatal(err)
		}
		want := uint16(i + 1)
		if i > 2 {
			want = 3 // both missing characters share the stand-in
		}
		if cid != want || w <= 0 {
			t.Errorf("%q: CID %d width %d, want CID %d", r, cid, w, want)
		}
	}
	if sub.runes[3] != '\ufffd' {
		t.Errorf("CID 3 copies as %q, want U+FFFD", sub.runes[3])
	}
	prog, err := sub.fontProgram()
	if err != nil {
		t.Fatal(err)
	}
	sf := checkProgram(t, prog)
	composites := 0
	for g := range sf.numGlyphs {
		if b := sf.glyph(uint16(g)); len(b) >= 2 && int16(binary.BigEndian.Uint16(b)) < 0 {
			composites++
		}
	}
	if composites == 0 || sf.numGlyphs <= 4 {
		t.Errorf("%d glyphs, %d composite: want å's components pulled in", sf.numGlyphs, composites)
	}
	if len(prog) > 8<<10 {
		t.Errorf("subset of 3 characters is %d bytes", len(prog))
	}
	t.Logf("subset of 3 characters: %d glyphs, %d bytes", sf.numGlyphs, len(prog))
}

// TestFontProgramAllocations checks that building a subset's font
// program copies each glyph once, into the new table, rather than
// cloning it and growing the table and the file around it: every
// signing act, signature page and receipt builds one.
func TestFontProgramAllocations(t *testing.T) {
	sub, err := newSubset()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range consent {
		if _, _, err := sub.lookup(r); err != nil {
			t.Fatal(err)
		}
	}
	if len(sub.gids) < 40 {
		t.Fatalf("%d glyphs, want a text's worth", len(sub.gids))
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := sub.fontProgram(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 40 {
		t.Errorf("fontProgram made %.0f allocations for %d glyphs, want at most 40", allocs, len(sub.gids))
	}
}

// TestUnhintedGlyphs checks appendUnhinted on every glyph of the font:
// what follows a simple glyph's instructions (flags and coordinates) and a
// composite glyph's components are kept byte for byte, only the
// instructions and the old padding go, and most glyphs had instructions.
func TestUnhintedGlyphs(t *testing.T) {
	f, err := loadFont()
	if err != nil {
		t.Fatal(err)
	}
	hinted, padded, before, after := 0, 0, 0, 0
	for g := range f.numGlyphs {
		b := f.glyph(uint16(g))
		u, err := appendUnhinted(nil, b)
		if err != nil {
			t.Fatalf("glyph %d: %v", g, err)
		}
		before, after = before+len(b), after+len(u)
		if len(u) < len(b) {
			hinted++
		}
		if len(b) < compositeHeader {
			if !bytes.Equal(u, b) {
				t.Errorf("glyph %d without outline changed", g)
			}
			continue
		}
		if contours := int(int16(binary.BigEndian.Uint16(b))); contours >= 0 {
			at := compositeHeader + 2*contours
			code := at + 2 + int(binary.BigEndian.Uint16(b[at:]))
			// Only the old record's padding (to a multiple of 4 or
			// 2 bytes) may follow the coordinates.
			kept, rest := u[at+2:], b[code:]
			if !bytes.Equal(u[:at], b[:at]) || binary.BigEndian.Uint16(u[at:]) != 0 || !bytes.HasPrefix(rest, kept) || len(rest)-len(kept) >= 4 {
				t.Errorf("simple glyph %d: outline changed", g)
			}
			if len(kept) < len(rest) {
				padded++
			}
			continue
		}
		end, _ := components(b, func(int) error { return nil })
		var flags []uint16
		components(b, func(off int) error { flags = append(flags, binary.BigEndian.Uint16(b[off-2:])); return nil })
		i := 0
		components(u, func(off int) error {
			if got, want := binary.BigEndian.Uint16(u[off-2:]), flags[i]&^haveInstructions; got != want {
				t.Errorf("composite glyph %d: component %d flags %#x, want %#x", g, i, got, want)
			}
			i++
			return nil
		})
		if len(u) != end || i != len(flags) {
			t.Errorf("composite glyph %d: %d bytes and %d components, want %d and %d", g, len(u), i, end, len(flags))
		}
	}
	// The letters of a receipt were hinted, and lose more than a third.
	letters, unhinted := 0, 0
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzÆØÅæøå" {
		b := f.glyph(f.cmap[r])
		u, _ := appendUnhinted(nil, b)
		letters, unhinted = letters+len(b), unhinted+len(u)
	}
	if hinted == 0 || unhinted > letters*2/3 {
		t.Errorf("%d of %d glyphs had instructions; letters %d → %d bytes", hinted, f.numGlyphs, letters, unhinted)
	}
	// Some records were padded after their coordinates; the subset pads
	// again, so that padding must not be kept too.
	if padded == 0 {
		t.Error("no glyph's old padding was dropped")
	}
	t.Logf("%d of %d glyphs had instructions, %d padding; glyf %d → %d bytes, letters %d → %d", hinted, f.numGlyphs, padded, before, after, letters, unhinted)
}
