package setup

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// NuGetSource is one package source of a NuGet.Config with its credentials.
type NuGetSource struct {
	// Name is the source key (also the credentials element name).
	Name string
	// URL is the v3 service index.
	URL string
	// Username and Password go to packageSourceCredentials (ClearTextPassword).
	Username, Password string
}

var nugetSourceNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,99}$`)

// validNuGetSourceName reports whether name can be both a source key and
// an XML element name (NuGet stores credentials under an element named
// like the source).
func validNuGetSourceName(name string) error {
	if !nugetSourceNameRE.MatchString(name) {
		return fmt.Errorf("invalid source name %q: use letters, digits, '.', '-' or '_', starting with a letter", name)
	}
	return nil
}

// xnode is a node of a minimal XML tree that keeps comments, whitespace
// and attribute order, so merging into a user's NuGet.Config changes only
// what drok owns.
type xnode struct {
	kind     int // nodeElem, nodeText, nodeComment, nodeProcInst, nodeDirective
	name     string
	attrs    []xml.Attr
	children []*xnode
	text     string
}

const (
	nodeElem = iota
	nodeText
	nodeComment
	nodeProcInst
	nodeDirective
)

func parseXMLTree(data []byte) (*xnode, error) {
	doc := &xnode{kind: nodeElem}
	stack := []*xnode{doc}
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{kind: nodeElem, name: qname(t.Name), attrs: t.Attr}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 1 {
				return nil, errors.New("unbalanced end element")
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.children = append(top.children, &xnode{kind: nodeText, text: string(t)})
		case xml.Comment:
			top.children = append(top.children, &xnode{kind: nodeComment, text: string(t)})
		case xml.ProcInst:
			top.children = append(top.children, &xnode{kind: nodeProcInst, name: t.Target, text: string(t.Inst)})
		case xml.Directive:
			top.children = append(top.children, &xnode{kind: nodeDirective, text: string(t)})
		}
	}
	if len(stack) != 1 {
		return nil, errors.New("unclosed element")
	}
	return doc, nil
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func (n *xnode) write(b *bytes.Buffer) {
	switch n.kind {
	case nodeText:
		b.WriteString(textEscaper.Replace(n.text))
	case nodeComment:
		b.WriteString("<!--" + n.text + "-->")
	case nodeProcInst:
		b.WriteString("<?" + n.name + " " + n.text + "?>")
	case nodeDirective:
		b.WriteString("<!" + n.text + ">")
	default:
		b.WriteString("<" + n.name)
		for _, a := range n.attrs {
			b.WriteString(" " + qname(a.Name) + `="`)
			_ = xml.EscapeText(b, []byte(a.Value))
			b.WriteString(`"`)
		}
		if len(n.children) == 0 {
			b.WriteString(" />")
			return
		}
		b.WriteString(">")
		for _, c := range n.children {
			c.write(b)
		}
		b.WriteString("</" + n.name + ">")
	}
}

func (n *xnode) attr(name string) string {
	for _, a := range n.attrs {
		if qname(a.Name) == name {
			return a.Value
		}
	}
	return ""
}

// child returns the first child element named name, creating it (indented
// at depth) when missing.
func (n *xnode) child(name string, depth int) *xnode {
	for _, c := range n.children {
		if c.kind == nodeElem && strings.EqualFold(c.name, name) {
			return c
		}
	}
	c := &xnode{kind: nodeElem, name: name}
	n.appendElem(c, depth)
	return c
}

// appendElem appends c as the last child element, indented at depth.
func (n *xnode) appendElem(c *xnode, depth int) {
	indent := "\n" + strings.Repeat("  ", depth)
	// Drop trailing whitespace (the closing tag's indentation) and re-add it.
	for len(n.children) > 0 {
		last := n.children[len(n.children)-1]
		if last.kind != nodeText || strings.TrimSpace(last.text) != "" {
			break
		}
		n.children = n.children[:len(n.children)-1]
	}
	n.children = append(n.children, &xnode{kind: nodeText, text: indent}, c,
		&xnode{kind: nodeText, text: "\n" + strings.Repeat("  ", max(depth-1, 0))})
}

// removeElems drops child elements for which drop is true, with the
// whitespace before them.
func (n *xnode) removeElems(drop func(*xnode) bool) {
	var out []*xnode
	for _, c := range n.children {
		if c.kind == nodeElem && drop(c) {
			if len(out) > 0 && out[len(out)-1].kind == nodeText && strings.TrimSpace(out[len(out)-1].text) == "" {
				out = out[:len(out)-1]
			}
			continue
		}
		out = append(out, c)
	}
	n.children = out
}

func elem(name string, attrs ...string) *xnode {
	n := &xnode{kind: nodeElem, name: name}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
	}
	return n
}

// MergeNuGetConfig returns the NuGet.Config content existing (may be
// empty) with src added to packageSources and its credentials to
// packageSourceCredentials. An entry of the same name is replaced; all
// other content is kept.
func MergeNuGetConfig(existing []byte, src NuGetSource) ([]byte, error) {
	if err := validNuGetSourceName(src.Name); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(existing)) == 0 {
		existing = []byte("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n</configuration>\n")
	}
	doc, err := parseXMLTree(existing)
	if err != nil {
		return nil, fmt.Errorf("parse NuGet.Config: %w", err)
	}
	var root *xnode
	for _, c := range doc.children {
		if c.kind == nodeElem {
			root = c
			break
		}
	}
	if root == nil || root.name != "configuration" {
		return nil, errors.New("parse NuGet.Config: the root element is not <configuration>")
	}
	sources := root.child("packageSources", 1)
	sources.removeElems(func(c *xnode) bool { return c.name == "add" && strings.EqualFold(c.attr("key"), src.Name) })
	sources.appendElem(elem("add", "key", src.Name, "value", src.URL, "protocolVersion", "3"), 2)

	creds := root.child("packageSourceCredentials", 1)
	creds.removeElems(func(c *xnode) bool { return strings.EqualFold(c.name, src.Name) })
	entry := elem(src.Name)
	entry.appendElem(elem("add", "key", "Username", "value", src.Username), 3)
	entry.appendElem(elem("add", "key", "ClearTextPassword", "value", src.Password), 3)
	creds.appendElem(entry, 2)

	var b bytes.Buffer
	for _, c := range doc.children {
		c.write(&b)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}
