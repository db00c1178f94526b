package npm

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/drok-dev/drok/internal/store"
)

// MaxNameLength is npm's limit on package name length.
const MaxNameLength = 214

// Sentinel errors of the npm parsers. Each wraps store.ErrInvalid so that
// ecosystems.HTTPStatus answers 400.
var (
	// ErrName reports an invalid package name.
	ErrName = fmt.Errorf("%w: invalid package name", store.ErrInvalid)
	// ErrVersion reports an invalid version.
	ErrVersion = fmt.Errorf("%w: invalid version", store.ErrInvalid)
	// ErrTag reports an invalid dist-tag name.
	ErrTag = fmt.Errorf("%w: invalid dist-tag", store.ErrInvalid)
	// ErrManifest reports a version manifest or publish document that is
	// malformed or disagrees with itself, the URL or the tarball.
	ErrManifest = fmt.Errorf("%w: invalid package metadata", store.ErrInvalid)
	// ErrIntegrity reports a dist.integrity or dist.shasum that does not
	// match the uploaded tarball.
	ErrIntegrity = fmt.Errorf("%w: integrity check failed", store.ErrInvalid)
	// ErrTarball reports an unreadable or unsafe package tarball.
	ErrTarball = fmt.Errorf("%w: invalid package tarball", store.ErrInvalid)
)

// ValidateName checks an npm package name: at most 214 characters,
// lower-case, URL-safe (letters, digits, '-', '.', '_'), not starting with
// '.' or '_', optionally scoped as "@scope/name". It never accepts path
// traversal, control characters or percent-escapes.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: name is empty", ErrName)
	case len(name) > MaxNameLength:
		return fmt.Errorf("%w: name is %d characters long, the limit is %d", ErrName, len(name), MaxNameLength)
	}
	pkg := name
	if strings.HasPrefix(name, "@") {
		scope, rest, ok := strings.Cut(name[1:], "/")
		if !ok {
			return fmt.Errorf("%w: %q: a scoped name looks like @scope/name", ErrName, name)
		}
		if err := validatePart("scope", scope); err != nil {
			return fmt.Errorf("%w: %q: %s", ErrName, name, err)
		}
		pkg = rest
	}
	if err := validatePart("name", pkg); err != nil {
		return fmt.Errorf("%w: %q: %s", ErrName, name, err)
	}
	if pkg == "node_modules" || pkg == "favicon.ico" {
		return fmt.Errorf("%w: %q is a reserved name", ErrName, name)
	}
	return nil
}

func validatePart(what, s string) error {
	if s == "" {
		return fmt.Errorf("the %s part is empty", what)
	}
	if s[0] == '.' || s[0] == '_' {
		return fmt.Errorf("the %s may not start with '.' or '_'", what)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		case c >= 'A' && c <= 'Z':
			return fmt.Errorf("the %s may not contain capital letters", what)
		default:
			return fmt.Errorf("the %s may only contain lower-case letters, digits, '-', '.' and '_' (found %q)", what, rune(c))
		}
	}
	return nil
}

