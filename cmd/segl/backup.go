package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/segl/segl/internal/backup"
	"github.com/segl/segl/internal/config"
	"github.com/segl/segl/internal/server"
)

// runBackup copies a running (or stopped) embedded segl's data directory
// into a new backup directory and verifies the copy; `segl backup verify
// DIR` checks an existing backup again, and `segl backup verify` with the
// store and blob settings of segl serve checks a restored deployment.
func runBackup(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		if len(args) != 2 || strings.HasPrefix(args[1], "-") {
			return verifyRestored(args[1:], stdout)
		}
		m, err := backup.Verify(context.Background(), args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "backup %s verified: %d files, %d blobs (%d bytes), keys included: %t\n",
			args[1], len(m.Files), m.Blobs, m.BlobBytes, m.Keys)
		return nil
	}
	fs := flag.NewFlagSet("segl backup", flag.ContinueOnError)
	data := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory of the embedded segl to back up")
	out := fs.String("out", "", "backup directory to create (must not exist or be empty)")
	keys := fs.Bool("keys", false, "also copy the key material (pki/, secrets/, dev/): guard the backup as you guard the keys")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("usage: segl backup --out BACKUP-DIR [--data DIR] [--keys]")
	}
	m, err := backup.Backup(context.Background(), backup.Options{Data: *data, Dir: *out, Keys: *keys})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s and verified: %d files, %d blobs (%d bytes), keys included: %t\n",
		*data, *out, len(m.Files), m.Blobs, m.BlobBytes, m.Keys)
	return nil
}

// runRestore verifies a backup and copies it into an empty data directory,
// for `segl serve --data DIR` to start on.
func runRestore(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("segl restore", flag.ContinueOnError)
	from := fs.String("from", "", "backup directory written by segl backup")
	data := fs.String("data", "", "data directory to restore into (must not exist or be empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *data == "" || fs.NArg() > 0 {
		return errors.New("usage: segl restore --from BACKUP-DIR --data DIR")
	}
	m, err := backup.Restore(context.Background(), backup.Options{Data: *data, Dir: *from})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: %d files, %d blobs (%d bytes)\n", *from, *data, len(m.Files), m.Blobs, m.BlobBytes)
	if !m.Keys {
		fmt.Fprintln(stdout, "the backup holds no keys: give the server the same seal, TSA and link keys as before (link-key-file), or links already sent stop working")
	}
	return nil
}

// verifyRestored checks that the blob store holds every blob the store
// refers to, with its content: after a restore of the scaled-out shape
// (the database from its backup, the object store from a replica or a
// versioned bucket), before the nodes start on it. The store and the blob
// store are named by the settings of segl serve (flags or their SEGL_*
// variables): database-url, or the data directory's SQLite store; the
// s3-* settings, or the data directory's blob files. Each missing or
// damaged blob is printed with the job that refers to it.
func verifyRestored(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("segl backup verify", flag.ContinueOnError)
	setting := func(name, usage string) *string {
		return fs.String(name, os.Getenv(config.EnvName(name)), usage+" ("+config.EnvName(name)+")")
	}
	data := fs.String("data", envOr("SEGL_DATA", "segl-data"), "data directory, for the SQLite store or the blob files without the settings below")
	var cfg config.Config
	dbURL := setting("database-url", "PostgreSQL URL of the store")
	endpoint := setting("s3-endpoint", "S3-compatible object store, https://host[:port]")
	bucket := setting("s3-bucket", "bucket of the documents")
	region := setting("s3-region", "region of the bucket")
	access := setting("s3-access-key-file", "file holding the access key id")
	secret := setting("s3-secret-key-file", "file holding the secret access key")
	ca := setting("s3-ca-file", "PEM trust anchors for the object store's certificate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: segl backup verify BACKUP-DIR, or segl backup verify [--database-url URL] [--s3-endpoint URL --s3-bucket B --s3-access-key-file F --s3-secret-key-file F] [--data DIR]")
	}
	cfg.Data, cfg.S3Endpoint, cfg.S3Bucket, cfg.S3Region = *data, *endpoint, *bucket, *region
	cfg.S3AccessKeyFile, cfg.S3SecretKeyFile, cfg.S3CAFile = *access, *secret, *ca
	if cfg.S3Endpoint != "" {
		// The object store stages uploads in DATA/tmp; this check writes
		// nothing, so a directory of its own keeps the data directory as
		// it was.
		tmp, err := os.MkdirTemp("", "segl-verify-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cfg.Data = tmp
	}
	ctx := context.Background()
	blobs, err := server.OpenBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	db, err := backup.OpenStore(*dbURL, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := backup.CheckBlobs(ctx, db, blobs)
	if err != nil {
		return err
	}
	for _, f := range rep.Faults {
		fmt.Fprintln(stdout, f)
	}
	if len(rep.Faults) > 0 {
		return fmt.Errorf("backup: %d references to missing or damaged blobs", len(rep.Faults))
	}
	fmt.Fprintf(stdout, "every blob the store refers to is present with its content: jobs %d, blobs %d (%d bytes)\n",
		rep.Jobs, rep.Blobs, rep.Bytes)
	return nil
}
