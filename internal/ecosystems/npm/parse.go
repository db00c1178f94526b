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
	"net/url"
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
	if err := ValidateVersion(v); err != nil {
		return "", err
	}
	return v, nil
}

// ValidateVersion checks a strict semantic version (no "v" prefix, no
// leading zeros, three numeric parts).
func ValidateVersion(v string) error {
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

// ParsePackageJSON parses the package.json found inside a tarball.
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
	if pj.Name != m.Name || pj.Version != m.Version {
		return fmt.Errorf("%w: package.json inside the tarball is %s@%s but the manifest is %s@%s",
			ErrManifest, pj.Name, pj.Version, m.Name, m.Version)
	}
	if err := VerifyIntegrity(m.Integrity, d); err != nil {
		return err
	}
	return VerifyShasum(m.Shasum, d)
}

// BuildVersionMeta returns the manifest to store for a version: the
// manifest fields with _id, name, version, dist (shasum, integrity,
// fileCount, unpackedSize; the tarball URL is added when rendering),
// _npmUser, _hasShrinkwrap and hasInstallScript set by the registry.
func BuildVersionMeta(fields map[string]json.RawMessage, name, version, publisher string, d Digests, info TarballInfo) ([]byte, error) {
	out := make(map[string]json.RawMessage, len(fields)+6)
	for k, v := range fields {
		switch k {
		case "_attachments", "_rev", "dist-tags", "time", "versions", "drok":
			continue
		}
		out[k] = v
	}
	set := func(k string, v any) {
		b, _ := json.Marshal(v)
		out[k] = b
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
	var packaged map[string]json.RawMessage
	_ = json.Unmarshal(info.PackageJSON, &packaged)
	if hasInstallScript(fields) || hasInstallScript(packaged) || info.HasBindingGyp {
		set("hasInstallScript", true)
	} else {
		delete(out, "hasInstallScript")
	}
	if _, ok := out["readme"]; !ok && info.Readme != "" {
		set("readme", info.Readme)
		set("readmeFilename", info.ReadmeFilename)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode manifest %s@%s: %w", name, version, err)
	}
	return b, nil
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
	if err := ValidateVersion(v); err != nil {
		return "", err
	}
	return v, nil
}
