package devcsc

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/eid"
	"github.com/segl/segl/internal/pki"
)

// grant is what a SAD allows: so many signatures with one person's
// credential until exp, and, when the client named them, only those
// hashes.
type grant struct {
	CredentialID string
	PID          string
	Token        [32]byte // SHA-256 of the ID token that obtained the SAD
	Left         int
	Exp          time.Time
	Hash         crypto.Hash    // of Hashes
	Hashes       map[string]int // digest → how many signatures of it; nil: any digest
}

// authorize answers credentials/authorize (CSC v2 section 11.6): the
// bearer's own credential, numSignatures from 1 to MaxSignatures, and an
// ID token of level high, since signing with a person's key needs the
// assurance of sole control that only level high gives (Regulation (EU)
// 910/2014 Article 26, eIDAS level high for the signer's authentication).
// authData is refused: this credential is authorized by the bearer token
// (auth mode oauth2code). The SAD is an opaque random string.
func (s *Service) authorize(w http.ResponseWriter, r *http.Request) {
	b, e := s.authenticate(r, false)
	if e != nil {
		e.write(w)
		return
	}
	var req struct {
		CredentialID     string            `json:"credentialID"`
		NumSignatures    int               `json:"numSignatures"`
		Hashes           []string          `json:"hashes"`
		HashAlgorithmOID string            `json:"hashAlgorithmOID"`
		AuthData         []json.RawMessage `json:"authData"`
		Description      string            `json:"description"`
		ClientData       string            `json:"clientData"`
	}
	if e := readRequest(w, r, authorizeFields, &req, false); e != nil {
		e.write(w)
		return
	}
	c, e := s.owned(b, req.CredentialID)
	if e != nil {
		e.write(w)
		return
	}
	if req.NumSignatures < 1 || req.NumSignatures > s.maxSigs {
		invalid("invalid value for parameter numSignatures: from 1 to %d", s.maxSigs).write(w)
		return
	}
	if len(req.AuthData) > 0 {
		invalid("this credential is authorized by the bearer token (oauth2code): no authData").write(w)
		return
	}
	if len(req.Description) > 500 {
		invalid("description too long").write(w)
		return
	}
	g := &grant{CredentialID: c.ID, PID: b.PID, Token: b.Token, Left: req.NumSignatures, Exp: s.clock.Now().Add(s.sadTTL)}
	if req.Hashes != nil || req.HashAlgorithmOID != "" {
		h, ok := hashAlgos[req.HashAlgorithmOID]
		if !ok {
			invalid("hashes need a supported hashAlgorithmOID").write(w)
			return
		}
		digests, e := decodeHashes(req.Hashes, h, s.maxSigs)
		if e != nil {
			e.write(w)
			return
		}
		if len(digests) != req.NumSignatures {
			invalid("numSignatures must equal the number of hashes").write(w)
			return
		}
		g.Hash, g.Hashes = h, map[string]int{}
		for _, d := range digests {
			g.Hashes[string(d)]++
		}
	}
	// Level high is checked last, so that a person at level substantial
	// learns nothing about a request that was malformed anyway.
	if b.Assurance != eid.High {
		(&cscError{http.StatusForbidden, dev.CodeAccessDenied, "credential authorization needs an eID of level high (idporten-loa-high)"}).write(w)
		return
	}
	sad := random()
	now := s.clock.Now()
	s.mu.Lock()
	ok := s.putSAD(now, sad, g)
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": dev.CodeTemporarilyUnavailable, "error_description": "too many open authorizations"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"SAD": sad, "expiresIn": int(s.sadTTL / time.Second)})
}

// putSAD stores a grant, dropping expired ones when the table is full. The
// caller holds s.mu.
func (s *Service) putSAD(now time.Time, sad string, g *grant) bool {
	if len(s.sads) >= maxSADs {
		for k, v := range s.sads {
			if !now.Before(v.Exp) {
				delete(s.sads, k)
			}
		}
		if len(s.sads) >= maxSADs {
			return false
		}
	}
	s.sads[sad] = g
	return true
}

// signHash answers signatures/signHash (CSC v2 section 11.10). The SAD is
// checked and its count consumed before anything is signed, so a failure
// later never leaves a signature the count does not show: it must exist,
// be unexpired, have been issued for this credential and person, have
// enough signatures left for all the hashes, and, if bound to hashes,
// cover each of them. The bearer token may have expired since, if it is the
// token that obtained the SAD. A refused request consumes nothing.
func (s *Service) signHash(w http.ResponseWriter, r *http.Request) {
	b, e := s.authenticate(r, true)
	if e != nil {
		e.write(w)
		return
	}
	body, e := readBody(w, r, false)
	if e != nil {
		e.write(w)
		return
	}
	req, e := parseSignHash(body, s.maxSigs)
	if e != nil {
		e.write(w)
		return
	}
	c, e := s.owned(b, req.CredentialID)
	if e != nil {
		e.write(w)
		return
	}
	if !req.ECDSA {
		invalid("signAlgo %s does not fit this credential's ECDSA key", req.SignAlgo).write(w)
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	e = s.consume(now, req, b)
	s.mu.Unlock()
	if e != nil {
		e.write(w)
		return
	}

	sigs := make([]string, len(req.Digests))
	entries := make([]Signed, len(req.Digests))
	for i, d := range req.Digests {
		sig, err := c.Pair.Key.Sign(rand.Reader, d, req.Hash)
		if err == nil && s.raw {
			sig, err = pki.RawECDSA(sig, 32)
		}
		if err != nil {
			serverError(w, err)
			return
		}
		sigs[i] = base64.StdEncoding.EncodeToString(sig)
		entries[i] = Signed{At: now, PID: b.PID, CredentialID: c.ID, Hash: req.Hash, Digest: d, SignAlgo: req.SignAlgo}
	}
	s.mu.Lock()
	if len(s.log)+len(entries) > maxLog {
		s.log = append(s.log[:0:0], s.log[len(s.log)/2:]...)
	}
	s.log = append(s.log, entries...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"signatures": sigs})
}

// consume checks a SAD for req and takes its signatures. The caller holds
// s.mu. A used-up SAD is kept until it expires, so that using it again is
// told apart from a SAD that never existed.
func (s *Service) consume(now time.Time, req signHashRequest, b bearer) *cscError {
	g, ok := s.sads[req.SAD]
	if b.Expired && (!ok || g.Token != b.Token) {
		// An expired token is good only with the SAD it obtained.
		return unauthorized("the token has expired")
	}
	switch {
	case !ok:
		return invalid("invalid parameter SAD")
	case !now.Before(g.Exp):
		delete(s.sads, req.SAD)
		return invalid("SAD expired")
	case g.CredentialID != req.CredentialID || g.PID != b.PID:
		return invalid("the SAD was issued for another credential")
	case g.Left == 0:
		return invalid("the SAD is used up")
	case len(req.Digests) > g.Left:
		return invalid("the SAD allows %d more signatures, not %d", g.Left, len(req.Digests))
	}
	if g.Hashes != nil {
		if req.Hash != g.Hash {
			return invalid("the SAD was issued for hashes of another algorithm")
		}
		want := map[string]int{}
		for _, d := range req.Digests {
			want[string(d)]++
		}
		for d, n := range want {
			if g.Hashes[d] < n {
				return invalid("hash is not authorized by the SAD")
			}
		}
		for d, n := range want {
			g.Hashes[d] -= n
		}
	}
	g.Left -= len(req.Digests)
	return nil
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
