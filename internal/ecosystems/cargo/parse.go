package cargo

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// Sentinel errors of the Cargo parsers. Each wraps store.ErrInvalid (400).
var (
	// ErrName reports an invalid crate name.
	ErrName = fmt.Errorf("%w: invalid crate name", store.ErrInvalid)
	// ErrVersion reports a version that is not semver.
	ErrVersion = fmt.Errorf("%w: invalid crate version", store.ErrInvalid)
	// ErrPublish reports a malformed publish request or metadata that
	// disagrees with the crate.
	ErrPublish = fmt.Errorf("%w: invalid publish request", store.ErrInvalid)
	// ErrCrate reports a .crate that is not a valid crate archive.
	ErrCrate = fmt.Errorf("%w: invalid .crate file", store.ErrInvalid)
)

// MaxNameLen is the public Rust registry's limit on crate names.
const MaxNameLen = 64

// ValidateName checks a crate name as the public Rust registry does: 1-64 ASCII letters,
// digits, '-' or '_', starting with a letter.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: the name is empty", ErrName)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrName, quote(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		case i == 0:
			return fmt.Errorf("%w: %s must start with an ASCII letter", ErrName, quote(name))
		default:
			return fmt.Errorf("%w: %s may only contain ASCII letters, digits, '-' and '_'", ErrName, quote(name))
		}
	}
	return nil
}

