// Package s3test gives tests a bucket of their own on the real S3 server
// that scripts/test starts (scripts/s3-test-server, SeaweedFS on loopback),
// and lets a test start a server of its own that it may stop and restart.
package s3test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/segl/segl/internal/blob/s3"
	"github.com/segl/segl/internal/testtool"
)

// The variables scripts/s3-test-server prints and scripts/test exports.
const (
	EnvEndpoint  = "SEGL_TEST_S3_ENDPOINT"
	EnvAccessKey = "SEGL_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "SEGL_TEST_S3_SECRET_KEY"
)

// Server is a running S3 server's address and credentials, and for one
// that serves TLS the roots that verify it.
type Server struct {
	Endpoint, AccessKey, SecretKey string
	RootCAs                        *x509.CertPool
}

// Shared returns the server scripts/test started, or ends the test when
// none was: skipped on a developer's machine, failed in CI.
func Shared(t testing.TB) Server {
	t.Helper()
	s := Server{Endpoint: os.Getenv(EnvEndpoint), AccessKey: os.Getenv(EnvAccessKey), SecretKey: os.Getenv(EnvSecretKey)}
	if s.Endpoint == "" {
		testtool.Missing(t, "no S3 server: scripts/test starts one; by hand, start scripts/s3-test-server and export the %s, %s and %s it prints",
			EnvEndpoint, EnvAccessKey, EnvSecretKey)
	}
	return s
}

// Bucket creates a bucket for this test alone and returns the options of
// a store on it, with a temporary directory; the bucket and its objects
// are removed when the test ends.
func (s Server) Bucket(t testing.TB) s3.Options {
	t.Helper()
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := minio.DefaultTransport(u.Scheme == "https")
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme == "https" {
		tr.TLSClientConfig = &tls.Config{RootCAs: s.RootCAs}
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: u.Scheme == "https", Transport: tr,
	})
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "segl-test-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s on %s: %v", name, s.Endpoint, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for o := range c.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err == nil {
				c.RemoveObject(ctx, name, o.Key, minio.RemoveObjectOptions{})
			}
		}
		c.RemoveBucket(ctx, name)
	})
	return s3.Options{Endpoint: s.Endpoint, Bucket: name, AccessKey: s.AccessKey, SecretKey: s.SecretKey,
		RootCAs: s.RootCAs, TempDir: t.TempDir()}
}

// Own is an S3 server started for one test, which it may stop and start
// again (same data directory and port) to see an outage.
type Own struct {
	Server
	t      testing.TB
	script string
	dir    string
	port   string
	tls    []string // --cert and --key for a server over TLS
	cmd    *exec.Cmd
}

// Start runs scripts/s3-test-server for this test alone; it is stopped
// when the test ends. A missing SeaweedFS binary ends the test as a
// missing tool does.
func Start(t testing.TB) *Own { return start(t, nil, nil) }

// StartTLS is Start for a server that serves S3 over TLS with the given
// certificate and key files; roots verify it.
func StartTLS(t testing.TB, certFile, keyFile string, roots *x509.CertPool) *Own {
	return start(t, []string{"--cert", certFile, "--key", keyFile}, roots)
}

func start(t testing.TB, tlsArgs []string, roots *x509.CertPool) *Own {
	t.Helper()
	root, err := testtool.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	o := &Own{t: t, script: filepath.Join(root, "scripts", "s3-test-server"), dir: t.TempDir(), tls: tlsArgs}
	o.RootCAs = roots
	if err := o.Restart(); err != nil {
		if errors.Is(err, errNoBinary) {
			testtool.Missing(t, "%v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(o.Stop)
	return o
}

var errNoBinary = errors.New("the SeaweedFS binary (weed) is not built")

// Restart starts the server (again) on its data directory and, after the
// first start, on the same port, and waits until it answers.
func (o *Own) Restart() error {
	args := append([]string{"--dir", o.dir}, o.tls...)
	if o.port != "" {
		args = append(args, "--port", o.port)
	}
	cmd := exec.Command(o.script, args...)
	// What the script says goes to the test's output as it comes (weed's
	// log, should weed end by itself later), and into a failed start's error.
	var said bytes.Buffer
	cmd.Stderr = io.MultiWriter(os.Stderr, &said)
	// Nothing the script starts keeps its output open once it has ended;
	// should something, Wait still returns.
	cmd.WaitDelay = 10 * time.Second
	// Its own process group, so that Stop ends weed with the script.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	env := map[string]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		env[k] = v
		if k == EnvSecretKey {
			break
		}
	}
	if env[EnvSecretKey] == "" {
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 3 {
			return errNoBinary
		}
		return fmt.Errorf("scripts/s3-test-server did not start: %v\n%s", err, said.String())
	}
	go io.Copy(io.Discard, out)
	o.cmd = cmd
	o.Endpoint, o.AccessKey, o.SecretKey = env[EnvEndpoint], env[EnvAccessKey], env[EnvSecretKey]
	o.port = o.Endpoint[strings.LastIndex(o.Endpoint, ":")+1:]
	return nil
}

// Stop ends the server, as an outage would, and waits until it is gone:
// its ports are free again when Stop returns.
func (o *Own) Stop() {
	if o.cmd == nil {
		return
	}
	group := -o.cmd.Process.Pid
	syscall.Kill(group, syscall.SIGTERM)
	// The script gives weed 30 s to shut down cleanly; a script that does
	// not end well after that is killed with weed, not waited for forever.
	kill := time.AfterFunc(stopTimeout, func() { syscall.Kill(group, syscall.SIGKILL) })
	o.cmd.Wait()
	kill.Stop()
	o.cmd = nil
}

// stopTimeout bounds Stop.
const stopTimeout = time.Minute
