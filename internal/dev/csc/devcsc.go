// Package devcsc is the development remote signing service that stands in
// for a qualified trust service's signing API (Buypass BCSS, an EUDI
// wallet's QTSP) in `segl serve --dev` and in tests. It speaks the Cloud
// Signature Consortium API v2.0.0.2 ("Architectures and protocols for remote
// signature applications", CSC v2), so that segl's production client
// (eid/csc) is what talks to it:
//
//   - info (CSC v2 section 11.1), unauthenticated;
//   - credentials/list (11.4) and credentials/info (11.5): every person of
//     the synthetic population has one credential, a P-256 key and a
//     certificate from the development PKI (pki.Dev.IssueSigner), made on
//     first use and kept under Config.Dir;
//   - credentials/authorize (11.6): returns a SAD (signature activation
//     data) for numSignatures signatures, bound to the credential and the
//     person, valid a few minutes;
//   - signatures/signHash (11.10): signs hashes with the SAD, which counts
//     down; signs nothing once it is used up, expired, or shown for
//     another credential. Every signed hash is logged in memory (Signed) so
//     tests can check what a person's consent was used for.
//
// # Authorization mapping
//
// A real remote signing service authorizes the signature application with
// an access token of its own (CSC v2 section 8.1) and each use of a
// credential with a second, stronger user authorization (section 8.2).
// segl's user has just logged in through ID-porten, so the stand-in takes
// that login as both: every call carries the ID-porten ID token as the
// bearer token (RFC 6750 section 2.1). The token must be signed (ES256) by
// the provider at Config.Issuer, be issued to one of Config.Audiences and be
// unexpired; its "pid" claim says whose credential may be used, and nobody
// else's is visible (another person's credential ID is answered like an
// unknown one). Credential authorization (credentials/authorize with
// numSignatures, under that bearer) additionally needs level of assurance
// high (acr idporten-loa-high), the eIDAS level for sole control of a
// signature key; it takes no authData, and credentials/info reports auth
// mode "oauth2code" since the user's authorization comes from an OAuth 2.0
// code flow. (CSC v2 section 11.6 reserves credentials/authorize for
// "explicit" mode and has "oauth2code" services issue credential-scoped
// access tokens instead; the stand-in keeps one SAD with a countdown, which
// is what segl's signing act needs.) Because a crypto.Signer learns each
// digest only when it signs it, the client authorizes a number of
// signatures, not the hashes: the credential is SCAL "1". A client that does
// know its hashes may still send them to credentials/authorize, and the SAD
// is then bound to exactly those (SCAL 2 behaviour).
//
// Requests are decoded strictly: unknown parameters are refused, and both
// the camelCase names of CSC v2.0.0.2 and the snake_case names of later
// revisions (credential_id, num_signatures, …) are accepted. Errors are the
// CSC error object {"error", "error_description"} with 400 (invalid_request),
// 401 (invalid_token) or 403 (access_denied).
//
// All SADs and the log live in memory: the stand-in is for one node only
// and forgets them on restart. It must never be mounted outside --dev.
//
// Wiring for `segl serve --dev`, next to devidp (idp) and the development
// PKI (dev), where base is the server's https URL:
//
//	signer, err := devcsc.New(devcsc.Config{
//		Issuer:    idp.Issuer(),
//		Audiences: []string{"segl-dev"},
//		IDP:       idp,
//		Dev:       dev,
//		Dir:       filepath.Join(dataDir, "dev", "csc"),
//		Clock:     clk,
//	})
//	mux.Handle("/dev/csc/", signer)
//	// and the client: csc.Config{BaseURL: base + "/dev/csc/v2", Roots: dev.Roots()}
package devcsc

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/segl/segl/internal/clock"
	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/dev/population"
	"github.com/segl/segl/internal/pki"
)

// Config configures the service. Issuer, Audiences, Dev and Dir are
// required; every other field has a safe zero value.
type Config struct {
	// Prefix is the path of the CSC base URI the handler serves, without a
	// trailing slash; the methods are below it ("/dev/csc/v2/info", …).
	// Empty means "/dev/csc/v2".
	Prefix string
	// Issuer is the ID-porten issuer whose ID tokens are accepted as
	// bearer tokens, e.g. "https://127.0.0.1:8443/dev/idporten".
	Issuer string
	// Audiences are the client ids an ID token may be issued to (its
	// "aud"); a token from another relying party is refused.
	Audiences []string
	// IDP, when set, is the OpenID provider's handler (a *devidp.Provider
	// in the same process): its discovery document and JWKS are asked for
	// in-process. When nil they are fetched from Issuer with HTTPClient.
	IDP http.Handler
	// HTTPClient fetches the provider's discovery document and JWKS when
	// IDP is nil. Nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Dev is the development PKI that certifies the persons' keys.
	Dev *pki.Dev
	// Dir keeps each person's key and certificate, one PEM file (mode
	// 0600) per credential, so signatures stay verifiable with the same
	// certificate across restarts.
	Dir string
	// People are the persons who have a credential. Nil means the
	// synthetic population (population.Load).
	People []population.Person
	// Clock tells the time: token and SAD expiry, certificate issuance.
	// Nil means the system clock.
	Clock clock.Clock
	// SADTTL is how long a SAD can be used. Zero means 5 minutes.
	SADTTL time.Duration
	// MaxSignatures bounds numSignatures of one authorization and the
	// hashes of one signHash call (the credential's "multisign"). Zero
	// means 50.
	MaxSignatures int
	// RawECDSA makes signHash answer ECDSA signatures as r||s (IEEE P1363)
	// instead of ASN.1 DER, as some services do, to exercise clients.
	RawECDSA bool
}

