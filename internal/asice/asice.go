// Package asice reads the document bundle of Posten's signature API: an
// ASiC-E container (ETSI EN 319 162-1, TS 102 918) holding the documents,
// the job's manifest.xml, and META-INF/signatures.xml, an XAdES signature by
// the sender's enterprise certificate over every other entry.
//
// Read checks the container's form and its signature; it does not decide
// whose certificate may sign (the caller compares it with the TLS client's)
// and does not read the manifest (the caller maps it onto a job).
package asice

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/xades"
)

// Entry names the bundle format fixes.
const (
	ManifestName  = "manifest.xml"
	SignatureName = "META-INF/signatures.xml"
	// mimetypeName is ASiC's optional first entry (TS 102 918 §A.1); it is
	// the one entry outside META-INF that is not signed.
	mimetypeName = "mimetype"
	mimetypeASiC = "application/vnd.etsi.asic-e+zip"
)

// Limits bound what Read accepts. The zero value is not useful.
type Limits struct {
	MaxEntries   int   // entries in the ZIP
	MaxEntrySize int64 // uncompressed bytes of one document
	MaxXMLSize   int64 // uncompressed bytes of the manifest and the signature
}

// Bundle is a container whose signature holds and which signs every entry
// outside META-INF.
type Bundle struct {
	Manifest  []byte
	Signature *xades.ASiCSignature
	// Documents are the entries other than the manifest, by name.
	Documents map[string]*zip.File
	lim       Limits
}

// Read checks the container in r (size bytes): a ZIP whose entry names are
// unique, relative and plain; exactly one META-INF/signatures.xml and no
// other META-INF entry (Posten: "only one signature in the META-INF
// catalogue, with the name signatures.xml"); a manifest.xml; a signature
// that verifies (xades.VerifyASiC) and references exactly the entries
// outside META-INF, each within the limits.
func Read(r io.ReaderAt, size int64, lim Limits) (*Bundle, error) {
	// archive/zip reads the whole central directory into memory before
	// anything can be counted, whatever entry count the archive states:
	// a bundle of nothing but 46-byte directory records made the server
	// hold five times its size. What it may read until it returns is
	// bounded instead (ASVS 5.2.3: archive limits before unpacking).
	dir := &directoryBudget{r: r, left: directoryBytes(lim)}
	zr, err := zip.NewReader(dir, size)
	if errors.Is(err, errDirectoryTooLarge) {
		return nil, invalid("the document bundle's directory is larger than %d entries can need", lim.MaxEntries)
	}
	if err != nil {
		return nil, invalid("the document bundle is not a ZIP file: %v", err)
	}
	dir.left = -1 // the entries' data is bounded as it is read (limited)
	if len(zr.File) > lim.MaxEntries {
		return nil, invalid("the document bundle has %d entries, at most %d are accepted", len(zr.File), lim.MaxEntries)
	}
	b := &Bundle{Documents: map[string]*zip.File{}, lim: lim}
	var sigFile, manifest *zip.File
	seen := map[string]bool{}
	for _, f := range zr.File {
		name := f.Name
		switch {
		case seen[name]:
			return nil, invalid("the entry %q appears twice", name)
		case strings.HasSuffix(name, "/") && f.UncompressedSize64 == 0:
			continue // a directory entry
		case !plainName(name):
			return nil, invalid("the entry name %q is not accepted", name)
		case name == SignatureName:
			sigFile = f
		case strings.HasPrefix(name, "META-INF/"):
			return nil, invalid("the entry %q is not accepted: META-INF holds only signatures.xml", name)
		case name == mimetypeName:
			content, err := readAll(f, int64(len(mimetypeASiC)))
			if err != nil || string(content) != mimetypeASiC {
				return nil, invalid("the mimetype entry is not %s", mimetypeASiC)
			}
		case name == ManifestName:
			manifest = f
		default:
			b.Documents[name] = f
		}
		seen[name] = true
	}
	if sigFile == nil {
		return nil, invalid("the document bundle has no %s", SignatureName)
	}
	if manifest == nil {
		return nil, invalid("the document bundle has no %s", ManifestName)
	}
	if b.Manifest, err = readAll(manifest, lim.MaxXMLSize); err != nil {
		return nil, err
	}
	sigXML, err := readAll(sigFile, lim.MaxXMLSize)
	if err != nil {
		return nil, err
	}
	b.Signature, err = xades.VerifyASiC(sigXML, b.openSigned(manifest))
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, errs.Wrap(err, errs.Invalid, CodeSignature, "the document bundle's signature does not hold: %v", err)
	}
	signed := map[string]bool{}
	for _, name := range b.Signature.Files {
		signed[name] = true
	}
	for name := range b.Documents {
		if !signed[name] {
			return nil, errs.E(errs.Invalid, CodeSignature, "the entry %q is not signed", name)
		}
	}
	if !signed[ManifestName] {
		return nil, errs.E(errs.Invalid, CodeSignature, "the manifest is not signed")
	}
	return b, nil
}

