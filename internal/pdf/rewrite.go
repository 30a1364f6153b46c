package pdf

import (
	"fmt"
	"hash"
	"io"
)

// objectWriter is the output side of a rewrite ([Normalize], [Combine]):
// one numbering of new objects 1..N, all of generation 0, written in the
// order they were numbered, uncompressed, and listed in one classic
// cross-reference table (ISO 32000-1 §7.5.4) without gaps or free entries
// besides object 0, followed by one trailer and one %%EOF. Objects are
// numbered as a breadth-first walk meets them ([normalizer.ref]), so the
// queue is the walk's and the output is reproducible.
type objectWriter struct {
	max     int   // objects at most
	full    error // wrapped when more are added; ErrMalformed when nil
	out     *countingWriter
	queue   []queued // queue[i] is written as object i+1
	offs    []int64  // of each object written
	buf     []byte
	copyBuf []byte // stream data is copied through it
	id      []byte // the /ID strings when given; else a digest of the output (finish)
}

// queued is one object of the output. An object of a source document has
// n set: ref read from it, or obj when set (an object made from the
// source's, such as a page with its inherited attributes), in the
// source's numbering, converted when written, with set's entries set
// after the conversion. An object made for the output alone has n nil:
// obj in the output's numbering, with data when it is a stream.
type queued struct {
	n    *normalizer
	ref  Ref
	obj  Object
	set  Dict
	data []byte
}

func newObjectWriter(out *countingWriter) *objectWriter {
	return &objectWriter{max: maxVisit, out: out, copyBuf: make([]byte, copyBufferSize)}
}

// add numbers q, the next object of the output. The number of objects is
// bounded like every walk of this package.
func (w *objectWriter) add(q queued) (int, error) {
	if len(w.queue) >= w.max {
		if w.full != nil {
			return 0, fmt.Errorf("%w: more than %d objects to write", w.full, w.max)
		}
		return 0, malformed("more than %d objects to rewrite", w.max)
	}
	w.queue = append(w.queue, q)
	return len(w.queue), nil
}

// writeAll writes the header (§7.5.2, with a comment of bytes above 127 so
// that the file reads as binary) and every queued object, including those
// queued while writing.
func (w *objectWriter) writeAll(version string) error {
	w.buf = fmt.Appendf(w.buf[:0], "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version)
	if _, err := w.out.Write(w.buf); err != nil {
		return err
	}
	for i := 0; i < len(w.queue); i++ {
		q := w.queue[i]
		w.queue[i].obj, w.queue[i].set, w.queue[i].data = nil, nil, nil // written: no longer held
		w.offs = append(w.offs, w.out.n)
		var err error
		if q.n != nil {
			if err = q.n.write(i+1, q); err != nil && q.n.label != "" {
				err = fmt.Errorf("pdf: %s: %w", q.n.label, err)
			}
		} else {
			err = w.writeMade(i+1, q)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeMade writes an object made for the output as number k.
func (w *objectWriter) writeMade(k int, q queued) error {
	b := fmt.Appendf(w.buf[:0], "%d 0 obj\n", k)
	var err error
	if q.data == nil {
		if b, err = appendObject(b, q.obj, 0); err != nil {
			return err
		}
		b = append(b, "\nendobj\n"...)
	} else {
		d := cloneDict(q.obj.(Dict))
		d["Length"] = Int(len(q.data))
		if b, err = appendObject(b, d, 0); err != nil {
			return err
		}
		b = append(b, "\nstream\n"...)
		b = append(b, q.data...)
		b = append(b, "\nendstream\nendobj\n"...)
	}
	w.buf = b
	_, err = w.out.Write(b)
	return err
}

// finish writes the cross-reference table (§7.5.4) and the trailer
// (§7.5.5) with /Size and a fresh /ID whose two strings are w.id when
// given, else the first 16 bytes of the SHA-256 of the output up to the
// table, so that the output is reproducible.
func (w *objectWriter) finish(trailer Dict) error {
	start := w.out.n
	sum := w.id
	if sum == nil {
		sum = w.out.h.Sum(nil)[:16]
	}
	trailer["Size"] = Int(len(w.queue) + 1)
	trailer["ID"] = Array{String(sum), String(sum)}
	b := fmt.Appendf(w.buf[:0], "xref\n0 %d\n0000000000 65535 f \n", len(w.queue)+1)
	for _, off := range w.offs {
		b = fmt.Appendf(b, "%010d 00000 n \n", off)
		if len(b) >= copyBufferSize {
			if _, err := w.out.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	b = append(b, "trailer\n"...)
	var err error
	if b, err = appendObject(b, trailer, 0); err != nil {
		return err
	}
	b = fmt.Appendf(b, "\nstartxref\n%d\n%%%%EOF\n", start)
	w.buf = b
	_, err = w.out.Write(b)
	return err
}

// countingWriter tracks the offset of the next byte and hashes what is
// written, for the cross-reference table and the /ID.
type countingWriter struct {
	w   io.Writer
	h   hash.Hash // nil when the /ID is given (objectWriter.id)
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	m, err := c.w.Write(p)
	if c.h != nil {
		c.h.Write(p[:m])
	}
	c.n += int64(m)
	if err != nil {
		c.err = fmt.Errorf("pdf: write: %w", err)
	}
	return m, c.err
}
