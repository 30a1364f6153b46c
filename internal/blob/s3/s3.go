// Package s3 stores blobs in an S3-compatible object store (AWS S3, Ceph's
// radosgw, SeaweedFS …) under sha256/<hex>, so that several segl nodes share
// one document store (DESIGN §1, issue 11 item 2).
//
// The key of a blob is the SHA-256 of its content, known only once the whole
// stream has been read. Put therefore stages the stream in a local temporary
// file while hashing it, and uploads the file under its final key only when
// the digest and size are known. Of the two ways to learn the key before it
// is used, staging was chosen over uploading to a temporary key and copying
// it server-side, because:
//   - a document over the size limit is refused before a byte reaches the
//     object store, and content already stored is not uploaded again;
//   - a crash leaves a file in the node's temporary directory, not an
//     orphan in the bucket that only a lifecycle rule would remove;
//   - the upload knows its size, so minio-go sends parts straight from the
//     file (io.SectionReader) instead of buffering part-sized chunks in
//     memory, which it must do for a stream of unknown length;
//   - S3 makes an object visible only when its PUT (or the completion of
//     its multipart upload) succeeds, so nothing half-written ever appears
//     under its final key;
//   - the signing code already stages every new revision, hashed as it is
//     written (blob.StagedPutter), which is then uploaded with no second
//     copy and no second hashing.
//
// The blob sweep (blob.Sweeper) reads each object's LastModified. Storing
// content that is already there does not upload it again but copies the
// object onto itself (a server-side COPY with new metadata), which sets
// its LastModified to now, as blob.Sweeper asks of a Put; see
// DeleteIfOlder for what that leaves open and why it is acceptable.
//
// Reads stream: Read follows one GET of the whole object, and ReadAt, which
// the PDF code uses to seek, fetches aligned blocks with ranged GETs and
// keeps the last few, so memory per open blob is bounded (cacheBlocks ×
// blockSize) whatever the document's size.
//
// An object store that cannot be reached, or that answers 5xx, gives errors
// of kind errs.Unavailable (503 with Retry-After at the API); a missing
// object gives errs.NotFound.
package s3

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/segl/segl/internal/blob"
	"github.com/segl/segl/internal/errs"
)

var (
	_ blob.Store        = (*Store)(nil)
	_ blob.StagedPutter = (*Store)(nil)
	_ blob.Checker      = (*Store)(nil)
	_ blob.Sweeper      = (*Store)(nil)
)

// Options say where the bucket is and how to reach it.
type Options struct {
	// Endpoint is the object store's base URL: https://host[:port], or
	// http://host[:port] for a store without TLS (a loopback test server).
	Endpoint  string
	Bucket    string
	Region    string // empty: the store's default (us-east-1 for AWS)
	AccessKey string
	SecretKey string
	// RootCAs verifies the endpoint's certificate; nil uses the system's
	// trust anchors.
	RootCAs *x509.CertPool
	// TempDir holds uploads while they are hashed; it must exist.
	TempDir string
	// PartSize is the multipart part size (default 16 MiB; S3's minimum is
	// 5 MiB). Larger documents are uploaded in parts of this size, read
	// from the staged file, not buffered.
	PartSize uint64
	// MaxRetries bounds the attempts at one request on a network error or
	// a 5xx before the caller sees Unavailable (default 2, so one retry):
	// an outage must be answered within a second, not after minio-go's
	// ten attempts.
	MaxRetries int
}

// Store is a bucket of blobs.
type Store struct {
	c        *minio.Client
	bucket   string
	tempDir  string
	partSize uint64
}

