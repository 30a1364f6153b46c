package pdf

import (
	"io"
)

// maxMetadata bounds the XMP metadata stream read from a document.
const maxMetadata = 4 << 20

// Metadata returns the decoded XMP packet of the catalog's /Metadata
// stream (ISO 32000-1 §14.3.2), or nil and no error when the document
// has none.
func (r *Reader) Metadata() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cat, err := r.catalog()
	if err != nil {
		return nil, err
	}
	ref, ok := cat["Metadata"].(Ref)
	if !ok {
		return nil, nil
	}
	budget := int64(maxMetadata)
	return r.streamBytes(ref, &budget)
}

// AppendMetadata writes src followed by an incremental update (ISO
// 32000-1 §7.5.6) in which the catalog's metadata stream holds xmp: the
// stream object is rewritten in place when there is one (the catalog is
// then untouched), else a new one is added to the catalog. The stream is
// unfiltered, as PDF/A requires (ISO 19005-1 §6.7.2, 19005-2/3 §6.6.2.1).
// It returns the number of bytes written.
func AppendMetadata(w io.Writer, src io.ReaderAt, size int64, xmp []byte) (int64, error) {
	return appendUpdate(w, src, size, func(r *Reader) ([]byte, error) { return r.metadataUpdate(xmp) })
}

func (r *Reader) metadataUpdate(xmp []byte) ([]byte, error) {
	u, err := newUpdate(r)
	if err != nil {
		return nil, err
	}
	cat, catRef, err := r.catalogRef()
	if err != nil {
		return nil, err
	}
	ref, ok := cat["Metadata"].(Ref)
	if !ok {
		if ref, err = u.alloc(); err != nil {
			return nil, err
		}
		cat["Metadata"] = ref
		if err := u.writeObject(catRef, cat); err != nil {
			return nil, err
		}
	}
	if err := u.writeStream(ref, Dict{"Type": Name("Metadata"), "Subtype": Name("XML")}, xmp); err != nil {
		return nil, err
	}
	if err := u.finish(); err != nil {
		return nil, err
	}
	return u.buf, nil
}
