// Package config is segl's one configuration struct. Every option has a
// safe default and can be set, in rising precedence, in a JSON file
// (--config), in the environment (SEGL_<NAME>) or as a flag (--name). The file
// is decoded strictly: an unknown key is an error, not a silent default.
package config

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segl/segl/internal/hsm"
	"github.com/segl/segl/internal/job"
)

// Config holds every setting of `segl serve`.
type Config struct {
	Addr        string // listen address of the one HTTPS listener
	BaseURL     string // public URL; default https://<addr>
	Data        string // data directory: database, blobs, development PKI
	Dev         bool   // run the development stand-ins and PKI, on loopback only and without production settings (CheckDev)
	RelaxedSync bool   // see sqlite.Options.RelaxedSync and blob fs NoSync
	TLSCert     string // PEM certificate chain of the server (production)
	TLSKey      string // its key
	ClientCAs   string // PEM trust anchors for enterprise certificates (production)
	LinkKeyFile string // secret for signer links; default DATA/secrets/link.key, created if missing
	LogFormat   string // "text" or "json"
	Limits      job.Limits
	// APIURL is where integrators call the API with their enterprise
	// certificates; default BaseURL. When its host differs from
	// BaseURL's, the listener asks for a client certificate only on
	// connections to that host (server name indication), so citizens'
	// browsers on BaseURL are never asked for one.
	APIURL     string
	APITLSCert string // PEM certificate chain for APIURL's host when TLSCert does not cover it; default TLSCert
	APITLSKey  string // its key
	// The TTP seal that signs authenticated signatures and evidence, and
	// the services it needs. --dev uses the development seal, TSA and
	// OCSP responder and refuses these (CheckDev).
	SealKey  string // PEM private key (PKCS#8, EC or RSA)
	SealCert string // PEM chain, leaf first
	TSAURL   string // RFC 3161 time-stamping authority
	// TSAPolicy is the OID of the policy the TSA at TSAURL is asked to
	// time-stamp under (reqPolicy) and whose tokens alone are accepted
	// (RFC 3161 §2.4.2): a TSA that also offers a non-qualified policy
	// then cannot stamp under it. Empty: the TSA's default policy.
	TSAPolicy  string
	OCSPURL    string        // OCSP responder to ask instead of the certificates' own
	CRLURL     string        // CRL to fetch for a CA certificate that names no distribution point
	PKITrust   string        // PEM trust anchors for the TSA and for validating
	SweepEvery time.Duration // how often due jobs are expired and activated
	// AuditAnchorEvery is how often the audit chain's head is time-stamped
	// by the TSA (audit.Anchor), also at start and at shutdown: a rewritten
	// tail is detected up to the newest anchor.
	AuditAnchorEvery time.Duration
	// RenewMargin is how long before the TSA certificate of an archived
	// document's newest time-stamp expires it gets a new one
	// (internal/renewal).
	RenewMargin time.Duration
	// RenewAlgorithmEnds are algorithms with the date from which they are
	// no longer trusted ("SHA-256", "ECDSA-P-256", "RSA-2048"): an
	// archived document whose newest time-stamp uses one is renewed
	// RenewMargin before it (renewal.Policy.Ends). Nil: none.
	RenewAlgorithmEnds map[string]time.Time
	// DeletionNoticeDays is how many days before a job's deletion its
	// sender gets the event job.deletion-due (and its callback).
	DeletionNoticeDays int
	// Keys in a hardware security module over PKCS#11 (internal/hsm): one
	// token per process, and a key label per role instead of a PEM key.
	// The TSA and OCSP keys replace the development ones in --dev (the
	// seal's is refused there); outside --dev the TSA key makes segl
	// time-stamp its own seals in-process.
	PKCS11Module  string // path of the PKCS#11 library
	PKCS11Token   string // token label
	PKCS11PINFile string // file holding the user PIN
	SealKeyLabel  string // the seal's key in the token (with SealCert)
	TSAKeyLabel   string // the time-stamping unit's key in the token
	TSACert       string // its PEM chain, leaf first (critical timeStamping EKU)
	OCSPKeyLabel  string // the development OCSP responder's key in the token (--dev)
	OCSPCert      string // its PEM chain, leaf first (OCSPSigning EKU, issued by the issuing CA)
	// The signers' eID login (ID-porten, OpenID Connect) and the remote
	// signing service for advanced signatures (CSC API v2). --dev uses the
	// stand-ins and refuses these.
	IDPortenIssuer   string // e.g. https://idporten.no
	IDPortenClientID string
	IDPortenKey      string // PEM private key for private_key_jwt
	IDPortenKeyID    string // its kid as registered with ID-porten
	CSCURL           string // base URL of the CSC v2 API, e.g. https://signing.example/csc/v2
	// The central administrators (national identity numbers) who may use
	// /admin after an ID-porten login on level high.
	AdminPIDs []string
	// Who runs the service, as the pages about it (privacy, accessibility,
	// help, contact) name them; empty: "the service owner", no address.
	OperatorName  string
	OperatorEmail string
	OperatorPhone string
	// Notices and delivery (MISSION N1-N3). --dev uses the stand-ins (a
	// capturing SMTP server, SMS gateway, KRR and digital mailbox) and
	// refuses these.
	SMTPAddr      string        // host:port of the SMTP relay
	SMTPFrom      string        // sender address of notices
	SMTPUser      string        // SMTP AUTH user, if the relay wants one
	SMTPPassword  string        // and its password
	SMSURL        string        // HTTP SMS gateway endpoint
	SMSToken      string        // its bearer token
	KRRURL        string        // base URL of the contact and reservation register API
	KRRToken      string        // its Maskinporten access token
	MailboxURL    string        // base URL of the digital mailbox (Digipost) API
	MailboxSender string        // segl's sender id there
	MailboxKey    string        // PEM RSA key that signs mailbox requests
	BrregURL      string        // the business register's API root, up to and including /enhetsregisteret
	BrregToken    string        // its Maskinporten access token
	RemindAfter   time.Duration // a reminder when a portal signer has not acted after this long
	Workers       int           // background tasks run at once
	HTTP          HTTPLimits

	// DatabaseURL, when set, keeps the store and the task queue in
	// PostgreSQL (a postgres:// URL or libpq key=value string) instead of
	// SQLite files under Data; every node of a scaled-out service names
	// the same database. A password belongs in a passfile (PGPASSFILE or
	// the URL's passfile parameter), not in the URL.
	DatabaseURL string
	// Documents in an S3-compatible object store instead of DATA/blobs,
	// so several nodes share them (issue 11). Empty S3Endpoint: local
	// files. The keys are read from files: secrets are never inline.
	S3Endpoint      string // https://host[:port], or http:// for a store without TLS
	S3Bucket        string
	S3Region        string
	S3AccessKeyFile string // file holding the access key id
	S3SecretKeyFile string // file holding the secret access key
	S3CAFile        string // PEM trust anchors for the endpoint's certificate; default the system's
	// MetricsAddr is the listen address of the Prometheus endpoint
	// (/metrics, plain HTTP, no authentication), apart from the service's
	// listener so that it can be bound to loopback or a management network
	// only. Empty: no metrics.
	MetricsAddr string
	// ShutdownTimeout bounds a graceful stop (SIGTERM, SIGINT): requests in
	// flight get this long to finish before their connections are closed.
	ShutdownTimeout time.Duration
}