// Service is the stand-in, an http.Handler.
type Service struct {
	prefix    string
	issuer    string
	audiences []string
	dev       *pki.Dev
	dir       string
	clock     clock.Clock
	sadTTL    time.Duration
	maxSigs   int
	raw       bool
	byPID     map[string]population.Person
	keys      *keySource
	mux       *http.ServeMux

	credMu sync.Mutex             // serialises loading and issuing credentials
	creds  map[string]*credential // by person

	mu   sync.Mutex
	sads map[string]*grant // by SAD
	log  []Signed
}

// Limits of the in-memory state.
const (
	maxSADs = 10000 // live SADs: a dev stand-in must not be an easy memory sink
	maxLog  = 10000 // signed hashes remembered
	leeway  = 30 * time.Second
)

// New makes the service. Keys and certificates are made when a person
// first uses the service, not here.
func New(cfg Config) (*Service, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || strings.HasSuffix(cfg.Issuer, "/") {
		return nil, fmt.Errorf("devcsc: issuer %q must be an absolute URL without a trailing slash", cfg.Issuer)
	}
	if len(cfg.Audiences) == 0 {
		return nil, errors.New("devcsc: no audiences: say which relying party's ID tokens to accept")
	}
	if cfg.Dev == nil || cfg.Dev.Issuing.Cert == nil || cfg.Dev.Issuing.Key == nil {
		return nil, errors.New("devcsc: no development PKI")
	}
	if cfg.Dir == "" {
		return nil, errors.New("devcsc: no directory for the keys")
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = "/dev/csc/v2"
	}
	if !strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("devcsc: prefix %q must start and not end with a slash", prefix)
	}
	s := &Service{
		prefix:    prefix,
		issuer:    cfg.Issuer,
		audiences: cfg.Audiences,
		dev:       cfg.Dev,
		dir:       cfg.Dir,
		clock:     cfg.Clock,
		sadTTL:    cfg.SADTTL,
		maxSigs:   cfg.MaxSignatures,
		raw:       cfg.RawECDSA,
		byPID:     map[string]population.Person{},
		creds:     map[string]*credential{},
		sads:      map[string]*grant{},
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	if s.sadTTL <= 0 {
		s.sadTTL = 5 * time.Minute
	}
	if s.maxSigs <= 0 {
		s.maxSigs = 50
	}
	people := cfg.People
	if people == nil {
		pop, err := population.Load()
		if err != nil {
			return nil, fmt.Errorf("devcsc: %w", err)
		}
		people = pop.People
	}
	for _, p := range people {
		s.byPID[p.PID] = p
	}
	client := cfg.HTTPClient
	if cfg.IDP != nil {
		client = &http.Client{Transport: handlerTransport{cfg.IDP}, Timeout: 10 * time.Second}
	} else if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	s.keys = &keySource{issuer: cfg.Issuer, client: client, clock: s.clock}
	s.routes()
	return s, nil
}

// ServeHTTP serves the CSC methods under the prefix.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Service) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+s.prefix+"/info", s.info)
	mux.HandleFunc("POST "+s.prefix+"/credentials/list", s.list)
	mux.HandleFunc("POST "+s.prefix+"/credentials/info", s.credentialInfo)
	mux.HandleFunc("POST "+s.prefix+"/credentials/authorize", s.authorize)
	mux.HandleFunc("POST "+s.prefix+"/signatures/signHash", s.signHash)
	mux.HandleFunc(s.prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			(&cscError{http.StatusMethodNotAllowed, dev.CodeInvalidRequest, "CSC methods are called with POST"}).write(w)
			return
		}
		(&cscError{http.StatusNotFound, dev.CodeInvalidRequest, "unknown or unsupported method"}).write(w)
	})
	s.mux = mux
}

// methods are the CSC v2 methods the service implements, as info lists them.
var methods = []string{"info", "credentials/list", "credentials/info", "credentials/authorize", "signatures/signHash"}

// info describes the service (CSC v2 section 11.1). It needs no
// authorization; its body, if any, may carry only "lang".
func (s *Service) info(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Lang string `json:"lang"`
	}
	if e := readRequest(w, r, infoFields, &req, true); e != nil {
		e.write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"specs":          "2.0.0.2",
		"name":           "segl development remote signing service",
		"logo":           "",
		"region":         "NO",
		"lang":           "en",
		"description":    "Development stand-in for a remote signing service: one key per test person, authorized by an ID-porten login at level high. Never use it outside development.",
		"authType":       []string{"oauth2code"},
		"oauth2":         s.issuer,
		"oauth2Issuer":   s.issuer,
		"methods":        methods,
		"signAlgorithms": map[string]any{"algos": ecdsaAlgos},
	})
}

// Signed is one hash the service signed.
type Signed struct {
	At           time.Time
	PID          string // whose credential
	CredentialID string
	Hash         crypto.Hash
	Digest       []byte
	SignAlgo     string // OID
}

// Signed returns every hash signed so far, oldest first (at most the last
// 10000).
func (s *Service) Signed() []Signed {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Signed, len(s.log))
	copy(out, s.log)
	return out
}

// CredentialID is the ID of a person's credential. Tests use it to try
// another person's credential.
func CredentialID(pid string) string { return credentialID(pid) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
