package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/testdocs"
)

// TestAnchorValidityNotChecked: the trust anchor gives its name and key,
// not its validity (RFC 5280 §6.1.1(d), EN 319 102-1 §5.6.2.1), so a root
// whose certificate ends before the CAs and certificates under it (here
// the development root reissued with the same key, ended yesterday) stops
// no act: both signatures are made and the document completes. A CA or a
// signing certificate under it that is not valid now is still refused,
// certificate-expired.
func TestAnchorValidityNotChecked(t *testing.T) {
	env := setup(t)
	d := env.dev
	now := time.Now()
	rootKey, err := pki.LoadSigner(filepath.Join(d.Dir, "root-ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	ended := now.AddDate(0, 0, -1)
	oldRoot := reissue(t, d.Root, nil, rootKey, ended)
	if !oldRoot.NotAfter.Before(d.Issuing.Cert.NotAfter) || !oldRoot.NotAfter.Before(d.Seal.Cert.NotAfter) {
		t.Fatal("the reissued root does not end before its subordinates")
	}
	under := func(seal pki.KeyPair) *Engine {
		return env.engine(t, func(c *Config) {
			c.Anchors, c.Seal = []*x509.Certificate{oldRoot}, seal
			c.OCSP = reissuedRoot{c.OCSP.(pki.DevOCSP), oldRoot}
		})
	}

	e := under(d.Seal)
	j := Job{ID: "0195a3f2-7c1d-7e55-9f00-4b2a1c9d8e80", Title: "Leieavtale", SenderOrg: "312345679",
		SenderName: "Eksempel kommune", Identifier: job.ShowBirthDateAndName, Signers: 2, Lang: "nb"}
	doc := prepare(t, e, j, "doc-1", "Leieavtale", "leieavtale.pdf", "application/pdf", testdocs.PDF("Leieavtale", 5_000))
	sign(t, e, Act{Job: j, Slot: 0, Signer: ola, SignedAt: now}, []*document{doc})
	sign(t, e, Act{Job: j, Slot: 1, Signer: kari, SignedAt: now, Advanced: true}, []*document{doc})
	complete(t, e, doc)

	expiredIssuing := reissue(t, d.Issuing.Cert, d.Root, rootKey, ended)
	expiredSeal := reissue(t, d.Seal.Cert, d.Issuing.Cert, d.Issuing.Key, ended)
	for name, seal := range map[string]pki.KeyPair{
		"issuing CA expired": {Cert: d.Seal.Cert, Chain: []*x509.Certificate{expiredIssuing}, Key: d.Seal.Key},
		"seal expired":       {Cert: expiredSeal, Chain: d.Seal.Chain, Key: d.Seal.Key},
	} {
		e := under(seal)
		doc := prepare(t, e, j, "doc-1", "Leieavtale", "leieavtale.pdf", "application/pdf", testdocs.PDF("Leieavtale", 5_000))
		var out bytes.Buffer
		_, _, err := e.signRevisions(context.Background(), Act{Job: j, Documents: []Document{doc.meta}, Slot: 0, Signer: ola, SignedAt: now}, nil,
			[]Revision{{Document: doc.meta.ID, Src: bytes.NewReader(doc.data), Size: int64(len(doc.data)), Out: &out}})
		if errs.KindOf(err) != errs.Unavailable || !errs.HasCode(err, CodeCertificateExpired) {
			t.Errorf("%s: %v, want %s", name, err, CodeCertificateExpired)
		}
	}
}

// reissue is c certified again with the same subject and key, for the
// year ending at notAfter: by parent's key, or by key itself when parent
// is nil (a root).
func reissue(t *testing.T, c, parent *x509.Certificate, key crypto.Signer, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := *c
	tmpl.NotBefore, tmpl.NotAfter = notAfter.AddDate(-1, 0, 0), notAfter
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = &tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, parent, c.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	out, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reissuedRoot is the development PKI's revocation data with the root's
// CRL also given for the root reissued with its key.
type reissuedRoot struct {
	pki.DevOCSP
	root *x509.Certificate
}

func (s reissuedRoot) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, error) {
	if bytes.Equal(issuer.Raw, s.root.Raw) {
		issuer = s.Dev.Root
	}
	return s.DevOCSP.CRL(ctx, cert, issuer)
}