// HTTPLimits bound what one client may hold of the listener: how long it
// may take over its headers and its body, how slowly it may send or read,
// and how large a web form may be (issue 9). A request body is cut when
// it delivers nothing for BodyIdleTimeout, when after the first
// BodyIdleTimeout it has averaged less than BodyMinRate, or when it has
// taken BodyMaxDuration; a response is cut when the client reads nothing
// of it for WriteIdleTimeout. Every field has a safe default (Default);
// tests set small values directly.
type HTTPLimits struct {
	HeaderTimeout    time.Duration // request line and headers must arrive within this
	IdleTimeout      time.Duration // a keep-alive connection without a request is closed after this
	BodyIdleTimeout  time.Duration // a request body that delivers nothing for this long is cut
	BodyMinRate      int           // bytes per second a request body must average after BodyIdleTimeout
	BodyMaxDuration  time.Duration // no request body may take longer than this
	WriteIdleTimeout time.Duration // a response the client stops reading for this long is cut
	MaxFormBytes     int64         // a web form other than the portal's document upload
	MaxConnections   int           // connections the listener holds at once; more wait (server.connLimit)
}

// DefaultHTTPLimits let a 200 MiB upload over a 1 Mbit/s line finish (the
// rate floor is 8 KiB/s; an hour allows 56 KiB/s on average for the
// largest job) and cut a stalled client within half a minute.
var DefaultHTTPLimits = HTTPLimits{
	HeaderTimeout:    10 * time.Second,
	IdleTimeout:      2 * time.Minute,
	BodyIdleTimeout:  30 * time.Second,
	BodyMinRate:      8 << 10,
	BodyMaxDuration:  time.Hour,
	WriteIdleTimeout: time.Minute,
	MaxFormBytes:     1 << 20,
	// At most about 50 KiB each (a TLS connection's buffers and goroutine),
	// so some 200 MiB, well under the 1 GiB soft memory limit.
	MaxConnections: 4096,
}

