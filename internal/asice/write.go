package asice

import (
	"archive/zip"
	"io"
	"time"

	"github.com/segl/segl/internal/xades"
)

// Write makes a document bundle as Posten's client libraries do: the
// documents, then manifest.xml, then META-INF/signatures.xml signed with
// opts (the sender's enterprise certificate), all DEFLATE-compressed, with
// no mimetype entry. It is the sender's side of Read, for Go senders and
// segl's tests.
func Write(w io.Writer, docs []xades.ASiCFile, manifest []byte, opts xades.SignOptions, at time.Time) error {
	files := append(append([]xades.ASiCFile(nil), docs...),
		xades.ASiCFile{Name: ManifestName, MediaType: "application/xml", Content: manifest})
	sig, err := xades.SignASiC(files, opts, at)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, f := range append(files, xades.ASiCFile{Name: SignatureName, Content: sig}) {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: at})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Content); err != nil {
			return err
		}
	}
	return zw.Close()
}
