package ceremony

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/pdf"
)

// Upload is one document part of a create request, staged by
// StageDocument: its bytes wait in a temporary file of the request until
// CreateJob has accepted the whole request, and only then enter the blob
// store. A refused request so leaves nothing in the store, and no
// content-addressed blob, which another job may share, ever has to be
// deleted to undo a refusal.
type Upload struct {
	Part        string // multipart part name, as the JSON refers to it
	FileName    string
	ContentType string
	Ref         blob.Ref // SHA-256 and size, computed while staging
	staged      *staged
}

// staged is the temporary file of an Upload; path is "" once the file was
// handed to the blob store or removed. findings are what CreateJob's check
// found that normalisation removes (see Warnings); they live here, behind
// the pointer every copy of the Upload shares, so the caller's Upload sees
// them without the document being read again.
type staged struct {
	path     string
	findings []pdf.Finding
}

// StageDocument streams one uploaded document into a temporary file in
// TempDir, hashing it on the way, at most Limits.MaxDocumentBytes of it,
// and returns it as an Upload for CreateJob. Both edges (the API's
// multipart parts, the portal's form files) take documents this way, so
// the limit, its error and the clean-up are the same everywhere. Content
// is checked later, by CreateJob, from the staged file.
//
// The caller must pass every Upload it got to ReleaseUploads when the
// request is over, accepted or not.
//
// Over the limit it returns a TooLarge error with code
// "document-too-large" and Field set to part; a failure to read body comes
// back wrapped, for the caller to tell its client's fault from its own.
func (s *Service) StageDocument(ctx context.Context, part, fileName, contentType string, body io.Reader) (Upload, error) {
	f, err := os.CreateTemp(s.TempDir, "upload-*")
	if err != nil {
		return Upload{}, fmt.Errorf("ceremony: stage: %w", err)
	}
	h := sha256.New()
	n, err := spool(f, h, io.LimitReader(body, s.Limits.MaxDocumentBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > s.Limits.MaxDocumentBytes {
		e := errs.E(errs.TooLarge, errs.CodeDocumentTooLarge, "documents may be at most %d bytes", s.Limits.MaxDocumentBytes)
		e.Field = part
		err = e
	}
	if err != nil {
		os.Remove(f.Name())
		if errs.From(err) != nil {
			return Upload{}, err
		}
		return Upload{}, fmt.Errorf("ceremony: stage: %w", err)
	}
	return Upload{Part: part, FileName: fileName, ContentType: contentType,
		Ref: blob.Ref{Key: hex.EncodeToString(h.Sum(nil)), Size: n}, staged: &staged{path: f.Name()}}, nil
}

// spoolBuffers hold what spool reads until it is written, kept between
// uploads: *[]byte of spoolPiece bytes.
var spoolBuffers = sync.Pool{New: func() any { b := make([]byte, spoolPiece); return &b }}

// spoolPiece is how much of a document spool writes at a time.
const spoolPiece = 64 << 10

// spool copies body to f and h through one buffer, filled before each
// write: a multipart part yields a few KB per read (mime/multipart's
// buffer), which io.Copy wrote to the file one system call each, 25 for a
// 100 KB document where this makes 2. A failure to read is returned as
// body gave it, after what came before it was written.
func spool(f io.Writer, h hash.Hash, body io.Reader) (int64, error) {
	bp := spoolBuffers.Get().(*[]byte)
	defer spoolBuffers.Put(bp)
	buf := *bp
	var total int64
	for {
		n, rerr := 0, error(nil)
		for n < len(buf) && rerr == nil {
			var m int
			m, rerr = body.Read(buf[n:])
			n += m
		}
		if n > 0 {
			h.Write(buf[:n])
			if _, err := f.Write(buf[:n]); err != nil {
				return total, err
			}
			total += int64(n)
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// ReleaseUploads removes the staged files of uploads that CreateJob did
// not store, and does nothing for those it stored.
func ReleaseUploads(uploads []Upload) {
	for _, u := range uploads {
		if u.staged != nil && u.staged.path != "" {
			os.Remove(u.staged.path)
			u.staged.path = ""
		}
	}
}

// open returns the staged file for checking.
func (u Upload) open() (*os.File, error) {
	if u.staged == nil || u.staged.path == "" {
		return nil, fmt.Errorf("ceremony: upload %q is not staged", u.Part)
	}
	f, err := os.Open(u.staged.path)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	return f, nil
}

// storeUploads puts the staged files of an accepted request into the blob
// store (moved, where the store can take files). Each must come out under
// the hash it was checked with.
func (s *Service) storeUploads(ctx context.Context, uploads []Upload) error {
	for _, u := range uploads {
		f, err := u.open()
		if err != nil {
			return err
		}
		u.staged.path = "" // keep owns the file from here, whatever happens
		ref, err := blob.Keep(ctx, s.Blobs, f, 1<<40)
		if err != nil {
			return err
		}
		if ref != u.Ref {
			return fmt.Errorf("ceremony: upload %q changed while staged: %s, checked as %s", u.Part, ref.Key, u.Ref.Key)
		}
	}
	return nil
}
