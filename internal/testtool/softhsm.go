package testtool

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ThalesGroup/crypto11"
)

// SoftHSMModules are where Debian's softhsm2 installs its PKCS#11 library.
var SoftHSMModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
}

// SoftToken is a SoftHSM token made for one test: what hsm.Config needs.
type SoftToken struct {
	Module  string // the PKCS#11 library
	Label   string // the token's label
	PINFile string // file holding the user PIN
}

// softTokens is the pool SoftHSMMain fills and SoftHSM hands out.
var softTokens struct {
	sync.Mutex
	free []SoftToken
	made bool
}

// SoftHSMTokens is how many tokens SoftHSMMain makes for one test binary.
const SoftHSMTokens = 16

// SoftHSMMain runs a package's tests with SoftHSM reading its tokens from a
// fresh temporary directory, removed afterwards. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testtool.SoftHSMMain(m)) }
//
// SoftHSM reads its configuration (SOFTHSM2_CONF) and scans its token
// directory once per process, at C_Initialize: a token initialised later by
// softhsm2-util stays invisible to the running process. So the directory is
// one per test binary and holds SoftHSMTokens tokens made before any test
// runs; SoftHSM gives each test its own, and tests run in parallel. The
// machine's own token directory (/var/lib/softhsm) is never touched. When
// softhsm2 is not installed the tests run without tokens and SoftHSM ends
// each test that wants one (see Missing).
func SoftHSMMain(m *testing.M) int {
	module := softHSMModule()
	if module == "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "segl-softhsm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "softhsm:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	conf, err := WriteSoftHSMConf(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "softhsm:", err)
		return 1
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	for range SoftHSMTokens {
		tok, err := InitSoftToken(module, conf, dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "softhsm:", err)
			return 1
		}
		softTokens.free = append(softTokens.free, tok)
	}
	softTokens.made = true
	return m.Run()
}

// WriteSoftHSMConf writes a SoftHSM configuration keeping tokens under
// dir/tokens and returns its path, for SOFTHSM2_CONF (softhsm2.conf(5)).
// A subprocess given its own file has its own tokens.
func WriteSoftHSMConf(dir string) (string, error) {
	tokens := filepath.Join(dir, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		return "", err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	return conf, os.WriteFile(conf, []byte(body), 0o600)
}

// InitSoftToken initialises a token with a random label, user PIN and SO
// PIN in the token directory of the SoftHSM configuration conf, writing the
// PIN to a file in dir.
func InitSoftToken(module, conf, dir string) (SoftToken, error) {
	label, pin := "segl-test-"+randomHex(6), randomHex(8)
	cmd := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", randomHex(8))
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		return SoftToken{}, fmt.Errorf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	pinFile := filepath.Join(dir, label+".pin")
	if err := os.WriteFile(pinFile, []byte(pin+"\n"), 0o600); err != nil {
		return SoftToken{}, err
	}
	return SoftToken{Module: module, Label: label, PINFile: pinFile}, nil
}

// SoftHSMModule returns the SoftHSM library, or ends the test when softhsm2
// is not installed (a failure under CI, see Missing).
func SoftHSMModule(t testing.TB) string {
	t.Helper()
	m := softHSMModule()
	if m == "" {
		Missing(t, "softhsm2 is not installed")
	}
	return m
}

func softHSMModule() string {
	if _, err := exec.LookPath("softhsm2-util"); err != nil {
		return ""
	}
	for _, m := range SoftHSMModules {
		if _, err := os.Stat(m); err == nil {
			return m
		}
	}
	return ""
}

// SoftHSM hands the test a token of its own from those SoftHSMMain made,
// in this process's token directory.
func SoftHSM(t testing.TB) SoftToken {
	t.Helper()
	SoftHSMModule(t)
	softTokens.Lock()
	defer softTokens.Unlock()
	if !softTokens.made {
		t.Fatal("softhsm: call testtool.SoftHSMMain from the package's TestMain")
	}
	if len(softTokens.free) == 0 {
		t.Fatalf("softhsm: the %d tokens of SoftHSMMain are all taken", SoftHSMTokens)
	}
	tok := softTokens.free[0]
	softTokens.free = softTokens.free[1:]
	return tok
}

// DeleteKey removes every key pair labelled label from the token through
// a PKCS#11 context of its own, as an operator's tool would while segl
// signs with the key.
func (s SoftToken) DeleteKey(t testing.TB, label string) {
	t.Helper()
	pin, err := os.ReadFile(s.PINFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: s.Module, TokenLabel: s.Label, Pin: strings.TrimSpace(string(pin))})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	keys, err := ctx.FindKeyPairs(nil, []byte(label))
	if err != nil || len(keys) == 0 {
		t.Fatalf("softhsm: key pair %q: %d found, %v", label, len(keys), err)
	}
	for _, k := range keys {
		if err := k.Delete(); err != nil {
			t.Fatal(err)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// BackUp copies the token's files, as an operator's backup of a SoftHSM
// token directory would (a network HSM's key backup in production), and
// returns what puts back the files removed since: a key deleted after the
// backup comes back as the same key, which a running PKCS#11 context sees
// at its next search.
func (s SoftToken) BackUp(t testing.TB) (restore func()) {
	t.Helper()
	dir := s.Dir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	saved := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		saved[e.Name()] = b
	}
	return func() {
		t.Helper()
		// Under new names: SoftHSM remembers the names of the objects it
		// deleted and does not read them again.
		for name, b := range saved {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				continue
			}
			if !strings.HasSuffix(name, ".object") {
				continue
			}
			fresh := randomHex(4) + "-" + randomHex(2) + "-" + randomHex(2) + "-" + randomHex(2) + "-" + randomHex(6)
			if err := os.WriteFile(filepath.Join(dir, fresh+".lock"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fresh+".object"), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		// SoftHSM rescans the directory only when the token's generation
		// (a big-endian counter) has moved on since it last looked.
		gen := filepath.Join(dir, "generation")
		b, err := os.ReadFile(gen)
		if err != nil || len(b) != 8 {
			t.Fatalf("softhsm: generation of token %q: %d bytes, %v", s.Label, len(b), err)
		}
		if err := os.WriteFile(gen, binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(b)+1), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// dir is the token's directory under SOFTHSM2_CONF's tokendir: the one
// whose token.object holds the token's label.
func (s SoftToken) Dir(t testing.TB) string {
	t.Helper()
	conf, err := os.ReadFile(os.Getenv("SOFTHSM2_CONF"))
	if err != nil {
		t.Fatal(err)
	}
	var tokens string
	for line := range strings.Lines(string(conf)) {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "directories.tokendir" {
			tokens = strings.TrimSpace(v)
		}
	}
	dirs, err := filepath.Glob(filepath.Join(tokens, "*", "token.object"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), s.Label) {
			return filepath.Dir(f)
		}
	}
	t.Fatalf("softhsm: no directory of token %q under %s", s.Label, tokens)
	return ""
}