// Default is the configuration with no settings given.
func Default() Config {
	return Config{Addr: "127.0.0.1:8443", Data: "segl-data", LogFormat: "text", Limits: job.DefaultLimits,
		SweepEvery: 30 * time.Second, AuditAnchorEvery: time.Hour, RenewMargin: 365 * 24 * time.Hour, DeletionNoticeDays: 7, RemindAfter: 72 * time.Hour, Workers: 8, HTTP: DefaultHTTPLimits,
		ShutdownTimeout: 20 * time.Second}
}

type option struct {
	name, usage string
	set         func(c *Config, v string) error
	isBool      bool
}

// flagValue records a flag's raw value; applying it waits until the file
// and environment are applied, so flags win.
type flagValue struct {
	v      string
	isBool bool
}

func (f *flagValue) String() string     { return f.v }
func (f *flagValue) Set(v string) error { f.v = v; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.isBool }

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		*p(c) = b
		return err
	}
}

func positive(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("want a positive integer, got %q", v)
		}
		*p(c) = n
		return nil
	}
}

// duration sets a Go duration of at least a second.
func duration(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("want a duration of at least 1s, got %q", v)
		}
		*p(c) = d
		return nil
	}
}

// parseAlgorithmEnds reads renew-algorithm-ends: NAME=YYYY-MM-DD pairs.
func parseAlgorithmEnds(c *Config, v string) error {
	c.RenewAlgorithmEnds = nil
	for _, pair := range strings.Split(v, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		name, date, ok := strings.Cut(pair, "=")
		end, err := time.Parse(time.DateOnly, strings.TrimSpace(date))
		if !ok || strings.TrimSpace(name) == "" || err != nil {
			return fmt.Errorf("want NAME=YYYY-MM-DD, got %q", pair)
		}
		if c.RenewAlgorithmEnds == nil {
			c.RenewAlgorithmEnds = map[string]time.Time{}
		}
		c.RenewAlgorithmEnds[strings.TrimSpace(name)] = end
	}
	return nil
}

