package errs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sameWord lists strings that are a problem code and, by coincidence of
// wording, something else too; each is allowed to appear once more.
var sameWord = map[string]string{
	"internal":          "the name of the kind Internal (Kind.String), and the code of the API's bare 500",
	"REQUEST_TOO_LARGE": "the code of two different protocols: Posten's signing API and the Digipost stand-in",
}

// TestCodesTypedOnce keeps problem codes typed once (issue 10 item 5): a
// code that is checked or made in more than one place is a named constant
// of the package that owns it, and errors are checked with errors.As
// (errs.From, errs.HasCode), never with a type assertion, which misses an
// error as soon as it is wrapped. It reads the source of internal/ and
// cmd/: every string literal used as a code (the code argument of E, Field
// or Wrap, or the value of a constant named Code…) may appear as a
// literal once in non-test code. Tests keep their literals: they check
// that the wire codes stay what clients rely on.
func TestCodesTypedOnce(t *testing.T) {
	fset := token.NewFileSet()
	codes := map[string]bool{}
	literals := map[string][]string{}
	var asserts []string
	for _, root := range []string{"../../internal", "../../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			// The conformance suites and test servers (storetest,
			// queuetest, s3test, …) are test code too.
			test := strings.HasSuffix(path, "_test.go") || strings.HasSuffix(filepath.Base(filepath.Dir(path)), "test")
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.TypeAssertExpr:
					if star, ok := n.Type.(*ast.StarExpr); ok && isErrsError(star.X) {
						asserts = append(asserts, fset.Position(n.Pos()).String())
					}
				case *ast.CallExpr:
					if code, ok := codeArg(n); ok && !test {
						codes[code] = true
					}
				case *ast.ValueSpec:
					for i, name := range n.Names {
						if strings.HasPrefix(name.Name, "Code") && i < len(n.Values) && !test {
							if s, ok := stringLit(n.Values[i]); ok {
								codes[s] = true
							}
						}
					}
				case *ast.BasicLit:
					if s, ok := stringLit(n); ok && !test {
						literals[s] = append(literals[s], fset.Position(n.Pos()).String())
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range asserts {
		t.Errorf("%s: a type assertion to *errs.Error; use errors.As, errs.From or errs.HasCode", a)
	}
	if len(codes) < 100 {
		t.Fatalf("found %d codes; the scan is broken", len(codes))
	}
	for code := range codes {
		if !strings.ContainsAny(code, "-_") {
			// A single word ("invalid", "missing") is also a kind's
			// name, a status, a catalogue key: only the distinctive
			// compound codes can be told apart by their text.
			continue
		}
		at := literals[code]
		allowed := 1
		if _, ok := sameWord[code]; ok {
			allowed = 2
		}
		if len(at) > allowed {
			slices.Sort(at)
			t.Errorf("code %q is typed %d times; name it once, in the package that owns it:\n\t%s", code, len(at), strings.Join(at, "\n\t"))
		}
	}
}

// isErrsError reports whether x is errs.Error, or Error inside package errs.
func isErrsError(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		return ok && id.Name == "errs" && x.Sel.Name == "Error"
	case *ast.Ident:
		return x.Name == "Error"
	}
	return false
}

// codeArg returns the code of a call errs.E, errs.Field or errs.Wrap when
// it is a string literal.
func codeArg(call *ast.CallExpr) (string, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "errs" {
		return "", false
	}
	i := map[string]int{"E": 1, "Field": 1, "Wrap": 2}[sel.Sel.Name]
	if i == 0 || len(call.Args) <= i {
		return "", false
	}
	return stringLit(call.Args[i])
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil && s != ""
}
