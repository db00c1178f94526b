package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// AbbreviatedType is the media type of the abbreviated ("corgi") packument.
const AbbreviatedType = "application/vnd.npm.install-v1+json"

// abbreviatedFields are the version fields kept in the abbreviated packument.
var abbreviatedFields = []string{
	"name", "version", "dependencies", "optionalDependencies", "devDependencies",
	"bundleDependencies", "peerDependencies", "peerDependenciesMeta", "bin",
	"directories", "dist", "engines", "os", "cpu", "deprecated", "_hasShrinkwrap",
	"hasInstallScript", "funding", "license",
}

// topLevelFields are copied from the latest manifest to the full packument.
var topLevelFields = []string{
	"description", "homepage", "keywords", "repository", "author", "bugs",
	"license", "contributors", "readme", "readmeFilename",
}

// Packument renders one package's npm documents. It is built from the
// package record and all its versions (tombstones included) and holds no
// reference to the store.
type Packument struct {
	pkg        store.Package
	versions   []store.Version
	visibility string
	registry   string
	live       []store.Version // semver ascending
	metas      map[string]map[string]json.RawMessage
	// blocked maps versions the org's vulnerability policy blocks to the
	// advisory message rendered as (part of) their deprecation.
	blocked map[string]string
}

// NewPackument prepares rendering. registry is the absolute registry root
// URL of the package's org without trailing slash
// (BASE/api/v1/packages/npm/ORG); visibility is the linked repository's
// visibility ("org" for unlinked packages).
func NewPackument(pkg store.Package, versions []store.Version, visibility, registry string) *Packument {
	p := newVersionIndex(pkg, versions, visibility, registry)
	for _, v := range p.live {
		m := map[string]json.RawMessage{}
		if len(v.Meta) > 0 {
			_ = json.Unmarshal(v.Meta, &m)
		}
		p.metas[v.Version] = m
	}
	return p
}

// newVersionIndex is a Packument without decoded manifests: enough for
// dist-tags, Latest, Find and maintainers, not for rendering documents.
func newVersionIndex(pkg store.Package, versions []store.Version, visibility, registry string) *Packument {
	p := &Packument{pkg: pkg, versions: versions, visibility: visibility, registry: registry,
		metas: map[string]map[string]json.RawMessage{}}
	for _, v := range versions {
		if !v.IsDeleted() {
			p.live = append(p.live, v)
		}
	}
	slices.SortStableFunc(p.live, func(a, b store.Version) int { return CompareVersions(a.Version, b.Version) })
	return p
}

// Empty reports whether no live version is left.
func (p *Packument) Empty() bool { return len(p.live) == 0 }

// Rev is the document revision npm echoes in -rev URLs.
func (p *Packument) Rev() string { return strconv.FormatInt(p.pkg.Rev, 10) }

// Find returns the live version v.
func (p *Packument) Find(v string) (store.Version, bool) {
	for _, lv := range p.live {
		if lv.Version == v {
			return lv, true
		}
	}
	return store.Version{}, false
}

// Deprecation returns the deprecation message rendered for v: the stored
// npm deprecation, else the yank reason (or "yanked") of a yanked version.
func Deprecation(v store.Version, meta map[string]json.RawMessage) string {
	var msg string
	if raw, ok := meta["deprecated"]; ok {
		_ = json.Unmarshal(raw, &msg)
	}
	if msg == "" && v.Yanked {
		msg = v.YankReason
		if msg == "" {
			msg = "yanked"
		}
	}
	return msg
}

// MarkBlocked marks the live versions that the org settings s block
// (ecosystems.Blocking) as deprecated with the advisory message, after
// any deprecation they already have, so npm's resolver prefers another
// version satisfying the range. dist-tags are left alone: a "latest"
// pointing at a blocked version is skipped by npm's range resolution
// because it is deprecated, while an explicit tag or exact version still
// names it (and its download is refused).
func (p *Packument) MarkBlocked(s store.OrgSettings) {
	for _, v := range p.live {
		if b := ecosystems.Blocking(s, v); len(b) > 0 {
			if p.blocked == nil {
				p.blocked = map[string]string{}
			}
			p.blocked[v.Version] = (&ecosystems.BlockedError{Name: p.pkg.Name, Version: v.Version, Advisories: b}).Error()
		}
	}
}

// deprecation of a live version of p as rendered: the stored deprecation
// (see Deprecation) with the blocking advisory message appended.
func (p *Packument) deprecation(v store.Version) string {
	msg := Deprecation(v, p.metas[v.Version])
	if b, ok := p.blocked[v.Version]; ok {
		if msg == "" {
			return b
		}
		return msg + "; " + b
	}
	return msg
}

// storedDeprecation is the deprecation of v without the blocking mark.
func (p *Packument) storedDeprecation(v store.Version) string {
	return Deprecation(v, p.metas[v.Version])
}

// DistTags returns the dist-tags as rendered: tags pointing at live
// versions, with "latest" never pointing at a yanked version (it falls
// back to the highest live, non-yanked, non-prerelease version, or is
// omitted).
func (p *Packument) DistTags() map[string]string {
	tags := map[string]string{}
	for t, v := range p.pkg.Tags {
		if _, ok := p.Find(v); ok {
			tags[t] = v
		}
	}
	latest, ok := tags["latest"]
	lv, _ := p.Find(latest)
	if !ok || lv.Yanked {
		delete(tags, "latest")
		if fb := p.fallbackLatest(!ok); fb != "" {
			tags["latest"] = fb
		}
	}
	return tags
}

