package server_test

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/segl/segl/internal/pki"
)

// TestDevOCSPGetWithDoubleSlash asks the development OCSP responder by
// GET through the whole server (RFC 6960 appendix A.1: the path is the
// url-encoding of the base64 request) with a request whose base64 holds
// "//", sent unescaped as openssl sends it. The ServeMux would clean the
// path and redirect to it with a character lost; the responder must get
// the path as sent and answer the request, nonce included.
func TestDevOCSPGetWithDoubleSlash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	certs, err := pki.LoadCertificates(filepath.Join(e.data, "pki", "clients", orgA+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	cert, issuer := certs[0], e.srv.Dev.Issuing.Cert
	plain, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		t.Fatal(err)
	}
	der, nonce := requestWithSlashes(t, plain)
	b64 := base64.StdEncoding.EncodeToString(der)

	resp, err := e.anonymous().HTTP.Get(e.srv.URL + "/dev/ocsp/" + b64)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/dev/ocsp/"+b64 {
		t.Fatalf("GET %s: %s at %s", b64, resp.Status, resp.Request.URL.Path)
	}
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		t.Fatalf("the answer to %s: %v", b64, err)
	}
	if r.Status != ocsp.Good {
		t.Errorf("status %d, want good", r.Status)
	}
	// The responder saw the nonce: an answer to it is not for caches
	// (x/crypto/ocsp does not expose the echoed responseExtensions).
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q for a request with nonce %x, want no-store", cc, nonce)
	}
}

var oidNonce = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}

// requestWithSlashes adds a nonce (RFC 8954) to an OCSP request, trying
// nonces until the request's base64 holds "//", and returns the request
// and its nonce.
func requestWithSlashes(t *testing.T, plain []byte) ([]byte, []byte) {
	t.Helper()
	// OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, ... } (RFC 6960
	// section 4.1.1); x/crypto/ocsp writes neither version nor requestor.
	var req struct {
		TBSRequest struct {
			RequestList []asn1.RawValue
			Extensions  []pkix.Extension `asn1:"explicit,tag:2,optional"`
		}
	}
	if _, err := asn1.Unmarshal(plain, &req); err != nil {
		t.Fatal(err)
	}
	for i := range uint64(100000) {
		nonce := binary.BigEndian.AppendUint64(nil, i)
		value, _ := asn1.Marshal(nonce)
		req.TBSRequest.Extensions = []pkix.Extension{{Id: oidNonce, Value: value}}
		der, err := asn1.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(base64.StdEncoding.EncodeToString(der), "//") {
			return der, nonce
		}
	}
	t.Fatal("no nonce gives a request whose base64 holds //")
	return nil, nil
}