var options = []option{
	{"addr", "listen address (host:port)", str(func(c *Config) *string { return &c.Addr }), false},
	{"base-url", "public base URL (default https://<addr>)", str(func(c *Config) *string { return &c.BaseURL }), false},
	{"api-url", "URL integrators call the API at with their enterprise certificates; on a host of its own, only it asks for one (default base-url)",
		str(func(c *Config) *string { return &c.APIURL }), false},
	{"data", "data directory", str(func(c *Config) *string { return &c.Data }), false},
	{"database-url", "PostgreSQL URL for the store and the task queue (default: SQLite in the data directory)",
		str(func(c *Config) *string { return &c.DatabaseURL }), false},
	{"dev", "run with development stand-ins and PKI", boolean(func(c *Config) *bool { return &c.Dev }), true},
	{"relaxed-sync", "do not fsync each commit (survives a crash of segl, not of the machine)",
		boolean(func(c *Config) *bool { return &c.RelaxedSync }), true},
	{"tls-cert", "server certificate chain (PEM)", str(func(c *Config) *string { return &c.TLSCert }), false},
	{"tls-key", "server private key (PEM)", str(func(c *Config) *string { return &c.TLSKey }), false},
	{"api-tls-cert", "certificate chain for api-url's host, when tls-cert does not cover it (PEM)", str(func(c *Config) *string { return &c.APITLSCert }), false},
	{"api-tls-key", "private key of api-tls-cert (PEM)", str(func(c *Config) *string { return &c.APITLSKey }), false},
	{"client-cas", "trust anchors for enterprise client certificates (PEM)", str(func(c *Config) *string { return &c.ClientCAs }), false},
	{"link-key-file", "secret for signer links (created if missing)", str(func(c *Config) *string { return &c.LinkKeyFile }), false},
	{"log-format", "text or json", str(func(c *Config) *string { return &c.LogFormat }), false},
	{"seal-key", "TTP seal private key (PEM)", str(func(c *Config) *string { return &c.SealKey }), false},
	{"seal-cert", "TTP seal certificate chain (PEM, leaf first)", str(func(c *Config) *string { return &c.SealCert }), false},
	{"pkcs11-module", "PKCS#11 library of the HSM holding the seal, TSA or OCSP keys", str(func(c *Config) *string { return &c.PKCS11Module }), false},
	{"pkcs11-token", "label of the HSM token", str(func(c *Config) *string { return &c.PKCS11Token }), false},
	{"pkcs11-pin-file", "file holding the HSM token's user PIN", str(func(c *Config) *string { return &c.PKCS11PINFile }), false},
	{"seal-key-label", "label of the TTP seal's key in the HSM token (instead of seal-key)", str(func(c *Config) *string { return &c.SealKeyLabel }), false},
	{"tsa-key-label", "label of the time-stamping unit's key in the HSM token", str(func(c *Config) *string { return &c.TSAKeyLabel }), false},
	{"tsa-cert", "time-stamping unit certificate chain (PEM, leaf first)", str(func(c *Config) *string { return &c.TSACert }), false},
	{"ocsp-key-label", "label of the development OCSP responder's key in the HSM token", str(func(c *Config) *string { return &c.OCSPKeyLabel }), false},
	{"ocsp-cert", "OCSP responder certificate chain (PEM, leaf first)", str(func(c *Config) *string { return &c.OCSPCert }), false},
	{"tsa-url", "RFC 3161 time-stamping authority URL", str(func(c *Config) *string { return &c.TSAURL }), false},
	{"tsa-policy", "OID of the TSA policy to ask for and require (RFC 3161 reqPolicy)", func(c *Config, v string) error {
		if v != "" {
			if _, err := ParseOID(v); err != nil {
				return err
			}
		}
		c.TSAPolicy = v
		return nil
	}, false},
	{"ocsp-url", "OCSP responder to ask instead of the one the certificates name", str(func(c *Config) *string { return &c.OCSPURL }), false},
	{"crl-url", "CRL to fetch for a CA certificate that names no distribution point", str(func(c *Config) *string { return &c.CRLURL }), false},
	{"pki-trust", "PEM trust anchors for the TSA and for validation", str(func(c *Config) *string { return &c.PKITrust }), false},
	{"idporten-issuer", "ID-porten issuer URL", str(func(c *Config) *string { return &c.IDPortenIssuer }), false},
	{"idporten-client-id", "client id registered with ID-porten", str(func(c *Config) *string { return &c.IDPortenClientID }), false},
	{"idporten-key", "private key for private_key_jwt client authentication (PEM)", str(func(c *Config) *string { return &c.IDPortenKey }), false},
	{"idporten-key-id", "key id (kid) of idporten-key", str(func(c *Config) *string { return &c.IDPortenKeyID }), false},
	{"csc-url", "CSC API v2 base URL of the remote signing service", str(func(c *Config) *string { return &c.CSCURL }), false},
	{"admin-pids", "central administrators' national identity numbers, comma-separated", func(c *Config, v string) error {
		c.AdminPIDs = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.AdminPIDs = append(c.AdminPIDs, p)
			}
		}
		return nil
	}, false},
	{"operator-name", "who runs the service, named on the privacy, accessibility, help and contact pages",
		str(func(c *Config) *string { return &c.OperatorName }), false},
	{"operator-email", "the operator's address for questions, personal data requests and accessibility feedback",
		str(func(c *Config) *string { return &c.OperatorEmail }), false},
	{"operator-phone", "the operator's telephone number, as people dial it", str(func(c *Config) *string { return &c.OperatorPhone }), false},
	{"smtp-addr", "SMTP relay for notices (host:port)", str(func(c *Config) *string { return &c.SMTPAddr }), false},
	{"smtp-from", "sender address of notices", str(func(c *Config) *string { return &c.SMTPFrom }), false},
	{"smtp-user", "SMTP AUTH user", str(func(c *Config) *string { return &c.SMTPUser }), false},
	{"smtp-password", "SMTP AUTH password", str(func(c *Config) *string { return &c.SMTPPassword }), false},
	{"sms-url", "HTTP SMS gateway endpoint", str(func(c *Config) *string { return &c.SMSURL }), false},
	{"sms-token", "bearer token of the SMS gateway", str(func(c *Config) *string { return &c.SMSToken }), false},
	{"krr-url", "contact and reservation register (KRR) API base URL", str(func(c *Config) *string { return &c.KRRURL }), false},
	{"krr-token", "access token for KRR", str(func(c *Config) *string { return &c.KRRToken }), false},
	{"mailbox-url", "digital mailbox (Digipost) API base URL", str(func(c *Config) *string { return &c.MailboxURL }), false},
	{"mailbox-sender", "segl's sender id at the digital mailbox", str(func(c *Config) *string { return &c.MailboxSender }), false},
	{"mailbox-key", "RSA key that signs digital mailbox requests (PEM)", str(func(c *Config) *string { return &c.MailboxKey }), false},
	{"brreg-url", "business register (Enhetsregisteret) API root, up to /enhetsregisteret", str(func(c *Config) *string { return &c.BrregURL }), false},
	{"brreg-token", "access token for the business register's authorised API", str(func(c *Config) *string { return &c.BrregToken }), false},
	{"remind-after", "remind a portal signer who has not acted after this long (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.RemindAfter }), false},
	{"workers", "background tasks run at once", positive(func(c *Config) *int { return &c.Workers }), false},
	{"metrics-addr", "listen address of the Prometheus /metrics endpoint, plain HTTP (default off; e.g. 127.0.0.1:9090)",
		str(func(c *Config) *string { return &c.MetricsAddr }), false},
	{"shutdown-timeout", "on SIGTERM, how long requests in flight may take to finish (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout }), false},
	{"sweep-every", "how often due jobs expire and activate (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.SweepEvery }), false},
	{"audit-anchor-every", "how often the audit log's head is time-stamped by the TSA (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.AuditAnchorEvery }), false},
	{"renew-margin", "re-time-stamp an archived document this long before its newest time-stamp's TSA certificate expires (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.RenewMargin }), false},
	{"renew-algorithm-ends", "algorithms no longer trusted from a date, comma-separated NAME=YYYY-MM-DD (e.g. SHA-256=2040-01-01,ECDSA-P-256=2035-01-01)",
		parseAlgorithmEnds, false},
	{"deletion-notice-days", "tell the sender this many days before a job's content is deleted (event job.deletion-due)",
		positive(func(c *Config) *int { return &c.DeletionNoticeDays }), false},
	{"header-timeout", "time a client has for its request line and headers (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.HTTP.HeaderTimeout }), false},
	{"idle-timeout", "close a keep-alive connection idle this long (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.HTTP.IdleTimeout }), false},
	{"body-idle-timeout", "cut a request body that delivers nothing this long (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.HTTP.BodyIdleTimeout }), false},
	{"body-min-rate-kb", "KiB per second a request body must average after body-idle-timeout", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1<<20 {
			return fmt.Errorf("want 1..1048576, got %q", v)
		}
		c.HTTP.BodyMinRate = n << 10
		return nil
	}, false},
	{"body-max-duration", "cut a request body that takes longer than this (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.HTTP.BodyMaxDuration }), false},
	{"write-idle-timeout", "cut a response the client reads nothing of this long (Go duration)",
		duration(func(c *Config) *time.Duration { return &c.HTTP.WriteIdleTimeout }), false},
	{"max-form-kb", "KiB of a web form other than the portal's document upload", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10<<10 {
			return fmt.Errorf("want 1..10240, got %q", v)
		}
		c.HTTP.MaxFormBytes = int64(n) << 10
		return nil
	}, false},
	{"max-connections", "connections the listener holds at once; more wait until one closes",
		positive(func(c *Config) *int { return &c.HTTP.MaxConnections }), false},
	{"s3-endpoint", "S3-compatible object store for documents, https://host[:port] (default: files under data)",
		str(func(c *Config) *string { return &c.S3Endpoint }), false},
	{"s3-bucket", "bucket of the documents in the object store", str(func(c *Config) *string { return &c.S3Bucket }), false},
	{"s3-region", "region of the bucket (default the store's)", str(func(c *Config) *string { return &c.S3Region }), false},
	{"s3-access-key-file", "file holding the object store's access key id", str(func(c *Config) *string { return &c.S3AccessKeyFile }), false},
	{"s3-secret-key-file", "file holding the object store's secret access key", str(func(c *Config) *string { return &c.S3SecretKeyFile }), false},
	{"s3-ca-file", "PEM trust anchors for the object store's certificate (default the system's)",
		str(func(c *Config) *string { return &c.S3CAFile }), false},
	{"max-documents", "documents per job", positive(func(c *Config) *int { return &c.Limits.MaxDocuments }), false},
	{"max-signers", "signers per job", positive(func(c *Config) *int { return &c.Limits.MaxSigners }), false},
	{"max-document-mb", "megabytes (MiB) per document", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("want 1..1024, got %q", v)
		}
		c.Limits.MaxDocumentBytes = int64(n) << 20
		return nil
	}, false},
	{"max-expiry-days", "latest expiry of a job, in days", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("want a positive integer, got %q", v)
		}
		c.Limits.MaxExpiry = time.Duration(n) * 24 * time.Hour
		return nil
	}, false},
}

// EnvName is the environment variable for an option.
func EnvName(option string) string {
	return "SEGL_" + strings.ToUpper(strings.ReplaceAll(option, "-", "_"))
}

// Load builds the configuration from a file, the environment and args.
// getenv is os.Getenv outside tests.
func Load(name string, args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	configFile := fs.String("config", getenv("SEGL_CONFIG"), "JSON configuration file ("+EnvName("config")+")")
	flagValues := map[string]*flagValue{}
	for _, o := range options {
		flagValues[o.name] = &flagValue{isBool: o.isBool}
		fs.Var(flagValues[o.name], o.name, o.usage+" ("+EnvName(o.name)+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments %v", fs.Args())
	}
	c := Default()
	if *configFile != "" {
		if err := c.applyFile(*configFile); err != nil {
			return c, err
		}
	}
	for _, o := range options {
		if v := getenv(EnvName(o.name)); v != "" {
			if err := o.set(&c, v); err != nil {
				return c, fmt.Errorf("config: %s: %w", EnvName(o.name), err)
			}
		}
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if v, ok := flagValues[f.Name]; ok && err == nil {
			for _, o := range options {
				if o.name == f.Name {
					if e := o.set(&c, v.v); e != nil {
						err = fmt.Errorf("config: --%s: %w", f.Name, e)
					}
				}
			}
		}
	})
	if err != nil {
		return c, err
	}
	return c, c.check()
}

// applyFile reads a JSON object whose keys are option names.
func (c *Config) applyFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		found := false
		for _, o := range options {
			if o.name == k {
				found = true
				if err := o.set(c, fmt.Sprint(m[k])); err != nil {
					return fmt.Errorf("config: %s: %s: %w", path, k, err)
				}
			}
		}
		if !found {
			return fmt.Errorf("config: %s: unknown key %q", path, k)
		}
	}
	return nil
}

