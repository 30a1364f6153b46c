// Command segl is the whole e-signature trust service in one binary: run
// `segl serve --dev` for a complete local service, `segl help` for the rest.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/dev"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/server"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/postgres"
	"github.com/segl/segl/internal/store/sqlite"
)

const usage = `segl — e-signature trust service

usage:
  segl serve [--dev] [--data DIR] [--addr HOST:PORT] [flags]   run the service (segl serve --help)
  segl seal --in IN.pdf --out OUT.pdf [--level B-LTA] [--data DIR]  organisation seal (PAdES), no server needed
  segl validate [--json] [--at TIME] [--data DIR] FILE…        validate signatures; non-zero exit unless all pass
  segl keys init|show|csr [flags]                              development PKI and production CSRs
  segl audit verify [--data DIR | --database-url URL] [--trust PEM]  check the audit log's hash chain and anchors
  segl bench [--url URL,…] [--jobs N] [--workers N] [--ceremony]  create jobs (or whole ceremonies) on one or more nodes, report rates
  segl backup --out DIR [--data DIR] [--keys]                  online copy of an embedded segl, verified (segl backup verify DIR)
  segl restore --from DIR --data DIR                           restore a backup into an empty data directory
  segl backup verify [--database-url URL] [--s3-… | --data DIR]  after a restore: every blob the store refers to is there, intact
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "segl:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "keys":
		return runKeys(args[1:], stdout, stderr)
	case "seal":
		return runSeal(args[1:], stdout)
	case "validate":
		return runValidate(args[1:], stdout)
	case "bench":
		return runBench(args[1:], stdout)
	case "backup":
		return runBackup(args[1:], stdout)
	case "restore":
		return runRestore(args[1:], stdout)
	case "audit":
		if len(args) < 2 || args[1] != "verify" {
			return errors.New("usage: segl audit verify [--data DIR | --database-url URL]")
		}
		return auditVerify(args[2:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func serve(args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load("segl serve", args, os.Getenv)
	if err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(h)
	// Before anything allocates much: GOGC and GOMEMLIMIT, when set, win.
	gc := server.TuneGC(os.Getenv)
	if gc.Percent != 0 {
		log.Info("garbage collector tuned for serving", "gogc", gc.Percent)
	}
	if gc.MemoryLimit != 0 {
		log.Info("soft memory limit for serving", "bytes", gc.MemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := server.Start(ctx, cfg, server.Options{Log: log})
	if err != nil {
		return err
	}
	if cfg.Dev {
		// Besides the log record, a plain line a person reads at once.
		fmt.Fprintln(stderr, dev.Banner)
	}
	fmt.Fprintf(stdout, "segl serving %s (data in %s)\n", s.URL, cfg.Data)
	if s.APIURL != "" {
		fmt.Fprintf(stdout, "API (client certificates asked for here only): %s\n", s.APIURL)
	}
	if s.Dev != nil {
		fmt.Fprintf(stdout, "development trust anchor: %s\nclient certificates:      %s\n",
			filepath.Join(s.Dev.Dir, "root-ca.pem"), filepath.Join(s.Dev.Dir, "clients"))
	}
	if s.MetricsURL != "" {
		fmt.Fprintf(stdout, "metrics: %s\n", s.MetricsURL)
	}
	<-ctx.Done()
	// A second signal during the graceful stop kills at once.
	stop()
	log.Info("stopping: finishing requests in flight", "timeout", cfg.ShutdownTimeout)
	shutdown, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	return s.Close(shutdown)
}

// auditVerify walks the whole audit log in order and reports the first
// broken link, or the number of records and the head hash. The log is in
// PostgreSQL when a database URL is given, as for segl serve, and in the
// data directory's SQLite file otherwise. Every anchor (an RFC 3161 token
// over the head at some record) is verified against the trust anchors
// first, and the record it names must still hash to what was stamped, so a
// tail rewritten with fresh hashes is found up to the newest anchor.
func auditVerify(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("segl audit verify", flag.ContinueOnError)
	data := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory (its development root is trusted, if present)")
	dbURL := fs.String("database-url", os.Getenv(config.EnvName("database-url")),
		"PostgreSQL URL of the store ("+config.EnvName("database-url")+"); default: SQLite in the data directory")
	trust := fs.String("trust", os.Getenv(config.EnvName("pki-trust")), "PEM file of the TSA's trust anchors ("+config.EnvName("pki-trust")+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openAuditStore(*data, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	roots, _, err := trustAnchors(*data, *trust)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var v audit.Verifier
	err = db.AuditAnchors(ctx, func(a audit.Anchor) error { return v.CheckAnchor(a, roots) })
	if err != nil {
		return err
	}
	if err := db.AuditRecords(ctx, 0, v.Next); err != nil {
		return err
	}
	if err := v.Finish(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit log intact: %d records, head %s\n", v.Count, v.Head())
	if v.Anchors == 0 {
		fmt.Fprintln(stdout, "no anchors: a rewritten tail would not be detected")
		return nil
	}
	fmt.Fprintf(stdout, "%d anchors verified; the newest: record %d, time-stamped %s\n",
		v.Anchors, v.LastAnchor.Seq, v.LastAnchor.At.UTC().Format(time.RFC3339))
	return nil
}

// trustAnchors are the development root of the data directory, if there is
// one, and the certificates of the trust file, if named; n counts them.
func trustAnchors(data, trust string) (roots *x509.CertPool, n int, err error) {
	roots = x509.NewCertPool()
	for _, f := range []string{filepath.Join(data, "pki", "root-ca.pem"), trust} {
		if f == "" {
			continue
		}
		certs, err := pki.LoadCertificates(f)
		if err != nil {
			if f == trust {
				return nil, 0, err
			}
			continue // no development PKI there
		}
		for _, c := range certs {
			roots.AddCert(c)
			n++
		}
	}
	return roots, n, nil
}

// openAuditStore opens the store whose audit log is to be verified.
func openAuditStore(data, dbURL string) (store.Store, error) {
	if dbURL != "" {
		db, err := postgres.Open(context.Background(), dbURL)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	path := filepath.Join(data, "segl.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("audit: no database at %s", path)
	}
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	return db, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
