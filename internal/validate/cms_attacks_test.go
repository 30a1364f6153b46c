package validate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/segl/segl/internal/cms"
	"github.com/segl/segl/internal/pdf"
	"github.com/segl/segl/internal/testdocs"
)

// TestPDFSignedAttributeAttacks signs a PDF with a CMS whose signed
// attributes misstate what they must bind, each signature value valid over
// them: the message digest of other bytes, a signing-certificate-v2 naming
// another certificate, and an eContentType (outside the signed attributes,
// so changeable in the file) that differs from the content-type attribute.
// Each gets the sub-indication EN 319 102-1 gives it.
func TestPDFSignedAttributeAttacks(t *testing.T) {
	t.Parallel()
	e := newSealEnv(t)
	src := testdocs.PDF("Avtale", 0)
	seal := e.dev.Seal
	for _, tc := range []struct {
		name   string
		opts   cms.SignOptions
		digest func(real []byte) []byte
		tamper func(t *testing.T, file []byte) []byte
		want   Result
	}{
		{name: "fail/message-digest-of-other-bytes", digest: func([]byte) []byte {
			d := sha256.Sum256([]byte("another document"))
			return d[:]
		}, want: Result{Indication: TotalFailed, SubIndication: HashFailure}},
		// EN 319 102-1 §5.2.3: the signing certificate cannot be identified.
		{name: "fail/signing-certificate-v2-names-another", opts: cms.SignOptions{ESSCertificate: e.dev.Issuing.Cert},
			want: Result{Indication: Indeterminate, SubIndication: NoSigningCertificateFound}},
		// RFC 5652 §11.1: the attribute must equal the eContentType.
		{name: "fail/econtent-type-not-the-attribute's", tamper: func(t *testing.T, f []byte) []byte {
			const idData, idDigestedData = "300b06092a864886f70d010701", "300b06092a864886f70d010705"
			i := bytes.Index(f, []byte(idData))
			if i < 0 {
				t.Fatal("no id-data in the signature")
			}
			return append(append(bytes.Clone(f[:i]), idDigestedData...), f[i+len(idData):]...)
		}, want: Result{Indication: TotalFailed, SubIndication: FormatFailure}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := appendSigned(t, src, pdf.SignatureSpec{SubFilter: pdf.SubFilterCAdES, SigningTime: time.Now()}, func(digest []byte) ([]byte, error) {
				if tc.digest != nil {
					digest = tc.digest(digest)
				}
				opts := tc.opts
				opts.Signer, opts.Certificate, opts.Chain = seal.Key, seal.Cert, seal.Chain
				return cms.SignDetached(context.Background(), digest, opts)
			})
			if tc.tamper != nil {
				file = tc.tamper(t, file)
			}
			rep := validatePDF(t, file, e.dev.Roots(), time.Time{})
			got := rep.Signatures[0].Result
			if got.Indication != tc.want.Indication || got.SubIndication != tc.want.SubIndication {
				t.Fatalf("%s %s (%s), want %s %s", got.Indication, got.SubIndication, got.Detail, tc.want.Indication, tc.want.SubIndication)
			}
			if !strings.Contains(got.Detail, "cms: ") {
				t.Errorf("detail %q does not say what the cms check found", got.Detail)
			}
		})
	}
}
