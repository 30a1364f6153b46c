package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SchemaValid checks doc against the XML schema at xsd with xmllint
// (libxml2), offline, and fails the test with xmllint's report when it is
// not valid. It ends the test as Missing says when xmllint is not installed.
func SchemaValid(t testing.TB, xsd string, doc []byte) {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		Missing(t, "xmllint not installed (Debian package libxml2-utils)")
	}
	file := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "--noout", "--nonet", "--schema", xsd, file).CombinedOutput()
	if err != nil {
		t.Fatalf("not valid against %s: %v\n%s\n%s", filepath.Base(xsd), err, out, doc)
	}
}
