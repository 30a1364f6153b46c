package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segl/segl/internal/audit"
	"github.com/segl/segl/internal/pki"
	"github.com/segl/segl/internal/store"
	"github.com/segl/segl/internal/store/postgres"
	"github.com/segl/segl/internal/store/sqlite"
	"github.com/segl/segl/internal/testtool"
	"github.com/segl/segl/internal/tsp"
)

// anchorEnv is a development PKI whose TSA anchors the seeded logs, and
// the trust file segl audit verify is given.
type anchorEnv struct {
	dev   *pki.Dev
	tsa   *tsp.Authority
	trust string
}

func newAnchorEnv(t *testing.T) *anchorEnv {
	t.Helper()
	dir := t.TempDir()
	dev, err := pki.LoadOrCreateDev(dir, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := tsp.NewAuthority(dev.TSA.Key, dev.TSA.Cert, dev.TSA.Chain)
	if err != nil {
		t.Fatal(err)
	}
	return &anchorEnv{dev: dev, tsa: tsa, trust: filepath.Join(dev.Dir, "root-ca.pem")}
}

// reopen opens the store the flags name, as segl audit verify does.
func reopen(t *testing.T, flags []string) store.Store {
	t.Helper()
	var db store.Store
	var err error
	if flags[0] == "--database-url" {
		db, err = postgres.Open(context.Background(), flags[1])
	} else {
		db, err = sqlite.Open(filepath.Join(flags[1], "segl.db"), sqlite.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqlBytes is a byte string literal in the SQL of each backend.
func sqlBytes(flags []string, b []byte) string {
	if flags[0] == "--database-url" {
		return `'\x` + hex.EncodeToString(b) + `'::bytea`
	}
	return "X'" + hex.EncodeToString(b) + "'"
}

// rewriteTail edits record from and recomputes every hash after it, as an
// insider with write access to the database would: the chain itself stays
// valid.
func rewriteTail(t *testing.T, db store.Store, flags []string, exec func(string), from int64) {
	t.Helper()
	var recs []audit.Record
	if err := db.AuditRecords(context.Background(), 0, func(r audit.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	var stmts []string
	for i := from - 1; i < int64(len(recs)); i++ {
		r := recs[i]
		if r.Seq == from {
			r.Actor = "cert:forged"
		}
		r.Seal(&recs[i-1])
		recs[i] = r
		stmts = append(stmts, fmt.Sprintf("UPDATE audit SET actor = '%s', prev = %s, hash = %s WHERE seq = %d",
			r.Actor, sqlBytes(flags, r.Prev), sqlBytes(flags, r.Hash), r.Seq))
	}
	if flags[0] == "--database-url" {
		last := recs[len(recs)-1]
		stmts = append(stmts, "UPDATE audit_head SET hash = "+sqlBytes(flags, last.Hash))
	}
	exec(strings.Join(stmts, "; "))
}

// TestAuditVerifyAnchors: a log time-stamped by the TSA passes; a tail
// rewritten with fresh hashes (a valid chain) fails naming the anchor, as do
// a truncated tail, a forged token and a token of a TSA not trusted.
func TestAuditVerifyAnchors(t *testing.T) {
	env := newAnchorEnv(t)
	other := newAnchorEnv(t) // a TSA the verifier does not trust
	anchor := func(t *testing.T, db store.Store, tsa *tsp.Authority) audit.Anchor {
		a, ok, err := audit.AnchorHead(context.Background(), db, tsa)
		if err != nil || !ok {
			t.Fatalf("anchor: %v, %v", ok, err)
		}
		return a
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T, db store.Store, flags []string, exec func(string))
		want   string
	}{
		{"ok/anchored", nil, "1 anchors verified; the newest: record 6"},
		{"fail/rewritten-tail", func(t *testing.T, db store.Store, flags []string, exec func(string)) {
			rewriteTail(t, db, flags, exec, 4)
		}, "record 6 differs from the anchor time-stamped"},
		{"fail/truncated-tail", func(t *testing.T, db store.Store, flags []string, exec func(string)) {
			exec("DELETE FROM audit WHERE seq > 4")
		}, "names record 6, but the log ends at 4"},
		{"fail/forged-token", func(t *testing.T, db store.Store, flags []string, exec func(string)) {
			var a audit.Anchor
			db.AuditAnchors(context.Background(), func(x audit.Anchor) error { a = x; return nil })
			a.Token[len(a.Token)-1] ^= 1 // the last byte of the CMS signature value
			exec("UPDATE audit_anchors SET token = " + sqlBytes(flags, a.Token))
		}, "anchor at record 6"},
		{"fail/untrusted-tsa", func(t *testing.T, db store.Store, flags []string, exec func(string)) {
			exec("DELETE FROM audit_anchors")
			rewriteTail(t, db, flags, exec, 4)
			anchor(t, db, other.tsa)
		}, "anchor at record 6"},
	}
	for _, b := range backends {
		for _, tt := range tests {
			t.Run(b.name+"/"+tt.name, func(t *testing.T) {
				flags, exec := b.make(t)
				db := reopen(t, flags)
				anchor(t, db, env.tsa)
				if _, ok, err := audit.AnchorHead(context.Background(), db, env.tsa); ok || err != nil {
					t.Fatalf("a second anchor of the same head: %v, %v", ok, err)
				}
				if tt.tamper != nil {
					tt.tamper(t, db, flags, exec)
				}
				var out bytes.Buffer
				err := run(append([]string{"audit", "verify", "--trust", env.trust}, flags...), &out, &out)
				got := out.String()
				if err != nil {
					got += err.Error()
				}
				if (err == nil) != (tt.tamper == nil) || !strings.Contains(got, tt.want) {
					t.Fatalf("got %q (err %v), want %q", got, err, tt.want)
				}
			})
		}
	}
}

// TestAnchorOpenSSL checks a stored anchor with a tool we did not write:
// openssl ts -verify over the head hash as the digest.
func TestAnchorOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		testtool.Missing(t, "openssl not installed (Debian package openssl)")
	}
	env := newAnchorEnv(t)
	flags, _ := backends[0].make(t)
	db := reopen(t, flags)
	a, _, err := audit.AnchorHead(context.Background(), db, env.tsa)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tok := filepath.Join(dir, "anchor.tst")
	untrusted := filepath.Join(dir, "untrusted.pem")
	var chain bytes.Buffer
	for _, c := range append([]*x509.Certificate{env.dev.TSA.Cert}, env.dev.TSA.Chain...) {
		pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	if err := os.WriteFile(tok, a.Token, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(untrusted, chain.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func(digest []byte) (string, error) {
		out, err := exec.Command("openssl", "ts", "-verify", "-digest", hex.EncodeToString(digest), "-sha256",
			"-in", tok, "-token_in", "-CAfile", env.trust, "-untrusted", untrusted).CombinedOutput()
		return string(out), err
	}
	if out, err := verify(a.Head); err != nil || !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl ts -verify of the anchor at record %d: %v\n%s", a.Seq, err, out)
	}
	other := bytes.Clone(a.Head)
	other[0] ^= 1
	if out, err := verify(other); err == nil || !strings.Contains(out, "message imprint mismatch") {
		t.Fatalf("openssl accepted the anchor for another head: %v\n%s", err, out)
	}
}