// HSM is the token the *-key-label settings name.
func (c *Config) HSM() hsm.Config {
	return hsm.Config{Module: c.PKCS11Module, Token: c.PKCS11Token, PINFile: c.PKCS11PINFile}
}

// checkKeys refuses key settings that cannot work: a key without its
// certificate or a certificate without its key, a seal given twice, a seal
// with no time-stamping, a label with no token, or a token no label uses.
func (c *Config) checkKeys() error {
	if c.SealKey != "" && c.SealKeyLabel != "" {
		return fmt.Errorf("config: seal-key and seal-key-label exclude each other")
	}
	seal := c.SealKey != "" || c.SealKeyLabel != ""
	if seal != (c.SealCert != "") {
		return fmt.Errorf("config: seal-cert goes with seal-key or seal-key-label")
	}
	if (c.TSAKeyLabel == "") != (c.TSACert == "") {
		return fmt.Errorf("config: tsa-key-label and tsa-cert go together")
	}
	if (c.OCSPKeyLabel == "") != (c.OCSPCert == "") {
		return fmt.Errorf("config: ocsp-key-label and ocsp-cert go together")
	}
	if c.TSAPolicy != "" && c.TSAURL == "" {
		return fmt.Errorf("config: tsa-policy goes with tsa-url")
	}
	if !c.Dev {
		if seal && ((c.TSAURL == "" && c.TSAKeyLabel == "") || c.PKITrust == "") {
			return fmt.Errorf("config: a seal needs tsa-url or tsa-key-label, and pki-trust")
		}
		if c.TSAKeyLabel != "" && !seal {
			return fmt.Errorf("config: outside --dev the time-stamping unit (tsa-key-label) serves the seal: configure one")
		}
		if c.OCSPKeyLabel != "" {
			return fmt.Errorf("config: ocsp-key-label needs --dev: segl answers OCSP only for its development CA")
		}
	}
	labels := c.SealKeyLabel != "" || c.TSAKeyLabel != "" || c.OCSPKeyLabel != ""
	token := c.HSM()
	switch {
	case labels && token.Check() != nil:
		return fmt.Errorf("config: a key label needs pkcs11-module, pkcs11-token and pkcs11-pin-file")
	case !labels && token.Configured():
		return fmt.Errorf("config: pkcs11-module, pkcs11-token and pkcs11-pin-file are set but no seal-key-label, tsa-key-label or ocsp-key-label uses the token")
	}
	return nil
}