// Basename returns the unscoped part of a package name ("@s/x" → "x").
func Basename(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// Scope returns the scope of a package name without '@', or "".
func Scope(name string) string {
	if !strings.HasPrefix(name, "@") {
		return ""
	}
	s, _, _ := strings.Cut(name[1:], "/")
	return s
}

// TarballName returns the stored file name of a version's tarball:
// "{basename}-{version}.tgz".
func TarballName(name, version string) string {
	return Basename(name) + "-" + version + ".tgz"
}

// ParseTarballName extracts the version from a tarball file name of
// package name; it accepts "{basename}-{v}.tgz" only.
func ParseTarballName(name, file string) (string, error) {
	prefix := Basename(name) + "-"
	if !strings.HasPrefix(file, prefix) || !strings.HasSuffix(file, ".tgz") || len(file) <= len(prefix)+4 {
		return "", fmt.Errorf("%w: %q is not a tarball of %s", ErrManifest, file, name)
	}
	v := file[len(prefix) : len(file)-4]
	if err := validSemver(v); err != nil {
		return "", err
	}
	return v, nil
}

// ValidateVersion checks a version for publishing: a strict semantic
// version (no "v" prefix, no leading zeros, three numeric parts) without
// build metadata. npm ignores build metadata when it compares versions
// (1.0.0+x satisfies "1.0.0") and its client strips it before publishing,
// so a version carrying it would shadow, or resurrect after unpublish,
// the version without it.
func ValidateVersion(v string) error {
	if err := validSemver(v); err != nil {
		return err
	}
	if i := strings.IndexByte(v, '+'); i >= 0 {
		return fmt.Errorf("%w: %q: build metadata (%s) is not allowed in npm versions; publish %s", ErrVersion, v, v[i:], v[:i])
	}
	return nil
}

// cleanVersion is the version npm publishes for a package.json version
// (its semver.clean, for the strict versions drok accepts): spaces and
// leading "=" or "v" trimmed, build metadata dropped. The tarball keeps
// the original string.
func cleanVersion(v string) string {
	v = strings.TrimLeft(strings.TrimSpace(v), "=v")
	v, _, _ = strings.Cut(v, "+")
	return v
}

// validSemver checks a strict semantic version, build metadata allowed
// (versions stored before build metadata was refused stay addressable).
func validSemver(v string) error {
	if _, err := semver.StrictNewVersion(v); err != nil {
		return fmt.Errorf("%w: %q is not a semantic version (%v)", ErrVersion, v, err)
	}
	return nil
}

// CompareVersions orders versions by semver precedence; invalid versions
// sort before valid ones and among themselves by string order.
func CompareVersions(a, b string) int {
	va, ea := semver.StrictNewVersion(a)
	vb, eb := semver.StrictNewVersion(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	if c := va.Compare(vb); c != 0 {
		return c
	}
	return strings.Compare(a, b) // build metadata: keep the order total
}

// IsPrerelease reports whether v has a pre-release part.
func IsPrerelease(v string) bool {
	sv, err := semver.StrictNewVersion(v)
	return err == nil && sv.Prerelease() != ""
}

// ValidateTag checks a dist-tag name: 1-128 characters from letters,
// digits, '-', '.' and '_' that do not form a semver range (npm refuses
// tags like "1.x" or "v2" because they would shadow ranges).
func ValidateTag(tag string) error {
	if tag == "" || len(tag) > 128 {
		return fmt.Errorf("%w: tag names are 1-128 characters", ErrTag)
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return fmt.Errorf("%w: %q may only contain letters, digits, '-', '.' and '_'", ErrTag, tag)
		}
	}
	if _, err := semver.NewConstraint(tag); err == nil {
		return fmt.Errorf("%w: %q is a valid semver range and cannot be used as a tag", ErrTag, tag)
	}
	return nil
}

// Route kinds recognised under the registry root.
const (
	RouteUnknown     = iota
	RoutePackument   // {name}
	RouteVersion     // {name}/{version|tag}
	RouteTarball     // {name}/-/{file}
	RouteTarballRev  // {name}/-/{file}/-rev/{rev}
	RouteRev         // {name}/-rev/{rev}
	RouteWhoami      // -/whoami
	RoutePing        // -/ping
	RouteLogin       // -/v1/login
	RouteAddUser     // -/user/org.couchdb.user:{user}
	RouteSearch      // -/v1/search
	RouteDistTags    // -/package/{name}/dist-tags
	RouteDistTag     // -/package/{name}/dist-tags/{tag}
	RouteAudit       // -/npm/v1/security/...
	RouteInvalidName // a package path whose name is invalid
)

// Route is a parsed registry path.
type Route struct {
	Kind int
	// Name is the package name ("@scope/name" unescaped); for
	// RouteInvalidName it is the raw name and Err says why.
	Name string
	// Arg is the version or tag, the tarball file name, the dist-tag or
	// the user name, depending on Kind.
	Arg string
	// Rev is the revision of -rev routes.
	Rev string
	// Err is the validation error of RouteInvalidName.
	Err error
}

// ParseRoute parses the escaped path below the registry root (no leading
// slash). Scoped names may arrive as "@scope%2fname" or "@scope/name".
func ParseRoute(rest string) Route {
	if rest == "" {
		return Route{}
	}
	if strings.HasPrefix(rest, "-/") {
		return parseSpecial(rest[2:])
	}
	segs := strings.Split(rest, "/")
	name, n, err := nameFromSegments(segs)
	if err != nil {
		return Route{Kind: RouteInvalidName, Name: name, Err: err}
	}
	tail := segs[n:]
	unesc := func(s string) (string, bool) {
		u, err := url.PathUnescape(s)
		return u, err == nil && u != "" && !strings.ContainsAny(u, "/\x00")
	}
	switch {
	case len(tail) == 0:
		return Route{Kind: RoutePackument, Name: name}
	case len(tail) == 1 && tail[0] != "-" && tail[0] != "-rev":
		if v, ok := unesc(tail[0]); ok {
			return Route{Kind: RouteVersion, Name: name, Arg: v}
		}
	case len(tail) == 2 && tail[0] == "-":
		if f, ok := unesc(tail[1]); ok {
			return Route{Kind: RouteTarball, Name: name, Arg: f}
		}
	case len(tail) == 4 && tail[0] == "-" && tail[2] == "-rev":
		f, ok1 := unesc(tail[1])
		rev, ok2 := unesc(tail[3])
		if ok1 && ok2 {
			return Route{Kind: RouteTarballRev, Name: name, Arg: f, Rev: rev}
		}
	case len(tail) == 2 && tail[0] == "-rev":
		if rev, ok := unesc(tail[1]); ok {
			return Route{Kind: RouteRev, Name: name, Rev: rev}
		}
	}
	return Route{Kind: RouteUnknown, Name: name}
}

// nameFromSegments reads a package name from the first one or two path
// segments and returns it with the number of segments used.
func nameFromSegments(segs []string) (string, int, error) {
	first, err := url.PathUnescape(segs[0])
	if err != nil {
		return segs[0], 1, fmt.Errorf("%w: bad escape in %q", ErrName, segs[0])
	}
	n := 1
	if strings.HasPrefix(first, "@") && !strings.Contains(first, "/") && len(segs) > 1 {
		second, err := url.PathUnescape(segs[1])
		if err != nil {
			return first, 2, fmt.Errorf("%w: bad escape in %q", ErrName, segs[1])
		}
		first += "/" + second
		n = 2
	}
	if err := ValidateName(first); err != nil {
		return first, n, err
	}
	return first, n, nil
}

func parseSpecial(p string) Route {
	switch {
	case p == "whoami":
		return Route{Kind: RouteWhoami}
	case p == "ping":
		return Route{Kind: RoutePing}
	case p == "v1/login":
		return Route{Kind: RouteLogin}
	case p == "v1/search":
		return Route{Kind: RouteSearch}
	case strings.HasPrefix(p, "npm/v1/security/"):
		return Route{Kind: RouteAudit}
	case strings.HasPrefix(p, "user/"):
		u, err := url.PathUnescape(strings.TrimPrefix(p, "user/"))
		if err != nil || !strings.HasPrefix(u, "org.couchdb.user:") {
			return Route{}
		}
		return Route{Kind: RouteAddUser, Arg: strings.TrimPrefix(u, "org.couchdb.user:")}
	case strings.HasPrefix(p, "package/"):
		segs := strings.Split(strings.TrimPrefix(p, "package/"), "/")
		name, n, err := nameFromSegments(segs)
		if err != nil {
			return Route{Kind: RouteInvalidName, Name: name, Err: err}
		}
		tail := segs[n:]
		if len(tail) == 0 || tail[0] != "dist-tags" {
			return Route{}
		}
		switch len(tail) {
		case 1:
			return Route{Kind: RouteDistTags, Name: name}
		case 2:
			tag, err := url.PathUnescape(tail[1])
			if err != nil {
				return Route{}
			}
			return Route{Kind: RouteDistTag, Name: name, Arg: tag}
		}
	}
	return Route{}
}

// Digests are the hashes of an uploaded tarball.
type Digests struct {
	SHA1, SHA256, SHA512 []byte
}

// Hasher computes Digests while bytes are written to it.
type Hasher struct {
	sha1, sha256, sha512 hash.Hash
	n                    int64
}

// NewHasher returns a Hasher.
func NewHasher() *Hasher {
	return &Hasher{sha1: sha1.New(), sha256: sha256.New(), sha512: sha512.New()}
}

// Write hashes p.
func (h *Hasher) Write(p []byte) (int, error) {
	h.sha1.Write(p)
	h.sha256.Write(p)
	h.sha512.Write(p)
	h.n += int64(len(p))
	return len(p), nil
}

// Size is the number of bytes written.
func (h *Hasher) Size() int64 { return h.n }

// Sum returns the digests of everything written.
func (h *Hasher) Sum() Digests {
	return Digests{SHA1: h.sha1.Sum(nil), SHA256: h.sha256.Sum(nil), SHA512: h.sha512.Sum(nil)}
}

// Integrity returns the subresource-integrity string npm expects
// ("sha512-<base64>").
func (d Digests) Integrity() string {
	return "sha512-" + base64.StdEncoding.EncodeToString(d.SHA512)
}

// Shasum returns the legacy sha1 hex digest.
func (d Digests) Shasum() string { return hex.EncodeToString(d.SHA1) }

// VerifyIntegrity checks an SRI string (one or more "alg-base64[?opts]"
// entries separated by spaces) against d. Every sha1/sha256/sha512 entry
// must match and at least one must be present; an empty string passes.
func VerifyIntegrity(sri string, d Digests) error {
	if strings.TrimSpace(sri) == "" {
		return nil
	}
	known := 0
	for _, part := range strings.Fields(sri) {
		alg, val, ok := strings.Cut(part, "-")
		if !ok {
			return fmt.Errorf("%w: dist.integrity %q is not alg-base64", ErrIntegrity, part)
		}
		val, _, _ = strings.Cut(val, "?")
		var want []byte
		switch alg {
		case "sha1":
			want = d.SHA1
		case "sha256":
			want = d.SHA256
		case "sha512":
			want = d.SHA512
		default:
			continue
		}
		known++
		got, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return fmt.Errorf("%w: dist.integrity %s value is not base64", ErrIntegrity, alg)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%w: dist.integrity says %s-%s but the uploaded tarball is %s-%s",
				ErrIntegrity, alg, val, alg, base64.StdEncoding.EncodeToString(want))
		}
	}
	if known == 0 {
		return fmt.Errorf("%w: dist.integrity %q uses no supported algorithm (sha512, sha256, sha1)", ErrIntegrity, sri)
	}
	return nil
}

