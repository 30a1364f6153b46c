package fs

import (
	"io"
	"os"
	"sync"
)

// The PDF code reads an open blob in small pieces at scattered offsets
// (the trailer, the cross-reference data, each object it parses: a later
// signing act's 20 to 30 reads of 8 KiB and less, a completion's 70), each
// a pread of its own. An object reads aligned blocks of readBlock bytes
// instead and keeps the two it read last, so such reads of a revision's
// parts (what an act appended is 60–80 KiB) cost a few system calls. A
// read of a quarter block or more (a copy, a hash) goes to the file as it
// is.
const (
	readBlock   = 64 << 10
	keptBlocks  = 2
	directReads = readBlock / 4
)

// blockBuffers holds the blocks of closed objects for the next ones.
var blockBuffers = sync.Pool{New: func() any { b := make([]byte, readBlock); return &b }}

// object is an open blob: Read streams the file from its start; ReadAt
// is served from the blocks, which it may be called for concurrently.
type object struct {
	*os.File
	size int64

	mu     sync.Mutex
	blocks [keptBlocks]block // blocks[0] the last one used
}

type block struct {
	buf  *[]byte
	at   int64
	data []byte // (*buf)[:n], the file's bytes from at; nil until read
}

func (o *object) Size() int64 { return o.size }

// ReadAt reads as io.ReaderAt says: fewer than len(p) bytes only with an
// error, io.EOF at the end of the blob.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if len(p) >= directReads || off < 0 {
		return o.File.ReadAt(p, off)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= o.size {
			return n, io.EOF
		}
		b, err := o.block(at)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], b.data[at-b.at:])
	}
	return n, nil
}

// block returns the block that holds the byte at off (below size), read
// from the file unless it is kept, and makes it the last one used.
func (o *object) block(off int64) (*block, error) {
	at := off &^ (readBlock - 1)
	i := 0
	for i < keptBlocks && (o.blocks[i].data == nil || o.blocks[i].at != at) {
		i++
	}
	if i == keptBlocks { // not kept: read into the least recently used
		i = keptBlocks - 1
		b := &o.blocks[i]
		if b.buf == nil {
			b.buf = blockBuffers.Get().(*[]byte)
		}
		want := min(int64(readBlock), o.size-at)
		m, err := o.File.ReadAt((*b.buf)[:want], at)
		if int64(m) < want {
			b.data = nil
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // shorter than when it was opened
			}
			return nil, err
		}
		b.at, b.data = at, (*b.buf)[:want]
	}
	for ; i > 0; i-- {
		o.blocks[i], o.blocks[i-1] = o.blocks[i-1], o.blocks[i]
	}
	return &o.blocks[0], nil
}

// Close closes the file and hands the blocks on.
func (o *object) Close() error {
	o.mu.Lock()
	for i := range o.blocks {
		if o.blocks[i].buf != nil {
			blockBuffers.Put(o.blocks[i].buf)
		}
		o.blocks[i] = block{}
	}
	o.mu.Unlock()
	return o.File.Close()
}
