package nuget

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrFilter reports an OData $filter drok does not understand.
var ErrFilter = errors.New("unsupported $filter")

// v2Entry is one package version as OData filters see it.
type v2Entry struct {
	pv       *pkgView
	vv       *verView
	latest   bool // newest listed release
	absolute bool // newest listed version, pre-releases included
}

// oval is a filter value: a string or a boolean.
type oval struct {
	s      string
	b      bool
	isBool bool
}

type oexpr func(e *v2Entry) oval

// ParseFilter compiles the subset of OData $filter that NuGet clients
// send: and/or/not, parentheses, eq/ne, the string functions tolower,
// toupper, trim, substringof, startswith, endswith, and the properties
// Id, Version, NormalizedVersion, Title, Tags, Description, IsLatestVersion,
// IsAbsoluteLatestVersion, IsPrerelease and Listed.
func ParseFilter(s string) (func(*v2Entry) bool, error) {
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &fparser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected %q", ErrFilter, p.toks[p.i])
	}
	return func(en *v2Entry) bool { v := e(en); return v.isBool && v.b }, nil
}

func lexFilter(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			var b strings.Builder
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("%w: unterminated string", ErrFilter)
			}
			toks = append(toks, "'"+b.String())
			i = j + 1
		default:
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '.' || s[j] == '_' || s[j] == '-') {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("%w: unexpected character %q", ErrFilter, c)
			}
			toks = append(toks, s[i:j])
			i = j
		}
		if len(toks) > 200 {
			return nil, fmt.Errorf("%w: too long", ErrFilter)
		}
	}
	return toks, nil
}

type fparser struct {
	toks []string
	i    int
}

func (p *fparser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *fparser) expect(t string) error {
	if p.peek() != t {
		return fmt.Errorf("%w: expected %q", ErrFilter, t)
	}
	p.i++
	return nil
}

func (p *fparser) or() (oexpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "or") {
		p.i++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(e *v2Entry) oval { return boolv(a(e).b || b(e).b) }
	}
	return l, nil
}

func (p *fparser) and() (oexpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), "and") {
		p.i++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(e *v2Entry) oval { return boolv(a(e).b && b(e).b) }
	}
	return l, nil
}

func (p *fparser) unary() (oexpr, error) {
	if strings.EqualFold(p.peek(), "not") {
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(e *v2Entry) oval { return boolv(!x(e).b) }, nil
	}
	l, err := p.value()
	if err != nil {
		return nil, err
	}
	switch op := strings.ToLower(p.peek()); op {
	case "eq", "ne":
		p.i++
		r, err := p.value()
		if err != nil {
			return nil, err
		}
		return func(e *v2Entry) oval {
			a, b := l(e), r(e)
			eq := a.isBool == b.isBool && a.b == b.b && a.s == b.s
			return boolv(eq == (op == "eq"))
		}, nil
	}
	return l, nil
}

func boolv(b bool) oval { return oval{b: b, isBool: true} }

var filterProps = map[string]func(e *v2Entry) oval{
	"Id":                      func(e *v2Entry) oval { return oval{s: e.pv.display} },
	"Version":                 func(e *v2Entry) oval { return oval{s: e.vv.v.Full()} },
	"NormalizedVersion":       func(e *v2Entry) oval { return oval{s: e.vv.v.String()} },
	"Title":                   func(e *v2Entry) oval { return oval{s: e.vv.meta.Title} },
	"Tags":                    func(e *v2Entry) oval { return oval{s: e.vv.meta.Tags} },
	"Description":             func(e *v2Entry) oval { return oval{s: e.vv.meta.Description} },
	"IsLatestVersion":         func(e *v2Entry) oval { return boolv(e.latest) },
	"IsAbsoluteLatestVersion": func(e *v2Entry) oval { return boolv(e.absolute) },
	"IsPrerelease":            func(e *v2Entry) oval { return boolv(e.vv.v.IsPrerelease()) },
	"Listed":                  func(e *v2Entry) oval { return boolv(e.vv.listed) },
}

func (p *fparser) value() (oexpr, error) {
	t := p.peek()
	p.i++
	switch {
	case t == "":
		return nil, fmt.Errorf("%w: unexpected end", ErrFilter)
	case t == "(":
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		return x, p.expect(")")
	case strings.HasPrefix(t, "'"):
		s := t[1:]
		return func(*v2Entry) oval { return oval{s: s} }, nil
	case t == "true" || t == "false":
		b := t == "true"
		return func(*v2Entry) oval { return boolv(b) }, nil
	}
	if f, ok := filterProps[t]; ok {
		return f, nil
	}
	fn := strings.ToLower(t)
	arity := map[string]int{"tolower": 1, "toupper": 1, "trim": 1, "substringof": 2, "startswith": 2, "endswith": 2}[fn]
	if arity == 0 {
		return nil, fmt.Errorf("%w: unknown name %q", ErrFilter, t)
	}
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var args []oexpr
	for i := range arity {
		if i > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		a, err := p.or()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	switch fn {
	case "tolower":
		return func(e *v2Entry) oval { return oval{s: strings.ToLower(args[0](e).s)} }, nil
	case "toupper":
		return func(e *v2Entry) oval { return oval{s: strings.ToUpper(args[0](e).s)} }, nil
	case "trim":
		return func(e *v2Entry) oval { return oval{s: strings.TrimSpace(args[0](e).s)} }, nil
	case "substringof":
		return func(e *v2Entry) oval { return boolv(strings.Contains(args[1](e).s, args[0](e).s)) }, nil
	case "startswith":
		return func(e *v2Entry) oval { return boolv(strings.HasPrefix(args[0](e).s, args[1](e).s)) }, nil
	}
	return func(e *v2Entry) oval { return boolv(strings.HasSuffix(args[0](e).s, args[1](e).s)) }, nil
}
