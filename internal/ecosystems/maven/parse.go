package maven

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/drok-dev/drok/internal/store"
)

// Sentinel errors of the pure parsers. Each wraps store.ErrInvalid so the
// pipeline maps it to 400.
var (
	// ErrBadPath: the request path is not inside the Maven repository layout.
	ErrBadPath = fmt.Errorf("%w: path outside the Maven repository layout", store.ErrInvalid)
	// ErrBadCoordinate: a groupId, artifactId or version has characters Maven does not allow.
	ErrBadCoordinate = fmt.Errorf("%w: bad Maven coordinate", store.ErrInvalid)
	// ErrBadFileName: the file name does not match artifactId-version[-classifier].extension.
	ErrBadFileName = fmt.Errorf("%w: bad Maven file name", store.ErrInvalid)
	// ErrBadPOM: the POM cannot be read or lacks coordinates.
	ErrBadPOM = fmt.Errorf("%w: bad POM", store.ErrInvalid)
	// ErrBadChecksum: a checksum file that is not a hex digest of the right length.
	ErrBadChecksum = fmt.Errorf("%w: bad checksum", store.ErrInvalid)
)

// RouteKind says what a path below BASE/api/v1/packages/maven/ORG/ names.
type RouteKind int

// Route kinds.
const (
	// RouteUnknown: no Maven resource (404).
	RouteUnknown RouteKind = iota
	// RouteInvalid: a path escaping the layout or with bad names (400).
	RouteInvalid
	// RouteArtifactMetadata: g/r/o/u/p/artifactId/maven-metadata.xml.
	RouteArtifactMetadata
	// RouteVersionMetadata: g/r/o/u/p/artifactId/X-SNAPSHOT/maven-metadata.xml.
	RouteVersionMetadata
	// RouteFile: g/r/o/u/p/artifactId/version/artifactId-version[-classifier].ext.
	RouteFile
	// RouteREST: groupId:artifactId[/version], the generic drok package routes.
	RouteREST
)

// MetadataFile is the name of Maven repository metadata files.
const MetadataFile = "maven-metadata.xml"

// Checksums are the checksum algorithms served for every file, in the
// order of their extensions.
var Checksums = []string{"md5", "sha1", "sha256", "sha512"}

// Route is a parsed repository path.
type Route struct {
	Kind       RouteKind
	GroupID    string
	ArtifactID string
	Version    string
	// File is the file name (without a checksum extension).
	File string
	// Checksum is "md5", "sha1", "sha256" or "sha512" when the path names
	// a checksum of File.
	Checksum string
	// Err explains RouteInvalid.
	Err error
}

// Name is the drok package name groupId:artifactId.
func (r Route) Name() string { return r.GroupID + ":" + r.ArtifactID }

var buildRE = regexp.MustCompile(`^([0-9]{8}\.[0-9]{6})-([0-9]{1,9})`)

