package ecosystems

import (
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/drok-dev/drok/internal/store"
)

// ContentLister is implemented by ecosystems whose versions bundle
// packages of other ecosystems: an OCI image that carries an SBOM lists
// the packages inside it. Advisory matching then flags such a version
// with the advisories of every package it lists, so blocking an image
// works like blocking any version.
type ContentLister interface {
	// Contents returns the package URLs (purls, "pkg:npm/left-pad@1.0.0")
	// version v is known to contain; nil when none.
	Contents(v store.Version) []string
}

// Purl is the part of a package URL advisory matching needs, in drok's
// ecosystem names.
type Purl struct {
	// Ecosystem is drok's ecosystem (npm, pypi, cargo, maven, nuget).
	Ecosystem string
	// Name is the package name as the ecosystem spells it: "@scope/name"
	// for npm, "group:artifact" for Maven.
	Name    string
	Version string
}

// purlTypes maps purl types to drok ecosystems.
var purlTypes = map[string]string{"npm": NPM, "pypi": PyPI, "cargo": Cargo, "maven": Maven, "nuget": NuGet}

// ParsePurl reads a package URL of a type drok matches advisories for
// (npm, pypi, cargo, maven, nuget) that names a version; ok is false for
// anything else.
func ParsePurl(s string) (Purl, bool) {
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return Purl{}, false
	}
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok {
		return Purl{}, false
	}
	eco, ok := purlTypes[strings.ToLower(typ)]
	if !ok {
		return Purl{}, false
	}
	i := strings.LastIndexByte(path, '@')
	if i <= 0 || i == len(path)-1 {
		return Purl{}, false
	}
	ver, err := url.PathUnescape(path[i+1:])
	if err != nil {
		return Purl{}, false
	}
	segs := strings.Split(strings.Trim(path[:i], "/"), "/")
	for j, seg := range segs {
		if segs[j], err = url.PathUnescape(seg); err != nil || segs[j] == "" {
			return Purl{}, false
		}
	}
	var name string
	switch {
	case len(segs) == 1:
		name = segs[0]
	case len(segs) == 2 && eco == NPM:
		name = segs[0] + "/" + segs[1]
		if !strings.HasPrefix(name, "@") {
			name = "@" + name
		}
	case len(segs) == 2 && eco == Maven:
		name = segs[0] + ":" + segs[1]
	default:
		return Purl{}, false
	}
	if eco == Maven && !strings.Contains(name, ":") {
		return Purl{}, false
	}
	return Purl{Ecosystem: eco, Name: name, Version: ver}, true
}

// MatchPackages returns the advisories (sorted by id, each once) that
// affect any of the package URLs in purls; purls of other types or
// without a version are ignored.
func (p *Pipeline) MatchPackages(purls []string) []store.AdvisoryRef {
	if p.advisories.Load() == nil || len(purls) == 0 {
		return nil
	}
	var out []store.AdvisoryRef
	for _, s := range purls {
		pu, ok := ParsePurl(s)
		if !ok {
			continue
		}
		for _, r := range p.match(pu.Ecosystem, p.normalizeName(pu.Ecosystem, pu.Name), pu.Version) {
			out = mergeRef(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// mergeRef adds r to refs unless an advisory with its id is there; the
// fixed versions of both are kept.
func mergeRef(refs []store.AdvisoryRef, r store.AdvisoryRef) []store.AdvisoryRef {
	i := slices.IndexFunc(refs, func(o store.AdvisoryRef) bool { return o.ID == r.ID })
	if i < 0 {
		return append(refs, r)
	}
	for _, f := range r.Fixed {
		if !slices.Contains(refs[i].Fixed, f) {
			refs[i].Fixed = append(refs[i].Fixed, f)
		}
	}
	return refs
}

// MatchVersion sets v.Advisories from the current advisory database
// (its own name and version, plus the packages it contains when its
// ecosystem is a ContentLister) and returns the ids v did not carry
// before. Ecosystems call it when they change what a version contains
// outside Publish (an SBOM attached to an image).
func (p *Pipeline) MatchVersion(v *store.Version) []string { return p.matchVersion(v) }
