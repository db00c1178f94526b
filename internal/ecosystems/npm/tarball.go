package npm

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
)

// TarballInfo is what the registry learns from a package tarball.
type TarballInfo struct {
	// PackageJSON is the raw content of package/package.json.
	PackageJSON []byte
	// FileCount and UnpackedSize describe the regular files.
	FileCount    int
	UnpackedSize int64
	// HasShrinkwrap reports an npm-shrinkwrap.json at the package root.
	HasShrinkwrap bool
	// HasBindingGyp reports a binding.gyp (npm then runs node-gyp on install).
	HasBindingGyp bool
	// Readme is the root README (when small enough) and its file name.
	Readme, ReadmeFilename string
}

// TarballLimits bound the work of InspectTarball.
type TarballLimits struct {
	MaxEntries     int
	MaxUnpacked    int64
	MaxPackageJSON int64
	MaxReadme      int64
	// MaxTrailing bounds decompressed bytes after the end of the archive.
	MaxTrailing int64
}

// DefaultTarballLimits are the limits the registry applies.
var DefaultTarballLimits = TarballLimits{
	MaxEntries:     200_000,
	MaxUnpacked:    2 << 30,
	MaxPackageJSON: 8 << 20,
	MaxReadme:      1 << 20,
	MaxTrailing:    1 << 20,
}

var readmeRE = regexp.MustCompile(`(?i)^readme(\.(md|markdown|mkd|txt|rst))?$`)

// InspectTarball reads a gzip-compressed npm package tarball to its end
// and returns its package.json and statistics. It refuses archives that are
// not gzip+tar, entries with absolute or traversing paths, links that
// escape the package, device entries, duplicate entries, a missing or
// duplicate package.json and archives beyond the limits. Entries are
// rooted at the first path component, as npm extracts them.
func InspectTarball(r io.Reader, lim TarballLimits) (TarballInfo, error) {
	var info TarballInfo
	gz, err := gzip.NewReader(r)
	if err != nil {
		return info, fmt.Errorf("%w: not a gzip file: %v", ErrTarball, err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]struct{}{}
	entries := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, tarErr(err)
		}
		entries++
		if entries > lim.MaxEntries {
			return info, fmt.Errorf("%w: the tarball has more than %d entries", ecosystems.ErrTooLarge, lim.MaxEntries)
		}
		rel, err := entryPath(hdr.Name)
		if err != nil {
			return info, err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeSymlink, tar.TypeLink:
			if err := checkLink(hdr, rel); err != nil {
				return info, err
			}
		case tar.TypeReg: // the reader reports old-style TypeRegA entries as TypeReg
		default:
			return info, fmt.Errorf("%w: entry %q has unsupported type %q", ErrTarball, hdr.Name, hdr.Typeflag)
		}
		if rel == "" {
			return info, fmt.Errorf("%w: entry %q is not inside the package directory", ErrTarball, hdr.Name)
		}
		if _, dup := seen[rel]; dup {
			return info, fmt.Errorf("%w: duplicate entry %q", ErrTarball, hdr.Name)
		}
		seen[rel] = struct{}{}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		info.FileCount++
		info.UnpackedSize += hdr.Size
		if hdr.Size < 0 || info.UnpackedSize > lim.MaxUnpacked {
			return info, fmt.Errorf("%w: the tarball unpacks to more than %d bytes", ecosystems.ErrTooLarge, lim.MaxUnpacked)
		}
		switch {
		case rel == "package.json":
			if hdr.Size > lim.MaxPackageJSON {
				return info, fmt.Errorf("%w: package.json is larger than %d bytes", ErrTarball, lim.MaxPackageJSON)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return info, tarErr(err)
			}
			info.PackageJSON = b
		case rel == "npm-shrinkwrap.json":
			info.HasShrinkwrap = true
		case rel == "binding.gyp":
			info.HasBindingGyp = true
		case info.Readme == "" && readmeRE.MatchString(rel) && hdr.Size <= lim.MaxReadme:
			b, err := io.ReadAll(tr)
			if err != nil {
				return info, tarErr(err)
			}
			info.Readme, info.ReadmeFilename = string(b), rel
		}
	}
	if info.PackageJSON == nil {
		return info, fmt.Errorf("%w: the tarball has no package/package.json", ErrTarball)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(gz, lim.MaxTrailing+1))
	if err != nil {
		return info, tarErr(err)
	}
	if n > lim.MaxTrailing {
		return info, fmt.Errorf("%w: data after the end of the archive", ErrTarball)
	}
	return info, nil
}

func tarErr(err error) error {
	if errors.Is(err, ErrTarball) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrTarball, err)
}

// entryPath checks an archive entry name and returns it relative to the
// package root (the first component stripped), "" for the root itself.
func entryPath(name string) (string, error) {
	if strings.ContainsAny(name, "\x00\\") {
		return "", fmt.Errorf("%w: entry name %q contains a NUL or backslash", ErrTarball, name)
	}
	if strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':') {
		return "", fmt.Errorf("%w: entry %q has an absolute path", ErrTarball, name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return "", fmt.Errorf("%w: entry %q leaves the package directory", ErrTarball, name)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	_, rel, _ := strings.Cut(clean, "/")
	return rel, nil
}

// checkLink refuses links whose target is absolute or escapes the package.
func checkLink(hdr *tar.Header, rel string) error {
	target := hdr.Linkname
	if target == "" || strings.ContainsAny(target, "\x00\\") || strings.HasPrefix(target, "/") || (len(target) > 1 && target[1] == ':') {
		return fmt.Errorf("%w: link %q points to %q", ErrTarball, hdr.Name, target)
	}
	var resolved string
	if hdr.Typeflag == tar.TypeLink {
		r, err := entryPath(target)
		if err != nil {
			return err
		}
		resolved = r
	} else {
		resolved = path.Join(path.Dir(rel), target)
	}
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("%w: link %q escapes the package directory", ErrTarball, hdr.Name)
	}
	return nil
}
