package setup

import (
	"bytes"
	"strings"
)

// NpmrcEntry is one key=value line of an .npmrc file.
type NpmrcEntry struct {
	Key   string
	Value string
}

func (e NpmrcEntry) String() string { return e.Key + "=" + e.Value }

// MergeNpmrc returns the .npmrc content existing with entries set: a line
// with the same key is replaced in place (later duplicates of it are
// dropped), other lines and comments are kept as they are, and keys not
// present yet are appended.
func MergeNpmrc(existing []byte, entries []NpmrcEntry) []byte {
	pending := make(map[string]NpmrcEntry, len(entries))
	for _, e := range entries {
		pending[e.Key] = e
	}
	done := map[string]bool{}
	var out bytes.Buffer
	text := string(existing)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	for line := range strings.Lines(text) {
		key := npmrcKey(line)
		if e, ok := pending[key]; ok {
			if !done[key] {
				out.WriteString(e.String() + "\n")
				done[key] = true
			}
			continue
		}
		out.WriteString(line)
	}
	for _, e := range entries {
		if !done[e.Key] {
			out.WriteString(e.String() + "\n")
			done[e.Key] = true
		}
	}
	return out.Bytes()
}

// npmrcKey returns the key of an .npmrc line ("" for comments and blanks).
func npmrcKey(line string) string {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' || line[0] == ';' {
		return ""
	}
	key, _, _ := strings.Cut(line, "=")
	return strings.TrimSpace(key)
}
