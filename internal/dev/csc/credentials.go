package devcsc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/pki"
)

// credential is one person's signing key and certificate.
type credential struct {
	ID   string
	PID  string
	Pair pki.KeyPair // Chain: the issuing CA
	Root *x509.Certificate
}

// renewBefore is how long before it expires a person's certificate is
// replaced, so no signature is made with a certificate about to lapse.
const renewBefore = 30 * 24 * time.Hour

// credentialID names a person's credential without showing the identity
// number, which stays out of the service's URLs, logs and file names.
func credentialID(pid string) string {
	sum := sha256.Sum256([]byte("segl devcsc credential\x00" + pid))
	return "dev-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// serialNumber is the person's certificate serialNumber attribute, shaped
// like BankID's pseudonymous "UN:NO-9578-…" identifiers: derived from the
// identity number, so it stays the same across re-issued certificates,
// but not showing it. (Unkeyed, so it hides nothing from someone who
// tries every identity number: fine for synthetic test persons.)
func serialNumber(pid string) string {
	sum := sha256.Sum256([]byte("segl devcsc serial\x00" + pid))
	return fmt.Sprintf("UN:NO-9578-9999-%09d", binary.BigEndian.Uint64(sum[:8])%1e9)
}

// credentialOf returns the person's credential, loading it from Dir or
// issuing a new key and certificate on first use, and again when the
// stored certificate is about to expire or no longer chains to the
// development issuing CA. It returns ok == false for someone outside the
// population, who has no credential.
func (s *Service) credentialOf(pid string) (*credential, bool, error) {
	person, ok := s.byPID[pid]
	if !ok {
		return nil, false, nil
	}
	now := s.clock.Now()
	s.credMu.Lock()
	defer s.credMu.Unlock()
	if c := s.creds[pid]; c != nil && s.fits(c, now) {
		return c, true, nil
	}
	c := &credential{ID: credentialID(pid), PID: pid, Root: s.dev.Root}
	path := filepath.Join(s.dir, c.ID+".pem")
	pair, err := load(path)
	switch {
	case err == nil:
		c.Pair = pair
		if s.fits(c, now) {
			s.creds[pid] = c
			return c, true, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, true, err
	}
	c.Pair, err = s.dev.IssueSigner(pki.Person{GivenName: person.GivenName, FamilyName: person.FamilyName, SerialNumber: serialNumber(pid)}, now)
	if err != nil {
		return nil, true, fmt.Errorf("devcsc: %w", err)
	}
	if err := store(path, c.Pair); err != nil {
		return nil, true, err
	}
	s.creds[pid] = c
	return c, true, nil
}

// fits reports whether a credential's certificate can still be used: issued
// by the current issuing CA and not about to expire.
func (s *Service) fits(c *credential, now time.Time) bool {
	cert := c.Pair.Cert
	return len(c.Pair.Chain) == 1 && c.Pair.Chain[0].Equal(s.dev.Issuing.Cert) &&
		cert.CheckSignatureFrom(s.dev.Issuing.Cert) == nil && now.Add(renewBefore).Before(cert.NotAfter)
}

// load reads a credential file: a PKCS #8 private key, the certificate and
// the issuing CA.
func load(path string) (pki.KeyPair, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return pki.KeyPair{}, err
	}
	var (
		key   *ecdsa.PrivateKey
		certs []*x509.Certificate
	)
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return pki.KeyPair{}, fmt.Errorf("devcsc: %s: %w", path, err)
			}
			ec, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return pki.KeyPair{}, fmt.Errorf("devcsc: %s: not an ECDSA key", path)
			}
			key = ec
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return pki.KeyPair{}, fmt.Errorf("devcsc: %s: %w", path, err)
			}
			certs = append(certs, c)
		}
	}
	if key == nil || len(certs) != 2 || !key.PublicKey.Equal(certs[0].PublicKey) {
		return pki.KeyPair{}, fmt.Errorf("devcsc: %s: want a key with its certificate and issuer", path)
	}
	return pki.KeyPair{Cert: certs[0], Chain: certs[1:], Key: key}, nil
}

