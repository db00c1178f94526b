package pypi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"

	"github.com/drok-dev/drok/internal/store"
)

// Sentinel errors of the PyPI parsers. Each wraps store.ErrInvalid.
var (
	// ErrName reports an invalid project name.
	ErrName = fmt.Errorf("%w: invalid project name", store.ErrInvalid)
	// ErrVersion reports a version that is not PEP 440.
	ErrVersion = fmt.Errorf("%w: invalid version", store.ErrInvalid)
	// ErrFilename reports a distribution filename that is malformed or
	// disagrees with the project name and version.
	ErrFilename = fmt.Errorf("%w: invalid distribution filename", store.ErrInvalid)
	// ErrMetadata reports core metadata that is missing, malformed or
	// disagrees with the upload.
	ErrMetadata = fmt.Errorf("%w: invalid core metadata", store.ErrInvalid)
	// ErrArchive reports a wheel or sdist that is not a safe, well-formed
	// archive.
	ErrArchive = fmt.Errorf("%w: invalid distribution archive", store.ErrInvalid)
	// ErrUpload reports a malformed upload form.
	ErrUpload = fmt.Errorf("%w: invalid upload", store.ErrInvalid)
)

// MaxNameLen bounds project names.
const MaxNameLen = 200

// MaxVersionLen bounds version strings.
const MaxVersionLen = 128

