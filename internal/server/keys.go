package server

import (
	"crypto"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/health"
	"github.com/segl/segl/internal/hsm"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/tsp"
)

// roleKeys are the seal, time-stamping and OCSP key pairs the configuration
// names, each from a PEM file or an HSM token; nil where it names none, and
// the development ones stand in under --dev.
type roleKeys struct {
	token           *hsm.Token // the one PKCS#11 context of the process; nil without an HSM
	seal, tsa, ocsp *pki.KeyPair
}

// loadKeys opens the HSM token once, when one is configured, and loads
// every configured key with its certificate chain, checking that each
// certificate certifies its key. A wrong PIN, a missing token or key and a
// certificate for another key all stop start-up here.
func loadKeys(cfg config.Config) (_ *roleKeys, err error) {
	k := &roleKeys{}
	if cfg.HSM().Configured() {
		if k.token, err = hsm.Open(cfg.HSM()); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				k.token.Close()
			}
		}()
	}
	for _, r := range []struct {
		dst                   **pki.KeyPair
		label, keyFile, chain string
	}{
		{&k.seal, cfg.SealKeyLabel, cfg.SealKey, cfg.SealCert},
		{&k.tsa, cfg.TSAKeyLabel, "", cfg.TSACert},
		{&k.ocsp, cfg.OCSPKeyLabel, "", cfg.OCSPCert},
	} {
		if r.label == "" && r.keyFile == "" {
			continue // the role's development key, or none
		}
		kp, err := k.pair(r.label, r.keyFile, r.chain)
		if err != nil {
			return nil, err
		}
		*r.dst = &kp
	}
	return k, nil
}

// pair loads the key labelled label in the token, or else the PEM key in
// keyFile, with the chain in certFile.
func (k *roleKeys) pair(label, keyFile, certFile string) (pki.KeyPair, error) {
	var (
		key crypto.Signer
		err error
	)
	if label != "" {
		key, err = k.token.Signer(label)
	} else {
		key, err = pki.LoadSigner(keyFile)
	}
	if err != nil {
		return pki.KeyPair{}, err
	}
	return pki.LoadKeyPair(key, certFile)
}

// newAuthority is the in-process time-stamping authority on kp, on the
// server's clock.
func newAuthority(kp pki.KeyPair, opts Options) (*tsp.Authority, error) {
	tsa, err := tsp.NewAuthority(kp.Key, kp.Cert, kp.Chain)
	if err != nil {
		return nil, err
	}
	tsa.Clock, tsa.Log = tsp.Synced(opts.Clock), opts.Log
	return tsa, nil
}

// health adds the HSM's check to ready, when segl holds keys in one, as a
// degrading check: every node shares the token, so failing readiness on it
// would take them all out of the load balancer, with the pages and the API
// calls that sign nothing. Metrics report it as segl_degraded.
func (k *roleKeys) health(ready *health.Readiness) {
	if k.token != nil {
		ready.AddDegrading("hsm", k.token.Check)
	}
}

// close ends the HSM session after the last signature.
func (k *roleKeys) close() error {
	if k == nil || k.token == nil {
		return nil
	}
	return k.token.Close()
}
