package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// preflightJars are Apache PDFBox's preflight (Debian libpdfbox2-java)
// and what it needs on a JDK newer than 8 (libactivation-java,
// libjaxb-api-java); scripts/install-deps.sh installs them.
var preflightJars = []string{"preflight.jar", "pdfbox2.jar", "fontbox2.jar", "xmpbox.jar",
	"commons-logging.jar", "javax.activation.jar", "jaxb-api.jar"}

// Preflight validates the PDF at path with Apache PDFBox's preflight, an
// independent PDF/A validator, and returns what it reports: nil for a
// valid PDF/A-1b file, else one "code : message" per problem. Preflight
// knows PDF/A-1b (ISO 19005-1 level B) only: file structure, fonts
// (embedding, widths, CIDSet), graphics and colour (output intent,
// transparency), annotations, actions, and the XMP metadata with its
// pdfaid:part, which it requires to be 1. It ends the test as Missing says
// when Java or the jars are not installed.
func Preflight(t testing.TB, path string) []string {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		Missing(t, "java not installed")
	}
	cp := make([]string, len(preflightJars))
	for i, jar := range preflightJars {
		cp[i] = filepath.Join("/usr/share/java", jar)
		if _, err := os.Stat(cp[i]); err != nil {
			Missing(t, "Apache PDFBox preflight: %s not installed", jar)
		}
	}
	out, err := exec.Command(java, "-cp", strings.Join(cp, ":"), "org.apache.pdfbox.preflight.Validator_A1b", path).CombinedOutput()
	text := string(out)
	if strings.Contains(text, "is a valid PDF/A-1b file") && err == nil {
		return nil
	}
	_, report, ok := strings.Cut(text, "error(s) :")
	if !ok {
		t.Fatalf("preflight %s: %v\n%s", path, err, text)
	}
	var problems []string
	for _, line := range strings.Split(report, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			problems = append(problems, line)
		}
	}
	return problems
}
