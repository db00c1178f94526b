package nuget

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Sentinel errors of the NuGet parsers.
var (
	// ErrVersion reports a version that is not a NuGet (SemVer 2.0 with an
	// optional fourth part) version.
	ErrVersion = errors.New("invalid NuGet version")
	// ErrID reports an invalid package id.
	ErrID = errors.New("invalid NuGet package id")
)

// Version is a parsed NuGet version: Major.Minor.Patch[.Revision]
// [-Release][+Metadata].
type Version struct {
	Major, Minor, Patch, Revision int
	// Release is the pre-release label without '-' ("" for a release).
	Release string
	// Metadata is the build metadata without '+'.
	Metadata string
}

var labelRE = regexp.MustCompile(`^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$`)

// ParseVersion parses a NuGet version. Like NuGet it accepts one to four
// numeric parts with leading zeros ("01.2" is 1.2.0).
func ParseVersion(s string) (Version, error) {
	var v Version
	if s == "" || len(s) > 128 {
		return v, fmt.Errorf("%w %q: empty or longer than 128 characters", ErrVersion, s)
	}
	rest := s
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		v.Metadata = rest[i+1:]
		rest = rest[:i]
		if !labelRE.MatchString(v.Metadata) {
			return v, fmt.Errorf("%w %q: bad build metadata", ErrVersion, s)
		}
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		v.Release = rest[i+1:]
		rest = rest[:i]
		if !labelRE.MatchString(v.Release) {
			return v, fmt.Errorf("%w %q: bad pre-release label", ErrVersion, s)
		}
	}
	parts := strings.Split(rest, ".")
	if len(parts) > 4 {
		return v, fmt.Errorf("%w %q: more than four numeric parts", ErrVersion, s)
	}
	nums := [4]int{}
	for i, p := range parts {
		if p == "" || len(p) > 9 || strings.Trim(p, "0123456789") != "" {
			return v, fmt.Errorf("%w %q: part %q is not a number", ErrVersion, s, p)
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return v, fmt.Errorf("%w %q: %v", ErrVersion, s, err)
		}
		nums[i] = n
	}
	v.Major, v.Minor, v.Patch, v.Revision = nums[0], nums[1], nums[2], nums[3]
	return v, nil
}

// String returns the normalised version as NuGet prints it: leading zeros
// dropped, a zero fourth part omitted, build metadata removed. The case of
// the pre-release label is kept.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Revision != 0 {
		s += "." + strconv.Itoa(v.Revision)
	}
	if v.Release != "" {
		s += "-" + v.Release
	}
	return s
}

// Full returns the normalised version with its build metadata.
func (v Version) Full() string {
	if v.Metadata != "" {
		return v.String() + "+" + v.Metadata
	}
	return v.String()
}

// Key is the normalised, lower-case version: the form drok stores and
// the flat container uses in URLs.
func (v Version) Key() string { return strings.ToLower(v.String()) }

// IsPrerelease reports whether v has a pre-release label.
func (v Version) IsPrerelease() bool { return v.Release != "" }

// IsSemVer2 reports whether only SemVer 2.0 aware clients understand v
// (a dotted pre-release label or build metadata).
func (v Version) IsSemVer2() bool {
	return strings.Contains(v.Release, ".") || v.Metadata != ""
}

// NormalizeVersion returns the storage key (normalised, lower-case) of s.
func NormalizeVersion(s string) (string, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return "", err
	}
	return v.Key(), nil
}

// Compare orders two versions by NuGet's rules: numeric parts, then a
// release above any of its pre-releases, pre-release identifiers compared
// one by one (numbers numerically and below labels, labels without regard
// to case). Build metadata is ignored.
func (v Version) Compare(o Version) int {
	for _, d := range [4]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch, v.Revision - o.Revision} {
		if d != 0 {
			return sign(d)
		}
	}
	switch {
	case v.Release == "" && o.Release == "":
		return 0
	case v.Release == "":
		return 1
	case o.Release == "":
		return -1
	}
	a, b := strings.Split(v.Release, "."), strings.Split(o.Release, ".")
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareIdent(a[i], b[i]); c != 0 {
			return c
		}
	}
	return sign(len(a) - len(b))
}

func compareIdent(a, b string) int {
	an, aerr := strconv.ParseUint(a, 10, 64)
	bn, berr := strconv.ParseUint(b, 10, 64)
	switch {
	case aerr == nil && berr == nil:
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	case aerr == nil:
		return -1
	case berr == nil:
		return 1
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func sign(d int) int {
	switch {
	case d < 0:
		return -1
	case d > 0:
		return 1
	}
	return 0
}

// CompareVersions orders two version strings; unparsable ones sort first,
// by string.
func CompareVersions(a, b string) int {
	va, errA := ParseVersion(a)
	vb, errB := ParseVersion(b)
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	}
	return va.Compare(vb)
}

// ValidateID checks a package id: ASCII letters, digits and '_', with
// single '.' or '-' separators between them, at most 100 characters
// (NuGet's ^\w+([.-]\w+)*$ restricted to ASCII).
func ValidateID(id string) error {
	if len(id) == 0 || len(id) > 100 {
		return fmt.Errorf("%w %q: must be 1-100 characters", ErrID, id)
	}
	prevSep := true // no separator first
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			prevSep = false
		case (c == '.' || c == '-') && !prevSep:
			prevSep = true
		default:
			return fmt.Errorf("%w %q: use letters, digits, '_', and '.' or '-' between them", ErrID, id)
		}
	}
	if prevSep {
		return fmt.Errorf("%w %q: must not end with '.' or '-'", ErrID, id)
	}
	return nil
}

// NormalizeID validates id and returns its canonical (lower-case) form.
func NormalizeID(id string) (string, error) {
	if err := ValidateID(id); err != nil {
		return "", err
	}
	return strings.ToLower(id), nil
}

// VersionRange normalises a dependency's version range to NuGet's
// interval notation: "1.0" becomes "[1.0.0, )", an empty range "(, )".
// Ranges already in interval notation have their bounds normalised.
func VersionRange(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "(, )", nil
	}
	if s[0] != '[' && s[0] != '(' {
		v, err := ParseVersion(s)
		if err != nil {
			return "", err
		}
		return "[" + v.String() + ", )", nil
	}
	last := s[len(s)-1]
	if len(s) < 3 || (last != ']' && last != ')') {
		return "", fmt.Errorf("%w: bad version range %q", ErrVersion, s)
	}
	inner := s[1 : len(s)-1]
	lo, hi, comma := strings.Cut(inner, ",")
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	norm := func(p string) (string, error) {
		if p == "" {
			return "", nil
		}
		v, err := ParseVersion(p)
		if err != nil {
			return "", err
		}
		return v.String(), nil
	}
	nlo, err := norm(lo)
	if err != nil {
		return "", err
	}
	if !comma {
		if s[0] != '[' || last != ']' || nlo == "" {
			return "", fmt.Errorf("%w: bad version range %q", ErrVersion, s)
		}
		return "[" + nlo + ", " + nlo + "]", nil
	}
	nhi, err := norm(hi)
	if err != nil {
		return "", err
	}
	return string(s[0]) + nlo + ", " + nhi + string(last), nil
}
