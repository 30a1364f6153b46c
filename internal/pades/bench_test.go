package pades_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"io"
	"testing"
	"time"

	dpdf "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"

	"github.com/segl/segl/internal/pades"
	"github.com/segl/segl/internal/testdocs"
)

// The benchmarks of docs/benchmarks.md ("Sealing"). Run them with
//
//	go test ./internal/pades/ -run '^$' -bench . -benchmem -benchtime 20x
//
// Every benchmark seals or signs the same generated documents with the same
// development seal key (ECDSA P-256) and writes to io.Discard.

var benchSizes = []struct {
	name string
	size int
}{
	{"100KB", 100_000},
	{"10MB", 10_000_000},
}

// BenchmarkSeal runs the whole pipeline of segl seal in process: parse the
// original, build the incremental update, hash, sign, and, for B-LTA, the
// signature time-stamp, the DSS with two OCSP responses and the root's CRL,
// the document time-stamp, and the DSS with its own OCSP response and CRL,
// with the intermediate revisions in temporary files.
func BenchmarkSeal(b *testing.B) {
	e := newEnv(b)
	for _, sz := range benchSizes {
		doc := testdocs.PDF("segl benchmark", sz.size)
		for _, level := range []pades.Level{pades.BB, pades.BLTA} {
			b.Run(sz.name+"/"+level.String(), func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					err := e.sealer.Seal(context.Background(), io.Discard, bytes.NewReader(doc), int64(len(doc)),
						pades.Options{Level: level, Name: "segl TTP seal (development)"})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFloor is what no implementation can avoid: one SHA-256 pass over
// the document and the signatures the level needs, with the same P-256 key.
// TestLevels counts them: B-B needs the seal's one; B-LTA adds two
// time-stamp tokens (the signature time-stamp and the document time-stamp),
// two OCSP responses (for the seal and for the TSA certificate) and a root
// CRL (for the issuing CA) before the document time-stamp, and one OCSP
// response and one CRL produced after it, for its own path: eight in all. A B-LTA pipeline must in fact hash most of the file twice (the
// document time-stamp covers the signed file), so its floor here is a
// strict one.
func BenchmarkFloor(b *testing.B) {
	e := newEnv(b)
	key := e.dev.Seal.Key
	for _, sz := range benchSizes {
		doc := testdocs.PDF("segl benchmark", sz.size)
		for _, lv := range []struct {
			level      pades.Level
			signatures int
		}{{pades.BB, 1}, {pades.BLTA, 8}} {
			b.Run(sz.name+"/"+lv.level.String(), func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					sum := sha256.Sum256(doc)
					for range lv.signatures {
						if _, err := key.Sign(rand.Reader, sum[:], crypto.SHA256); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

// BenchmarkPdfsign signs the same documents with the same key and chain
// using github.com/digitorus/pdfsign v0.9.0, a library we did not write: an
// approval signature (adbe.pkcs7.detached), no TSA and no revocation data,
// so it is comparable with B-B. Parsing is inside the loop, as it is for
// Seal.
func BenchmarkPdfsign(b *testing.B) {
	e := newEnv(b)
	data := sign.SignData{
		Signature: sign.SignDataSignature{
			CertType: sign.ApprovalSignature,
			Info:     sign.SignDataSignatureInfo{Name: "segl TTP seal (development)", Date: time.Now()},
		},
		Signer:            e.dev.Seal.Key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       e.dev.Seal.Cert,
		CertificateChains: [][]*x509.Certificate{append([]*x509.Certificate{e.dev.Seal.Cert}, e.dev.Seal.Chain...)},
	}
	for _, sz := range benchSizes {
		doc := testdocs.PDF("segl benchmark", sz.size)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				src := bytes.NewReader(doc)
				rdr, err := dpdf.NewReader(src, int64(len(doc)))
				if err != nil {
					b.Fatal(err)
				}
				if err := sign.Sign(src, io.Discard, rdr, int64(len(doc)), data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
