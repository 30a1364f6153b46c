package pdf

import (
	"compress/zlib"
	"fmt"
	"io"
)

// StreamReader returns the decoded data of s (7.3.8, 7.4). Only
// FlateDecode (7.4.4), with or without a PNG or 8-bit TIFF predictor, is
// supported, since that covers cross-reference and object streams; a stream
// with any other filter yields ErrUnsupportedFilter, and one without a
// filter is returned raw. Streams of an encrypted file yield ErrEncrypted,
// except cross-reference streams, which are never encrypted (7.6.1).
//
// The reader reads the file on its own and is not bounded: callers that
// keep the data should limit how much they read.
func (r *Reader) StreamReader(s Stream) (io.Reader, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.decoder(s, 0, false)
}

// readError marks an error of the underlying io.ReaderAt, which is not the
// file's fault and must not be reported as ErrMalformed.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// rawReader reads a stream's raw data and marks read errors.
type rawReader struct{ r io.Reader }

func (r rawReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = readError{fmt.Errorf("pdf: read stream: %w", err)}
	}
	return n, err
}

// checkedReader turns errors of corrupt encoded data into ErrMalformed.
type checkedReader struct{ r io.Reader }

func (r checkedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = decodeError(err)
	}
	return n, err
}

// decoder builds the filter chain of s. Filter parameters may be indirect
// unless direct is set (cross-reference streams, 7.5.8.2).
func (r *Reader) decoder(s Stream, depth int, direct bool) (io.Reader, error) {
	if s.Offset < 0 || s.Length < 0 || s.Offset > r.size || s.Length > r.size-s.Offset {
		return nil, malformed("stream data outside the file")
	}
	if r.encrypted && s.Dict["Type"] != Name("XRef") {
		return nil, fmt.Errorf("%w: cannot decode stream data", ErrEncrypted)
	}
	get := func(o Object) (Object, error) {
		if ref, ok := o.(Ref); ok {
			if direct {
				return nil, malformed("indirect filter parameters in xref stream")
			}
			return r.object(ref, depth+1)
		}
		return o, nil
	}
	if _, ok := s.Dict["F"]; ok {
		return nil, fmt.Errorf("%w: external stream data", ErrUnsupportedFilter)
	}
	fo, err := get(s.Dict["Filter"])
	if err != nil {
		return nil, err
	}
	po, err := get(s.Dict["DecodeParms"])
	if err != nil {
		return nil, err
	}
	var filters, parms Array
	switch f := fo.(type) {
	case nil, Null:
	case Name:
		filters, parms = Array{f}, Array{po}
	case Array:
		filters = f
		parms, _ = po.(Array)
	default:
		return nil, malformed("bad stream /Filter")
	}
	if len(filters) > maxFilters {
		return nil, malformed("more than %d stream filters", maxFilters)
	}

	var rd io.Reader = rawReader{io.NewSectionReader(r.src, s.Offset, s.Length)}
	for i, fo := range filters {
		f, err := get(fo)
		if err != nil {
			return nil, err
		}
		var p Dict
		if i < len(parms) {
			po, err := get(parms[i])
			if err != nil {
				return nil, err
			}
			p, _ = po.(Dict)
		}
		switch f {
		case Name("FlateDecode"), Name("Fl"):
			zr, err := zlib.NewReader(rd)
			if err != nil {
				return nil, decodeError(err)
			}
			if rd, err = r.predictor(zr, p, depth, direct); err != nil {
				return nil, err
			}
		default:
			name, _ := f.(Name)
			return nil, fmt.Errorf("%w: %s", ErrUnsupportedFilter, name)
		}
	}
	if len(filters) == 0 {
		return rd, nil
	}
	return checkedReader{rd}, nil
}