// checkBaseURL refuses a base-url that cannot be where signers, staff and
// integrators reach segl: every link segl hands out (signing links,
// notices, the API's) is built on it.
func (c *Config) checkBaseURL() error {
	if c.BaseURL == "" {
		return nil
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("config: base-url %q must be an https URL without credentials, query or fragment", c.BaseURL)
	}
	return nil
}

// CheckAPIURL refuses an api-url the API cannot be reached at: not
// https, or with a path other than base-url's (the listener serves the API
// at /api/ under the same prefix as everything else), and a certificate
// for the API host that no host of its own would ever be served.
func (c *Config) CheckAPIURL() error {
	if (c.APITLSCert == "") != (c.APITLSKey == "") {
		return fmt.Errorf("config: api-tls-cert and api-tls-key go together")
	}
	if c.APIURL == "" {
		if c.APITLSCert != "" {
			return fmt.Errorf("config: api-tls-cert needs an api-url on a host of its own")
		}
		return nil
	}
	if c.BaseURL == "" {
		return fmt.Errorf("config: api-url needs base-url, the public host it is set apart from")
	}
	api, err := url.Parse(c.APIURL)
	if err != nil || api.Scheme != "https" || api.Host == "" || api.User != nil || api.RawQuery != "" || api.Fragment != "" {
		return fmt.Errorf("config: api-url %q must be an https URL without credentials, query or fragment", c.APIURL)
	}
	base, err := url.Parse(c.BaseURL)
	if err != nil {
		return fmt.Errorf("config: base-url %q: %w", c.BaseURL, err)
	}
	if strings.TrimRight(api.Path, "/") != strings.TrimRight(base.Path, "/") {
		return fmt.Errorf("config: api-url %q: segl serves the API under /api/ beside everything else, so its path must be base-url's (%q), not %q",
			c.APIURL, strings.TrimRight(base.Path, "/"), api.Path)
	}
	if SameHost(c.APIURL, c.BaseURL) {
		if c.APITLSCert != "" {
			return fmt.Errorf("config: api-tls-cert needs an api-url on a host of its own, not base-url's")
		}
		// On base-url's host the API is base-url's: there is one listener,
		// and a port of its own would be a setting nothing honours.
		if strings.TrimRight(c.APIURL, "/") != strings.TrimRight(c.BaseURL, "/") {
			return fmt.Errorf("config: api-url %q is on base-url's host, so it must be base-url itself (%q): the API has no port of its own", c.APIURL, c.BaseURL)
		}
		return nil
	}
	// Clients send the host's ASCII form (RFC 5890's A-label), which is
	// what the listener compares.
	if !isASCII(api.Hostname()) {
		return fmt.Errorf("config: api-url %q: give the host in its ASCII form (xn--…), the name clients send", c.APIURL)
	}
	// The listener tells the API host by the name a client sends, and
	// clients send none for an address (RFC 6066 section 3).
	if net.ParseIP(api.Hostname()) != nil {
		return fmt.Errorf("config: api-url %q: an API host of its own must be a DNS name: clients send no server name for an address", c.APIURL)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// SameHost reports whether two URLs name the same host, the port aside: a
// TLS client names only the host (server name indication, RFC 6066
// section 3), so the listener tells the API apart from the pages by host
// alone.
func SameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && strings.EqualFold(strings.TrimSuffix(ua.Hostname(), "."), strings.TrimSuffix(ub.Hostname(), "."))
}

// check refuses combinations that cannot work.
func (c *Config) check() error {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config: log-format must be text or json")
	}
	if err := c.CheckDev(); err != nil {
		return err
	}
	if !c.Dev && (c.TLSCert == "" || c.TLSKey == "" || c.ClientCAs == "") {
		return fmt.Errorf("config: without --dev, tls-cert, tls-key and client-cas are required")
	}
	if err := c.checkKeys(); err != nil {
		return err
	}
	if err := c.checkBaseURL(); err != nil {
		return err
	}
	if err := c.CheckAPIURL(); err != nil {
		return err
	}
	if c.OperatorEmail != "" && !job.ValidEmail(c.OperatorEmail) {
		return fmt.Errorf("config: operator-email %q is not an e-mail address", c.OperatorEmail)
	}
	if (c.OperatorEmail != "" || c.OperatorPhone != "") && c.OperatorName == "" {
		return fmt.Errorf("config: operator-email and operator-phone need operator-name")
	}
	if c.IDPortenIssuer != "" && (c.IDPortenClientID == "" || c.IDPortenKey == "" || c.IDPortenKeyID == "") {
		return fmt.Errorf("config: idporten-issuer needs idporten-client-id, idporten-key and idporten-key-id")
	}
	if c.S3Endpoint == "" && (c.S3Bucket != "" || c.S3AccessKeyFile != "" || c.S3SecretKeyFile != "" || c.S3CAFile != "") {
		return fmt.Errorf("config: s3-bucket and the s3 key files need s3-endpoint")
	}
	if c.S3Endpoint != "" && (c.S3Bucket == "" || c.S3AccessKeyFile == "" || c.S3SecretKeyFile == "") {
		return fmt.Errorf("config: s3-endpoint needs s3-bucket, s3-access-key-file and s3-secret-key-file")
	}
	if c.Limits.MaxDocuments < 1 || c.Limits.MaxSigners < 1 {
		return fmt.Errorf("config: limits must be positive")
	}
	if c.Limits.MaxDocuments > job.MaxListEntries || c.Limits.MaxSigners > job.MaxListEntries {
		return fmt.Errorf("config: max-documents and max-signers may be at most %d", job.MaxListEntries)
	}
	if c.LinkKeyFile == "" {
		c.LinkKeyFile = filepath.Join(c.Data, "secrets", "link.key")
	}
	return nil
}

// ParseOID reads an object identifier in dotted decimal ("2.16.578.1.1")
// as encoding/asn1 encodes it: the syntax x509.ParseOID accepts, each arc
// within an int.
func ParseOID(s string) (asn1.ObjectIdentifier, error) {
	if _, err := x509.ParseOID(s); err != nil {
		return nil, fmt.Errorf("config: %q is not an object identifier: %w", s, err)
	}
	var id asn1.ObjectIdentifier
	for _, arc := range strings.Split(s, ".") {
		n, err := strconv.Atoi(arc)
		if err != nil {
			return nil, fmt.Errorf("config: object identifier %q: %w", s, err)
		}
		id = append(id, n)
	}
	return id, nil
}