// VerifyShasum checks a sha1 hex digest against d; an empty string passes.
func VerifyShasum(shasum string, d Digests) error {
	if shasum == "" {
		return nil
	}
	if !strings.EqualFold(shasum, d.Shasum()) {
		return fmt.Errorf("%w: dist.shasum says %s but the uploaded tarball's sha1 is %s", ErrIntegrity, shasum, d.Shasum())
	}
	return nil
}

// Manifest is the part of a version manifest (package.json plus publish
// fields) the registry checks; Fields holds every top-level field.
type Manifest struct {
	Name       string
	Version    string
	Integrity  string
	Shasum     string
	Deprecated *string
	Fields     map[string]json.RawMessage
}

// dependency-like fields that must be objects of strings when present.
var depFields = []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}

// ParseManifest parses one version manifest (a JSON object) and checks
// the fields npm clients rely on.
func ParseManifest(raw []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(raw, &m.Fields); err != nil || m.Fields == nil {
		return m, fmt.Errorf("%w: a version manifest must be a JSON object", ErrManifest)
	}
	str := func(key string, dst *string) error {
		v, ok := m.Fields[key]
		if !ok || string(v) == "null" {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("%w: %q must be a string", ErrManifest, key)
		}
		return nil
	}
	if err := str("name", &m.Name); err != nil {
		return m, err
	}
	if err := str("version", &m.Version); err != nil {
		return m, err
	}
	if d, ok := m.Fields["deprecated"]; ok && string(d) != "null" {
		var s string
		if err := json.Unmarshal(d, &s); err != nil {
			return m, fmt.Errorf("%w: \"deprecated\" must be a string", ErrManifest)
		}
		m.Deprecated = &s
	}
	if d, ok := m.Fields["dist"]; ok && string(d) != "null" {
		var dist struct {
			Integrity json.RawMessage `json:"integrity"`
			Shasum    json.RawMessage `json:"shasum"`
		}
		if err := json.Unmarshal(d, &dist); err != nil {
			return m, fmt.Errorf("%w: \"dist\" must be an object", ErrManifest)
		}
		for _, f := range []struct {
			raw json.RawMessage
			dst *string
			key string
		}{{dist.Integrity, &m.Integrity, "dist.integrity"}, {dist.Shasum, &m.Shasum, "dist.shasum"}} {
			if len(f.raw) > 0 && string(f.raw) != "null" {
				if err := json.Unmarshal(f.raw, f.dst); err != nil {
					return m, fmt.Errorf("%w: %q must be a string", ErrManifest, f.key)
				}
			}
		}
	}
	for _, key := range depFields {
		v, ok := m.Fields[key]
		if !ok || string(v) == "null" {
			continue
		}
		var deps map[string]string
		if err := json.Unmarshal(v, &deps); err != nil {
			return m, fmt.Errorf("%w: %q must map package names to version ranges", ErrManifest, key)
		}
	}
	if m.Name == "" {
		return m, fmt.Errorf("%w: the manifest has no name", ErrManifest)
	}
	if m.Version == "" {
		return m, fmt.Errorf("%w: the manifest has no version", ErrManifest)
	}
	return m, nil
}

