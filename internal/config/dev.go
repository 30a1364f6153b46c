package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// A development server runs stand-ins that let anyone log in as anyone of
// the synthetic population, a development CA whose keys lie in the data
// directory, and a fixed central administrator. So --dev is fenced: it
// listens on loopback only, and it refuses every setting that would connect
// it to the outside world or give it a production identity, so that it
// cannot be turned on by accident in production (issue 10, item 7).
//
// Storage stays allowed (database-url, the s3-* settings): it holds no
// identity, and several development nodes share PostgreSQL and S3 when
// segl is tried scaled out. So do the HSM settings for the development
// CA's own time-stamping unit and OCSP responder (tsa-key-label,
// ocsp-key-label with pkcs11-*): they rehearse a key ceremony against the
// development CA, and the server refuses them at start unless their
// certificates are issued by that CA. The seal is different: its key and
// certificate are the TTP's production identity, in a file or an HSM.

// devRefusal is a setting that development mode refuses, and why.
type devRefusal struct {
	setting string                 // the option's name
	value   func(c *Config) string // the value; empty when not set
	why     string
}

// devRefused lists the production settings, one by one, so that each
// refusal names exactly the setting to remove.
var devRefused = []devRefusal{
	{"tls-cert", func(c *Config) string { return c.TLSCert }, tlsWhy},
	{"tls-key", func(c *Config) string { return c.TLSKey }, tlsWhy},
	{"api-tls-cert", func(c *Config) string { return c.APITLSCert }, tlsWhy},
	{"api-tls-key", func(c *Config) string { return c.APITLSKey }, tlsWhy},
	{"client-cas", func(c *Config) string { return c.ClientCAs },
		"real organisations' certificates would reach a server whose administrator is fixed; development mode trusts its development CA only"},
	{"seal-key", func(c *Config) string { return c.SealKey }, sealWhy},
	{"seal-cert", func(c *Config) string { return c.SealCert }, sealWhy},
	{"seal-key-label", func(c *Config) string { return c.SealKeyLabel }, sealWhy},
	{"tsa-url", func(c *Config) string { return c.TSAURL },
		"a real time-stamping authority would vouch for development documents; development mode time-stamps with its development TSA"},
	{"tsa-policy", func(c *Config) string { return c.TSAPolicy },
		"the policy of a real time-stamping authority; development mode time-stamps with its development TSA"},
	{"ocsp-url", func(c *Config) string { return c.OCSPURL }, revocationWhy},
	{"crl-url", func(c *Config) string { return c.CRLURL }, revocationWhy},
	{"pki-trust", func(c *Config) string { return c.PKITrust },
		"trust anchors of a real PKI; development mode trusts its development root"},
	{"idporten-issuer", func(c *Config) string { return c.IDPortenIssuer }, idportenWhy},
	{"idporten-client-id", func(c *Config) string { return c.IDPortenClientID }, idportenWhy},
	{"idporten-key", func(c *Config) string { return c.IDPortenKey }, idportenWhy},
	{"idporten-key-id", func(c *Config) string { return c.IDPortenKeyID }, idportenWhy},
	{"csc-url", func(c *Config) string { return c.CSCURL },
		"a real remote signing service would sign with real people's keys; development mode uses the stand-in at /dev/csc"},
	{"smtp-addr", func(c *Config) string { return c.SMTPAddr }, smtpWhy},
	{"smtp-from", func(c *Config) string { return c.SMTPFrom }, smtpWhy},
	{"smtp-user", func(c *Config) string { return c.SMTPUser }, smtpWhy},
	{"smtp-password", func(c *Config) string { return c.SMTPPassword }, smtpWhy},
	{"sms-url", func(c *Config) string { return c.SMSURL }, smsWhy},
	{"sms-token", func(c *Config) string { return c.SMSToken }, smsWhy},
	{"krr-url", func(c *Config) string { return c.KRRURL }, registerWhy},
	{"krr-token", func(c *Config) string { return c.KRRToken }, registerWhy},
	{"brreg-url", func(c *Config) string { return c.BrregURL }, registerWhy},
	{"brreg-token", func(c *Config) string { return c.BrregToken }, registerWhy},
	{"mailbox-url", func(c *Config) string { return c.MailboxURL }, mailboxWhy},
	{"mailbox-sender", func(c *Config) string { return c.MailboxSender }, mailboxWhy},
	{"mailbox-key", func(c *Config) string { return c.MailboxKey }, mailboxWhy},
}

const (
	tlsWhy        = "a production server certificate; development mode serves its development CA's"
	sealWhy       = "the TTP seal is segl's production identity; development mode seals with its development seal"
	revocationWhy = "a real revocation service; development mode answers OCSP and CRLs for its development CA itself"
	idportenWhy   = "a real ID-porten client would let real people log in; development mode uses the stand-in at /dev/idporten"
	smtpWhy       = "an SMTP relay would mail real people; development mode captures mail at /dev/mail"
	smsWhy        = "an SMS gateway would text real people; development mode captures SMS at /dev/mail"
	registerWhy   = "a real national register would be asked about real people; development mode serves the synthetic population at /dev/registry"
	mailboxWhy    = "a real digital mailbox would deliver to real people; development mode uses the stand-in at /dev/mailbox"
)

// CheckDev refuses, in development mode, a listener or public URL outside
// loopback and every production setting, each error naming the setting
// and why. Outside development mode it refuses nothing. Load calls it;
// server.Start calls it again for configurations built in code.
func (c *Config) CheckDev() error {
	if !c.Dev {
		return nil
	}
	var refused []error
	for _, l := range []struct{ setting, addr string }{{"addr", c.Addr}, {"metrics-addr", c.MetricsAddr}} {
		if l.addr == "" {
			continue
		}
		if err := loopbackAddr(l.addr); err != nil {
			refused = append(refused, fmt.Errorf("config: --dev refuses %s %q: %w", l.setting, l.addr, err))
		}
	}
	for _, u := range []struct{ setting, url string }{{"base-url", c.BaseURL}, {"api-url", c.APIURL}} {
		if u.url == "" {
			continue
		}
		if err := loopbackURL(u.url); err != nil {
			refused = append(refused, fmt.Errorf("config: --dev refuses %s %q: %w", u.setting, u.url, err))
		}
	}
	for _, r := range devRefused {
		if r.value(c) != "" {
			refused = append(refused, fmt.Errorf("config: --dev refuses %s: %s", r.setting, r.why))
		}
	}
	return errors.Join(refused...)
}

// errNotLoopback says why a development server stays on this machine.
var errNotLoopback = errors.New("development mode listens on loopback only (127.0.0.0/8, ::1 or localhost): " +
	"its stand-ins let anyone log in as anyone")

// loopbackAddr accepts a host:port whose host is a loopback address or
// localhost. An empty host listens on every interface; any other name may
// resolve to an outside address, so it is refused without asking DNS.
func loopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}
	return loopbackHost(host)
}

// loopbackURL accepts a URL whose host is a loopback address or localhost:
// a public base URL means the development server is reached from outside,
// through a proxy or a forwarded port.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("want a URL: %w", err)
	}
	return loopbackHost(u.Hostname())
}

func loopbackHost(host string) error {
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errNotLoopback
}
