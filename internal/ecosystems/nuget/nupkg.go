package nuget

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// ErrPackage reports a .nupkg that is not a valid NuGet package.
var ErrPackage = errors.New("invalid .nupkg")

// Limits bound the inspection of a .nupkg.
type Limits struct {
	// MaxEntries is the most zip entries accepted.
	MaxEntries int
	// MaxDirectory is the largest central directory accepted, in bytes.
	MaxDirectory int64
	// MaxNuspec is the largest (uncompressed) .nuspec accepted.
	MaxNuspec int64
}

// DefaultLimits are the limits used for pushes.
var DefaultLimits = Limits{MaxEntries: 20000, MaxDirectory: 8 << 20, MaxNuspec: 1 << 20}

// Dependency is one dependency of a dependency group.
type Dependency struct {
	ID    string `json:"id"`
	Range string `json:"range"`
}

// DependencyGroup lists the dependencies for one target framework ("" =
// any framework).
type DependencyGroup struct {
	TargetFramework string       `json:"targetFramework,omitempty"`
	Dependencies    []Dependency `json:"dependencies,omitempty"`
}

// Nuspec is the package metadata drok keeps from a .nuspec.
type Nuspec struct {
	ID                       string            `json:"id"`
	Version                  string            `json:"version"` // normalised, original case
	FullVersion              string            `json:"fullVersion,omitempty"`
	Title                    string            `json:"title,omitempty"`
	Authors                  string            `json:"authors,omitempty"`
	Owners                   string            `json:"owners,omitempty"`
	Description              string            `json:"description,omitempty"`
	Summary                  string            `json:"summary,omitempty"`
	ReleaseNotes             string            `json:"releaseNotes,omitempty"`
	Copyright                string            `json:"copyright,omitempty"`
	Language                 string            `json:"language,omitempty"`
	Tags                     string            `json:"tags,omitempty"`
	ProjectURL               string            `json:"projectUrl,omitempty"`
	IconURL                  string            `json:"iconUrl,omitempty"`
	LicenseURL               string            `json:"licenseUrl,omitempty"`
	LicenseExpression        string            `json:"licenseExpression,omitempty"`
	RequireLicenseAcceptance bool              `json:"requireLicenseAcceptance,omitempty"`
	MinClientVersion         string            `json:"minClientVersion,omitempty"`
	DependencyGroups         []DependencyGroup `json:"dependencyGroups,omitempty"`
	SemVer2                  bool              `json:"semver2,omitempty"`
}

type xmlDependency struct {
	ID      string `xml:"id,attr"`
	Version string `xml:"version,attr"`
}