// PackageJSON is what the registry reads from package/package.json inside
// a tarball.
type PackageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ParsePackageJSON parses the package.json found inside a tarball and
// checks the fields npm clients rely on (name, version, dependency maps).
func ParsePackageJSON(raw []byte) (PackageJSON, map[string]json.RawMessage, error) {
	var pj PackageJSON
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return pj, nil, fmt.Errorf("%w: package.json is not a JSON object", ErrTarball)
	}
	if err := json.Unmarshal(raw, &pj); err != nil {
		return pj, nil, fmt.Errorf("%w: package.json name and version must be strings", ErrTarball)
	}
	if pj.Name == "" || pj.Version == "" {
		return pj, nil, fmt.Errorf("%w: package.json needs a name and a version", ErrTarball)
	}
	for _, key := range depFields {
		v, ok := fields[key]
		if !ok || string(v) == "null" {
			continue
		}
		var deps map[string]string
		if err := json.Unmarshal(v, &deps); err != nil {
			return pj, nil, fmt.Errorf("%w: package.json %q must map package names to version ranges", ErrTarball, key)
		}
	}
	return pj, fields, nil
}

// CheckAgreement verifies that the manifest sent with a publish agrees
// with the URL, its versions key, the tarball's package.json and the
// uploaded bytes.
func CheckAgreement(urlName, versionKey string, m Manifest, pj PackageJSON, d Digests) error {
	if m.Name != urlName {
		return fmt.Errorf("%w: the manifest names %q but the request is for %q", ErrManifest, m.Name, urlName)
	}
	if m.Version != versionKey {
		return fmt.Errorf("%w: versions[%q] holds a manifest for version %q", ErrManifest, versionKey, m.Version)
	}
	if pj.Name != m.Name || cleanVersion(pj.Version) != m.Version {
		return fmt.Errorf("%w: package.json inside the tarball is %s@%s but the manifest is %s@%s",
			ErrManifest, pj.Name, pj.Version, m.Name, m.Version)
	}
	if err := VerifyIntegrity(m.Integrity, d); err != nil {
		return err
	}
	return VerifyShasum(m.Shasum, d)
}

