package setup

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// TOMLEntry is one key = "string value" line of a TOML table.
type TOMLEntry struct {
	Key   string
	Value string
}

func (e TOMLEntry) String() string { return e.Key + " = " + tomlString(e.Value) }

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// MergeTOMLTable returns existing (a TOML document) with the keys of
// entries set in table (a dotted name such as registries.drok): lines for
// those keys inside the table's section are replaced in place (later
// duplicates dropped), everything else — other tables, other keys of the
// same table, comments — is kept; a missing section is appended. The
// result must parse and carry the values, otherwise (for example when
// the table is also defined inline elsewhere) an error explains what to
// fix by hand; the existing document must parse too, so that a broken
// file is never rewritten.
func MergeTOMLTable(existing []byte, table string, entries []TOMLEntry) ([]byte, error) {
	var doc map[string]any
	if err := toml.Unmarshal(existing, &doc); err != nil {
		return nil, fmt.Errorf("the existing file is not valid TOML (fix or remove it first): %w", err)
	}
	want := splitDotted(table)
	pending := map[string]TOMLEntry{}
	for _, e := range entries {
		pending[e.Key] = e
	}
	done := map[string]bool{}
	var out bytes.Buffer
	text := string(existing)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	inTable, found := false, false
	flush := func() {
		for _, e := range entries {
			if !done[e.Key] {
				out.WriteString(e.String() + "\n")
				done[e.Key] = true
			}
		}
	}
	var blanks strings.Builder // blank lines held back at the end of the table
	for line := range strings.Lines(text) {
		if h, ok := tomlHeader(line); ok {
			if inTable {
				flush()
			}
			out.WriteString(blanks.String())
			blanks.Reset()
			inTable = equalPath(h, want)
			found = found || inTable
			out.WriteString(line)
			continue
		}
		if inTable && strings.TrimSpace(line) == "" {
			blanks.WriteString(line)
			continue
		}
		out.WriteString(blanks.String())
		blanks.Reset()
		if inTable {
			if k := tomlKey(line); k != "" {
				if e, ok := pending[k]; ok {
					if !done[k] {
						out.WriteString(e.String() + "\n")
						done[k] = true
					}
					continue
				}
			}
		}
		out.WriteString(line)
	}
	if inTable {
		flush()
	}
	out.WriteString(blanks.String())
	if !found {
		if out.Len() > 0 {
			out.WriteString("\n")
		}
		out.WriteString("[" + table + "]\n")
		flush()
	}
	var check map[string]any
	if err := toml.Unmarshal(out.Bytes(), &check); err != nil {
		return nil, fmt.Errorf("cannot merge [%s] into the existing file (is it also defined inline?): %w", table, err)
	}
	t := any(check)
	for _, seg := range want {
		m, _ := t.(map[string]any)
		t = m[seg]
	}
	m, _ := t.(map[string]any)
	for _, e := range entries {
		if m[e.Key] != e.Value {
			return nil, fmt.Errorf("cannot merge [%s] into the existing file: %s is set elsewhere", table, e.Key)
		}
	}
	return out.Bytes(), nil
}

// tomlHeader returns the dotted path of a [table] header line; an
// [[array-of-tables]] header is reported as a header with a path no
// table name can equal.
func tomlHeader(line string) ([]string, bool) {
	s := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(s, "[["):
		return []string{"[["}, true
	case !strings.HasPrefix(s, "["):
		return nil, false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return nil, false
	}
	return splitDotted(s[1:end]), true
}

// splitDotted splits a dotted TOML key, unquoting simple quoted parts.
func splitDotted(s string) []string {
	var parts []string
	for p := range strings.SplitSeq(s, ".") {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' || p[0] == '\'') && p[len(p)-1] == p[0] {
			p = p[1 : len(p)-1]
		}
		parts = append(parts, p)
	}
	return parts
}

func equalPath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// tomlKey returns the (simple, possibly quoted) key of a key = value
// line, "" for other lines.
func tomlKey(line string) string {
	s := strings.TrimSpace(line)
	if s == "" || s[0] == '#' {
		return ""
	}
	k, _, ok := strings.Cut(s, "=")
	if !ok {
		return ""
	}
	k = strings.TrimSpace(k)
	if len(k) >= 2 && (k[0] == '"' || k[0] == '\'') && k[len(k)-1] == k[0] {
		k = k[1 : len(k)-1]
	}
	return k
}
