package devcsc

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"

	"github.com/segl/segl/internal/dev"
)

// cscError is the error object of CSC v2 (section 10): an OAuth 2.0 style
// code (RFC 6749 section 5.2, RFC 6750 section 3.1) and a description.
type cscError struct {
	Status int
	Code   string
	Desc   string
}

func (e *cscError) Error() string { return "devcsc: " + e.Code + ": " + e.Desc }

func (e *cscError) write(w http.ResponseWriter) {
	if e.Status == http.StatusUnauthorized {
		// RFC 6750 section 3: a bearer token was missing or refused.
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="devcsc", error=%q, error_description=%q`, e.Code, e.Desc))
	}
	writeJSON(w, e.Status, map[string]string{"error": e.Code, "error_description": e.Desc})
}

func invalid(format string, args ...any) *cscError {
	return &cscError{http.StatusBadRequest, dev.CodeInvalidRequest, fmt.Sprintf(format, args...)}
}

// maxBody bounds a request body; a signHash of 50 SHA-512 hashes is under
// 6 KiB.
const maxBody = 64 << 10

// Parameter names per method: each spelling a client may send, mapped to
// the name the request struct decodes. CSC v2.0.0.2 spells them in
// camelCase; later revisions (and the EUDI libraries) in snake_case.
var (
	infoFields = fields("lang")
	listFields = fields("userID", "credentialInfo", "certificates", "certInfo", "authInfo", "onlyValid",
		"lang", "clientData", "maxResults", "pageToken")
	infoCredFields  = fields("credentialID", "certificates", "certInfo", "authInfo", "lang", "clientData")
	authorizeFields = fields("credentialID", "numSignatures", "hashes", "hashAlgorithmOID", "authData",
		"description", "clientData")
	signHashFields = fields("credentialID", "SAD", "hashes", "hashAlgorithmOID", "signAlgo", "signAlgoParams",
		"operationMode", "validityPeriod", "responseURI", "clientData")
)

// fields maps each camelCase name and its snake_case form to the camelCase
// name.
func fields(names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = n
		m[snake(n)] = n
	}
	return m
}

// snake spells a camelCase name in snake_case: credentialID → credential_id,
// SAD → sad, hashAlgorithmOID → hash_algorithm_oid, responseURI →
// response_uri.
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && unicode.IsLower(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1]) && i > 0 && unicode.IsUpper(rs[i-1])
			if i > 0 && (prevLower || nextLower) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// readRequest reads a CSC request body (a JSON object, Content-Type
// application/json) into dst. Every parameter must be one of names, given
// once under either spelling; anything else is refused, as a service that
// ignored what it does not understand could sign under conditions the
// client did not mean. emptyOK allows an empty body (info, credentials/list).
func readRequest(w http.ResponseWriter, r *http.Request, names map[string]string, dst any, emptyOK bool) *cscError {
	body, e := readBody(w, r, emptyOK)
	if e != nil || body == nil {
		return e
	}
	return decode(body, names, dst)
}

// readBody reads a bounded JSON body; it returns nil for an empty body when
// emptyOK.
func readBody(w http.ResponseWriter, r *http.Request, emptyOK bool) ([]byte, *cscError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, invalid("the request body is too large or unreadable")
	}
	if len(bytes.TrimSpace(body)) == 0 && emptyOK {
		return nil, nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, invalid("the body must be application/json")
	}
	return body, nil
}

// decode is readRequest's parser, separate so it can be fuzzed.
func decode(body []byte, names map[string]string, dst any) *cscError {
	var raw map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&raw); err != nil || raw == nil {
		return invalid("the body must be a JSON object")
	}
	if _, err := d.Token(); err != io.EOF {
		return invalid("trailing data after the JSON object")
	}
	canon := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		name, ok := names[k]
		if !ok {
			return invalid("unknown parameter %q", printable(k, 40))
		}
		if _, dup := canon[name]; dup {
			return invalid("parameter %s given twice", name)
		}
		canon[name] = v
	}
	b, err := json.Marshal(canon)
	if err != nil {
		return invalid("malformed parameters")
	}
	d = json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(dst); err != nil {
		return invalid("malformed parameter: %s", printable(err.Error(), 120))
	}
	return nil
}

// printable quotes at most max runes of untrusted input for an error text.
func printable(s string, max int) string {
	var b strings.Builder
	for i, r := range s {
		if i >= max {
			b.WriteString("…")
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			b.WriteRune('?')
		}
	}
	return b.String()
}

// Algorithm identifiers (RFC 5758 section 3.2, RFC 4055 section 5, RFC 5754
// section 2).
const (
	oidECDSASHA256 = "1.2.840.10045.4.3.2"
	oidECDSASHA384 = "1.2.840.10045.4.3.3"
	oidECDSASHA512 = "1.2.840.10045.4.3.4"
	oidRSASHA256   = "1.2.840.113549.1.1.11"
	oidRSASHA384   = "1.2.840.113549.1.1.12"
	oidRSASHA512   = "1.2.840.113549.1.1.13"
	oidSHA256      = "2.16.840.1.101.3.4.2.1"
	oidSHA384      = "2.16.840.1.101.3.4.2.2"
	oidSHA512      = "2.16.840.1.101.3.4.2.3"
	oidP256        = "1.2.840.10045.3.1.7"
)

// ecdsaAlgos are the signature algorithms of the persons' P-256 keys.
var ecdsaAlgos = []string{oidECDSASHA256, oidECDSASHA384, oidECDSASHA512}

// signAlgos are the signature algorithms a request may name, with the hash
// each implies. RSA is known, so that a request for it is refused as the
// wrong algorithm for the key rather than as nonsense.
var signAlgos = map[string]struct {
	hash  crypto.Hash
	ecdsa bool
}{
	oidECDSASHA256: {crypto.SHA256, true},
	oidECDSASHA384: {crypto.SHA384, true},
	oidECDSASHA512: {crypto.SHA512, true},
	oidRSASHA256:   {crypto.SHA256, false},
	oidRSASHA384:   {crypto.SHA384, false},
	oidRSASHA512:   {crypto.SHA512, false},
}

var hashAlgos = map[string]crypto.Hash{oidSHA256: crypto.SHA256, oidSHA384: crypto.SHA384, oidSHA512: crypto.SHA512}

// signHashJSON is the signatures/signHash request (CSC v2 section 11.10).
type signHashJSON struct {
	CredentialID     string   `json:"credentialID"`
	SAD              string   `json:"SAD"`
	Hashes           []string `json:"hashes"`
	HashAlgorithmOID string   `json:"hashAlgorithmOID"`
	SignAlgo         string   `json:"signAlgo"`
	SignAlgoParams   string   `json:"signAlgoParams"`
	OperationMode    string   `json:"operationMode"`
	ValidityPeriod   *int64   `json:"validityPeriod"`
	ResponseURI      string   `json:"responseURI"`
	ClientData       string   `json:"clientData"`
}

// signHashRequest is a decoded and checked signHash request.
type signHashRequest struct {
	CredentialID string
	SAD          string
	Digests      [][]byte
	Hash         crypto.Hash
	SignAlgo     string
	ECDSA        bool
}

// Bounds on identifiers a client sends back.
const (
	maxCredentialID = 128
	maxSAD          = 512
)

// parseSignHash decodes a signHash body and checks it against CSC v2
// section 11.10: credentialID, SAD, hashes and signAlgo are required;
// hashAlgorithmOID may be left out since every signAlgo accepted here names
// its hash, but when given it must agree; each hash must be the standard
// base64 of a digest of that hash's size. Only synchronous operation
// (operationMode "S") is offered, so responseURI and validityPeriod, which
// belong to asynchronous mode, are refused. maxHashes bounds the count.
func parseSignHash(body []byte, maxHashes int) (signHashRequest, *cscError) {
	var j signHashJSON
	if e := decode(body, signHashFields, &j); e != nil {
		return signHashRequest{}, e
	}
	if e := checkCredentialID(j.CredentialID); e != nil {
		return signHashRequest{}, e
	}
	if j.SAD == "" || len(j.SAD) > maxSAD || !visibleASCII(j.SAD) {
		return signHashRequest{}, invalid("missing or invalid parameter SAD")
	}
	alg, ok := signAlgos[j.SignAlgo]
	if !ok {
		return signHashRequest{}, invalid("unsupported signAlgo %q", printable(j.SignAlgo, 40))
	}
	if j.SignAlgoParams != "" {
		return signHashRequest{}, invalid("signAlgo %s takes no signAlgoParams", j.SignAlgo)
	}
	if j.HashAlgorithmOID != "" && hashAlgos[j.HashAlgorithmOID] != alg.hash {
		return signHashRequest{}, invalid("hashAlgorithmOID %q does not match signAlgo %s", printable(j.HashAlgorithmOID, 40), j.SignAlgo)
	}
	switch j.OperationMode {
	case "", "S":
	case "A":
		return signHashRequest{}, invalid("asynchronous operation is not supported")
	default:
		return signHashRequest{}, invalid("invalid parameter operationMode")
	}
	if j.ResponseURI != "" || j.ValidityPeriod != nil {
		return signHashRequest{}, invalid("responseURI and validityPeriod belong to asynchronous operation")
	}
	digests, e := decodeHashes(j.Hashes, alg.hash, maxHashes)
	if e != nil {
		return signHashRequest{}, e
	}
	return signHashRequest{CredentialID: j.CredentialID, SAD: j.SAD, Digests: digests, Hash: alg.hash, SignAlgo: j.SignAlgo, ECDSA: alg.ecdsa}, nil
}

func checkCredentialID(id string) *cscError {
	if id == "" || len(id) > maxCredentialID || !visibleASCII(id) {
		return invalid("missing or invalid parameter credentialID")
	}
	return nil
}

// visibleASCII reports whether s is printable ASCII without spaces, as the
// identifiers this service hands out are.
func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// decodeHashes decodes 1 to max base64 digests of h's size.
func decodeHashes(hashes []string, h crypto.Hash, max int) ([][]byte, *cscError) {
	if len(hashes) == 0 {
		return nil, invalid("missing parameter hashes")
	}
	if len(hashes) > max {
		return nil, invalid("at most %d hashes per request", max)
	}
	out := make([][]byte, len(hashes))
	for i, s := range hashes {
		d, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil || len(d) != h.Size() {
			return nil, invalid("hashes[%d] is not the base64 of a %d-byte digest", i, h.Size())
		}
		out[i] = d
	}
	return out, nil
}