// Open connects to the object store and checks that the bucket exists, so
// a wrong endpoint, bucket or key is a start-up error, not the first
// upload's.
func Open(ctx context.Context, o Options) (*Store, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("blob/s3: endpoint %q: want https://host[:port] or http://host[:port]", o.Endpoint)
	}
	if o.Bucket == "" || o.TempDir == "" {
		return nil, errors.New("blob/s3: a bucket and a temporary directory are required")
	}
	if o.PartSize == 0 {
		o.PartSize = 16 << 20
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 2
	}
	tr, err := minio.DefaultTransport(u.Scheme == "https")
	if err != nil {
		return nil, fmt.Errorf("blob/s3: %w", err)
	}
	if u.Scheme == "https" {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs}
	}
	// A store that accepts the connection but never answers must not hold
	// a request forever: it is as down as one that refuses.
	tr.ResponseHeaderTimeout = 30 * time.Second
	c, err := minio.New(u.Host, &minio.Options{
		Creds:      credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure:     u.Scheme == "https",
		Region:     o.Region,
		Transport:  tr,
		MaxRetries: o.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("blob/s3: %w", err)
	}
	s := &Store{c: c, bucket: o.Bucket, tempDir: o.TempDir, partSize: o.PartSize}
	if err := s.Check(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Check reports whether the bucket can be reached and exists, for start-up
// and for readiness probes.
func (s *Store) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return failed("bucket "+s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob/s3: bucket %q does not exist", s.bucket)
	}
	return nil
}

// objectName is where a blob lives in the bucket; a key that is not a
// SHA-256 in lowercase hex names nothing.
func objectName(key string) (string, error) {
	if len(key) != sha256.Size*2 || strings.ToLower(key) != key {
		return "", errs.E(errs.NotFound, blob.CodeNotFound, "no blob %q", key)
	}
	if _, err := hex.DecodeString(key); err != nil {
		return "", errs.E(errs.NotFound, blob.CodeNotFound, "no blob %q", key)
	}
	return "sha256/" + key, nil
}

// Put stages r in a temporary file while hashing it, then uploads the file
// under its digest (see the package comment for why).
func (s *Store) Put(ctx context.Context, r io.Reader, limit int64) (blob.Ref, error) {
	tmp, err := os.CreateTemp(s.tempDir, "segl-s3-put-*")
	if err != nil {
		return blob.Ref{}, staging("create", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err != nil {
		return blob.Ref{}, staging("write", err)
	}
	if n > limit {
		return blob.Ref{}, tooLarge(limit)
	}
	return s.upload(ctx, tmp, blob.Ref{Key: hex.EncodeToString(h.Sum(nil)), Size: n})
}

// PutStaged uploads content that package blob hashed as it was written
// under that hash, from memory or from its file, without reading it to
// hash again. The file, if any, is removed in every case.
func (s *Store) PutStaged(ctx context.Context, st *blob.Staged) (blob.Ref, error) {
	if f := st.File(); f != nil {
		defer os.Remove(f.Name())
		defer f.Close()
	}
	if !st.Valid() {
		return blob.Ref{}, blob.NotStaged()
	}
	return s.upload(ctx, st.Content(), st.Ref())
}

func tooLarge(limit int64) error {
	return errs.E(errs.TooLarge, errs.CodeDocumentTooLarge, "the document is larger than %d bytes", limit)
}

// upload sends the ref.Size bytes of f under ref's key, unless that content
// is stored already, when it only marks it written now (touch): new content
// costs a HEAD and a PUT, content already there a HEAD and a COPY. f is an
// io.ReaderAt of known size, so minio-go sends it in one PUT or in parts
// read from it: nothing is buffered per part.
func (s *Store) upload(ctx context.Context, f io.ReaderAt, ref blob.Ref) (blob.Ref, error) {
	name, _ := objectName(ref.Key)
	if _, err := s.c.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{}); err == nil {
		// Content addressing: the same key is the same content.
		stored, err := s.touch(ctx, name)
		if err != nil {
			return blob.Ref{}, err
		}
		if stored {
			return ref, nil
		}
		// Deleted by the sweep since the HEAD: upload it again.
	} else if !notFound(err) {
		return blob.Ref{}, failed("stat", err)
	}
	_, err := s.c.PutObject(ctx, s.bucket, name, io.NewSectionReader(f, 0, ref.Size), ref.Size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    s.partSize,
	})
	if err != nil {
		return blob.Ref{}, failed("put", err)
	}
	return ref, nil
}

// touch copies the object name onto itself with new metadata, which S3
// answers by storing it anew: its LastModified becomes now, so the sweep
// takes it for just written (blob.Sweeper). It reports false when there
// is no such object, which then has to be uploaded, also when the sweep
// deleted it a moment ago. The copy happens inside the object store, so
// no content crosses the network.
func (s *Store) touch(ctx context.Context, name string) (bool, error) {
	_, err := s.c.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: name, ReplaceMetadata: true,
			UserMetadata: map[string]string{"Segl-Stored": time.Now().UTC().Format(time.RFC3339Nano)}},
		minio.CopySrcOptions{Bucket: s.bucket, Object: name})
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, failed("touch", err)
	}
	return true, nil
}

