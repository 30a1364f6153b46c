package pdf

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Limits on reading a document security store.
const (
	maxDSSBlob  = 16 << 20  // one certificate, OCSP response or CRL
	maxDSSTotal = 256 << 20 // all of them
)

// DSS is a document security store: the validation data for the
// signatures of a document, added after signing so that they can be
// validated long after (ETSI EN 319 142-1 §5.4.2, PAdES-B-LT; ISO 32000-2
// §12.8.4.3). Every blob is DER.
type DSS struct {
	Certs, OCSPs, CRLs [][]byte
	// VRI holds validation data per signature (§12.8.4.4), keyed by the
	// upper-case hexadecimal SHA-1 of the signature's /Contents string,
	// zero padding included (SignatureInfo.Raw; see pades.VRIKey).
	VRI map[string]VRI
}

// VRI is the validation data of one signature. TU, when set, is the time
// the data was gathered.
type VRI struct {
	Certs, OCSPs, CRLs [][]byte
	TU                 *time.Time
}

// AppendDSS writes src followed by an incremental update (ISO 32000-1
// §7.5.6) that adds dss to the document security store of the catalog, or
// merges it into the existing one: existing entries are kept, every blob
// is written as its own stream unless the store already holds the same
// bytes (the arrays and VRI entries then refer to that stream), and
// blobs named only in a VRI entry join the top-level arrays too. Existing
// signatures stay valid: the update only appends (EN 319 142-1 §5.4.2).
// It returns the number of bytes written.
func AppendDSS(w io.Writer, src io.ReaderAt, size int64, dss DSS) (int64, error) {
	return appendUpdate(w, src, size, func(r *Reader) ([]byte, error) { return r.dssUpdate(dss) })
}

// AppendDSS is the function AppendDSS for the file r reads, for a caller
// that has opened it already (to list its signatures, whose validation
// data dss holds).
func (r *Reader) AppendDSS(w io.Writer, dss DSS) (int64, error) {
	return r.appendUpdate(w, func(r *Reader) ([]byte, error) { return r.dssUpdate(dss) })
}

// dssKeys are the catalog DSS arrays and the matching VRI keys.
var dssKeys = [3]struct{ store, vri Name }{{"Certs", "Cert"}, {"OCSPs", "OCSP"}, {"CRLs", "CRL"}}

func (r *Reader) dssUpdate(dss DSS) ([]byte, error) {
	u, err := newUpdate(r)
	if err != nil {
		return nil, err
	}
	cat, catRef, err := r.catalogRef()
	if err != nil {
		return nil, err
	}
	store := Dict{}
	var storeRef Ref
	catStore, _ := cat["DSS"].(Ref)
	switch v := cat["DSS"].(type) {
	case Ref:
		o, err := r.resolve(v)
		if err != nil {
			return nil, err
		}
		if d, ok := o.(Dict); ok {
			store, storeRef = cloneDict(d), v
		}
	case Dict:
		store = cloneDict(v)
	}

	// What the store holds: its arrays, and its streams by content.
	have := map[[32]byte]Ref{}
	budget := int64(maxDSSTotal)
	var arrays [3]Array
	for i, k := range dssKeys {
		a, _, err := r.arrayAt(store[k.store])
		if err != nil {
			return nil, err
		}
		for _, o := range a {
			ref, ok := o.(Ref)
			if !ok {
				continue
			}
			arrays[i] = append(arrays[i], ref)
			data, err := r.streamBytes(ref, &budget)
			if errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupportedFilter) {
				continue // kept, but not a candidate for sharing
			}
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(data)
			if _, dup := have[sum]; !dup {
				have[sum] = ref
			}
		}
	}
	vo, err := r.resolve(store["VRI"])
	if err != nil {
		return nil, err
	}
	vri := Dict{}
	if d, ok := vo.(Dict); ok {
		vri = cloneDict(d)
	}

	// put returns the stream holding blob, writing it if it is new, and
	// lists it in the top-level array i.
	put := func(i int, blob []byte) (Ref, error) {
		sum := sha256.Sum256(blob)
		ref, ok := have[sum]
		if !ok {
			var err error
			if ref, err = u.alloc(); err != nil {
				return Ref{}, err
			}
			if err := u.writeStream(ref, Dict{}, blob); err != nil {
				return Ref{}, err
			}
			have[sum] = ref
		}
		if !slices.Contains(arrays[i], Object(ref)) {
			arrays[i] = append(arrays[i], ref)
		}
		return ref, nil
	}
	for i, blobs := range [3][][]byte{dss.Certs, dss.OCSPs, dss.CRLs} {
		for _, b := range blobs {
			if _, err := put(i, b); err != nil {
				return nil, err
			}
		}
	}

	keys := make([]string, 0, len(dss.VRI))
	for k := range dss.VRI {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := dss.VRI[k]
		key := strings.ToUpper(k)
		if len(key) != 40 || strings.Trim(key, "0123456789ABCDEF") != "" {
			return nil, fmt.Errorf("pdf: VRI key %q is not a hexadecimal SHA-1", k)
		}
		entry := Dict{}
		old, err := r.resolve(vri[Name(key)])
		if err != nil {
			return nil, err
		}
		if d, ok := old.(Dict); ok {
			entry = cloneDict(d)
		}
		for i, blobs := range [3][][]byte{v.Certs, v.OCSPs, v.CRLs} {
			if len(blobs) == 0 {
				continue
			}
			list, _, err := r.arrayAt(entry[dssKeys[i].vri])
			if err != nil {
				return nil, err
			}
			for _, b := range blobs {
				ref, err := put(i, b)
				if err != nil {
					return nil, err
				}
				if !slices.Contains(list, Object(ref)) {
					list = append(list, ref)
				}
			}
			entry[dssKeys[i].vri] = list
		}
		if v.TU != nil {
			entry["TU"] = pdfDate(*v.TU)
		}
		vri[Name(key)] = entry
	}

	store["Type"] = Name("DSS")
	for i, k := range dssKeys {
		if len(arrays[i]) > 0 {
			store[k.store] = arrays[i]
		}
	}
	if len(vri) > 0 {
		store["VRI"] = vri
	}
	raised, err := r.raiseVersion(cat)
	if err != nil {
		return nil, err
	}
	if storeRef.Num == 0 {
		if storeRef, err = u.alloc(); err != nil {
			return nil, err
		}
		cat["DSS"] = storeRef
	}
	if storeRef != catStore || raised {
		if err := u.writeObject(catRef, cat); err != nil {
			return nil, err
		}
	}
	if err := u.writeObject(storeRef, store); err != nil {
		return nil, err
	}
	if err := u.finish(); err != nil {
		return nil, err
	}
	return u.buf, nil
}