// Size bounds of stored version manifests.
const (
	// MaxManifestBytes bounds a stored version manifest (package.json plus
	// the registry's fields, readme included).
	MaxManifestBytes = 1 << 20
	// MaxReadmeBytes is the readme length kept in a stored manifest; a
	// longer readme is truncated with a note, as npmjs does. The full
	// file stays in the tarball.
	MaxReadmeBytes = 256 << 10
	// maxDeprecation bounds a deprecation message.
	maxDeprecation = 16 << 10
)

// BuildVersionMeta returns the manifest to store for a version.
//
// The tarball's package/package.json (pkgJSON) is the source of truth:
// every field npm installs from (dependencies, bin, scripts, os, cpu,
// engines, exports, ...) comes from it, normalised the way the npm client
// normalises it when publishing (bin, man, bundleDependencies, the
// node-gyp install script), so the registry never serves metadata the
// package itself does not declare. Fields starting with "_" and "dist" in
// package.json are dropped. The registry sets _id, name, version, dist
// (shasum, integrity, fileCount, unpackedSize; the tarball URL is added
// when rendering), _npmUser, _hasShrinkwrap and hasInstallScript. From
// the publish document (doc, nil for `drok package publish`) it takes only
// what is not about installing: _nodeVersion and _npmVersion, and
// deprecated, gitHead and readme/readmeFilename when package.json lacks
// them. A readme over MaxReadmeBytes is truncated; a manifest over
// MaxManifestBytes is refused.
func BuildVersionMeta(pkgJSON, doc map[string]json.RawMessage, name, version, publisher string, d Digests, info TarballInfo) ([]byte, error) {
	out := make(map[string]json.RawMessage, len(pkgJSON)+10)
	for k, v := range pkgJSON {
		if strings.HasPrefix(k, "_") {
			continue
		}
		switch k {
		case "dist", "dist-tags", "time", "versions", "drok", "hasInstallScript":
			continue
		}
		out[k] = v
	}
	set := func(k string, v any) { out[k] = mustJSON(v) }
	normalizeBin(out, name, info)
	normalizeMan(out)
	normalizeBundle(out)
	if info.HasBindingGyp {
		addGypScript(out)
	}
	set("_id", name+"@"+version)
	set("name", name)
	set("version", version)
	dist := map[string]any{"shasum": d.Shasum(), "integrity": d.Integrity()}
	if info.FileCount > 0 {
		dist["fileCount"] = info.FileCount
		dist["unpackedSize"] = info.UnpackedSize
	}
	set("dist", dist)
	if publisher != "" {
		set("_npmUser", map[string]string{"name": publisher})
	}
	set("_hasShrinkwrap", info.HasShrinkwrap)
	if hasInstallScript(out) {
		set("hasInstallScript", true)
	}
	fromDoc := func(k string, limit int) {
		if _, ok := out[k]; ok {
			return
		}
		var s string
		if json.Unmarshal(doc[k], &s) == nil && s != "" && len(s) <= limit {
			set(k, s)
		}
	}
	fromDoc("_nodeVersion", 64)
	fromDoc("_npmVersion", 64)
	fromDoc("gitHead", 256)
	fromDoc("deprecated", maxDeprecation)

	var readme string
	readmeSize := int64(-1)
	if raw, ok := out["readme"]; ok {
		if json.Unmarshal(raw, &readme) != nil {
			delete(out, "readme") // npm reads readme as a string
		}
	} else if info.ReadmeFilename != "" {
		readme, readmeSize = info.Readme, info.ReadmeSize
		set("readmeFilename", info.ReadmeFilename)
	} else if json.Unmarshal(doc["readme"], &readme) == nil {
		fromDoc("readmeFilename", 255)
	}
	if readme != "" {
		set("readme", truncateReadme(readme, readmeSize))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode manifest %s@%s: %w", name, version, err)
	}
	if len(b) > MaxManifestBytes {
		return nil, fmt.Errorf("%w: the manifest of %s@%s (package.json plus registry fields) is %d bytes; the limit is %d",
			ErrManifest, name, version, len(b), MaxManifestBytes)
	}
	return b, nil
}

