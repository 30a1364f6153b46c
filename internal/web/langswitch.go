package web

import (
	"slices"
	"strconv"
	"text/template/parse"
)

// The layout's language switch ranges over $.Languages and compares each
// with $.Lang: on every page of a set both are the same (execute renders a
// set only in its own language, with w.languages), yet each render made a
// dozen reflected calls for them (eq, langName, their escapers), about two
// fifths of a short page's rendering. unrollLanguages writes the switch
// out once per language at start-up, with the language as a constant and
// the comparison decided, so that foldConstants and foldEscapes put the
// names and codes in place; only each other language's URL is left to
// render. Pages render byte for byte as before
// (TestFoldedPagesRenderTheSame compares with the templates as written).

// unrollLanguages replaces, in l and the lists under it, each range over
// $.Languages whose body reads the language only through the range's
// variable by one copy of the body per language. It is for the layout's
// own template, where $ is the Page.
func (w *Web) unrollLanguages(lang string, l *parse.ListNode) {
	if l == nil {
		return
	}
	out := make([]parse.Node, 0, len(l.Nodes))
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.RangeNode:
			if v, ok := languagesRange(n); ok {
				if copies, ok := w.unrolled(lang, v, n.List); ok {
					out = append(out, copies...)
					continue
				}
			}
		case *parse.IfNode:
			w.unrollLanguages(lang, n.List)
			w.unrollLanguages(lang, n.ElseList)
		case *parse.WithNode:
			w.unrollLanguages(lang, n.List)
			w.unrollLanguages(lang, n.ElseList)
		}
		out = append(out, n)
	}
	l.Nodes = out
}

// languagesRange is the variable of a range {{range $v := $.Languages}}
// without an else branch.
func languagesRange(n *parse.RangeNode) (string, bool) {
	p := n.Pipe
	if n.ElseList != nil || p == nil || p.IsAssign || len(p.Decl) != 1 || len(p.Decl[0].Ident) != 1 ||
		len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return "", false
	}
	arg, ok := p.Cmds[0].Args[0].(*parse.VariableNode)
	if !ok || !slices.Equal(arg.Ident, []string{"$", "Languages"}) {
		return "", false
	}
	return p.Decl[0].Ident[0], true
}

// unrolled is body once per language, with the range's variable v and
// $.Lang as constants and each {{if eq …}} of two constants decided; false
// when body reads its element in another way (dot, a field of v), declares
// variables or holds actions whose meaning a copy could change.
func (w *Web) unrolled(lang, v string, body *parse.ListNode) ([]parse.Node, bool) {
	var out []parse.Node
	for _, code := range w.languages {
		u := unroller{v: v, code: code, lang: lang}
		nodes, ok := u.list(body.CopyList())
		if !ok {
			return nil, false
		}
		out = append(out, nodes...)
	}
	return out, true
}

// unroller puts one language in place of a range's variable.
type unroller struct {
	v, code, lang string
}

func (u unroller) list(l *parse.ListNode) ([]parse.Node, bool) {
	if l == nil {
		return nil, true
	}
	var out []parse.Node
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode, *parse.CommentNode:
			out = append(out, n)
		case *parse.ActionNode:
			if !u.pipe(n.Pipe) {
				return nil, false
			}
			out = append(out, n)
		case *parse.IfNode:
			if !u.pipe(n.Pipe) {
				return nil, false
			}
			if taken, decided := decidedBranch(n); decided {
				nodes, ok := u.list(taken)
				if !ok {
					return nil, false
				}
				out = append(out, nodes...)
				continue
			}
			list, ok := u.list(n.List)
			if !ok {
				return nil, false
			}
			n.List.Nodes = list
			if n.ElseList != nil {
				if n.ElseList.Nodes, ok = u.list(n.ElseList); !ok {
					return nil, false
				}
			}
			out = append(out, n)
		default: // range, with, template, break, continue: they read or move dot
			return nil, false
		}
	}
	return out, true
}

// pipe puts the constants in place in p's commands.
func (u unroller) pipe(p *parse.PipeNode) bool {
	if p == nil {
		return true
	}
	if len(p.Decl) > 0 {
		return false
	}
	for _, c := range p.Cmds {
		for i, a := range c.Args {
			switch a := a.(type) {
			case *parse.VariableNode:
				switch {
				case slices.Equal(a.Ident, []string{u.v}):
					c.Args[i] = stringNode(a.Pos, u.code)
				case slices.Equal(a.Ident, []string{"$", "Lang"}):
					c.Args[i] = stringNode(a.Pos, u.lang)
				case a.Ident[0] == u.v:
					return false
				}
			case *parse.PipeNode:
				if !u.pipe(a) {
					return false
				}
			case *parse.DotNode, *parse.FieldNode, *parse.ChainNode:
				return false
			}
		}
	}
	return true
}

// decidedBranch is the branch an {{if eq "a" "b"}} of two constants takes.
func decidedBranch(n *parse.IfNode) (*parse.ListNode, bool) {
	p := n.Pipe
	if len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 3 {
		return nil, false
	}
	args := p.Cmds[0].Args
	fn, ok := args[0].(*parse.IdentifierNode)
	a, okA := args[1].(*parse.StringNode)
	b, okB := args[2].(*parse.StringNode)
	if !ok || fn.Ident != "eq" || !okA || !okB {
		return nil, false
	}
	if a.Text == b.Text {
		return n.List, true
	}
	return n.ElseList, true
}

func stringNode(pos parse.Pos, s string) *parse.StringNode {
	return &parse.StringNode{NodeType: parse.NodeString, Pos: pos, Quoted: strconv.Quote(s), Text: s}
}
