package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/segl/segl/internal/backup"
)

// runBackup copies a running (or stopped) embedded segl's data directory
// into a new backup directory and verifies the copy; `segl backup verify
// DIR` checks an existing backup again.
func runBackup(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		if len(args) != 2 {
			return errors.New("usage: segl backup verify BACKUP-DIR")
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
