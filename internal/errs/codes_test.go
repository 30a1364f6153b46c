package errs_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sameWord lists codes that by coincidence of wording are also something
// else typed elsewhere, with how often each is typed in all. An entry must
// be a compound code typed exactly that often, so the list cannot go stale.
var sameWord = map[string]struct {
	times int
	why   string
}{
	"REQUEST_TOO_LARGE": {2, "the code of two different protocols: Posten's signing API (postenapi) and Digipost's (the Digipost stand-in)"},
	"krr-token":         {3, "KRR's code of a failed access token, and the setting krr-token (its flag in config and its production check in config.CheckDev)"},
	"brreg-token":       {3, "the business register's code of a failed access token, and the setting brreg-token (as krr-token)"},
}

// module is the import path of this repository's packages.
const module = "github.com/segl/segl/"

// codeShape is what a code looks like: words joined by hyphens or
// underscores ("job-changed", "INVALID_MULTIPART", "invalid_request"). A
// string with a space, a comma or a colon is a message or something else.
var codeShape = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*([-_][A-Za-z0-9]+)*$`)

// TestCodesTypedOnce keeps problem codes typed once (issue 10 item 5). It
// reads the source of internal/ and cmd/ and checks:
//
//   - every place that makes a problem code takes a named constant, never
//     a string literal nor strings joined: the code argument of any function whose parameter
//     is named code (errs.E, errs.Field, errs.Wrap, errs.HasCode, the
//     stand-ins' error writers, …), a struct's Code field (the Posten API's
//     XML error, the stand-ins' OAuth errors), a variable named code, and
//     the "error" member of a JSON error body (RFC 6749 section 5.2);
//   - a constant used there is declared in its package's errcodes.go,
//     which has one const block, each code with a comment saying when it
//     is used: the package's error vocabulary, in one place;
//   - a code's string appears as a literal once in non-test code;
//   - errors are checked with errors.As (errs.From, errs.HasCode), never
//     with a type assertion to *errs.Error, which misses an error as soon
//     as it is wrapped.
//
// Tests keep their literals: they check that the wire codes stay what
// clients rely on.
func TestCodesTypedOnce(t *testing.T) {
	pkgs := readSource(t, "../..", "internal", "cmd")
	for _, p := range problems(pkgs, true) {
		t.Error(p)
	}
}

// TestCodesTypedOnceCatches plants each kind of mistake TestCodesTypedOnce
// is there to catch, so that the scan cannot quietly stop looking.
func TestCodesTypedOnceCatches(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"fail/literal-in-E", `func f() error { return errs.E(errs.Invalid, "bad-thing", "x") }`, `a string literal "bad-thing" as a problem code`},
		{"fail/literal-in-Wrap", `func f(err error) error { return errs.Wrap(err, errs.Invalid, "bad-thing", "x") }`, `a string literal "bad-thing" as a problem code`},
		{"fail/literal-in-HasCode", `func f(err error) bool { return errs.HasCode(err, "bad-thing") }`, `a string literal "bad-thing" as a problem code`},
		{"fail/literal-in-own-writer", `func fail(w any, code, msg string) {}
func f() { fail(nil, "BAD_THING", "x") }`, `a string literal "BAD_THING" as a problem code`},
		{"fail/literal-in-Code-field", `type answer struct{ Code, Message string }
func f() any { return answer{Code: "BAD_THING"} }`, `a string literal "BAD_THING" as a problem code`},
		{"fail/literal-in-positional-Code", `type answer struct{ Code, Message string }
func f() any { return &answer{"bad_thing", "x"} }`, `a string literal "bad_thing" as a problem code`},
		{"fail/literal-in-code-variable", `func f() string { kind, code := 1, "bad-thing"; _ = kind; return code }`, `a string literal "bad-thing" as a problem code`},
		{"fail/literal-in-error-member", `func f() any { return map[string]string{"error": "bad_thing"} }`, `a string literal "bad_thing" as a problem code`},
		{"fail/joined-code", `func f(field string) error { return errs.Field(field, "invalid-"+field, "x") }`, `a problem code made by joining strings`},
		{"fail/constant-outside-errcodes", `const codeBad = "bad-thing"
