package maven

import (
	"strings"
)

// Maven version ordering, as org.apache.maven.artifact.versioning.ComparableVersion
// of Maven 3.8 implements it: versions are split at '.', '-' and at
// letter/digit transitions into numbers, qualifiers and nested lists ('-'
// and a letter→digit switch open a sub-list); trailing zeros, empty
// qualifiers and the release aliases ("ga", "final") are dropped; known
// qualifiers order as alpha < beta < milestone < rc (= cr) < snapshot <
// "" (release) < sp, unknown qualifiers after them lexically, and numbers
// above every qualifier.

type itemKind int

const (
	numItem itemKind = iota
	strItem
	listItem
)

type item struct {
	kind itemKind
	// num holds the decimal digits without leading zeros ("" for zero).
	num string
	// str is the normalised qualifier.
	str  string
	list []*item
}

// qualifiers in increasing order; "" is the release.
var qualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

const releaseIndex = "5"

var qualifierAliases = map[string]string{"ga": "", "final": "", "cr": "rc"}

func comparableQualifier(q string) string {
	for i, k := range qualifiers {
		if k == q {
			return string(rune('0' + i))
		}
	}
	return "7-" + q
}

func (it *item) isNull() bool {
	switch it.kind {
	case numItem:
		return it.num == ""
	case strItem:
		return comparableQualifier(it.str) == releaseIndex
	}
	return len(it.list) == 0
}

func newNum(digits string) *item {
	return &item{kind: numItem, num: strings.TrimLeft(digits, "0")}
}

func newStr(s string, followedByDigit bool) *item {
	if followedByDigit && len(s) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	if a, ok := qualifierAliases[s]; ok {
		s = a
	}
	return &item{kind: strItem, str: s}
}

func parseItem(isDigit bool, s string) *item {
	if isDigit {
		return newNum(s)
	}
	return newStr(s, false)
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare orders it against other (nil = nothing, as when one list is
// shorter than the other).
func (it *item) compare(other *item) int {
	switch it.kind {
	case numItem:
		if other == nil {
			if it.num == "" {
				return 0
			}
			return 1
		}
		if other.kind != numItem {
			return 1 // 1.1 > 1-sp, 1.1 > 1-1
		}
		if len(it.num) != len(other.num) {
			if len(it.num) < len(other.num) {
				return -1
			}
			return 1
		}
		return cmpStrings(it.num, other.num)
	case strItem:
		if other == nil {
			return cmpStrings(comparableQualifier(it.str), releaseIndex)
		}
		if other.kind != strItem {
			return -1 // 1.any < 1.1, 1.any < 1-1
		}
		return cmpStrings(comparableQualifier(it.str), comparableQualifier(other.str))
	}
	if other == nil {
		if len(it.list) == 0 {
			return 0
		}
		return it.list[0].compare(nil)
	}
	switch other.kind {
	case numItem:
		return -1 // 1-1 < 1.0.x
	case strItem:
		return 1 // 1-1 > 1-sp
	}
	for i := 0; i < len(it.list) || i < len(other.list); i++ {
		var l, r *item
		if i < len(it.list) {
			l = it.list[i]
		}
		if i < len(other.list) {
			r = other.list[i]
		}
		var res int
		if l == nil {
			res = -r.compare(nil)
		} else {
			res = l.compare(r)
		}
		if res != 0 {
			return res
		}
	}
	return 0
}

func (it *item) normalize() {
	for i := len(it.list) - 1; i >= 0; i-- {
		last := it.list[i]
		if last.isNull() {
			it.list = append(it.list[:i], it.list[i+1:]...)
		} else if last.kind != listItem {
			break
		}
	}
}

func (it *item) String() string {
	switch it.kind {
	case numItem:
		if it.num == "" {
			return "0"
		}
		return it.num
	case strItem:
		return it.str
	}
	var b strings.Builder
	for i, c := range it.list {
		if i > 0 {
			if c.kind == listItem {
				b.WriteByte('-')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// ComparableVersion is a parsed Maven version.
type ComparableVersion struct {
	items *item
}

// ParseComparableVersion parses v the way Maven's ComparableVersion does;
// every string is a version.
func ParseComparableVersion(v string) ComparableVersion {
	v = toLowerASCII(v)
	root := &item{kind: listItem}
	list := root
	stack := []*item{root}
	push := func() {
		sub := &item{kind: listItem}
		list.list = append(list.list, sub)
		list = sub
		stack = append(stack, sub)
	}
	isDigit := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if i == start {
				list.list = append(list.list, newNum(""))
			} else {
				list.list = append(list.list, parseItem(isDigit, v[start:i]))
			}
			start = i + 1
		case c == '-':
			if i == start {
				list.list = append(list.list, newNum(""))
			} else {
				list.list = append(list.list, parseItem(isDigit, v[start:i]))
			}
			start = i + 1
			push()
		case c >= '0' && c <= '9':
			if !isDigit && i > start {
				// 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any qualifier X
				if len(list.list) > 0 {
					push()
				}
				list.list = append(list.list, newStr(v[start:i], true))
				start = i
				push()
			}
			isDigit = true
		default:
			if isDigit && i > start {
				list.list = append(list.list, parseItem(true, v[start:i]))
				start = i
				push()
			}
			isDigit = false
		}
	}
	if len(v) > start {
		if !isDigit && len(list.list) > 0 {
			push()
		}
		list.list = append(list.list, parseItem(isDigit, v[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return ComparableVersion{items: root}
}

// toLowerASCII lower-cases like Java's toLowerCase(Locale.ENGLISH) for
// the characters a valid version may contain.
func toLowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// Canonical is Maven's canonical form (equal versions share it).
func (c ComparableVersion) Canonical() string { return c.items.String() }

// Compare returns -1, 0 or 1 as c sorts before, with or after o.
func (c ComparableVersion) Compare(o ComparableVersion) int { return c.items.compare(o.items) }

// CompareVersions orders two Maven version strings by Maven's rules.
func CompareVersions(a, b string) int {
	return ParseComparableVersion(a).Compare(ParseComparableVersion(b))
}