// DSS reads the document security store of the catalog (ETSI EN 319 142-1
// §5.4.2), decoding every stream it names. It returns nil, and no error,
// when the document has none: a document without validation data is
// normal, not an error. Streams that are missing or not streams are
// malformed; the blobs themselves are not parsed.
func (r *Reader) DSS() (*DSS, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cat, err := r.catalog()
	if err != nil {
		return nil, err
	}
	so, err := r.resolve(cat["DSS"])
	if err != nil {
		return nil, err
	}
	store, ok := so.(Dict)
	if !ok {
		return nil, nil
	}
	budget := int64(maxDSSTotal)
	cache := map[Ref][]byte{}
	blobs := func(o Object) ([][]byte, error) {
		ao, err := r.resolve(o)
		if err != nil {
			return nil, err
		}
		a, _ := ao.(Array)
		var out [][]byte
		for _, e := range a {
			ref, ok := e.(Ref)
			if !ok {
				return nil, malformed("DSS entry is not a stream reference")
			}
			data, ok := cache[ref]
			if !ok {
				if data, err = r.streamBytes(ref, &budget); err != nil {
					return nil, err
				}
				cache[ref] = data
			}
			out = append(out, data)
		}
		return out, nil
	}
	d := &DSS{}
	for i, dst := range [3]*[][]byte{&d.Certs, &d.OCSPs, &d.CRLs} {
		if *dst, err = blobs(store[dssKeys[i].store]); err != nil {
			return nil, err
		}
	}
	vo, err := r.resolve(store["VRI"])
	if err != nil {
		return nil, err
	}
	vri, _ := vo.(Dict)
	for k, o := range vri {
		eo, err := r.resolve(o)
		if err != nil {
			return nil, err
		}
		e, ok := eo.(Dict)
		if !ok {
			continue
		}
		var v VRI
		for i, dst := range [3]*[][]byte{&v.Certs, &v.OCSPs, &v.CRLs} {
			if *dst, err = blobs(e[dssKeys[i].vri]); err != nil {
				return nil, err
			}
		}
		if to, _ := r.resolve(e["TU"]); to != nil {
			if s, ok := to.(String); ok {
				if t, err := parseDate(string(s)); err == nil {
					v.TU = &t
				}
			}
		}
		if d.VRI == nil {
			d.VRI = map[string]VRI{}
		}
		d.VRI[string(k)] = v
	}
	return d, nil
}

// streamBytes reads the decoded data of the stream ref, charging it to
// budget.
func (r *Reader) streamBytes(ref Ref, budget *int64) ([]byte, error) {
	o, err := r.object(ref, 0)
	if err != nil {
		return nil, err
	}
	st, ok := o.(Stream)
	if !ok {
		return nil, malformed("object %v is not a stream", ref)
	}
	rd, err := r.decoder(st, 0, false)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(rd, maxDSSBlob+1))
	if err != nil {
		return nil, decodeError(err)
	}
	if n > maxDSSBlob {
		return nil, malformed("stream %v larger than %d bytes", ref, maxDSSBlob)
	}
	if *budget -= n; *budget < 0 {
		return nil, malformed("validation data larger than %d bytes", maxDSSTotal)
	}
	return buf.Bytes(), nil
}