type xmlNuspec struct {
	XMLName  xml.Name `xml:"package"`
	Metadata struct {
		MinClientVersion         string `xml:"minClientVersion,attr"`
		ID                       string `xml:"id"`
		Version                  string `xml:"version"`
		Title                    string `xml:"title"`
		Authors                  string `xml:"authors"`
		Owners                   string `xml:"owners"`
		Description              string `xml:"description"`
		Summary                  string `xml:"summary"`
		ReleaseNotes             string `xml:"releaseNotes"`
		Copyright                string `xml:"copyright"`
		Language                 string `xml:"language"`
		Tags                     string `xml:"tags"`
		ProjectURL               string `xml:"projectUrl"`
		IconURL                  string `xml:"iconUrl"`
		LicenseURL               string `xml:"licenseUrl"`
		RequireLicenseAcceptance bool   `xml:"requireLicenseAcceptance"`
		License                  struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"license"`
		Dependencies struct {
			Groups []struct {
				TargetFramework string          `xml:"targetFramework,attr"`
				Deps            []xmlDependency `xml:"dependency"`
			} `xml:"group"`
			Deps []xmlDependency `xml:"dependency"`
		} `xml:"dependencies"`
	} `xml:"metadata"`
}

// ParseNuspec parses and validates .nuspec XML.
func ParseNuspec(data []byte) (Nuspec, error) {
	var x xmlNuspec
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(&x); err != nil {
		return Nuspec{}, fmt.Errorf("%w: .nuspec is not valid XML: %v", ErrPackage, err)
	}
	m := x.Metadata
	n := Nuspec{
		ID: strings.TrimSpace(m.ID), Title: m.Title, Authors: m.Authors, Owners: m.Owners,
		Description: m.Description, Summary: m.Summary, ReleaseNotes: m.ReleaseNotes, Copyright: m.Copyright,
		Language: m.Language, Tags: strings.TrimSpace(m.Tags), ProjectURL: m.ProjectURL, IconURL: m.IconURL,
		LicenseURL: m.LicenseURL, RequireLicenseAcceptance: m.RequireLicenseAcceptance,
		MinClientVersion: m.MinClientVersion,
	}
	if strings.EqualFold(m.License.Type, "expression") {
		n.LicenseExpression = strings.TrimSpace(m.License.Value)
	}
	if err := ValidateID(n.ID); err != nil {
		return Nuspec{}, fmt.Errorf("%w: .nuspec <id>: %w", ErrPackage, err)
	}
	v, err := ParseVersion(strings.TrimSpace(m.Version))
	if err != nil {
		return Nuspec{}, fmt.Errorf("%w: .nuspec <version>: %w", ErrPackage, err)
	}
	n.Version, n.FullVersion, n.SemVer2 = v.String(), v.Full(), v.IsSemVer2()
	if strings.TrimSpace(n.Description) == "" {
		return Nuspec{}, fmt.Errorf("%w: .nuspec has no <description>", ErrPackage)
	}
	if strings.TrimSpace(n.Authors) == "" {
		return Nuspec{}, fmt.Errorf("%w: .nuspec has no <authors>", ErrPackage)
	}
	deps := func(in []xmlDependency) ([]Dependency, error) {
		var out []Dependency
		for _, dep := range in {
			if err := ValidateID(dep.ID); err != nil {
				return nil, fmt.Errorf("%w: dependency: %w", ErrPackage, err)
			}
			r, err := VersionRange(dep.Version)
			if err != nil {
				return nil, fmt.Errorf("%w: dependency %s: %w", ErrPackage, dep.ID, err)
			}
			out = append(out, Dependency{ID: dep.ID, Range: r})
		}
		return out, nil
	}
	if len(m.Dependencies.Deps) > 0 {
		ds, err := deps(m.Dependencies.Deps)
		if err != nil {
			return Nuspec{}, err
		}
		n.DependencyGroups = append(n.DependencyGroups, DependencyGroup{Dependencies: ds})
	}
	for _, g := range m.Dependencies.Groups {
		ds, err := deps(g.Deps)
		if err != nil {
			return Nuspec{}, err
		}
		n.DependencyGroups = append(n.DependencyGroups, DependencyGroup{TargetFramework: g.TargetFramework, Dependencies: ds})
	}
	return n, nil
}

// Inspected is what InspectNupkg found in a package.
type Inspected struct {
	Nuspec Nuspec
	// NuspecXML is the .nuspec file as stored in the package.
	NuspecXML []byte
}

// InspectNupkg checks that r (size bytes) is a zip archive with safe entry
// names, within the limits, with exactly one .nuspec at its root, and
// parses that .nuspec. Only the .nuspec is decompressed.
func InspectNupkg(r io.ReaderAt, size int64, lim Limits) (Inspected, error) {
	var out Inspected
	if err := checkDirectory(r, size, lim); err != nil {
		return out, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return out, fmt.Errorf("%w: not a zip archive: %v", ErrPackage, err)
	}
	if len(zr.File) > lim.MaxEntries {
		return out, fmt.Errorf("%w: more than %d entries", ErrPackage, lim.MaxEntries)
	}
	seen := make(map[string]bool, len(zr.File))
	var nuspec *zip.File
	for _, f := range zr.File {
		if err := checkEntryName(f.Name); err != nil {
			return out, err
		}
		lower := strings.ToLower(f.Name)
		if seen[lower] {
			return out, fmt.Errorf("%w: duplicate entry %q", ErrPackage, f.Name)
		}
		seen[lower] = true
		if !f.Mode().IsDir() && !f.Mode().IsRegular() {
			return out, fmt.Errorf("%w: entry %q is not a regular file", ErrPackage, f.Name)
		}
		if !strings.Contains(f.Name, "/") && strings.HasSuffix(lower, ".nuspec") {
			if nuspec != nil {
				return out, fmt.Errorf("%w: more than one .nuspec at the root (%s, %s)", ErrPackage, nuspec.Name, f.Name)
			}
			nuspec = f
		}
	}
	if nuspec == nil {
		return out, fmt.Errorf("%w: no .nuspec file at the root of the archive", ErrPackage)
	}
	if nuspec.UncompressedSize64 > uint64(lim.MaxNuspec) {
		return out, fmt.Errorf("%w: .nuspec larger than %d bytes", ErrPackage, lim.MaxNuspec)
	}
	rc, err := nuspec.Open()
	if err != nil {
		return out, fmt.Errorf("%w: open %s: %v", ErrPackage, nuspec.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, lim.MaxNuspec+1))
	if err != nil {
		return out, fmt.Errorf("%w: read %s: %v", ErrPackage, nuspec.Name, err)
	}
	if int64(len(data)) > lim.MaxNuspec {
		return out, fmt.Errorf("%w: .nuspec larger than %d bytes", ErrPackage, lim.MaxNuspec)
	}
	out.NuspecXML = data
	out.Nuspec, err = ParseNuspec(data)
	return out, err
}

// checkEntryName refuses names that could escape an extraction directory.
func checkEntryName(name string) error {
	bad := name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") ||
		strings.ContainsRune(name, 0) || (len(name) > 1 && name[1] == ':')
	if !bad {
		for _, seg := range strings.Split(name, "/") {
			if seg == ".." {
				bad = true
				break
			}
		}
	}
	if bad || path.Clean("/"+name) == "/" {
		return fmt.Errorf("%w: unsafe entry name %q", ErrPackage, name)
	}
	return nil
}

// checkDirectory reads the end-of-central-directory record and refuses
// archives whose directory is too large or that carry data after it,
// before archive/zip loads the directory into memory.
func checkDirectory(r io.ReaderAt, size int64, lim Limits) error {
	const eocdLen = 22
	if size < eocdLen {
		return fmt.Errorf("%w: not a zip archive (%d bytes)", ErrPackage, size)
	}
	tail := int64(eocdLen + 65535)
	if tail > size {
		tail = size
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: read archive: %v", ErrPackage, err)
	}
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) != 0x06054b50 {
			continue
		}
		entries := binary.LittleEndian.Uint16(buf[i+10:])
		dirSize := binary.LittleEndian.Uint32(buf[i+12:])
		comment := int(binary.LittleEndian.Uint16(buf[i+20:]))
		if i+eocdLen+comment != len(buf) {
			continue // a signature inside a comment or data
		}
		if entries == 0xffff || dirSize == 0xffffffff {
			return fmt.Errorf("%w: zip64 archives with that many entries are not accepted", ErrPackage)
		}
		if int(entries) > lim.MaxEntries || int64(dirSize) > lim.MaxDirectory {
			return fmt.Errorf("%w: more than %d entries or a central directory over %d bytes", ErrPackage, lim.MaxEntries, lim.MaxDirectory)
		}
		return nil
	}
	return fmt.Errorf("%w: not a zip archive (no end of central directory)", ErrPackage)
}
