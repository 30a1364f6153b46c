package ceremony

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"

	"github.com/segl/segl/internal/errs"
	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/pki"
)

// NoClientCert is what both APIs answer a call that came without a
// verified client certificate. apiURL is the API's own host when it has
// one (config.APIURL), else empty: only that host asks for a certificate,
// so a client that called the public host could not have presented one.
func NoClientCert(apiURL string) string {
	if apiURL == "" {
		return "present your organisation's enterprise certificate (mutual TLS)"
	}
	return "present your organisation's enterprise certificate (mutual TLS) at " + apiURL + ": only that host asks for one"
}

// ClientCertCaller is the caller an API client's verified enterprise
// certificate stands for: the organisation it names, if onboarded and
// active, if the certificate is the one the organisation registered when
// it registered one, and if its CA does not say it is revoked
// (checkNotRevoked). chain is the verified chain, leaf first (the TLS
// connection's first verified chain, or the one a bundle signature's
// certificate was verified with).
func (s *Service) ClientCertCaller(ctx context.Context, chain []*x509.Certificate) (Caller, error) {
	leaf := chain[0]
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		// Go accepts a certificate without EKU for any use; an enterprise
		// certificate for the API must say it is for client authentication.
		return Caller{}, errs.E(errs.Forbidden, CodeCertificateNotForClientAuth,
			"the certificate is not issued for client authentication")
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		// The client proves its key with a signature (CertificateVerify);
		// a key usage that leaves out digitalSignature forbids that (RFC
		// 5280 section 4.2.1.3, RFC 5246 section 7.4.6), and crypto/tls
		// does not check it.
		return Caller{}, errs.E(errs.Forbidden, CodeCertificateNotForClientAuth,
			"the certificate's key usage does not allow digital signatures")
	}
	org, err := pki.OrgNumber(leaf)
	if err != nil || !job.ValidOrgNumber(org) {
		return Caller{}, errs.E(errs.Forbidden, CodeCertificateWithoutOrgnr,
			"the client certificate carries no organisation number")
	}
	c, err := s.AuthorizeCert(ctx, org, fmt.Sprintf("cert:%x", leaf.SerialNumber), leaf.Subject.String())
	if err != nil {
		return Caller{}, err
	}
	// After the organisation's checks: only onboarded organisations'
	// certificates make segl ask their CA.
	if err := s.checkNotRevoked(ctx, chain); err != nil {
		return Caller{}, err
	}
	return c, nil
}

// ActFor is the caller for API client c acting for organisation org (the
// sender named in the URL of Posten's signature API): c itself when org is
// its own organisation; otherwise c is a broker, allowed only when org is
// onboarded, active, and names c's organisation among its brokers
// (store.Org.Brokers, set by the central administrator). The caller
// returned is org's, so what it creates is org's job, seen in org's portal
// and metered to org; its actor names the broker and its certificate
// ("broker:<orgnr>/cert:<serial>"), so the job's creator and every audit
// record of its acts say who acted. Being checked at every request, a
// broker taken off the list is refused at its next one.
func (s *Service) ActFor(ctx context.Context, c Caller, org string) (Caller, error) {
	if org == c.Org {
		return c, nil
	}
	refused := errs.E(errs.Forbidden, CodeBrokerNotAuthorized, "%s is not authorized to act on behalf of %s", c.Org, org)
	if c.PID != "" || c.Broker != "" {
		return Caller{}, refused // only an organisation's own API client may be a broker
	}
	sender, err := s.Authorize(ctx, org, "broker:"+c.Org+"/"+c.Actor)
	if errs.Is(err, errs.Forbidden) || err == nil && !sender.org.AllowsBroker(c.Org) {
		return Caller{}, refused
	}
	if err != nil {
		return Caller{}, err
	}
	sender.Broker = c.Org
	return sender, nil
}

// AckJob acknowledges the caller's unacknowledged changes of one job with
// sequence numbers up to through (all of them when through is 0): a sender
// confirming, through Posten's signature API, that it has seen the job's
// status. It returns how many were acknowledged.
func (s *Service) AckJob(ctx context.Context, c Caller, jobID string, through int64) (int, error) {
	if _, err := s.Job(ctx, c, jobID); err != nil {
		return 0, err
	}
	var seqs []int64
	for after := int64(0); ; {
		page, err := s.Store.Changes(ctx, c.Org, after, 500)
		if err != nil {
			return 0, err
		}
		for _, ch := range page {
			if ch.JobID == jobID && (through == 0 || ch.Seq <= through) {
				seqs = append(seqs, ch.Seq)
			}
		}
		if len(page) < 500 || through != 0 && page[len(page)-1].Seq >= through {
			break
		}
		after = page[len(page)-1].Seq
	}
	acked := 0
	for len(seqs) > 0 {
		n := min(len(seqs), 500)
		k, err := s.Store.Ack(ctx, c.Org, seqs[:n])
		if err != nil {
			return acked, err
		}
		acked, seqs = acked+k, seqs[n:]
	}
	return acked, nil
}
