package web

import (
	"errors"
	"html/template"
	"io"
	"path"
	"strings"
	"sync"
	"text/template/parse"
)

// After foldConstants, a fixed text still passes through html/template's
// escaper on every render: {{T "key"}} became {{"Text" |
// _html_template_htmlescaper}}, a reflected call of a variadic function
// per text, about sixty on a signer's job page. foldEscapes puts the
// escaped text in place instead.
//
// html/template's escapers are not exported, so what one writes for a
// constant is learnt from the escaper itself: a probe template writes its
// data in a known context, and an action whose escapers are exactly the
// probe's (the same functions in the same order, so the same output for
// the same string) is replaced by the probe's output for its constant.
// Actions escaped in a context no probe has are left as they are.

// escapeProbes write their data between fixed texts, in the contexts
// fixed texts of the pages appear in: text, quoted attribute values,
// <title>, and URLs (whole, in a path, in a query).
var escapeProbes = []string{
	`{{.}}`,
	`<p title="{{.}}">`,
	`<title>{{.}}</title>`,
	`<a href="{{.}}">`,
	`<a href="/{{.}}">`,
	`<a href="/?q={{.}}">`,
}

// probe is one escape probe, escaped: it writes prefix, its data escaped
// in its context, and suffix.
type probe struct {
	t              *template.Template
	prefix, suffix string
}

// escape is what the probe's escapers make of s.
func (p probe) escape(s string) (string, bool) {
	var b strings.Builder
	if err := p.t.Execute(&b, s); err != nil {
		return "", false
	}
	out := b.String()
	if len(out) < len(p.prefix)+len(p.suffix) || !strings.HasPrefix(out, p.prefix) || !strings.HasSuffix(out, p.suffix) {
		return "", false
	}
	return out[len(p.prefix) : len(out)-len(p.suffix)], true
}

// probes maps an escaper chain (escaperChain) to its probe.
var probes = sync.OnceValues(func() (map[string]probe, error) {
	m := map[string]probe{}
	for _, src := range escapeProbes {
		t, err := template.New("probe").Parse(src)
		if err != nil {
			return nil, err
		}
		if err := t.Execute(io.Discard, ""); err != nil { // escapes it
			return nil, err
		}
		var p probe
		var chain string
		seen := 0
		for _, n := range t.Tree.Root.Nodes {
			switch n := n.(type) {
			case *parse.TextNode:
				if seen == 0 {
					p.prefix += string(n.Text)
				} else {
					p.suffix += string(n.Text)
				}
			case *parse.ActionNode:
				c, ok := escaperChain(n, parse.NodeDot)
				if !ok {
					return nil, errors.New("web: escape probe " + src + ": not one escaped action")
				}
				chain = c
				seen++
			}
		}
		if seen != 1 {
			return nil, errors.New("web: escape probe " + src + ": not one action")
		}
		p.t = t
		m[chain] = p
	}
	return m, nil
})

// escaperChain names the escapers of an action whose pipeline is one
// operand of type operand piped only through html/template's escapers.
func escaperChain(a *parse.ActionNode, operand parse.NodeType) (string, bool) {
	pipe := a.Pipe
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) < 2 {
		return "", false
	}
	if args := pipe.Cmds[0].Args; len(args) != 1 || args[0].Type() != operand {
		return "", false
	}
	names := make([]string, 0, len(pipe.Cmds)-1)
	for _, c := range pipe.Cmds[1:] {
		if len(c.Args) != 1 {
			return "", false
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok || !strings.HasPrefix(id.Ident, "_html_template_") {
			return "", false
		}
		names = append(names, id.Ident)
	}
	return strings.Join(names, "|"), true
}

// foldEscapes escapes set (html/template does it on the first execution;
// one without data ends at the first field it reads, the templates it
// reaches escaped by then) and replaces each escaped constant with its
// escaped text, joining it with the texts around it.
func foldEscapes(set *template.Template) error {
	var escErr *template.Error
	if err := set.ExecuteTemplate(io.Discard, path.Base(layoutFile), nil); errors.As(err, &escErr) {
		return err
	}
	known, err := probes()
	if err != nil {
		return err
	}
	for _, t := range set.Templates() {
		if t.Tree != nil {
			foldEscapedList(t.Tree.Root, known)
		}
	}
	return nil
}

func foldEscapedList(l *parse.ListNode, known map[string]probe) {
	if l == nil {
		return
	}
	out := l.Nodes[:0]
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if text, ok := escapedConstant(n, known); ok {
				n := &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(text)}
				if last := len(out) - 1; last >= 0 {
					if prev, ok := out[last].(*parse.TextNode); ok {
						prev.Text = append(prev.Text[:len(prev.Text):len(prev.Text)], n.Text...)
						continue
					}
				}
				out = append(out, n)
				continue
			}
		case *parse.TextNode:
			if last := len(out) - 1; last >= 0 {
				if prev, ok := out[last].(*parse.TextNode); ok {
					prev.Text = append(prev.Text[:len(prev.Text):len(prev.Text)], n.Text...)
					continue
				}
			}
		case *parse.IfNode:
			foldEscapedList(n.List, known)
			foldEscapedList(n.ElseList, known)
		case *parse.RangeNode:
			foldEscapedList(n.List, known)
			foldEscapedList(n.ElseList, known)
		case *parse.WithNode:
			foldEscapedList(n.List, known)
			foldEscapedList(n.ElseList, known)
		}
		out = append(out, n)
	}
	l.Nodes = out
}

// escapedConstant is the text an escaped constant action writes.
func escapedConstant(a *parse.ActionNode, known map[string]probe) (string, bool) {
	chain, ok := escaperChain(a, parse.NodeString)
	if !ok {
		return "", false
	}
	p, ok := known[chain]
	if !ok {
		return "", false
	}
	return p.escape(a.Pipe.Cmds[0].Args[0].(*parse.StringNode).Text)
}
