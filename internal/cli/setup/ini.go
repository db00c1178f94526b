package setup

import (
	"bytes"
	"strings"
)

// IniEntry is one key = value of an INI section (pip.conf, .pypirc). A
// value with newlines is written as an indented multi-line value.
type IniEntry struct {
	Key   string
	Value string
}

func (e IniEntry) lines() string {
	if !strings.Contains(e.Value, "\n") {
		return e.Key + " = " + e.Value + "\n"
	}
	var b strings.Builder
	b.WriteString(e.Key + " =\n")
	for _, l := range strings.Split(e.Value, "\n") {
		if l != "" {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

// iniLine classifies one line: a section header (section set), a key
// line (key set), or a continuation / comment / blank line.
func iniLine(line string) (section, key string, continuation bool) {
	trimmed := strings.TrimSpace(line)
	switch {
	case trimmed == "", trimmed[0] == '#', trimmed[0] == ';':
		return "", "", false
	case line[0] == ' ' || line[0] == '\t':
		return "", "", true
	case trimmed[0] == '[' && strings.HasSuffix(trimmed, "]"):
		return strings.TrimSpace(trimmed[1 : len(trimmed)-1]), "", false
	}
	i := strings.IndexAny(trimmed, "=:")
	if i < 0 {
		return "", strings.ToLower(trimmed), false
	}
	return "", strings.ToLower(strings.TrimSpace(trimmed[:i])), false
}

// MergeIni returns existing with entries set in section: a key already
// there is replaced in place (with its continuation lines; later
// duplicates dropped), keys not there yet are added at the end of the
// section, and a missing section is appended. Everything else is kept.
func MergeIni(existing []byte, section string, entries []IniEntry) []byte {
	pending := map[string]IniEntry{}
	for _, e := range entries {
		pending[strings.ToLower(e.Key)] = e
	}
	done := map[string]bool{}
	text := string(existing)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	var out bytes.Buffer
	cur, found, skipping := "", false, false
	flush := func() {
		for _, e := range entries {
			if !done[strings.ToLower(e.Key)] {
				out.WriteString(e.lines())
				done[strings.ToLower(e.Key)] = true
			}
		}
	}
	var blanks []string // blank lines held back so added keys stay in their section
	for line := range strings.Lines(text) {
		sec, key, cont := iniLine(line)
		if strings.TrimSpace(line) == "" {
			blanks = append(blanks, line)
			continue
		}
		if sec != "" {
			if cur == section {
				flush()
			}
			cur = sec
			if sec == section {
				found = true
			}
		}
		for _, b := range blanks {
			out.WriteString(b)
		}
		blanks = nil
		if cont && skipping {
			continue
		}
		skipping = false
		if cur == section && key != "" {
			if e, ok := pending[key]; ok {
				skipping = true
				if !done[key] {
					out.WriteString(e.lines())
					done[key] = true
				}
				continue
			}
		}
		out.WriteString(line)
	}
	if cur == section {
		flush()
	}
	for _, b := range blanks {
		out.WriteString(b)
	}
	if !found {
		if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n\n")) {
			out.WriteString("\n")
		}
		out.WriteString("[" + section + "]\n")
		flush()
	}
	return out.Bytes()
}

// IniValue returns the value of key in section ("" when absent); a
// multi-line value keeps one line per continuation line.
func IniValue(data []byte, section, key string) (string, bool) {
	cur, in := "", false
	var vals []string
	found := false
	for line := range strings.Lines(string(data)) {
		sec, k, cont := iniLine(line)
		switch {
		case sec != "":
			cur, in = sec, false
		case cont && in:
			vals = append(vals, strings.TrimSpace(line))
		case k != "":
			in = cur == section && k == strings.ToLower(key) && !found
			if in {
				found = true
				trimmed := strings.TrimSpace(line)
				i := strings.IndexAny(trimmed, "=:")
				if v := strings.TrimSpace(trimmed[i+1:]); i >= 0 && v != "" {
					vals = append(vals, v)
				}
			}
		}
	}
	return strings.Join(vals, "\n"), found
}
