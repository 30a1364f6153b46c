package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/minio/minio-go/v7"
)

// ReadAt is served from aligned blocks of blockSize fetched with ranged
// GETs, of which an object keeps the cacheBlocks most recently used. The
// PDF code reads a trailer at the end, then objects here and there, then
// copies the whole file through io.SectionReader in 32 KiB reads: blocks
// turn those into one request per MiB, and memory stays at 4 MiB per open
// blob whatever its size.
const (
	blockSize   = 1 << 20
	cacheBlocks = 4
)

// object is an open blob. Read streams one GET from the current offset;
// ReadAt goes through the block cache and does not move that offset.
type object struct {
	s    *Store
	ctx  context.Context
	name string
	etag string // pins every request to the content Open saw
	size int64

	mu     sync.Mutex // guards the cache; ReadAt may be called concurrently
	blocks []block    // most recently used last

	body   io.ReadCloser // the sequential GET, opened at the first Read
	off    int64         // Read's offset
	closed bool
}

type block struct {
	off  int64
	data []byte
}

func (o *object) Size() int64 { return o.size }

// get opens a GET of the object from off to end (inclusive; -1 for the
// rest). The ETag condition turns a replaced object into an error instead
// of mixed content; content addressing makes that a corruption, not a race.
func (o *object) get(off, end int64) (io.ReadCloser, error) {
	opts := minio.GetObjectOptions{}
	if err := opts.SetMatchETag(o.etag); err != nil {
		return nil, err
	}
	if off > 0 || end >= 0 {
		if end < 0 {
			end = o.size - 1
		}
		if err := opts.SetRange(off, end); err != nil {
			return nil, err
		}
	}
	// Core's GetObject is one request whose errors come now, not at the
	// first Read.
	body, _, _, err := minio.Core{Client: o.s.c}.GetObject(o.ctx, o.s.bucket, o.name, opts)
	return body, err
}

// Read streams the object from the current offset.
func (o *object) Read(p []byte) (int, error) {
	if o.closed {
		return 0, errors.New("blob/s3: read of a closed blob")
	}
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.body == nil {
		b, err := o.get(o.off, -1)
		if err != nil {
			return 0, failed("get", err)
		}
		o.body = b
	}
	n, err := o.body.Read(p)
	o.off += int64(n)
	if err == io.EOF && o.off < o.size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		return n, failed("read", err)
	}
	if o.off >= o.size {
		err = io.EOF
	}
	return n, err
}

// ReadAt reads len(p) bytes at off through the block cache.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("blob/s3: negative offset %d", off)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, errors.New("blob/s3: read of a closed blob")
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= o.size {
			return n, io.EOF
		}
		b, err := o.block(at - at%blockSize)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], b.data[at-b.off:])
	}
	return n, nil
}

// block returns the block starting at off, from the cache or fetched.
func (o *object) block(off int64) (block, error) {
	for i, b := range o.blocks {
		if b.off == off {
			o.blocks = append(append(o.blocks[:i:i], o.blocks[i+1:]...), b)
			return b, nil
		}
	}
	length := min(int64(blockSize), o.size-off)
	r, err := o.get(off, off+length-1)
	if err != nil {
		return block{}, failed("get", err)
	}
	defer r.Close()
	var data []byte
	if len(o.blocks) == cacheBlocks {
		data = o.blocks[0].data[:length] // reuse the least recently used
		o.blocks = o.blocks[1:]
	} else {
		data = make([]byte, length, blockSize)
	}
	if _, err := io.ReadFull(r, data); err != nil {
		return block{}, failed("read", err)
	}
	b := block{off: off, data: data}
	o.blocks = append(o.blocks, b)
	return b, nil
}

// Close ends the sequential GET, if any, and drops the cache.
func (o *object) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	o.blocks = nil
	if o.body != nil {
		return o.body.Close()
	}
	return nil
}