// truncateReadme cuts a readme longer than MaxReadmeBytes at a character
// boundary and appends a note. size is the full length when only a prefix
// was read (-1 when s is complete).
func truncateReadme(s string, size int64) string {
	if size < int64(len(s)) {
		size = int64(len(s))
	}
	if size <= MaxReadmeBytes {
		return s
	}
	const note = "\n\n---\n\n*README truncated by the registry: it is %d bytes, the limit is %d. The full file is in the package tarball.*\n"
	return truncateUTF8(s, MaxReadmeBytes-512) + fmt.Sprintf(note, size, MaxReadmeBytes)
}

// cleanBinPath is npm-normalize-package-bin's target cleaning:
// path.join('/', p).slice(1) with backslashes as slashes.
func cleanBinPath(p string) string {
	return path.Join("/", strings.ReplaceAll(p, "\\", "/"))[1:]
}

// normalizeBin gives "bin" the shape npm publishes: an object from
// command names (base names) to clean package-relative paths. A string
// is named after the package; without "bin", "directories.bin" is
// expanded to the files below it (npm does this when publishing).
func normalizeBin(out map[string]json.RawMessage, name string, info TarballInfo) {
	bins := map[string]string{}
	raw, ok := out["bin"]
	var s string
	var list []string
	var obj map[string]json.RawMessage
	switch {
	case !ok || string(raw) == "null":
		var dirs struct {
			Bin string `json:"bin"`
		}
		if json.Unmarshal(out["directories"], &dirs) != nil || dirs.Bin == "" {
			delete(out, "bin")
			return
		}
		dir := cleanBinPath(dirs.Bin)
		if dir == "" {
			delete(out, "bin")
			return
		}
		for _, f := range info.Files {
			if rest, ok := strings.CutPrefix(f, dir+"/"); ok && !strings.HasPrefix(rest, ".") {
				bins[path.Base(rest)] = path.Join(dir, rest)
			}
		}
	case json.Unmarshal(raw, &s) == nil:
		bins[Basename(name)] = s
	case json.Unmarshal(raw, &list) == nil:
		for _, p := range list {
			bins[path.Base(p)] = p
		}
	case json.Unmarshal(raw, &obj) == nil:
		for k, v := range obj {
			if json.Unmarshal(v, &s) == nil {
				bins[k] = s
			}
		}
	}
	clean := map[string]string{}
	for k, v := range bins {
		k = path.Join("/", path.Base(strings.NewReplacer("\\", "/", ":", "/").Replace(k)))[1:]
		if v = cleanBinPath(v); k != "" && v != "" {
			clean[k] = v
		}
	}
	if len(clean) == 0 {
		delete(out, "bin")
		return
	}
	out["bin"] = mustJSON(clean)
}