// WalkOlder lists the blobs whose LastModified, in the object store's
// clock, is before before. The sweep's grace (a day) dwarfs any skew
// between that clock and a node's.
func (s *Store) WalkOlder(ctx context.Context, before time.Time, fn func(key string) error) error {
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: "sha256/", Recursive: true}) {
		if o.Err != nil {
			return failed("list", o.Err)
		}
		key := strings.TrimPrefix(o.Key, "sha256/")
		if _, err := objectName(key); err != nil || !o.LastModified.Before(before) {
			continue
		}
		if err := fn(key); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// DeleteIfOlder deletes key if its LastModified, read immediately before,
// is before before.
//
// S3 has no delete conditional on age (AWS offers
// x-amz-if-match-last-modified-time for directory buckets only, and an
// If-Match on the ETag cannot tell a stored-again object from the old one,
// since the content and so the ETag are the same), so the check and the
// delete are two requests, and a Put of the same content (touch) can fall
// between them: the object is then deleted although it was just stored
// again. For that to lose a document, a new job must store content that no
// job has referred to for the whole grace (a day for the sweep, an hour
// for a deletion), within the milliseconds between this HEAD and this
// DELETE, and commit its row. The blob fs store closes the window with a
// lock; across nodes that would take a lease table in the database, which
// every Put would have to write. The window is accepted instead: content
// addressing means the content is a SHA-256 of what was deleted, so the
// race needs an upload of byte-identical content at that instant, and a
// job that loses it refers to a missing blob, which reads as not found
// (and the backup check reports), not as other content.
func (s *Store) DeleteIfOlder(ctx context.Context, key string, before time.Time) (bool, error) {
	name, err := objectName(key)
	if err != nil {
		return false, nil
	}
	info, err := s.c.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, failed("stat", err)
	}
	if !info.LastModified.Before(before) {
		return false, nil
	}
	if err := s.c.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return false, failed("delete", err)
	}
	return true, nil
}

// Open returns the blob for streaming and seeking. Its existence is checked
// here, so a missing blob is NotFound at once and not at the first read.
func (s *Store) Open(ctx context.Context, key string) (blob.Object, error) {
	name, err := objectName(key)
	if err != nil {
		return nil, err
	}
	info, err := s.c.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if notFound(err) {
		return nil, errs.E(errs.NotFound, blob.CodeNotFound, "no blob %s", key)
	}
	if err != nil {
		return nil, failed("stat", err)
	}
	return &object{s: s, ctx: ctx, name: name, etag: info.ETag, size: info.Size}, nil
}

// Delete removes a blob; S3 treats deleting a missing object as success.
func (s *Store) Delete(ctx context.Context, key string) error {
	name, err := objectName(key)
	if err != nil {
		return nil
	}
	if err := s.c.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return failed("delete", err)
	}
	return nil
}

// response is the S3 error answer err carries, if any.
func response(err error) minio.ErrorResponse {
	var r minio.ErrorResponse
	errors.As(err, &r)
	return r
}

func notFound(err error) bool {
	if err == nil {
		return false
	}
	code := response(err).Code
	return code == minio.NoSuchKey || code == "NotFound"
}

// failed classifies an object-store error: the store down, unreachable or
// answering 5xx (after minio-go's retries) is Unavailable, which clients
// may retry later; anything else (a missing bucket, refused credentials)
// is a configuration fault, logged and answered 500.
func failed(op string, err error) error {
	err = fmt.Errorf("blob/s3: %s: %w", op, err)
	if unavailable(err) {
		return errs.Wrap(err, errs.Unavailable, CodeUnavailable, "the document store is unavailable; try again later")
	}
	return err
}

func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if r := response(err); r.StatusCode >= 500 || r.Code == "SlowDown" {
		return true
	}
	// Refused, reset, timed out, unresolvable: the transport's errors
	// are all *url.Error or net.Error; a body cut short is ErrUnexpectedEOF.
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded)
}

// staging describes a failed write of the local staging file; a full disk
// is StorageFull, as in blob/fs.
func staging(op string, err error) error {
	err = fmt.Errorf("blob/s3: stage %s: %w", op, err)
	if errs.NoSpace(err) {
		return errs.StorageFull(err)
	}
	return err
}
