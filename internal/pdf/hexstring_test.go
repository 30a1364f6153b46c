package pdf

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestHexStringWindows checks hexString, whose fast path decodes straight
// from the scanner's window, against a plain decoder, on random strings of
// digits, white space and bad bytes, with windows as small as one byte so
// that every boundary falls everywhere.
func TestHexStringWindows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("0123456789abcdefABCDEF \n\r\t\x00xZ<>")
	for range 20000 {
		n := r.IntN(40)
		b := []byte{'<'}
		for range n {
			if r.IntN(10) < 8 {
				b = append(b, "0123456789abcdefABCDEF"[r.IntN(22)])
			} else {
				b = append(b, alphabet[r.IntN(len(alphabet))])
			}
		}
		if r.IntN(5) > 0 {
			b = append(b, '>')
		}
		b = append(b, " 1 0 R"...)
		// The reference: drop white space, stop at a bad byte, pad an odd digit.
		var want []byte
		wantOK := false
		var digits []byte
		for j := 1; j < len(b); j++ {
			c := b[j]
			if c == '>' {
				if len(digits)%2 == 1 {
					digits = append(digits, '0')
				}
				want, _ = hex.DecodeString(string(digits))
				wantOK = true
				break
			}
			if isSpace(c) {
				continue
			}
			if !isHex(c) {
				break
			}
			digits = append(digits, c)
		}
		for _, win := range []int{0, 1, 2, 3, 5, 8} {
			var s *scanner
			if win == 0 {
				s = newBytesScanner(b)
			} else {
				s = newFileScanner(bytes.NewReader(b), int64(len(b)))
				s.buf = make([]byte, win)
			}
			o, err := s.hexString()
			if (err == nil) != wantOK {
				t.Fatalf("%q win %d: err %v, want ok %v", b, win, err, wantOK)
			}
			if err == nil && !bytes.Equal([]byte(o.(String)), want) {
				t.Fatalf("%q win %d: got %x want %x", b, win, o, want)
			}
		}
	}
}

// BenchmarkHexString reads a signature's /Contents: 16 KB of DER as 32 KB
// of digits, as every completion and validation reads each signature.
func BenchmarkHexString(b *testing.B) {
	der := make([]byte, 16<<10)
	for i := range der {
		der[i] = byte(i * 7)
	}
	src := []byte("<" + hex.EncodeToString(der) + ">")
	b.ReportAllocs()
	for b.Loop() {
		s := newFileScanner(bytes.NewReader(src), int64(len(src)))
		if _, err := s.hexString(); err != nil {
			b.Fatal(err)
		}
	}
}