// fallbackLatest is the highest live, non-yanked, non-prerelease version;
// with anyPre, a prerelease when nothing else qualifies.
func (p *Packument) fallbackLatest(anyPre bool) string {
	pre := ""
	for i := len(p.live) - 1; i >= 0; i-- {
		v := p.live[i]
		if v.Yanked {
			continue
		}
		if !IsPrerelease(v.Version) {
			return v.Version
		}
		if pre == "" {
			pre = v.Version
		}
	}
	if anyPre {
		return pre
	}
	return ""
}

// Latest returns the rendered "latest" version, "" when none.
func (p *Packument) Latest() string { return p.DistTags()["latest"] }

// latestMeta is the manifest the package-level fields come from.
func (p *Packument) latestMeta() map[string]json.RawMessage {
	if l := p.Latest(); l != "" {
		return p.metas[l]
	}
	if len(p.live) > 0 {
		return p.metas[p.live[len(p.live)-1].Version]
	}
	return nil
}

// TarballURL returns the absolute download URL of a version's tarball.
func (p *Packument) TarballURL(version string) string {
	return p.registry + "/" + p.pkg.Name + "/-/" + TarballName(p.pkg.Name, version)
}

// versionFields returns v's manifest as rendered (tarball URL,
// deprecation; readme removed). abbreviated keeps only install fields.
func (p *Packument) versionFields(v store.Version, abbreviated bool) map[string]json.RawMessage {
	src := p.metas[v.Version]
	out := make(map[string]json.RawMessage, len(src)+2)
	if abbreviated {
		for _, k := range abbreviatedFields {
			if raw, ok := src[k]; ok {
				out[k] = raw
			}
		}
	} else {
		for k, raw := range src {
			if k != "readme" && k != "readmeFilename" {
				out[k] = raw
			}
		}
	}
	dist := map[string]json.RawMessage{}
	if raw, ok := src["dist"]; ok {
		_ = json.Unmarshal(raw, &dist)
	}
	dist["tarball"] = mustJSON(p.TarballURL(v.Version))
	out["dist"] = mustJSON(dist)
	out["name"] = mustJSON(p.pkg.Name)
	out["version"] = mustJSON(v.Version)
	if msg := p.deprecation(v); msg != "" {
		out["deprecated"] = mustJSON(msg)
	} else {
		delete(out, "deprecated")
	}
	return out
}

// VersionDoc renders GET {name}/{version}.
func (p *Packument) VersionDoc(version string) ([]byte, bool) {
	v, ok := p.Find(version)
	if !ok {
		return nil, false
	}
	return mustJSON(p.versionFields(v, false)), true
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("npm: encode %T: %v", v, err))
	}
	return b
}

// npmTime formats a time the way npm documents carry it.
func npmTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// orderedObject writes a JSON object with keys in insertion order.
type orderedObject struct {
	buf bytes.Buffer
	n   int
}

func (o *orderedObject) add(key string, v any) {
	raw, ok := v.(json.RawMessage)
	if !ok {
		raw = mustJSON(v)
	}
	if o.n == 0 {
		o.buf.WriteByte('{')
	} else {
		o.buf.WriteByte(',')
	}
	o.n++
	o.buf.Write(mustJSON(key))
	o.buf.WriteByte(':')
	o.buf.Write(raw)
}

func (o *orderedObject) bytes() []byte {
	if o.n == 0 {
		return []byte("{}")
	}
	o.buf.WriteByte('}')
	return o.buf.Bytes()
}

// versionsObject renders the "versions" object in semver order.
func (p *Packument) versionsObject(abbreviated bool) json.RawMessage {
	var o orderedObject
	for _, v := range p.live {
		o.add(v.Version, mustJSON(p.versionFields(v, abbreviated)))
	}
	return o.bytes()
}

// Full renders the full packument, including the drok package details
// under "drok".
func (p *Packument) Full() []byte {
	var o orderedObject
	o.add("_id", p.pkg.Name)
	o.add("_rev", p.Rev())
	o.add("name", p.pkg.Name)
	latest := p.latestMeta()
	if d, ok := latest["description"]; ok {
		o.add("description", d)
	}
	o.add("dist-tags", p.DistTags())
	o.add("versions", p.versionsObject(false))
	var t orderedObject
	t.add("created", npmTime(p.pkg.Created))
	t.add("modified", npmTime(p.pkg.Updated))
	for _, v := range p.live {
		t.add(v.Version, npmTime(v.Published))
	}
	o.add("time", json.RawMessage(t.bytes()))
	o.add("maintainers", p.maintainers())
	for _, k := range topLevelFields {
		if k == "description" {
			continue
		}
		if raw, ok := latest[k]; ok {
			o.add(k, raw)
		}
	}
	if _, ok := latest["readme"]; !ok {
		o.add("readme", "")
	}
	o.add("drok", p.Details())
	return o.bytes()
}

// Abbreviated renders the install-only ("corgi") packument.
func (p *Packument) Abbreviated() []byte {
	var o orderedObject
	o.add("name", p.pkg.Name)
	o.add("modified", npmTime(p.pkg.Updated))
	o.add("dist-tags", p.DistTags())
	o.add("versions", p.versionsObject(true))
	return o.bytes()
}

type person struct {
	Name string `json:"name"`
}

// maintainers lists the distinct publishers of live versions.
func (p *Packument) maintainers() []person {
	out := []person{}
	seen := map[string]bool{}
	for _, v := range p.versions {
		if v.IsDeleted() || v.Publisher == "" || seen[v.Publisher] {
			continue
		}
		seen[v.Publisher] = true
		out = append(out, person{Name: v.Publisher})
	}
	return out
}

// Details returns the drok REST view of the package (the shape of
// client.Package), versions and tombstones included.
func (p *Packument) Details() client.Package {
	return ecosystems.Details(p.pkg, p.versions, p.visibility, p.Latest())
}
