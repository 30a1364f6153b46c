// Package clustertest runs several `segl serve --dev` processes on loopback
// ports as the nodes of one service, for tests that must see what a single
// process cannot: a node killed with SIGKILL and restarted, and requests of
// one ceremony served by different nodes.
//
// The nodes share what a scaled-out deployment shares (docs/operations.md,
// "Several nodes"): the database and the object store come from the
// caller's flags (Options.Args), the link key (from which the session, CSRF
// and link keys are derived) is one file, and the development PKI that the
// first node creates is copied into every other node's data directory, so
// that every node presents the same server certificate, trusts the same
// client certificates and seals with the same key. Everything else in a
// node's data directory is its own scratch space.
package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segl/segl/client"
	"github.com/segl/segl/internal/pki"
)

// Options say how to start the nodes.
type Options struct {
	// Binary is the segl command to run.
	Binary string
	// Nodes is how many nodes to start; default 3.
	Nodes int
	// Args are flags every node gets after --dev, --addr, --data,
	// --relaxed-sync and --link-key-file: the shared database and object
	// store (--database-url, --s3-*), for example.
	Args []string
}

// Cluster is a set of running nodes; they are stopped when the test ends.
type Cluster struct {
	Nodes []*Node
	// PKI is the development PKI directory every node uses (the first
	// node's): its root-ca.pem, and its clients/ certificates for the API.
	PKI string

	t testing.TB
}

// Node is one segl process. Its port and data directory stay the same
// across restarts.
type Node struct {
	Index int
	URL   string // https://127.0.0.1:PORT
	Data  string // its own data directory

	c      *Cluster
	args   []string
	log    string // its standard output and error, appended to by every run
	cmd    *exec.Cmd
	exited chan struct{}
}

// startTimeout bounds how long a node may take to answer /readyz; it only
// stops a broken test (a first start creates the development PKI).
const startTimeout = 90 * time.Second

// Start starts the nodes one after another: the first creates the link
// key and the development PKI, which the others then share.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	dir := t.TempDir()
	c := &Cluster{t: t}
	t.Cleanup(c.stop)
	linkKey := filepath.Join(dir, "secrets", "link.key")
	for i := range o.Nodes {
		data := filepath.Join(dir, "node"+strconv.Itoa(i))
		if i > 0 {
			if err := copyDir(c.PKI, filepath.Join(data, "pki")); err != nil {
				t.Fatalf("clustertest: share the development PKI: %v", err)
			}
		}
		n := &Node{Index: i, Data: data, c: c, log: filepath.Join(dir, "node"+strconv.Itoa(i)+".log")}
		c.Nodes = append(c.Nodes, n)
		if i == 0 {
			c.PKI = filepath.Join(data, "pki")
		}
		// The port was free when FreeAddr looked; another process on
		// the machine may take it before the node listens.
		for try := 1; ; try++ {
			addr := FreeAddr(t)
			n.URL = "https://" + addr
			n.args = append([]string{"serve", "--dev", "--addr", addr, "--data", data, "--relaxed-sync",
				"--link-key-file", linkKey}, o.Args...)
			n.cmd = exec.Command(o.Binary, n.args...)
			err := n.Start()
			if err == nil {
				break
			}
			if try == 3 || !strings.Contains(err.Error(), "address already in use") {
				t.Fatal(err)
			}
		}
	}
	return c
}

// Client is an API client of org (its development certificate) on node i.
func (c *Cluster) Client(i int, org string) *client.Client {
	c.t.Helper()
	cl, err := client.New(c.Nodes[i].URL, filepath.Join(c.PKI, "clients", org+".pem"),
		filepath.Join(c.PKI, "clients", org+".key"), filepath.Join(c.PKI, "root-ca.pem"))
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

// Start runs the node (again) and waits until its /readyz answers 200.
func (n *Node) Start() error {
	if n.exited != nil {
		select {
		case <-n.exited:
		default:
			return fmt.Errorf("clustertest: node %d is running", n.Index)
		}
	}
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- clustertest: start at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(n.cmd.Path, n.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("clustertest: node %d: %w", n.Index, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	n.cmd, n.exited = cmd, exited
	if err := n.waitReady(); err != nil {
		n.Kill()
		return fmt.Errorf("clustertest: node %d: %w\n%s", n.Index, err, n.Tail(40))
	}
	return nil
}

// waitReady polls /readyz until it answers 200 or the process ends.
func (n *Node) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tr := &http.Transport{TLSClientConfig: &tls.Config{}, DisableKeepAlives: true}
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for {
		// The first node creates the PKI it is checked with.
		if roots, err := pki.LoadPool(filepath.Join(n.c.PKI, "root-ca.pem")); err == nil {
			tr.TLSClientConfig.RootCAs = roots
			if res, err := hc.Get(n.URL + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		select {
		case <-n.exited:
			return errors.New("exited before it was ready")
		case <-ctx.Done():
			return errors.New("not ready in time")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Kill ends the node with SIGKILL, as a crash or the kernel's OOM killer
// would: no request is finished and no lease is handed back.
func (n *Node) Kill() { n.signal(syscall.SIGKILL, 0) }

// Stop ends the node with SIGTERM, a graceful shutdown, and kills it if
// it has not ended after a while.
func (n *Node) Stop() { n.signal(syscall.SIGTERM, 30*time.Second) }

func (n *Node) signal(sig syscall.Signal, grace time.Duration) {
	if n.exited == nil {
		return
	}
	n.cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-n.exited:
			return
		case <-time.After(grace):
			n.c.t.Logf("clustertest: node %d did not stop within %s of %s; killing it", n.Index, grace, sig)
			n.cmd.Process.Kill()
		}
	}
	<-n.exited
}

// Tail returns the last lines of the node's log, across its runs.
func (n *Node) Tail(lines int) string {
	raw, _ := os.ReadFile(n.log)
	var all []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		all = append(all, sc.Text())
	}
	all = all[max(0, len(all)-lines):]
	var b bytes.Buffer
	for _, l := range all {
		fmt.Fprintf(&b, "node%d| %s\n", n.Index, l)
	}
	return b.String()
}

// stop ends every node gracefully, and shows their logs when the test
// failed.
func (c *Cluster) stop() {
	for _, n := range c.Nodes {
		n.Stop()
	}
	if c.t.Failed() {
		for _, n := range c.Nodes {
			c.t.Logf("log of node %d:\n%s", n.Index, n.Tail(400))
		}
	}
}

// FreeAddr returns a loopback address whose port nothing listens on now,
// for a node or any test server that must find its port free again when it
// restarts.
// The port is drawn from 13000-17999, not by the kernel from its ephemeral
// range (32768 and up): there the local end of any outgoing connection on
// the machine may take a killed node's port before the node starts again
// on it. The range is apart from the test scripts' (20000-32499). A port
// once handed out is not drawn again in this process: the clusters of
// parallel tests cannot take each other's ports while a node is down.
func FreeAddr(t testing.TB) string {
	handedOut.mu.Lock()
	defer handedOut.mu.Unlock()
	for range 100 {
		port := 13000 + rand.IntN(5000)
		if handedOut.ports[port] {
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			handedOut.ports[port] = true
			return addr
		}
	}
	t.Fatal("clustertest: no free port in 13000-17999")
	return ""
}

// handedOut are the ports FreeAddr has returned in this process.
var handedOut = struct {
	mu    sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// copyDir copies the regular files under src to dst, keeping their modes.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, raw, info.Mode().Perm())
	})
}
