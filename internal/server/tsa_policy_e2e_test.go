package server_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/tsp"
)

// TestTSAPolicyPinned: a production seal configured with tsa-policy asks
// the remote TSA for that policy and takes only its tokens. Against a TSA
// that does not time-stamp under it, a signing act is refused as the
// TSA's outage (503 for the signer), nothing signed; under the TSA's own
// policy it signs.
func TestTSAPolicyPinned(t *testing.T) {
	t.Parallel()
	dev := newEnv(t)
	pki := filepath.Join(dev.data, "pki")
	for name, tc := range map[string]struct {
		policy string
		ok     bool
	}{
		"ok/the-tsa's-policy": {tsp.DevPolicy.String(), true},
		"fail/another-policy": {"1.3.6.1.4.1.32473.3161.2", false},
	} {
		t.Run(name, func(t *testing.T) {
			prod := newEnvB(t, asProduction(dev), func(c *config.Config) { c.TSAPolicy = tc.policy })
			ctx := context.Background()
			c := prod.onboardedClient(t, pki)
			req := directRequest()
			req.Signers = req.Signers[:1]
			j := prod.mustCreate(c, req)
			_, err := prod.srv.Svc.Sign(ctx, j.Signers[0].ID, ola)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("sign: %v", err)
			case !tc.ok && errs.KindOf(err) != errs.Unavailable:
				t.Fatalf("sign: %v (kind %v), want Unavailable", err, errs.KindOf(err))
			}
		})
	}
}