// charset reports whether s is 1..max bytes long, its first byte is in
// first and every other byte in rest. (Hand-written rather than regular
// expressions: every request path goes through these checks.)
func charset(s string, max int, first, rest func(byte) bool) bool {
	if len(s) == 0 || len(s) > max || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

func alnumUD(c byte) bool { return alnum(c) || c == '_' || c == '-' }

func alnumU(c byte) bool { return alnum(c) || c == '_' }

func alnumUDD(c byte) bool { return alnumUD(c) || c == '.' }

func alnumUDDP(c byte) bool { return alnumUDD(c) || c == '+' }

// ValidGroupID checks a groupId: dot-separated parts of letters, digits,
// '_' and '-' (no empty parts, so no "..", no leading or trailing dot).
func ValidGroupID(g string) error {
	if len(g) > 255 {
		return fmt.Errorf("%w: groupId longer than 255 characters", ErrBadCoordinate)
	}
	for _, p := range strings.Split(g, ".") {
		if !charset(p, 100, alnumUD, alnumUD) {
			return fmt.Errorf("%w: groupId %q must be dot-separated parts of letters, digits, '_' or '-'", ErrBadCoordinate, g)
		}
	}
	return nil
}

// ValidArtifactID checks an artifactId: letters, digits, '_', '-' and
// '.', not starting with '.'.
func ValidArtifactID(a string) error {
	if !charset(a, 200, alnumUD, alnumUDD) || strings.Contains(a, "..") {
		return fmt.Errorf("%w: artifactId %q must be letters, digits, '_', '-' or '.', not starting with '.'", ErrBadCoordinate, a)
	}
	return nil
}

// ValidVersion checks a Maven version as a path segment: letters, digits
// and "_.+-", starting with a letter, digit or '_', no "..".
func ValidVersion(v string) error {
	if !charset(v, 200, alnumU, alnumUDDP) || strings.Contains(v, "..") {
		return fmt.Errorf("%w: version %q must be letters, digits or '_.+-', at most 200, starting with a letter or digit", ErrBadCoordinate, v)
	}
	return nil
}

// IsSnapshot reports whether v is a SNAPSHOT version.
func IsSnapshot(v string) bool { return strings.HasSuffix(v, "-SNAPSHOT") }

// SplitName splits a drok package name groupId:artifactId and validates both.
func SplitName(name string) (group, artifact string, err error) {
	group, artifact, ok := strings.Cut(name, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: package name %q must be groupId:artifactId", ErrBadCoordinate, name)
	}
	if err := ValidGroupID(group); err != nil {
		return "", "", err
	}
	if err := ValidArtifactID(artifact); err != nil {
		return "", "", err
	}
	return group, artifact, nil
}

func checksumOf(name string) (base, algo string) {
	for _, a := range Checksums {
		if b, ok := strings.CutSuffix(name, "."+a); ok && b != "" {
			return b, a
		}
	}
	return name, ""
}

func invalid(err error) Route { return Route{Kind: RouteInvalid, Err: err} }

// ParseRoute parses the escaped path below the org's repository root.
// Every segment is unescaped and checked: "." and "..", empty segments,
// slashes, backslashes and control characters make the route invalid, so
// a path can never leave the layout.
func ParseRoute(escaped string) Route {
	if escaped == "" {
		return Route{Kind: RouteUnknown}
	}
	if strings.HasSuffix(escaped, "/") { // directory listings are not served
		return Route{Kind: RouteUnknown}
	}
	raw := strings.Split(escaped, "/")
	segs := raw // unescaped in place
	for i, s := range raw {
		u := s
		if strings.IndexByte(s, '%') >= 0 {
			var err error
			if u, err = url.PathUnescape(s); err != nil {
				return invalid(fmt.Errorf("%w: bad escape in %q", ErrBadPath, s))
			}
		}
		if u == "" || u == "." || u == ".." {
			return invalid(fmt.Errorf("%w: empty, '.' or '..' segment", ErrBadPath))
		}
		if strings.ContainsFunc(u, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '/' || r == '\\' }) {
			return invalid(fmt.Errorf("%w: control character, '/' or '\\' in segment %q", ErrBadPath, u))
		}
		segs[i] = u
	}
	if strings.Contains(segs[0], ":") {
		if len(segs) > 2 {
			return Route{Kind: RouteUnknown}
		}
		g, a, err := SplitName(segs[0])
		if err != nil {
			return invalid(err)
		}
		r := Route{Kind: RouteREST, GroupID: g, ArtifactID: a}
		if len(segs) == 2 {
			r.Version = segs[1]
		}
		return r
	}
	n := len(segs)
	if n < 3 {
		return Route{Kind: RouteUnknown}
	}
	file, algo := checksumOf(segs[n-1])
	if _, again := checksumOf(file); again != "" {
		return Route{Kind: RouteUnknown}
	}
	var r Route
	switch {
	case file == MetadataFile && n >= 4 && IsSnapshot(segs[n-2]):
		r = Route{Kind: RouteVersionMetadata, GroupID: strings.Join(segs[:n-3], "."), ArtifactID: segs[n-3], Version: segs[n-2]}
	case file == MetadataFile:
		r = Route{Kind: RouteArtifactMetadata, GroupID: strings.Join(segs[:n-2], "."), ArtifactID: segs[n-2]}
	case n >= 4:
		r = Route{Kind: RouteFile, GroupID: strings.Join(segs[:n-3], "."), ArtifactID: segs[n-3], Version: segs[n-2]}
	default:
		return Route{Kind: RouteUnknown}
	}
	r.File, r.Checksum = file, algo
	groupSegs := n - 2
	if r.Kind != RouteArtifactMetadata {
		groupSegs = n - 3
	}
	for _, g := range segs[:groupSegs] {
		if strings.Contains(g, ".") {
			return invalid(fmt.Errorf("%w: a groupId directory cannot contain '.' (%q)", ErrBadPath, g))
		}
	}
	if err := ValidGroupID(r.GroupID); err != nil {
		return invalid(err)
	}
	if err := ValidArtifactID(r.ArtifactID); err != nil {
		return invalid(err)
	}
	if r.Kind != RouteArtifactMetadata {
		if err := ValidVersion(r.Version); err != nil {
			return invalid(err)
		}
	}
	if r.Kind == RouteFile {
		if _, err := ParseFileName(r.ArtifactID, r.Version, r.File); err != nil {
			return invalid(err)
		}
	}
	return r
}

// FileName is a parsed artifactId-version[-classifier].extension.
type FileName struct {
	Classifier string
	Extension  string
	// Timestamp and Build are set for a timestamped SNAPSHOT build
	// (artifactId-1.0-20240101.120000-3.jar).
	Timestamp string
	Build     int
}

// Value is the version as written in the file name: the timestamped
// build (1.0-20240101.120000-3) or the version itself.
func (f FileName) Value(version string) string {
	if f.Timestamp == "" {
		return version
	}
	return strings.TrimSuffix(version, "SNAPSHOT") + f.Timestamp + "-" + strconv.Itoa(f.Build)
}