// directoryBytes is what zip.NewReader may read of a bundle: the search
// for the end of the central directory (at most its last 66 KiB, with the
// ZIP64 records), and for each entry Read may accept a 46-byte directory
// record with up to 4 KiB of name, extra field and comment, plus the
// 4 KiB its buffered reader reads ahead.
func directoryBytes(lim Limits) int64 {
	return 72<<10 + int64(lim.MaxEntries)*(4<<10)
}

var errDirectoryTooLarge = errors.New("asice: central directory too large")

// directoryBudget is a bundle as zip.NewReader sees it: once it has read
// left bytes its reads fail, which ends the reading of directory records.
// A negative left is no limit.
type directoryBudget struct {
	r    io.ReaderAt
	left int64
}

func (d *directoryBudget) ReadAt(p []byte, off int64) (int, error) {
	if d.left < 0 {
		return d.r.ReadAt(p, off)
	}
	if int64(len(p)) > d.left {
		n, _ := d.r.ReadAt(p[:d.left], off)
		d.left -= int64(n)
		return n, errDirectoryTooLarge
	}
	n, err := d.r.ReadAt(p, off)
	d.left -= int64(n)
	return n, err
}

// Open returns the content of a document, failing with an Invalid error
// once more than MaxEntrySize bytes have been read.
func (b *Bundle) Open(name string) (io.ReadCloser, error) {
	f, ok := b.Documents[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return openLimited(f, b.lim.MaxEntrySize)
}

// openSigned opens the entries the signature references: the documents
// and the manifest.
func (b *Bundle) openSigned(manifest *zip.File) func(string) (io.ReadCloser, error) {
	return func(name string) (io.ReadCloser, error) {
		if name == ManifestName {
			return io.NopCloser(bytes.NewReader(b.Manifest)), nil
		}
		return b.Open(name)
	}
}

func openLimited(f *zip.File, max int64) (io.ReadCloser, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, invalid("the entry %q cannot be read: %v", f.Name, err)
	}
	return &limited{rc: rc, left: max, max: max, name: f.Name}, nil
}

// limited counts what is really decompressed rather than trusting the
// sizes the ZIP's headers claim.
type limited struct {
	rc        io.ReadCloser
	left, max int64
	name      string
}

func (l *limited) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errs.E(errs.TooLarge, errs.CodeDocumentTooLarge, "the entry %q is larger than %d bytes", l.name, l.max)
	}
	if err != nil && err != io.EOF {
		return n, invalid("the entry %q cannot be read: %v", l.name, err)
	}
	return n, err
}

func (l *limited) Close() error { return l.rc.Close() }

func readAll(f *zip.File, max int64) ([]byte, error) {
	rc, err := openLimited(f, max)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// plainName accepts relative slash-separated names without empty, "." or
// ".." segments, backslashes or control characters: names that mean the
// same entry to every reader.
func plainName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func invalid(format string, args ...any) error {
	return errs.E(errs.Invalid, codeInvalid, format, args...)
}

// String describes the bundle for logs.
func (b *Bundle) String() string {
	return fmt.Sprintf("asice bundle: %d documents, signed by %v", len(b.Documents), b.Signature.Certificate.Subject)
}
