package advisory

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"

	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"

	"github.com/google/osv-scalibr/semantic"
)

// Severity levels, lowest first. Unknown sorts below Low.
const (
	SeverityUnknown  = "unknown"
	SeverityLow      = "low"
	SeverityModerate = "moderate"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// SeverityRank orders severities: unknown 0, low 1 … critical 4; -1 for
// anything else.
func SeverityRank(s string) int {
	switch strings.ToLower(s) {
	case SeverityUnknown, "":
		return 0
	case SeverityLow:
		return 1
	case SeverityModerate, "medium":
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return -1
}

// OSVEcosystem maps a drok ecosystem to OSV's ecosystem name ("" when
// OSV has none).
func OSVEcosystem(eco string) string {
	switch eco {
	case "npm":
		return "npm"
	case "pypi":
		return "PyPI"
	case "cargo":
		return "crates.io"
	case "maven":
		return "Maven"
	case "nuget":
		return "NuGet"
	}
	return ""
}

// DrokEcosystem maps an OSV ecosystem name (ignoring a ":suffix" such as
// "Debian:12") to drok's, "" when drok has no such ecosystem.
func DrokEcosystem(osvEco string) string {
	base, _, _ := strings.Cut(osvEco, ":")
	for _, e := range []string{"npm", "pypi", "cargo", "maven", "nuget"} {
		if OSVEcosystem(e) == base {
			return e
		}
	}
	return ""
}

// Match is one advisory matched against one version.
type Match struct {
	ID       string
	Aliases  []string
	Summary  string
	Severity string
	Fixed    []string
}

// Affects reports whether version of package (osvEco, name) is affected
// by a, and the fixed versions the matching ranges name. Names are
// compared by the caller's normalisation (normalize may be nil).
func (a *OSV) Affects(osvEco, name, version string, normalize func(string) string) (bool, []string) {
	if !a.Withdrawn.IsZero() {
		return false, nil
	}
	if normalize == nil {
		normalize = func(s string) string { return s }
	}
	want := normalize(name)
	hit := false
	var fixed []string
	for _, af := range a.Affected {
		base, _, _ := strings.Cut(af.Package.Ecosystem, ":")
		if base != osvEco || normalize(af.Package.Name) != want {
			continue
		}
		if slices.Contains(af.Versions, version) {
			hit = true
		}
		for _, r := range af.Ranges {
			if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
				continue
			}
			if inRange(osvEco, version, r.Events) {
				hit = true
				for _, e := range r.Events {
					if e.Fixed != "" && !slices.Contains(fixed, e.Fixed) {
						fixed = append(fixed, e.Fixed)
					}
				}
			}
		}
	}
	return hit, fixed
}

// inRange evaluates OSV range events for version (the algorithm of the
// OSV schema: sort the events, walk them, introduced opens, fixed and
// last_affected close; limit bounds the whole range). A version the
// ecosystem's order cannot parse is not affected.
func inRange(osvEco, version string, events []Event) bool {
	v, err := semantic.Parse(version, osvEco)
	if err != nil {
		return false
	}
	cmp := func(other string) (int, bool) {
		if other == "0" {
			return 1, true // every version is >= the "0" introduced event
		}
		c, err := v.CompareStr(other)
		if err != nil {
			return 0, false
		}
		return c, true
	}
	type ev struct {
		e   Event
		ver string
	}
	evs := make([]ev, 0, len(events))
	var limits []string
	for _, e := range events {
		switch {
		case e.Limit != "":
			limits = append(limits, e.Limit)
		case e.Introduced != "":
			evs = append(evs, ev{e, e.Introduced})
		case e.Fixed != "":
			evs = append(evs, ev{e, e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, ev{e, e.LastAffected})
		}
	}
	if len(limits) > 0 && !slices.ContainsFunc(limits, func(l string) bool {
		if l == "*" {
			return true
		}
		c, ok := cmp(l)
		return ok && c < 0
	}) {
		return false
	}
	sort.SliceStable(evs, func(i, j int) bool { return lessVersion(osvEco, evs[i].ver, evs[j].ver) })
	affected := false
	for _, e := range evs {
		c, ok := cmp(e.ver)
		if !ok {
			continue
		}
		switch {
		case e.e.Introduced != "":
			if c >= 0 {
				affected = true
			}
		case e.e.Fixed != "":
			if c >= 0 {
				affected = false
			}
		case e.e.LastAffected != "":
			if c > 0 {
				affected = false
			}
		}
	}
	return affected
}

func lessVersion(osvEco, a, b string) bool {
	if a == b {
		return false
	}
	if a == "0" {
		return true
	}
	if b == "0" {
		return false
	}
	va, err := semantic.Parse(a, osvEco)
	if err != nil {
		return false
	}
	c, err := va.CompareStr(b)
	return err == nil && c < 0
}

// SeverityOf returns the qualitative severity of a for the affected
// entry of package (osvEco, name): a database-specific rating (the GitHub
// Advisory Database's LOW/MODERATE/HIGH/CRITICAL) when present, else the
// rating of the highest CVSS score given, else unknown.
func (a *OSV) SeverityOf(osvEco, name string, normalize func(string) string) string {
	if normalize == nil {
		normalize = func(s string) string { return s }
	}
	for _, af := range a.Affected {
		base, _, _ := strings.Cut(af.Package.Ecosystem, ":")
		if base != osvEco || normalize(af.Package.Name) != normalize(name) {
			continue
		}
		for _, raw := range []json.RawMessage{af.DatabaseSpecific, af.EcosystemSpecific} {
			if s := ratingField(raw); s != "" {
				return s
			}
		}
		if s := cvssRating(af.Severity); s != "" {
			return s
		}
	}
	if s := ratingField(a.DatabaseSpecific); s != "" {
		return s
	}
	if s := cvssRating(a.Severity); s != "" {
		return s
	}
	return SeverityUnknown
}

func ratingField(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var f struct {
		Severity json.RawMessage `json:"severity"`
	}
	if json.Unmarshal(raw, &f) != nil || len(f.Severity) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(f.Severity, &s) != nil {
		return ""
	}
	s = strings.ToLower(s)
	if s == "medium" {
		s = SeverityModerate
	}
	if SeverityRank(s) > 0 {
		return s
	}
	return ""
}

func cvssRating(sevs []Severity) string {
	best := -1.0
	for _, s := range sevs {
		var score float64
		switch {
		case strings.HasPrefix(s.Score, "CVSS:3.1/"):
			v, err := cvss31.ParseVector(s.Score)
			if err != nil {
				continue
			}
			score = v.BaseScore()
		case strings.HasPrefix(s.Score, "CVSS:3.0/"):
			v, err := cvss30.ParseVector(s.Score)
			if err != nil {
				continue
			}
			score = v.BaseScore()
		case strings.HasPrefix(s.Score, "CVSS:4.0/"):
			v, err := cvss40.ParseVector(s.Score)
			if err != nil {
				continue
			}
			score = v.Score()
		default:
			continue
		}
		best = max(best, score)
	}
	switch {
	case best < 0:
		return ""
	case best >= 9:
		return SeverityCritical
	case best >= 7:
		return SeverityHigh
	case best >= 4:
		return SeverityModerate
	case best > 0:
		return SeverityLow
	}
	return SeverityUnknown
}

// DB is an immutable set of advisories indexed by package. Build a new
// one to change it.
type DB struct {
	byID  map[string]*OSV
	byPkg map[string][]*OSV // drokEco \x00 normalised name
	norm  func(eco, name string) string
}

// NewDB indexes advisories; normalize maps (drok ecosystem, name) to the
// canonical package name drok stores (nil: names as given).
func NewDB(all []OSV, normalize func(eco, name string) string) *DB {
	if normalize == nil {
		normalize = func(_, n string) string { return n }
	}
	db := &DB{byID: map[string]*OSV{}, byPkg: map[string][]*OSV{}, norm: normalize}
	for i := range all {
		a := &all[i]
		db.byID[a.ID] = a
		for _, k := range db.keys(a) {
			if !slices.Contains(db.byPkg[k], a) {
				db.byPkg[k] = append(db.byPkg[k], a)
			}
		}
	}
	return db
}

// Keys returns the "eco\x00name" package keys a names, in drok's
// ecosystems and canonical names.
func (db *DB) keys(a *OSV) []string {
	var out []string
	for _, af := range a.Affected {
		eco := DrokEcosystem(af.Package.Ecosystem)
		if eco == "" {
			continue
		}
		out = append(out, eco+"\x00"+db.norm(eco, af.Package.Name))
	}
	return out
}

// Packages returns the drok (ecosystem, canonical name) pairs a affects.
func (db *DB) Packages(a *OSV) [][2]string {
	var out [][2]string
	for _, k := range db.keys(a) {
		eco, name, _ := strings.Cut(k, "\x00")
		p := [2]string{eco, name}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Len is the number of advisories.
func (db *DB) Len() int {
	if db == nil {
		return 0
	}
	return len(db.byID)
}

// Get returns the advisory with id.
func (db *DB) Get(id string) (*OSV, bool) {
	if db == nil {
		return nil, false
	}
	a, ok := db.byID[id]
	return a, ok
}

// All returns every advisory, sorted by id.
func (db *DB) All() []*OSV {
	if db == nil {
		return nil
	}
	out := make([]*OSV, 0, len(db.byID))
	for _, a := range db.byID {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ForPackage returns the advisories naming drok package (eco, name).
func (db *DB) ForPackage(eco, name string) []*OSV {
	if db == nil {
		return nil
	}
	return db.byPkg[eco+"\x00"+name]
}

// Match returns the advisories affecting version of drok package
// (eco, canonical name), sorted by id.
func (db *DB) Match(eco, name, version string) []Match {
	osvEco := OSVEcosystem(eco)
	if db == nil || osvEco == "" {
		return nil
	}
	norm := func(n string) string { return db.norm(eco, n) }
	var out []Match
	for _, a := range db.ForPackage(eco, name) {
		hit, fixed := a.Affects(osvEco, name, version, norm)
		if !hit {
			continue
		}
		out = append(out, Match{ID: a.ID, Aliases: a.Aliases, Summary: a.Summary,
			Severity: a.SeverityOf(osvEco, name, norm), Fixed: fixed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