// Canonical returns the form under which crate names are compared: ASCII
// lower case with '_' replaced by '-' (the public Rust registry treats `Foo_bar` and
// `foo-bar` as the same crate).
func Canonical(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// IndexPath returns the sparse index path of a crate (lower-cased):
// 1/a, 2/ab, 3/a/abc, ab/cd/abcd...
func IndexPath(name string) string {
	n := strings.ToLower(name)
	switch len(n) {
	case 0:
		return ""
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

// ValidateVersion accepts strict semantic versions: MAJOR.MINOR.PATCH
// with optional pre-release and build metadata, no leading "v", at most
// 256 bytes.
func ValidateVersion(v string) error {
	if len(v) > 256 {
		return fmt.Errorf("%w: %s is longer than 256 bytes", ErrVersion, quote(v))
	}
	if _, err := semver.StrictNewVersion(v); err != nil {
		return fmt.Errorf("%w: %s is not a semantic version (%v)", ErrVersion, quote(v), err)
	}
	return nil
}

// CompareVersions orders versions by semver precedence; versions equal
// in precedence (differing in build metadata) are ordered by their text.
func CompareVersions(a, b string) int {
	va, errA := semver.StrictNewVersion(a)
	vb, errB := semver.StrictNewVersion(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	if c := va.Compare(vb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// BaseVersion returns v without its build metadata. The public Rust registry refuses a
// version whose base equals that of an existing version.
func BaseVersion(v string) string {
	base, _, _ := strings.Cut(v, "+")
	return base
}

// quote quotes s for an error message, eliding the middle of long strings;
// control characters are escaped.
func quote(s string) string {
	if len(s) > 120 {
		s = s[:60] + "…" + s[len(s)-60:]
	}
	return fmt.Sprintf("%q", s)
}

// RouteKind identifies a Cargo route.
type RouteKind int

// Route kinds, below /api/v1/packages/cargo/{org}/.
const (
	// RouteUnknown: not a Cargo path (handed to the REST API).
	RouteUnknown RouteKind = iota
	// RouteConfig: config.json.
	RouteConfig
	// RouteIndex: a sparse index file.
	RouteIndex
	// RoutePublish: PUT api/v1/crates/new.
	RoutePublish
	// RouteSearch: GET api/v1/crates?q=.
	RouteSearch
	// RouteYank: DELETE api/v1/crates/{name}/{version}/yank.
	RouteYank
	// RouteUnyank: PUT api/v1/crates/{name}/{version}/unyank.
	RouteUnyank
	// RouteOwners: GET, PUT, DELETE api/v1/crates/{name}/owners.
	RouteOwners
	// RouteDownload: GET api/v1/crates/{name}/{version}/download.
	RouteDownload
	// RouteInvalid: a web API path with an invalid name or version.
	RouteInvalid
)

// Route is a parsed request path.
type Route struct {
	Kind    RouteKind
	Name    string // as written in the path
	Version string
	Err     error
}

// ParseRoute classifies rest, the escaped path below
// /api/v1/packages/cargo/{org}/.
func ParseRoute(rest string) Route {
	if rest == "config.json" {
		return Route{Kind: RouteConfig}
	}
	if api, ok := strings.CutPrefix(rest, "api/v1/crates"); ok {
		return parseAPI(api)
	}
	segs := strings.Split(rest, "/")
	if len(segs) < 2 || len(segs) > 3 {
		return Route{}
	}
	name := segs[len(segs)-1]
	var want string
	switch {
	case len(segs) == 2 && (segs[0] == "1" || segs[0] == "2"):
		want = segs[0]
	case len(segs) == 3 && segs[0] == "3" && len(segs[1]) == 1:
		want = "3"
	case len(segs) == 3 && len(segs[0]) == 2 && len(segs[1]) == 2:
		want = "4"
	default:
		return Route{}
	}
	r := Route{Kind: RouteIndex, Name: name}
	switch {
	case ValidateName(name) != nil:
		r.Err = fmt.Errorf("%w: crate %s not found", store.ErrNotFound, quote(name))
	case name != strings.ToLower(name) || IndexPath(name) != rest || (len(name) >= 4) != (want == "4"):
		r.Err = fmt.Errorf("%w: %s is not the index path of a crate", store.ErrNotFound, quote(rest))
	}
	return r
}

// parseAPI parses the path after api/v1/crates.
func parseAPI(p string) Route {
	if p == "" || p == "/" {
		return Route{Kind: RouteSearch}
	}
	if p[0] != '/' {
		return Route{}
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return Route{Kind: RouteInvalid, Err: fmt.Errorf("%w: bad path escape", store.ErrInvalid)}
		}
		segs[i] = u
	}
	var r Route
	switch {
	case len(segs) == 1 && segs[0] == "new":
		return Route{Kind: RoutePublish}
	case len(segs) == 2 && segs[1] == "owners":
		r = Route{Kind: RouteOwners, Name: segs[0]}
	case len(segs) == 3 && segs[2] == "yank":
		r = Route{Kind: RouteYank, Name: segs[0], Version: segs[1]}
	case len(segs) == 3 && segs[2] == "unyank":
		r = Route{Kind: RouteUnyank, Name: segs[0], Version: segs[1]}
	case len(segs) == 3 && segs[2] == "download":
		r = Route{Kind: RouteDownload, Name: segs[0], Version: segs[1]}
	default:
		return Route{}
	}
	if err := ValidateName(r.Name); err != nil {
		return Route{Kind: RouteInvalid, Name: r.Name, Err: err}
	}
	if r.Kind != RouteOwners {
		if err := ValidateVersion(r.Version); err != nil {
			return Route{Kind: RouteInvalid, Name: r.Name, Err: err}
		}
	}
	return r
}

// NewCrate is the JSON metadata of `cargo publish` (the web API's
// PUT /api/v1/crates/new).
type NewCrate struct {
	Name          string              `json:"name"`
	Vers          string              `json:"vers"`
	Deps          []NewDep            `json:"deps"`
	Features      map[string][]string `json:"features"`
	Authors       []string            `json:"authors"`
	Description   *string             `json:"description"`
	Documentation *string             `json:"documentation"`
	Homepage      *string             `json:"homepage"`
	Readme        *string             `json:"readme"`
	ReadmeFile    *string             `json:"readme_file"`
	Keywords      []string            `json:"keywords"`
	Categories    []string            `json:"categories"`
	License       *string             `json:"license"`
	LicenseFile   *string             `json:"license_file"`
	Repository    *string             `json:"repository"`
	Links         *string             `json:"links"`
	RustVersion   *string             `json:"rust_version"`
}

// NewDep is one dependency of NewCrate. Name is the real crate name;
// ExplicitNameInToml the name it is renamed to in Cargo.toml, if any.
type NewDep struct {
	Name               string   `json:"name"`
	Optional           bool     `json:"optional"`
	DefaultFeatures    bool     `json:"default_features"`
	Features           []string `json:"features"`
	VersionReq         string   `json:"version_req"`
	Target             *string  `json:"target"`
	Kind               string   `json:"kind"`
	Registry           *string  `json:"registry"`
	ExplicitNameInToml *string  `json:"explicit_name_in_toml"`
}

// Limits of the publish framing.
const (
	// MaxMetadata bounds the JSON part of a publish.
	MaxMetadata = 4 << 20
	// MaxCrateSize bounds the .crate part of a publish.
	MaxCrateSize = 512 << 20
	maxDeps      = 2000
	maxFeatures  = 3000
	maxShort     = 1024
)

// ReadPublishHeader reads the framing of a publish body up to the crate
// bytes: a u32 (little-endian) JSON length, the JSON metadata, and the u32
// crate length. The crate bytes follow in r. The metadata is validated
// (see ValidateNewCrate).
func ReadPublishHeader(r io.Reader) (NewCrate, int64, error) {
	var nc NewCrate
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nc, 0, readErr("the metadata length", err)
	}
	jsonLen := binary.LittleEndian.Uint32(n[:])
	if jsonLen > MaxMetadata {
		return nc, 0, fmt.Errorf("%w: the metadata is %d bytes; the limit is %d", ecosystems.ErrTooLarge, jsonLen, MaxMetadata)
	}
	raw := make([]byte, jsonLen)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nc, 0, readErr("the metadata", err)
	}
	nc, err := ParseNewCrate(raw)
	if err != nil {
		return nc, 0, err
	}
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nc, 0, readErr("the crate length", err)
	}
	crateLen := int64(binary.LittleEndian.Uint32(n[:]))
	if crateLen > MaxCrateSize {
		return nc, 0, fmt.Errorf("%w: the crate is %d bytes; the limit is %d", ecosystems.ErrTooLarge, crateLen, MaxCrateSize)
	}
	if crateLen == 0 {
		return nc, 0, fmt.Errorf("%w: the crate is empty", ErrPublish)
	}
	return nc, crateLen, nil
}

func readErr(what string, err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the request ended before %s", ErrPublish, what)
	}
	return fmt.Errorf("read %s: %w", what, errors.Join(store.ErrIncomplete, err))
}

// ParseNewCrate decodes and validates publish metadata.
func ParseNewCrate(raw []byte) (NewCrate, error) {
	var nc NewCrate
	if err := json.Unmarshal(raw, &nc); err != nil {
		return nc, fmt.Errorf("%w: the metadata is not valid JSON: %v", ErrPublish, err)
	}
	return nc, ValidateNewCrate(nc)
}

// ValidateNewCrate checks names, versions, dependency kinds, requirements
// and feature names of publish metadata.
func ValidateNewCrate(nc NewCrate) error {
	if err := ValidateName(nc.Name); err != nil {
		return err
	}
	if err := ValidateVersion(nc.Vers); err != nil {
		return err
	}
	if len(nc.Deps) > maxDeps {
		return fmt.Errorf("%w: more than %d dependencies", ErrPublish, maxDeps)
	}
	for _, d := range nc.Deps {
		if err := ValidateName(d.Name); err != nil {
			return fmt.Errorf("dependency: %w", err)
		}
		if d.ExplicitNameInToml != nil {
			if err := ValidateName(*d.ExplicitNameInToml); err != nil {
				return fmt.Errorf("dependency %s renamed: %w", d.Name, err)
			}
		}
		switch d.Kind {
		case "", "normal", "dev", "build":
		default:
			return fmt.Errorf("%w: dependency %s has unknown kind %s", ErrPublish, d.Name, quote(d.Kind))
		}
		if err := validReq(d.VersionReq); err != nil {
			return fmt.Errorf("%w: dependency %s: %v", ErrPublish, d.Name, err)
		}
		for _, s := range append(slices.Clone(d.Features), deref(d.Target), deref(d.Registry)) {
			if err := validText(s); err != nil {
				return fmt.Errorf("%w: dependency %s: %v", ErrPublish, d.Name, err)
			}
		}
	}
	if err := validFeatures(nc.Features); err != nil {
		return err
	}
	for _, s := range []*string{nc.Links, nc.RustVersion} {
		if err := validText(deref(s)); err != nil {
			return fmt.Errorf("%w: %v", ErrPublish, err)
		}
	}
	return nil
}

func validFeatures(f map[string][]string) error {
	n := 0
	for k, vs := range f {
		n += 1 + len(vs)
		if n > maxFeatures {
			return fmt.Errorf("%w: more than %d features and feature values", ErrPublish, maxFeatures)
		}
		if k == "" {
			return fmt.Errorf("%w: empty feature name", ErrPublish)
		}
		for _, s := range append([]string{k}, vs...) {
			if err := validText(s); err != nil {
				return fmt.Errorf("%w: feature %s: %v", ErrPublish, quote(k), err)
			}
		}
	}
	return nil
}

// validText refuses control characters and overlong strings.
func validText(s string) error {
	if len(s) > maxShort {
		return fmt.Errorf("%s is longer than %d bytes", quote(s), maxShort)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%s contains a control character", quote(s))
		}
	}
	return nil
}