func f() error { return errs.E(errs.Invalid, codeBad, "x") }`, `codeBad is a problem code declared outside errcodes.go`},
		{"fail/type-assertion", `func f(err error) bool { _, ok := err.(*errs.Error); return ok }`, `a type assertion to *errs.Error`},
		{"ok/message-in-error-member", `func f() any { return map[string]string{"error": "not found"} }`, ""},
		{"ok/joined-message-in-error-member", `func f(err error) any { return map[string]string{"error": "bad request: " + err.Error()} }`, ""},
		{"ok/variable", `func f(code string) error { return errs.E(errs.Invalid, code, "x") }`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "planted.go", "package planted\nimport \"github.com/segl/segl/internal/errs\"\n"+tc.src, 0)
			if err != nil {
				t.Fatal(err)
			}
			pkgs := readSource(t, "../..", "internal/errs")
			pkgs[module+"internal/planted"] = &pkg{files: []*ast.File{f}, names: []string{"planted.go"}, fset: fset}
			got := problems(pkgs, false)
			if tc.want == "" {
				if len(got) > 0 {
					t.Fatalf("found %q, want nothing", got)
				}
				return
			}
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Fatalf("found %q, want %q", got, tc.want)
			}
		})
	}
}

// pkg is the non-test source of one package.
type pkg struct {
	fset  *token.FileSet
	files []*ast.File
	names []string // the files' paths, in order
}

// readSource parses the non-test Go files under the roots. The
// conformance suites and test servers (storetest, queuetest, s3test, …)
// are test code too.
func readSource(t *testing.T, base string, roots ...string) map[string]*pkg {
	fset := token.NewFileSet()
	pkgs := map[string]*pkg{}
	for _, root := range roots {
		err := filepath.WalkDir(filepath.Join(base, root), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			dir := filepath.Dir(path)
			if strings.HasSuffix(path, "_test.go") || strings.HasSuffix(filepath.Base(dir), "test") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(base, dir)
			if err != nil {
				return err
			}
			ip := module + filepath.ToSlash(rel)
			if pkgs[ip] == nil {
				pkgs[ip] = &pkg{fset: fset}
			}
			pkgs[ip].files = append(pkgs[ip].files, f)
			pkgs[ip].names = append(pkgs[ip].names, path)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return pkgs
}

// decls is what the scan needs to know of a package's declarations.
type decls struct {
	codeParam map[string]int  // functions and methods with a string parameter named code: its index
	codeField map[string]int  // struct types with a field named Code: its index
	consts    map[string]bool // package-level constants: declared in errcodes.go?
}

// problems reports what breaks the rules of TestCodesTypedOnce in pkgs;
// whole says that pkgs is all of segl, so every code is among them.
func problems(pkgs map[string]*pkg, whole bool) []string {
	var out []string
	report := func(p *pkg, n ast.Node, format string, args ...any) {
		out = append(out, p.fset.Position(n.Pos()).String()+": "+fmt.Sprintf(format, args...))
	}
	all := map[string]*decls{}
	for ip, p := range pkgs {
		all[ip] = declsOf(p)
	}
	codes := map[string]bool{}        // every code, the values of the constants in errcodes.go
	literals := map[string][]string{} // where each string is typed
	for ip, p := range pkgs {
		for i, f := range p.files {
			errcodes := filepath.Base(p.names[i]) == "errcodes.go"
			if errcodes {
				checkErrcodes(p, f, codes, report)
			}
			imports := map[string]string{} // local name: import path
			for _, im := range f.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				name := path[strings.LastIndex(path, "/")+1:]
				if im.Name != nil {
					name = im.Name.Name
				}
				imports[name] = path
			}
			// declsFor gives the declarations of the package an
			// expression (pkg.Name or Name) refers to, and the name.
			declsFor := func(e ast.Expr) (*decls, string) {
				switch e := e.(type) {
				case *ast.Ident:
					return all[ip], e.Name
				case *ast.SelectorExpr:
					if id, ok := e.X.(*ast.Ident); ok && imports[id.Name] != "" {
						return all[imports[id.Name]], e.Sel.Name
					}
					return all[ip], e.Sel.Name // a method: looked up in this package
				case *ast.StarExpr:
					return nil, ""
				}
				return nil, ""
			}
			// code checks an expression in a code position.
			code := func(e ast.Expr) {
				if s, ok := stringLit(e); ok && codeShape.MatchString(s) {
					report(p, e, "a string literal %q as a problem code; name it in the errcodes.go of the package that makes it", s)
					return
				}
				if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD && !message(b) {
					report(p, e, "a problem code made by joining strings, which no one can find by its text; name each code")
					return
				}
				if _, ok := e.(*ast.Ident); !ok {
					if sel, ok := e.(*ast.SelectorExpr); !ok || imports[identName(sel.X)] == "" {
						return // a variable, a field, a call: not a constant
					}
				}
				if d, name := declsFor(e); d != nil && codeName(name) {
					if inErrcodes, isConst := d.consts[name]; isConst && !inErrcodes {
						report(p, e, "%s is a problem code declared outside errcodes.go; declare it in the package's one block there", name)
					}
				}
			}
			for _, decl := range f.Decls {
				if g, ok := decl.(*ast.GenDecl); ok && g.Tok == token.CONST && !errcodes {
					for _, spec := range g.Specs {
						v := spec.(*ast.ValueSpec)
						for i, name := range v.Names {
							if s, ok := stringLit(valueAt(v, i)); ok && codeName(name.Name) && codeShape.MatchString(s) {
								report(p, name, "%s is a problem code declared outside errcodes.go; declare it in the package's one block there", name.Name)
							}
						}
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.TypeAssertExpr:
					if star, ok := n.Type.(*ast.StarExpr); ok && isErrsError(star.X) {
						report(p, n, "a type assertion to *errs.Error; use errors.As, errs.From or errs.HasCode")
					}
				case *ast.CallExpr:
					if d, name := declsFor(n.Fun); d != nil {
						if i, ok := d.codeParam[name]; ok && i < len(n.Args) {
							code(n.Args[i])
						}
					}
				case *ast.CompositeLit:
					d, name := declsFor(n.Type)
					for i, el := range n.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						switch {
						case !ok:
							if d != nil && d.codeField[name] == i+1 {
								code(el)
							}
						case identName(kv.Key) == "Code":
							code(kv.Value)
						case isLit(kv.Key, "error"):
							code(kv.Value)
							if list, ok := kv.Value.(*ast.CompositeLit); ok { // url.Values
								for _, v := range list.Elts {
									code(v)
								}
							}
						}
					}
				case *ast.AssignStmt:
					for i, l := range n.Lhs {
						if i >= len(n.Rhs) {
							break
						}
						if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == "Code" || identName(l) == "code" {
							code(n.Rhs[i])
						}
					}
				case *ast.ValueSpec:
					for i, name := range n.Names {
						if name.Name == "code" && i < len(n.Values) {
							code(n.Values[i])
						}
					}
				case *ast.BasicLit:
					if s, ok := stringLit(n); ok {
						literals[s] = append(literals[s], p.fset.Position(n.Pos()).String())
					}
				}
				return true
			})
		}
	}
	if whole && len(codes) < 100 {
		out = append(out, fmt.Sprintf("found %d codes; the scan is broken", len(codes)))
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
		if w, ok := sameWord[code]; ok {
			allowed = w.times
		}
		if len(at) > allowed {
			slices.Sort(at)
			out = append(out, fmt.Sprintf("code %q is typed %d times; name it once, in the package that owns it:\n\t%s", code, len(at), strings.Join(at, "\n\t")))
		}
	}
	if whole {
		for word, w := range sameWord {
			if !codes[word] || !strings.ContainsAny(word, "-_") || len(literals[word]) != w.times {
				out = append(out, fmt.Sprintf("sameWord lists %q as a compound code typed %d times; it is typed %d times: correct or remove the entry", word, w.times, len(literals[word])))
			}
		}
	}
	slices.Sort(out)
	return out
}

// declsOf collects the declarations of p the scan looks up.
func declsOf(p *pkg) *decls {
	d := &decls{codeParam: map[string]int{}, codeField: map[string]int{}, consts: map[string]bool{}}
	for i, f := range p.files {
		errcodes := filepath.Base(p.names[i]) == "errcodes.go"
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				at := 0
				for _, field := range decl.Type.Params.List {
					for _, name := range field.Names {
						if name.Name == "code" && identName(field.Type) == "string" {
							d.codeParam[decl.Name.Name] = at
						}
						at++
					}
					if len(field.Names) == 0 {
						at++
					}
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.ValueSpec:
						if decl.Tok == token.CONST {
							for _, name := range spec.Names {
								d.consts[name.Name] = errcodes
							}
						}
					case *ast.TypeSpec:
						st, ok := spec.Type.(*ast.StructType)
						if !ok {
							continue
						}
						at := 0
						for _, field := range st.Fields.List {
							for _, name := range field.Names {
								at++
								if name.Name == "Code" {
									d.codeField[spec.Name.Name] = at // 1-based: 0 is "none"
								}
							}
							if len(field.Names) == 0 {
								at++
							}
						}
					}
				}
			}
		}
	}
	return d
}

// checkErrcodes checks the form of an errcodes.go, one const block with a
// comment for each code, and adds its codes to codes.
func checkErrcodes(p *pkg, f *ast.File, codes map[string]bool, report func(*pkg, ast.Node, string, ...any)) {
	blocks := 0
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		blocks++
		if blocks > 1 {
			report(p, g, "a second const block in errcodes.go; a package's codes are one block")
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if v.Comment == nil && v.Doc == nil {
				report(p, v, "code %s has no comment saying when it is used", v.Names[0].Name)
			}
			for _, value := range v.Values {
				if s, ok := stringLit(value); ok {
					codes[s] = true
				}
			}
		}
	}
}

// isErrsError reports whether x is errs.Error, or Error inside package errs.
func isErrsError(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.SelectorExpr:
		return identName(x.X) == "errs" && x.Sel.Name == "Error"
	case *ast.Ident:
		return x.Name == "Error"
	}
	return false
}

// codeName reports whether a constant's name says it is a problem code:
// Code… when exported, code… when not.
func codeName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Code")
	if !ok {
		rest, ok = strings.CutPrefix(name, "code")
	}
	return ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z'
}

// message reports whether a joined string is a message, not a code: one of
// its literal parts holds a space ("bad request: " + err.Error()).
func message(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BinaryExpr:
		return message(e.X) || message(e.Y)
	case *ast.BasicLit:
		s, ok := stringLit(e)
		return ok && strings.Contains(s, " ")
	}
	return false
}

// valueAt is the value of the i-th name of a constant declaration, nil
// when it has none of its own (iota).
func valueAt(v *ast.ValueSpec, i int) ast.Expr {
	if i < len(v.Values) {
		return v.Values[i]
	}
	return nil
}

func identName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func isLit(e ast.Expr, want string) bool {
	s, ok := stringLit(e)
	return ok && s == want
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil && s != ""
}
