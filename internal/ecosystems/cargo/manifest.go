package cargo

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Manifest is what the registry reads from the Cargo.toml inside a .crate
// (the normalised manifest `cargo package` writes).
type Manifest struct {
	Name        string
	Version     string
	Links       string
	RustVersion string
	Description string
	Deps        []ManifestDep
	// Features is the [features] table (nil when absent).
	Features map[string][]string
}

// ManifestDep is one dependency of a Manifest. Key is the name used in
// Cargo.toml; Package the real crate name when renamed.
type ManifestDep struct {
	Key             string
	Package         string
	Req             string
	Kind            string // normal, dev, build
	Target          string
	Optional        bool
	DefaultFeatures bool
	Features        []string
	Registry        string
	RegistryIndex   string
}

// Crate returns the real crate name of the dependency.
func (d ManifestDep) Crate() string {
	if d.Package != "" {
		return d.Package
	}
	return d.Key
}

// ParseManifest parses a Cargo.toml.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return m, fmt.Errorf("%w: Cargo.toml: %v", ErrCrate, err)
	}
	pkg, ok := doc["package"].(map[string]any)
	if !ok {
		if pkg, ok = doc["project"].(map[string]any); !ok {
			return m, fmt.Errorf("%w: Cargo.toml has no [package] table", ErrCrate)
		}
	}
	var err error
	str := func(t map[string]any, key string) string {
		v, present := t[key]
		if !present || err != nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			err = fmt.Errorf("%w: Cargo.toml: %s is not a string", ErrCrate, key)
		}
		return s
	}
	m.Name = str(pkg, "name")
	m.Version = str(pkg, "version")
	m.Links = str(pkg, "links")
	m.RustVersion = str(pkg, "rust-version")
	m.Description = str(pkg, "description")
	if err != nil {
		return m, err
	}
	if m.Name == "" || m.Version == "" {
		return m, fmt.Errorf("%w: Cargo.toml lacks package.name or package.version", ErrCrate)
	}
	tables := []struct{ key, kind string }{
		{"dependencies", "normal"}, {"dev-dependencies", "dev"}, {"dev_dependencies", "dev"},
		{"build-dependencies", "build"}, {"build_dependencies", "build"},
	}
	addTables := func(t map[string]any, target string) error {
		for _, tb := range tables {
			raw, ok := t[tb.key]
			if !ok {
				continue
			}
			deps, ok := raw.(map[string]any)
			if !ok {
				return fmt.Errorf("%w: Cargo.toml: [%s] is not a table", ErrCrate, tb.key)
			}
			for _, key := range slices.Sorted(maps.Keys(deps)) {
				d, err := parseDep(key, deps[key])
				if err != nil {
					return err
				}
				d.Kind, d.Target = tb.kind, target
				m.Deps = append(m.Deps, d)
			}
		}
		return nil
	}
	if err := addTables(doc, ""); err != nil {
		return m, err
	}
	if targets, ok := doc["target"].(map[string]any); ok {
		for _, name := range slices.Sorted(maps.Keys(targets)) {
			t, ok := targets[name].(map[string]any)
			if !ok {
				return m, fmt.Errorf("%w: Cargo.toml: [target.%s] is not a table", ErrCrate, name)
			}
			if err := addTables(t, name); err != nil {
				return m, err
			}
		}
	}
	if raw, ok := doc["features"]; ok {
		ft, ok := raw.(map[string]any)
		if !ok {
			return m, fmt.Errorf("%w: Cargo.toml: [features] is not a table", ErrCrate)
		}
		m.Features = map[string][]string{}
		for k, v := range ft {
			vs, err := strings_(v)
			if err != nil {
				return m, fmt.Errorf("%w: Cargo.toml: feature %s: %v", ErrCrate, quote(k), err)
			}
			m.Features[k] = vs
		}
	}
	return m, nil
}

func parseDep(key string, raw any) (ManifestDep, error) {
	d := ManifestDep{Key: key, DefaultFeatures: true}
	if s, ok := raw.(string); ok {
		d.Req = s
		return d, nil
	}
	t, ok := raw.(map[string]any)
	if !ok {
		return d, fmt.Errorf("%w: Cargo.toml: dependency %s is neither a string nor a table", ErrCrate, quote(key))
	}
	var err error
	get := func(k string) string {
		v, ok := t[k]
		if !ok || err != nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			err = fmt.Errorf("%w: Cargo.toml: dependency %s: %s is not a string", ErrCrate, quote(key), k)
		}
		return s
	}
	flag := func(k string, def bool) bool {
		v, ok := t[k]
		if !ok || err != nil {
			return def
		}
		b, ok := v.(bool)
		if !ok {
			err = fmt.Errorf("%w: Cargo.toml: dependency %s: %s is not a boolean", ErrCrate, quote(key), k)
		}
		return b
	}
	d.Req = get("version")
	d.Package = get("package")
	d.Registry = get("registry")
	d.RegistryIndex = get("registry-index")
	d.Optional = flag("optional", false)
	d.DefaultFeatures = flag("default-features", flag("default_features", true))
	if err != nil {
		return d, err
	}
	if f, ok := t["features"]; ok {
		if d.Features, err = strings_(f); err != nil {
			return d, fmt.Errorf("%w: Cargo.toml: dependency %s features: %v", ErrCrate, quote(key), err)
		}
	}
	return d, nil
}

