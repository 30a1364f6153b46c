package ceremony

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// spool stores exactly the bytes its body gives and hashes exactly those,
// however the body hands them over: in whole buffers, a byte at a time,
// with io.EOF beside the last data, or with a failure after some.
func TestSpool(t *testing.T) {
	readers := map[string]func(io.Reader) io.Reader{
		"plain":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for _, size := range []int{0, 1, 4095, spoolPiece, spoolPiece + 1, 3*spoolPiece - 7} {
		in := make([]byte, size)
		rand.Read(in)
		for name, wrap := range readers {
			var out bytes.Buffer
			h := sha256.New()
			n, err := spool(&out, h, wrap(bytes.NewReader(in)))
			if err != nil || n != int64(size) {
				t.Fatalf("%s, %d bytes: spooled %d, %v", name, size, n, err)
			}
			if !bytes.Equal(out.Bytes(), in) {
				t.Fatalf("%s, %d bytes: the stored bytes differ from the body's", name, size)
			}
			if want := sha256.Sum256(in); !bytes.Equal(h.Sum(nil), want[:]) {
				t.Fatalf("%s, %d bytes: the hash is not of the body's bytes", name, size)
			}
		}
	}

	// A failure with data: what came is written and hashed, then the
	// failure is returned as the body gave it.
	in := make([]byte, spoolPiece+100)
	rand.Read(in)
	cut := errors.New("connection reset")
	var out bytes.Buffer
	h := sha256.New()
	n, err := spool(&out, h, io.MultiReader(bytes.NewReader(in), iotest.ErrReader(cut)))
	if !errors.Is(err, cut) {
		t.Fatalf("err = %v, want the body's", err)
	}
	if n != int64(len(in)) || !bytes.Equal(out.Bytes(), in) {
		t.Fatalf("wrote %d of %d bytes before the failure", n, len(in))
	}
	if want := sha256.Sum256(in); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("the hash is not of the bytes written")
	}
}