// ParseFileName checks that name is a file of artifact at version and
// splits it. For a SNAPSHOT version both the literal name
// (artifactId-1.0-SNAPSHOT.jar) and timestamped builds are accepted.
func ParseFileName(artifact, version, name string) (FileName, error) {
	var fn FileName
	bad := func(why string) (FileName, error) {
		return FileName{}, fmt.Errorf("%w: %q %s (want %s-%s[-classifier].extension)", ErrBadFileName, name, why, artifact, version)
	}
	if len(name) > 255 {
		return bad("is longer than 255 characters")
	}
	rest, ok := strings.CutPrefix(name, artifact+"-")
	if !ok {
		return bad("does not start with the artifactId")
	}
	switch tail, ok := strings.CutPrefix(rest, version); {
	case ok:
		rest = tail
	case IsSnapshot(version):
		after, ok := strings.CutPrefix(rest, strings.TrimSuffix(version, "SNAPSHOT"))
		m := buildRE.FindStringSubmatch(after)
		if !ok || m == nil {
			return bad("is neither the SNAPSHOT nor a timestamped build")
		}
		fn.Timestamp = m[1]
		fn.Build, _ = strconv.Atoi(m[2])
		if fn.Build < 1 {
			return bad("has build number 0")
		}
		rest = after[len(m[0]):]
	default:
		return bad("does not carry the version")
	}
	switch {
	case strings.HasPrefix(rest, "-"):
		c, e, ok := strings.Cut(rest[1:], ".")
		if !ok {
			return bad("has no extension")
		}
		fn.Classifier, fn.Extension = c, e
		if !charset(c, 100, alnumU, alnumUDDP) {
			return bad("has a bad classifier")
		}
	case strings.HasPrefix(rest, "."):
		fn.Extension = rest[1:]
	default:
		return bad("has no extension")
	}
	if !charset(fn.Extension, 50, alnumU, alnumUDD) || strings.Contains(fn.Extension, "..") || strings.HasSuffix(fn.Extension, ".") {
		return bad("has a bad extension")
	}
	return fn, nil
}

// Path is the repository path of a file: g/r/o/u/p/artifact/version/file.
func Path(group, artifact, version, file string) string {
	return strings.ReplaceAll(group, ".", "/") + "/" + artifact + "/" + version + "/" + file
}

// ParseChecksum reads an uploaded checksum file: a hex digest of the
// algorithm's length, optionally followed by whitespace and a file name
// (the sha1sum format). The digest is returned lower-case.
func ParseChecksum(algo string, r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", fmt.Errorf("read checksum: %w", err)
	}
	fields := strings.Fields(string(b))
	want := map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}[algo]
	if len(fields) == 0 || len(fields[0]) != want {
		return "", fmt.Errorf("%w: a %s checksum must be %d hex digits", ErrBadChecksum, algo, want)
	}
	d := strings.ToLower(fields[0])
	if strings.Trim(d, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%w: a %s checksum must be hex digits", ErrBadChecksum, algo)
	}
	return d, nil
}

// POM is what drok reads from a pom.xml.
type POM struct {
	GroupID    string
	ArtifactID string
	Version    string
	Packaging  string
}

type pomXML struct {
	XMLName    xml.Name `xml:"project"`
	GroupID    string   `xml:"groupId"`
	ArtifactID string   `xml:"artifactId"`
	Version    string   `xml:"version"`
	Packaging  string   `xml:"packaging"`
	Parent     struct {
		GroupID string `xml:"groupId"`
		Version string `xml:"version"`
	} `xml:"parent"`
}

// maxPOM bounds the bytes read from a POM.
const maxPOM = 4 << 20

// ParsePOM reads the coordinates of a POM; groupId and version may be
// inherited from <parent>. Property references (${...}) in coordinates
// are refused: drok does not interpolate.
func ParsePOM(r io.Reader) (POM, error) {
	lr := &io.LimitedReader{R: r, N: maxPOM + 1}
	var x pomXML
	if err := xml.NewDecoder(lr).Decode(&x); err != nil {
		if lr.N <= 0 {
			return POM{}, fmt.Errorf("%w: larger than %d bytes", ErrBadPOM, maxPOM)
		}
		return POM{}, fmt.Errorf("%w: %v", ErrBadPOM, err)
	}
	p := POM{GroupID: strings.TrimSpace(x.GroupID), ArtifactID: strings.TrimSpace(x.ArtifactID),
		Version: strings.TrimSpace(x.Version), Packaging: strings.TrimSpace(x.Packaging)}
	if p.GroupID == "" {
		p.GroupID = strings.TrimSpace(x.Parent.GroupID)
	}
	if p.Version == "" {
		p.Version = strings.TrimSpace(x.Parent.Version)
	}
	if p.Packaging == "" {
		p.Packaging = "jar"
	}
	for _, f := range []string{p.GroupID, p.ArtifactID, p.Version} {
		if strings.Contains(f, "${") {
			return POM{}, fmt.Errorf("%w: coordinates with property references (%s) are not supported; publish with mvn deploy", ErrBadPOM, f)
		}
	}
	if err := errors.Join(ValidGroupID(p.GroupID), ValidArtifactID(p.ArtifactID), ValidVersion(p.Version)); err != nil {
		return POM{}, fmt.Errorf("%w: %w", ErrBadPOM, err)
	}
	return p, nil
}