func strings_(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not an array")
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("not an array of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

// depKey identifies a dependency for the agreement check.
func depKey(kind, target, name string) string {
	if kind == "" {
		kind = "normal"
	}
	return kind + "\x00" + target + "\x00" + name
}

// CheckAgreement verifies that publish metadata agrees with the crate's
// Cargo.toml: name, version, links, rust-version, features and every
// dependency (its name in Cargo.toml, real crate, requirement, kind,
// target, optional, default features).
func CheckAgreement(nc NewCrate, m Manifest) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: the metadata disagrees with Cargo.toml in the crate: "+format, append([]any{ErrPublish}, args...)...)
	}
	if nc.Name != m.Name {
		return bad("name %s vs %s", quote(nc.Name), quote(m.Name))
	}
	if nc.Vers != m.Version {
		return bad("version %s vs %s", quote(nc.Vers), quote(m.Version))
	}
	if deref(nc.Links) != m.Links {
		return bad("links %s vs %s", quote(deref(nc.Links)), quote(m.Links))
	}
	if deref(nc.RustVersion) != m.RustVersion && nc.RustVersion != nil {
		return bad("rust-version %s vs %s", quote(deref(nc.RustVersion)), quote(m.RustVersion))
	}
	if !sameFeatures(nc.Features, m.Features) {
		return bad("the features differ")
	}
	manifest := map[string]ManifestDep{}
	for _, d := range m.Deps {
		manifest[depKey(d.Kind, d.Target, d.Key)] = d
	}
	seen := map[string]bool{}
	for _, d := range nc.Deps {
		key := d.Name
		if d.ExplicitNameInToml != nil {
			key = *d.ExplicitNameInToml
		}
		k := depKey(d.Kind, deref(d.Target), key)
		md, ok := manifest[k]
		if !ok || seen[k] {
			return bad("dependency %s (%s) is not in Cargo.toml", quote(key), kindName(d.Kind))
		}
		seen[k] = true
		switch {
		case md.Crate() != d.Name:
			return bad("dependency %s is crate %s vs %s", quote(key), quote(d.Name), quote(md.Crate()))
		case NormalizeReq(md.Req) != NormalizeReq(d.VersionReq):
			return bad("dependency %s requires %s vs %s", quote(key), quote(d.VersionReq), quote(md.Req))
		case md.Optional != d.Optional:
			return bad("dependency %s optional %v vs %v", quote(key), d.Optional, md.Optional)
		case md.DefaultFeatures != d.DefaultFeatures:
			return bad("dependency %s default-features %v vs %v", quote(key), d.DefaultFeatures, md.DefaultFeatures)
		case !sameSet(md.Features, d.Features):
			return bad("dependency %s features differ", quote(key))
		}
	}
	for _, d := range m.Deps {
		if !seen[depKey(d.Kind, d.Target, d.Key)] {
			return bad("dependency %s (%s) of Cargo.toml is missing from the metadata", quote(d.Key), kindName(d.Kind))
		}
	}
	return nil
}

func kindName(k string) string {
	if k == "" {
		return "normal"
	}
	return k
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func sameFeatures(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || !sameSet(va, vb) {
			return false
		}
	}
	return true
}

// NewCrateFromManifest builds publish metadata from a Cargo.toml alone
// (for `drok package publish` of a .crate). selfIndex is this registry's
// index URL: dependencies from it are recorded as same-registry ones.
// Dependencies from any other registry must name it with registry-index
// (which `cargo package` writes for alternate registries); dependencies
// on cargo's default registry cannot be recorded from the file alone and
// are refused.
func NewCrateFromManifest(m Manifest, selfIndex string) (NewCrate, error) {
	nc := NewCrate{Name: m.Name, Vers: m.Version, Features: m.Features, Links: strPtr(m.Links),
		RustVersion: strPtr(m.RustVersion), Description: strPtr(m.Description)}
	self := trimIndexURL(selfIndex)
	for _, d := range m.Deps {
		nd := NewDep{Name: d.Crate(), Optional: d.Optional, DefaultFeatures: d.DefaultFeatures,
			Features: d.Features, VersionReq: d.Req, Target: strPtr(d.Target), Kind: d.Kind}
		if nd.VersionReq == "" {
			nd.VersionReq = "*"
		}
		if d.Package != "" {
			nd.ExplicitNameInToml = strPtr(d.Key)
		}
		switch {
		case d.RegistryIndex == "":
			return nc, fmt.Errorf("%w: dependency %s comes from cargo's default registry, which a .crate alone does not identify; publish this crate with `cargo publish --registry drok` instead", ErrPublish, quote(d.Key))
		case trimIndexURL(d.RegistryIndex) != self:
			nd.Registry = strPtr(d.RegistryIndex)
		}
		nc.Deps = append(nc.Deps, nd)
	}
	return nc, ValidateNewCrate(nc)
}

func trimIndexURL(u string) string {
	return strings.TrimSuffix(strings.TrimPrefix(u, "sparse+"), "/")
}