// normalizeMan turns a "man" string into a one-element list of clean paths.
func normalizeMan(out map[string]json.RawMessage) {
	var s string
	if json.Unmarshal(out["man"], &s) == nil && s != "" {
		if p := cleanBinPath(s); p != "" {
			out["man"] = mustJSON([]string{p})
		}
	}
}

// normalizeBundle applies npm's bundleDependencies rules: the
// "bundledDependencies" spelling is accepted, true means every
// dependency, false or anything else means none.
func normalizeBundle(out map[string]json.RawMessage) {
	raw, ok := out["bundleDependencies"]
	if !ok {
		raw, ok = out["bundledDependencies"]
	}
	delete(out, "bundledDependencies")
	delete(out, "bundleDependencies")
	if !ok {
		return
	}
	var list []string
	var b bool
	var obj map[string]json.RawMessage
	switch {
	case json.Unmarshal(raw, &list) == nil && list != nil:
	case json.Unmarshal(raw, &b) == nil && b:
		var deps map[string]json.RawMessage
		_ = json.Unmarshal(out["dependencies"], &deps)
		list = slices.Sorted(maps.Keys(deps))
	case json.Unmarshal(raw, &obj) == nil && obj != nil:
		list = slices.Sorted(maps.Keys(obj))
	default:
		return
	}
	out["bundleDependencies"] = mustJSON(list)
}

// addGypScript adds npm's implicit "install": "node-gyp rebuild" for a
// package with a binding.gyp and no install script, unless "gypfile" is
// false (npm does the same when publishing, and when installing).
func addGypScript(out map[string]json.RawMessage) {
	if string(out["gypfile"]) == "false" {
		return
	}
	scripts := map[string]json.RawMessage{}
	if raw, ok := out["scripts"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &scripts) != nil {
			return
		}
	}
	if _, ok := scripts["install"]; ok {
		return
	}
	if _, ok := scripts["preinstall"]; ok {
		return
	}
	scripts["install"] = mustJSON("node-gyp rebuild")
	out["scripts"] = mustJSON(scripts)
	out["gypfile"] = mustJSON(true)
}

func hasInstallScript(fields map[string]json.RawMessage) bool {
	var scripts map[string]any
	if json.Unmarshal(fields["scripts"], &scripts) != nil {
		return false
	}
	for _, k := range []string{"preinstall", "install", "postinstall"} {
		if _, ok := scripts[k]; ok {
			return true
		}
	}
	return false
}

// RepoHint returns the drok repository a manifest's repository URL points
// at ("{base}/{org}/{repo}[.git]"), or "".
func RepoHint(fields map[string]json.RawMessage, base, org string) string {
	raw, ok := fields["repository"]
	if !ok {
		return ""
	}
	var u string
	if json.Unmarshal(raw, &u) != nil {
		var obj struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		u = obj.URL
	}
	u = strings.TrimPrefix(u, "git+")
	prefix := strings.TrimRight(base, "/") + "/" + org + "/"
	if base == "" || !strings.HasPrefix(u, prefix) {
		return ""
	}
	repo, _, _ := strings.Cut(u[len(prefix):], "/")
	repo = strings.TrimSuffix(repo, ".git")
	return repo
}

// DistTagBody parses the body of PUT -/package/{name}/dist-tags/{tag}: a
// JSON string holding a version (a bare version is accepted too).
func DistTagBody(body []byte) (string, error) {
	body = bytes.TrimSpace(body)
	var v string
	if len(body) > 0 && body[0] == '"' {
		if err := json.Unmarshal(body, &v); err != nil {
			return "", fmt.Errorf("%w: body must be a JSON string holding a version", ErrManifest)
		}
	} else {
		v = string(body)
	}
	if err := validSemver(v); err != nil {
		return "", err
	}
	return v, nil
}