// validReq checks a version requirement's characters (cargo checks its
// grammar before it publishes).
func validReq(req string) error {
	if req == "" {
		return errors.New("empty version requirement")
	}
	if len(req) > 256 {
		return fmt.Errorf("version requirement %s is longer than 256 bytes", quote(req))
	}
	for _, c := range req {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case strings.ContainsRune(".*^~=<>+-, ", c):
		default:
			return fmt.Errorf("version requirement %s contains %q", quote(req), c)
		}
	}
	return nil
}

// NormalizeReq returns a comparable form of a version requirement: no
// spaces, and bare versions written with the implicit caret.
func NormalizeReq(req string) string {
	parts := strings.Split(req, ",")
	for i, p := range parts {
		p = strings.ReplaceAll(strings.TrimSpace(p), " ", "")
		if p != "" && p[0] >= '0' && p[0] <= '9' {
			p = "^" + p
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// IndexEntry is one line of a sparse index file.
type IndexEntry struct {
	Name        string              `json:"name"`
	Vers        string              `json:"vers"`
	Deps        []IndexDep          `json:"deps"`
	Cksum       string              `json:"cksum"`
	Features    map[string][]string `json:"features"`
	Features2   map[string][]string `json:"features2,omitempty"`
	Yanked      bool                `json:"yanked"`
	Links       *string             `json:"links"`
	V           int                 `json:"v"`
	RustVersion string              `json:"rust_version,omitempty"`
}

// IndexDep is a dependency in an index entry. Name is the name used in
// Cargo.toml; Package the real crate name when it was renamed. An empty
// Registry means the same registry.
type IndexDep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures bool     `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
	Registry        string   `json:"registry,omitempty"`
	Package         string   `json:"package,omitempty"`
}

// SplitFeatures separates features that use the `dep:` or `?/` syntax
// (index "features2", format version 2) from the others, as the public Rust registry
// does so that old cargo versions can still read the index.
func SplitFeatures(all map[string][]string) (features, features2 map[string][]string) {
	features = map[string][]string{}
	for k, vs := range all {
		v2 := false
		for _, v := range vs {
			if strings.HasPrefix(v, "dep:") || strings.Contains(v, "?/") {
				v2 = true
				break
			}
		}
		if vs == nil {
			vs = []string{}
		}
		if v2 {
			if features2 == nil {
				features2 = map[string][]string{}
			}
			features2[k] = vs
		} else {
			features[k] = vs
		}
	}
	return features, features2
}

// EntryFromNewCrate builds the index entry of a publish (cksum: sha256 hex
// of the .crate). Dependencies are sorted by name, as the public Rust registry does.
func EntryFromNewCrate(nc NewCrate, cksum string) IndexEntry {
	e := IndexEntry{Name: nc.Name, Vers: nc.Vers, Cksum: cksum, Links: nc.Links, Deps: []IndexDep{}}
	if nc.RustVersion != nil {
		e.RustVersion = *nc.RustVersion
	}
	for _, d := range nc.Deps {
		id := IndexDep{Name: d.Name, Req: d.VersionReq, Features: d.Features, Optional: d.Optional,
			DefaultFeatures: d.DefaultFeatures, Target: d.Target, Kind: d.Kind, Registry: deref(d.Registry)}
		if id.Kind == "" {
			id.Kind = "normal"
		}
		if id.Features == nil {
			id.Features = []string{}
		}
		if d.ExplicitNameInToml != nil && *d.ExplicitNameInToml != d.Name {
			id.Name, id.Package = *d.ExplicitNameInToml, d.Name
		}
		e.Deps = append(e.Deps, id)
	}
	sortDeps(e.Deps)
	e.Features, e.Features2 = SplitFeatures(nc.Features)
	e.V = 1
	if e.Features2 != nil {
		e.V = 2
	}
	return e
}

func sortDeps(ds []IndexDep) {
	slices.SortStableFunc(ds, func(a, b IndexDep) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(deref(a.Target), deref(b.Target))
	})
}
