// Package advisory reads security advisories in the OSV format and
// matches package versions against them with each ecosystem's own
// version order (OSV's reference implementation of those orders,
// github.com/google/osv-scalibr/semantic).
package advisory

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// OSV is the subset of an OSV record (https://ossf.github.io/osv-schema/)
// drok uses. Unknown fields are kept in the stored raw document.
type OSV struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         time.Time       `json:"modified"`
	Published        time.Time       `json:"published,omitzero"`
	Withdrawn        time.Time       `json:"withdrawn,omitzero"`
	Aliases          []string        `json:"aliases,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a scored severity (CVSS vector).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Reference is a link of an advisory.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Affected names one package and the versions of it an advisory affects.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
}

// Package identifies a package in an OSV ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a list of version events of one type (SEMVER, ECOSYSTEM, GIT).
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Parse decodes and validates one OSV document.
func Parse(raw []byte) (OSV, error) {
	var a OSV
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("not an OSV record: %w", err)
	}
	if a.ID == "" || strings.ContainsAny(a.ID, "/\\\x00 ") || len(a.ID) > 200 {
		return a, fmt.Errorf("OSV record has no valid id (%q)", a.ID)
	}
	for i, af := range a.Affected {
		if af.Package.Name == "" || af.Package.Ecosystem == "" {
			if af.Package.PURL == "" {
				return a, fmt.Errorf("%s: affected[%d] names no package", a.ID, i)
			}
		}
		for j, r := range af.Ranges {
			for k, e := range r.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					return a, fmt.Errorf("%s: affected[%d].ranges[%d].events[%d] must set exactly one of introduced, fixed, last_affected, limit", a.ID, i, j, k)
				}
			}
		}
	}
	return a, nil
}

// ParseMany decodes one OSV document or a JSON array of them.
func ParseMany(raw []byte) ([]OSV, [][]byte, error) {
	trimmed := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(trimmed, "[") {
		a, err := Parse(raw)
		if err != nil {
			return nil, nil, err
		}
		return []OSV{a}, [][]byte{raw}, nil
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(raw, &docs); err != nil {
		return nil, nil, fmt.Errorf("not a JSON array of OSV records: %w", err)
	}
	out := make([]OSV, 0, len(docs))
	raws := make([][]byte, 0, len(docs))
	for i, d := range docs {
		a, err := Parse(d)
		if err != nil {
			return nil, nil, fmt.Errorf("record %d: %w", i, err)
		}
		out = append(out, a)
		raws = append(raws, d)
	}
	return out, raws, nil
}
