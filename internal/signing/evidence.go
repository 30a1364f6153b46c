package signing

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"sync"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/xades"
)

// OpenEvidence returns the evidence that o, a signer's recorded evidence
// span (Signed.Evidence), holds: o itself when it is the XML as it is (a
// blob of its own, or an act's update from before the evidence was
// deflated), else the XML inflated from o, the zlib data (RFC 1950) of
// the embedded file stream. The two cannot be taken for each other: a
// zlib stream's first byte names compression method 8 in its low four
// bits (RFC 1950 §2.2), and an XML document begins with '<' (0x3C), a
// byte-order mark (0xEF) or white space (0x09, 0x0A, 0x0D, 0x20), none
// of which does. It closes o when it returns another object, or an error.
func OpenEvidence(o blob.Object) (blob.Object, error) {
	if o.Size() == 0 {
		return o, nil
	}
	var first [1]byte
	if n, err := o.ReadAt(first[:], 0); n < 1 {
		o.Close()
		return nil, fmt.Errorf("signing: read evidence: %w", err)
	}
	if first[0]&0x0f != 8 {
		return o, nil
	}
	defer o.Close()
	if o.Size() > xades.MaxSize {
		return nil, fmt.Errorf("signing: deflated evidence of %d bytes", o.Size())
	}
	// Read whole: a bytes.Reader is an io.ByteReader, which flate reads
	// without a buffer of its own.
	z := make([]byte, o.Size())
	if n, err := o.ReadAt(z, 0); n < len(z) {
		return nil, fmt.Errorf("signing: read evidence: %w", err)
	}
	src := bytes.NewReader(z)
	zr, _ := inflaters.Get().(io.ReadCloser)
	var err error
	if zr == nil {
		zr, err = zlib.NewReader(src)
	} else {
		err = zr.(zlib.Resetter).Reset(src, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("signing: inflate evidence: %w", err)
	}
	defer inflaters.Put(zr)
	// Bounded as XAdES evidence is wherever it is read; XML deflates to
	// about a third.
	var xml bytes.Buffer
	xml.Grow(int(min(4*o.Size(), xades.MaxSize+1)))
	_, err = xml.ReadFrom(io.LimitReader(zr, xades.MaxSize+1))
	if err == nil {
		err = zr.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("signing: inflate evidence: %w", err)
	}
	if xml.Len() > xades.MaxSize {
		return nil, fmt.Errorf("signing: evidence inflates to more than %d bytes", xades.MaxSize)
	}
	return inflated{bytes.NewReader(xml.Bytes())}, nil
}

// inflaters keeps zlib readers (zlib.Resetter) for OpenEvidence: a new
// one allocates its window and tables, more than the evidence itself.
var inflaters sync.Pool

// inflated is an evidence inflated in memory, as a blob.Object.
type inflated struct{ *bytes.Reader }

func (inflated) Close() error { return nil }