// store writes a credential file atomically with mode 0600: key and
// certificates in one file, so that a reader never sees a key with another
// key's certificate.
func store(path string, kp pki.KeyPair) error {
	der, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		return fmt.Errorf("devcsc: %w", err)
	}
	var buf bytes.Buffer
	pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	for _, c := range append([]*x509.Certificate{kp.Cert}, kp.Chain...) {
		pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("devcsc: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("devcsc: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("devcsc: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("devcsc: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("devcsc: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("devcsc: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("devcsc: %w", err)
	}
	return nil
}

// The shapes of credentials/info (CSC v2 section 11.5), also used in the
// credentialInfos of credentials/list (11.4).
type (
	credentialInfoJSON struct {
		CredentialID string    `json:"credentialID,omitempty"`
		Description  string    `json:"description"`
		Key          keyJSON   `json:"key"`
		Cert         certJSON  `json:"cert"`
		Auth         *authJSON `json:"auth,omitempty"`
		SCAL         string    `json:"SCAL"`
		Multisign    int       `json:"multisign"`
		Lang         string    `json:"lang"`
	}
	keyJSON struct {
		Status string   `json:"status"`
		Algo   []string `json:"algo"`
		Len    int      `json:"len"`
		Curve  string   `json:"curve"`
	}
	certJSON struct {
		Status       string   `json:"status"`
		Certificates []string `json:"certificates,omitempty"`
		IssuerDN     string   `json:"issuerDN,omitempty"`
		SerialNumber string   `json:"serialNumber,omitempty"`
		SubjectDN    string   `json:"subjectDN,omitempty"`
		ValidFrom    string   `json:"validFrom,omitempty"`
		ValidTo      string   `json:"validTo,omitempty"`
	}
	authJSON struct {
		Mode string `json:"mode"`
	}
)

// infoOptions are the parameters that shape credential information.
type infoOptions struct {
	Certificates string // none, single (the default) or chain
	CertInfo     bool
	AuthInfo     bool
}

func (o infoOptions) check() *cscError {
	switch o.Certificates {
	case "", "none", "single", "chain":
		return nil
	}
	return invalid("invalid parameter certificates")
}

// generalizedTime is how CSC v2 writes validFrom and validTo (the X.509
// GeneralizedTime form, "YYYYMMDDHHMMSSZ").
func generalizedTime(t time.Time) string { return t.UTC().Format("20060102150405Z") }

func (s *Service) describe(c *credential, o infoOptions, now time.Time) credentialInfoJSON {
	cert := c.Pair.Cert
	status := "valid"
	switch {
	case now.After(cert.NotAfter):
		status = "expired"
	case now.Before(cert.NotBefore):
		status = "invalid"
	}
	info := credentialInfoJSON{
		Description: "Development signing key of " + cert.Subject.CommonName,
		Key:         keyJSON{Status: "enabled", Algo: ecdsaAlgos, Len: 256, Curve: oidP256},
		Cert:        certJSON{Status: status},
		SCAL:        "1",
		Multisign:   s.maxSigs,
		Lang:        "en",
	}
	var certs []*x509.Certificate
	switch o.Certificates {
	case "", "single":
		certs = []*x509.Certificate{cert}
	case "chain":
		certs = append([]*x509.Certificate{cert}, c.Pair.Chain...)
		certs = append(certs, c.Root)
	}
	for _, x := range certs {
		info.Cert.Certificates = append(info.Cert.Certificates, base64.StdEncoding.EncodeToString(x.Raw))
	}
	if o.CertInfo {
		info.Cert.IssuerDN = cert.Issuer.String()
		info.Cert.SubjectDN = cert.Subject.String()
		info.Cert.SerialNumber = cert.SerialNumber.Text(16)
		info.Cert.ValidFrom = generalizedTime(cert.NotBefore)
		info.Cert.ValidTo = generalizedTime(cert.NotAfter)
	}
	if o.AuthInfo {
		info.Auth = &authJSON{Mode: "oauth2code"}
	}
	return info
}

// list answers credentials/list (CSC v2 section 11.4) with the bearer's
// own credential, made on first use. userID, when given, must be the
// bearer's identity number: nobody lists another person's credentials.
func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	b, e := s.authenticate(r, false)
	if e != nil {
		e.write(w)
		return
	}
	var req struct {
		UserID         string `json:"userID"`
		CredentialInfo bool   `json:"credentialInfo"`
		Certificates   string `json:"certificates"`
		CertInfo       bool   `json:"certInfo"`
		AuthInfo       bool   `json:"authInfo"`
		OnlyValid      bool   `json:"onlyValid"`
		Lang           string `json:"lang"`
		ClientData     string `json:"clientData"`
		MaxResults     int    `json:"maxResults"`
		PageToken      string `json:"pageToken"`
	}
	if e := readRequest(w, r, listFields, &req, true); e != nil {
		e.write(w)
		return
	}
	o := infoOptions{Certificates: req.Certificates, CertInfo: req.CertInfo, AuthInfo: req.AuthInfo}
	if e := o.check(); e != nil {
		e.write(w)
		return
	}
	if req.UserID != "" && req.UserID != b.PID {
		invalid("invalid parameter userID").write(w)
		return
	}
	resp := struct {
		CredentialIDs   []string             `json:"credentialIDs"`
		CredentialInfos []credentialInfoJSON `json:"credentialInfos,omitempty"`
		OnlyValid       bool                 `json:"onlyValid,omitempty"`
	}{CredentialIDs: []string{}, OnlyValid: req.OnlyValid}
	c, ok, err := s.credentialOf(b.PID)
	if err != nil {
		serverError(w, err)
		return
	}
	now := s.clock.Now()
	if ok {
		info := s.describe(c, o, now)
		if !req.OnlyValid || info.Cert.Status == "valid" {
			resp.CredentialIDs = append(resp.CredentialIDs, c.ID)
			if req.CredentialInfo {
				info.CredentialID = c.ID
				resp.CredentialInfos = append(resp.CredentialInfos, info)
			}
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// credentialInfo answers credentials/info (CSC v2 section 11.5). Another
// person's credential ID gets the same answer as one that does not exist.
func (s *Service) credentialInfo(w http.ResponseWriter, r *http.Request) {
	b, e := s.authenticate(r, false)
	if e != nil {
		e.write(w)
		return
	}
	var req struct {
		CredentialID string `json:"credentialID"`
		Certificates string `json:"certificates"`
		CertInfo     bool   `json:"certInfo"`
		AuthInfo     bool   `json:"authInfo"`
		Lang         string `json:"lang"`
		ClientData   string `json:"clientData"`
	}
	if e := readRequest(w, r, infoCredFields, &req, false); e != nil {
		e.write(w)
		return
	}
	o := infoOptions{Certificates: req.Certificates, CertInfo: req.CertInfo, AuthInfo: req.AuthInfo}
	if e := o.check(); e != nil {
		e.write(w)
		return
	}
	c, e := s.owned(b, req.CredentialID)
	if e != nil {
		e.write(w)
		return
	}
	writeJSON(w, http.StatusOK, s.describe(c, o, s.clock.Now()))
}

// owned returns the bearer's credential if id names it.
func (s *Service) owned(b bearer, id string) (*credential, *cscError) {
	if e := checkCredentialID(id); e != nil {
		return nil, e
	}
	if id != credentialID(b.PID) {
		return nil, invalid("invalid parameter credentialID")
	}
	c, ok, err := s.credentialOf(b.PID)
	if err != nil {
		slog.Error("devcsc: load credential", "err", err)
		return nil, &cscError{http.StatusInternalServerError, dev.CodeServerError, "the credential cannot be loaded"}
	}
	if !ok {
		return nil, invalid("invalid parameter credentialID")
	}
	return c, nil
}

// serverError logs err in full and shows nobody more than "internal error".
func serverError(w http.ResponseWriter, err error) {
	slog.Error("devcsc: internal error", "err", err)
	(&cscError{http.StatusInternalServerError, dev.CodeServerError, "internal error"}).write(w)
}