// predictor wraps rd to undo a predictor given in the filter parameters
// (7.4.4.4, Table 8).
func (r *Reader) predictor(rd io.Reader, p Dict, depth int, direct bool) (io.Reader, error) {
	param := func(k Name, def int64) (int64, error) {
		o := p[k]
		if ref, ok := o.(Ref); ok {
			if direct {
				return 0, malformed("indirect filter parameters in xref stream")
			}
			var err error
			if o, err = r.object(ref, depth+1); err != nil {
				return 0, err
			}
		}
		if o == nil {
			return def, nil
		}
		v, ok := intValue(o)
		if !ok {
			return 0, malformed("bad /%s in /DecodeParms", k)
		}
		return v, nil
	}
	pred, err := param("Predictor", 1)
	if err != nil {
		return nil, err
	}
	if pred == 1 {
		return rd, nil
	}
	colors, err := param("Colors", 1)
	if err != nil {
		return nil, err
	}
	bpc, err := param("BitsPerComponent", 8)
	if err != nil {
		return nil, err
	}
	columns, err := param("Columns", 1)
	if err != nil {
		return nil, err
	}
	if colors < 1 || colors > 32 || columns < 1 || columns > 1<<20 ||
		(bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) {
		return nil, malformed("bad predictor parameters")
	}
	bitsPerPixel := int(colors * bpc)
	rowLen := (bitsPerPixel*int(columns) + 7) / 8
	bpp := max(1, (bitsPerPixel+7)/8)
	if rowLen > 1<<20 {
		return nil, malformed("predictor rows too long")
	}
	switch {
	case pred == 2:
		if bpc != 8 {
			return nil, fmt.Errorf("%w: tiff predictor with %d bits per component", ErrUnsupportedFilter, bpc)
		}
		return &tiffReader{r: rd, bpp: bpp, row: make([]byte, rowLen)}, nil
	case pred >= 10 && pred <= 15:
		return &pngReader{r: rd, bpp: bpp, cur: make([]byte, rowLen+1), prev: make([]byte, rowLen+1)}, nil
	}
	return nil, malformed("unknown predictor %d", pred)
}

// pngReader undoes PNG row filters (RFC 2083 section 6), each row carrying
// its own filter type byte, as cross-reference streams commonly use.
type pngReader struct {
	r         io.Reader
	bpp       int
	cur, prev []byte // filter byte + row
	pending   []byte
	err       error
}

func (p *pngReader) Read(b []byte) (int, error) {
	for len(p.pending) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		if _, err := io.ReadFull(p.r, p.cur); err != nil {
			p.err = err
			continue
		}
		row, prev := p.cur[1:], p.prev[1:]
		switch p.cur[0] {
		case 0:
		case 1: // Sub
			for i := p.bpp; i < len(row); i++ {
				row[i] += row[i-p.bpp]
			}
		case 2: // Up
			for i := range row {
				row[i] += prev[i]
			}
		case 3: // Average
			for i := range row {
				var left byte
				if i >= p.bpp {
					left = row[i-p.bpp]
				}
				row[i] += byte((int(left) + int(prev[i])) / 2)
			}
		case 4: // Paeth
			for i := range row {
				var a, c byte
				if i >= p.bpp {
					a, c = row[i-p.bpp], prev[i-p.bpp]
				}
				row[i] += paeth(a, prev[i], c)
			}
		default:
			p.err = malformed("bad png predictor %d", p.cur[0])
			continue
		}
		p.cur, p.prev = p.prev, p.cur
		p.pending = p.prev[1:]
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func paeth(a, b, c byte) byte {
	pa := abs(int(b) - int(c))
	pb := abs(int(a) - int(c))
	pc := abs(int(a) + int(b) - 2*int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// tiffReader undoes TIFF predictor 2 for 8-bit components: each byte is
// stored as the difference from the same component of the previous pixel.
type tiffReader struct {
	r       io.Reader
	bpp     int
	row     []byte
	pending []byte
	err     error
}

func (t *tiffReader) Read(b []byte) (int, error) {
	for len(t.pending) == 0 {
		if t.err != nil {
			return 0, t.err
		}
		if _, err := io.ReadFull(t.r, t.row); err != nil {
			t.err = err
			continue
		}
		for i := t.bpp; i < len(t.row); i++ {
			t.row[i] += t.row[i-t.bpp]
		}
		t.pending = t.row
	}
	n := copy(b, t.pending)
	t.pending = t.pending[n:]
	return n, nil
}