var nameRE = regexp.MustCompile(`^(?i:[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)

var separatorsRE = regexp.MustCompile(`[-_.]+`)

// ValidateName checks a project name against PEP 508: ASCII letters,
// digits, '.', '_' and '-', starting and ending with a letter or digit.
func ValidateName(name string) error {
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: %d characters, at most %d allowed", ErrName, len(name), MaxNameLen)
	}
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %q must be ASCII letters, digits, '.', '_' or '-', starting and ending with a letter or digit", ErrName, name)
	}
	return nil
}

// NormalizeName returns the PEP 503 normalised form of a valid name:
// lower case, runs of '-', '_' and '.' replaced by one '-'.
func NormalizeName(name string) string {
	return strings.ToLower(separatorsRE.ReplaceAllString(name, "-"))
}

// ParseVersion validates a PEP 440 version and returns its normalised
// form (1.0-1 → 1.0.post1, 1.0A → 1.0a0, v2 → 2).
func ParseVersion(v string) (string, error) {
	if v == "" || len(v) > MaxVersionLen || strings.TrimSpace(v) != v {
		return "", fmt.Errorf("%w: %q is not a PEP 440 version", ErrVersion, truncate(v))
	}
	pv, err := pep440.Parse(v)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not a PEP 440 version", ErrVersion, truncate(v))
	}
	s := pv.String()
	if pub, local, ok := strings.Cut(s, "+"); ok {
		s = pub + "+" + separatorsRE.ReplaceAllString(local, ".")
	}
	return s, nil
}

// CompareVersions orders two versions by PEP 440. Invalid versions sort
// before valid ones, and among themselves by string.
func CompareVersions(a, b string) int {
	va, ea := pep440.Parse(a)
	vb, eb := pep440.Parse(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	return va.Compare(vb)
}

// IsPrerelease reports whether v is a pre- or development release.
func IsPrerelease(v string) bool {
	pv, err := pep440.Parse(v)
	return err == nil && pv.IsPreRelease()
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Kind is the distribution type of an uploaded file.
type Kind string

// Distribution kinds, as twine's filetype field names them.
const (
	Wheel Kind = "bdist_wheel"
	Sdist Kind = "sdist"
)

// Dist is a parsed distribution filename.
type Dist struct {
	Filename string
	Kind     Kind
	// Name is the project name as written in the filename.
	Name string
	// Version is the normalised version.
	Version string
	// Stem is the filename without its extension (for sdists, the
	// archive's top-level directory).
	Stem string
}

// maxFilenameLen bounds distribution filenames.
const maxFilenameLen = 255

// ParseFilename parses a wheel (.whl) or sdist (.tar.gz, .zip) filename
// belonging to project (any spelling; "" to accept the name the filename
// gives, which for sdists is ambiguous and resolved by the first split
// whose parts are a valid name and version).
func ParseFilename(filename, project string) (Dist, error) {
	d := Dist{Filename: filename}
	if len(filename) > maxFilenameLen || filename == "" {
		return d, fmt.Errorf("%w: %q must be 1-%d characters", ErrFilename, truncate(filename), maxFilenameLen)
	}
	for _, c := range filename {
		if c <= ' ' || c == 0x7f || c == '/' || c == '\\' || c > 0x7e {
			return d, fmt.Errorf("%w: %q contains a character that is not allowed (control, space, slash or non-ASCII)", ErrFilename, truncate(filename))
		}
	}
	lower := strings.ToLower(filename)
	want := ""
	if project != "" {
		want = NormalizeName(project)
	}
	switch {
	case strings.HasSuffix(lower, ".whl"):
		d.Kind, d.Stem = Wheel, filename[:len(filename)-len(".whl")]
		parts := strings.Split(d.Stem, "-")
		if len(parts) != 5 && len(parts) != 6 {
			return d, fmt.Errorf("%w: wheel %q must be NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl", ErrFilename, filename)
		}
		if len(parts) == 6 && (parts[2] == "" || parts[2][0] < '0' || parts[2][0] > '9') {
			return d, fmt.Errorf("%w: wheel %q has a build tag that does not start with a digit", ErrFilename, filename)
		}
		for _, p := range parts[len(parts)-3:] {
			if p == "" {
				return d, fmt.Errorf("%w: wheel %q has an empty compatibility tag", ErrFilename, filename)
			}
		}
		if err := ValidateName(parts[0]); err != nil {
			return d, fmt.Errorf("%w: wheel %q: %w", ErrFilename, filename, err)
		}
		v, err := ParseVersion(strings.ReplaceAll(parts[1], "_", "-"))
		if err != nil {
			return d, fmt.Errorf("%w: wheel %q: %w", ErrFilename, filename, err)
		}
		d.Name, d.Version = parts[0], v
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".zip"):
		d.Kind = Sdist
		if strings.HasSuffix(lower, ".zip") {
			d.Stem = filename[:len(filename)-len(".zip")]
		} else {
			d.Stem = filename[:len(filename)-len(".tar.gz")]
		}
		found := false
		for i := 0; i < len(d.Stem); i++ {
			if d.Stem[i] != '-' {
				continue
			}
			name, ver := d.Stem[:i], d.Stem[i+1:]
			if ValidateName(name) != nil || (want != "" && NormalizeName(name) != want) {
				continue
			}
			v, err := ParseVersion(ver)
			if err != nil {
				continue
			}
			d.Name, d.Version, found = name, v, true
			break
		}
		if !found {
			return d, fmt.Errorf("%w: sdist %q must be NAME-VERSION.tar.gz (or .zip) with a valid name and PEP 440 version", ErrFilename, filename)
		}
	default:
		return d, fmt.Errorf("%w: %q is neither a wheel (.whl) nor an sdist (.tar.gz, .zip)", ErrFilename, filename)
	}
	if want != "" && NormalizeName(d.Name) != want {
		return d, fmt.Errorf("%w: %q is not a file of project %s", ErrFilename, filename, project)
	}
	return d, nil
}

// Metadata is the part of a distribution's core metadata (METADATA,
// PKG-INFO) the registry uses.
type Metadata struct {
	MetadataVersion string
	Name            string
	Version         string
	RequiresPython  string
	Summary         string
}

// maxMetadataHeader bounds the header section of a core metadata file.
const maxMetadataHeader = 1 << 20

// ParseMetadata parses core metadata (an RFC 822 style header block; the
// body after the first empty line is the description and is ignored) and
// validates Metadata-Version, Name and Version.
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxMetadataHeader)
	last := ""
	size := 0
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		size += len(line)
		if size > maxMetadataHeader {
			return m, fmt.Errorf("%w: header section larger than %d bytes", ErrMetadata, maxMetadataHeader)
		}
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				fields[last] += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return m, fmt.Errorf("%w: line %q is not \"Field: value\"", ErrMetadata, truncate(line))
		}
		k = strings.ToLower(strings.TrimSpace(k))
		last = k
		if _, dup := fields[k]; !dup {
			fields[k] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return m, fmt.Errorf("%w: a header line is larger than %d bytes", ErrMetadata, maxMetadataHeader)
		}
		return m, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	m = Metadata{MetadataVersion: fields["metadata-version"], Name: fields["name"], Version: fields["version"],
		RequiresPython: fields["requires-python"], Summary: fields["summary"]}
	if !validMetadataVersion(m.MetadataVersion) {
		return m, fmt.Errorf("%w: Metadata-Version %q is not supported (1.0 to 2.x)", ErrMetadata, truncate(m.MetadataVersion))
	}
	if err := ValidateName(m.Name); err != nil {
		return m, fmt.Errorf("%w: Name: %w", ErrMetadata, err)
	}
	v, err := ParseVersion(m.Version)
	if err != nil {
		return m, fmt.Errorf("%w: Version: %w", ErrMetadata, err)
	}
	m.Version = v
	if hasControl(m.RequiresPython) || len(m.RequiresPython) > 256 {
		return m, fmt.Errorf("%w: Requires-Python %q is not a version specifier", ErrMetadata, truncate(m.RequiresPython))
	}
	if len(m.Summary) > 512 {
		m.Summary = m.Summary[:512]
	}
	return m, nil
}

var metadataVersionRE = regexp.MustCompile(`^(1\.[0-2]|2\.[0-9]+)$`)

func validMetadataVersion(v string) bool { return metadataVersionRE.MatchString(v) }

func hasControl(s string) bool {
	for _, c := range s {
		if c < ' ' || c == 0x7f {
			return true
		}
	}
	return false
}

// RouteKind names the PyPI routes below /api/v1/packages/pypi/{org}/.
type RouteKind int

// Route kinds.
const (
	// RouteUnknown is any path the protocol does not claim (handed to the REST API).
	RouteUnknown RouteKind = iota
	// RouteUpload is the legacy upload API ("" — POST with :action=file_upload).
	RouteUpload
	// RouteSimpleRoot is simple/ (the project list).
	RouteSimpleRoot
	// RouteSimpleProject is simple/{name}/.
	RouteSimpleProject
	// RouteFile is files/{name}/{version}/{filename}.
	RouteFile
	// RouteMetadata is files/{name}/{version}/{filename}.metadata (PEP 658).
	RouteMetadata
	// RouteJSON is pypi/{name}/json and pypi/{name}/{version}/json.
	RouteJSON
	// RouteInvalid is a claimed path with an invalid name or encoding.
	RouteInvalid
)

// Route is a parsed request path.
type Route struct {
	Kind RouteKind
	// Name is the project name as written in the path.
	Name     string
	Version  string
	Filename string
	// Redirect is the canonical path (relative to the org root) when the
	// request should be redirected there (missing slash, other spelling).
	Redirect string
	Err      error
}

// ParseRoute parses the escaped path below /api/v1/packages/pypi/{org}/.
func ParseRoute(rest string) Route {
	if rest == "" {
		return Route{Kind: RouteUpload}
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil || strings.ContainsAny(u, "/\\") || u == ".." || u == "." {
			return Route{Kind: RouteInvalid, Err: fmt.Errorf("%w: bad path segment %q", store.ErrInvalid, truncate(p))}
		}
		parts[i] = u
	}
	name := func(n string) error {
		return ValidateName(n)
	}
	switch parts[0] {
	case "simple":
		switch {
		case len(parts) == 1:
			return Route{Kind: RouteSimpleRoot, Redirect: "simple/"}
		case len(parts) == 2 && parts[1] == "":
			return Route{Kind: RouteSimpleRoot}
		case len(parts) == 2 || (len(parts) == 3 && parts[2] == ""):
			r := Route{Kind: RouteSimpleProject, Name: parts[1]}
			if err := name(r.Name); err != nil {
				return Route{Kind: RouteInvalid, Err: err}
			}
			if len(parts) == 2 || NormalizeName(r.Name) != r.Name {
				r.Redirect = "simple/" + NormalizeName(r.Name) + "/"
			}
			return r
		}
	case "files":
		if len(parts) == 4 && parts[3] != "" {
			r := Route{Kind: RouteFile, Name: parts[1], Version: parts[2], Filename: parts[3]}
			if f, ok := strings.CutSuffix(r.Filename, ".metadata"); ok {
				r.Kind, r.Filename = RouteMetadata, f
			}
			if err := name(r.Name); err != nil {
				return Route{Kind: RouteInvalid, Err: err}
			}
			return r
		}
	case "pypi":
		if (len(parts) == 3 || len(parts) == 4) && parts[len(parts)-1] == "json" {
			r := Route{Kind: RouteJSON, Name: parts[1]}
			if len(parts) == 4 {
				r.Version = parts[2]
			}
			if err := name(r.Name); err != nil {
				return Route{Kind: RouteInvalid, Err: err}
			}
			return r
		}
	}
	return Route{Kind: RouteUnknown}
}
