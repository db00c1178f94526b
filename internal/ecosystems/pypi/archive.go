package pypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Limits bound the CPU and memory spent inspecting one archive.
type Limits struct {
	// MaxEntries is the most entries an archive may have.
	MaxEntries int
	// MaxDirectory is the largest zip central directory, in bytes.
	MaxDirectory int64
	// MaxMetadata is the largest METADATA / PKG-INFO / WHEEL file.
	MaxMetadata int64
	// MaxUnpacked bounds the bytes decompressed while reading a tar.gz
	// sdist (every entry is read to see every header).
	MaxUnpacked int64
	// MaxRatio bounds decompressed/compressed for tar.gz sdists.
	MaxRatio int64
}

// DefaultLimits are the limits the registry applies.
var DefaultLimits = Limits{MaxEntries: 100_000, MaxDirectory: 32 << 20, MaxMetadata: 8 << 20,
	MaxUnpacked: 4 << 30, MaxRatio: 200}

// checkEntryName refuses archive member names that could escape an
// extraction directory or confuse tools: absolute paths, '..' segments,
// backslashes, drive letters, NUL and control characters.
func checkEntryName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty entry name", ErrArchive)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("%w: absolute entry %q", ErrArchive, truncate(name))
	case strings.Contains(name, "\\"):
		return fmt.Errorf("%w: entry %q contains a backslash", ErrArchive, truncate(name))
	case len(name) >= 2 && name[1] == ':':
		return fmt.Errorf("%w: entry %q has a drive letter", ErrArchive, truncate(name))
	case hasControl(name):
		return fmt.Errorf("%w: entry %q contains control characters", ErrArchive, truncate(name))
	}
	for _, seg := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if seg == ".." {
			return fmt.Errorf("%w: entry %q leaves the archive directory (..)", ErrArchive, truncate(name))
		}
	}
	return nil
}

// zipDirectory reads the end of central directory record (zip64 aware)
// and checks the entry count and directory size before archive/zip
// allocates anything, and that no data trails the archive.
func zipDirectory(r io.ReaderAt, size int64, lim Limits) error {
	const eocdLen, maxComment = 22, 65535
	tail := int64(eocdLen + maxComment)
	if tail > size {
		tail = size
	}
	if tail < eocdLen {
		return fmt.Errorf("%w: not a zip file (too short)", ErrArchive)
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read zip directory: %w", err)
	}
	pos := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == 0x06054b50 {
			pos = i
			break
		}
	}
	if pos < 0 {
		return fmt.Errorf("%w: not a zip file (no end of central directory)", ErrArchive)
	}
	e := buf[pos:]
	entries := uint64(binary.LittleEndian.Uint16(e[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(e[12:]))
	comment := int(binary.LittleEndian.Uint16(e[20:]))
	if pos+eocdLen+comment != len(buf) {
		return fmt.Errorf("%w: data after the end of the zip archive", ErrArchive)
	}
	if entries == 0xffff || dirSize == 0xffffffff {
		// zip64: the locator sits just before the EOCD record.
		locAt := size - tail + int64(pos) - 20
		if locAt < 0 {
			return fmt.Errorf("%w: truncated zip64 directory", ErrArchive)
		}
		loc := make([]byte, 20)
		if _, err := r.ReadAt(loc, locAt); err != nil || binary.LittleEndian.Uint32(loc) != 0x07064b50 {
			return fmt.Errorf("%w: bad zip64 directory locator", ErrArchive)
		}
		off := int64(binary.LittleEndian.Uint64(loc[8:]))
		rec := make([]byte, 56)
		if off < 0 || off+56 > size {
			return fmt.Errorf("%w: bad zip64 directory offset", ErrArchive)
		}
		if _, err := r.ReadAt(rec, off); err != nil || binary.LittleEndian.Uint32(rec) != 0x06064b50 {
			return fmt.Errorf("%w: bad zip64 directory record", ErrArchive)
		}
		entries = binary.LittleEndian.Uint64(rec[32:])
		dirSize = binary.LittleEndian.Uint64(rec[40:])
	}
	if entries > uint64(lim.MaxEntries) {
		return fmt.Errorf("%w: %d entries, at most %d allowed", ErrArchive, entries, lim.MaxEntries)
	}
	if dirSize > uint64(lim.MaxDirectory) {
		return fmt.Errorf("%w: zip directory of %d bytes, at most %d allowed", ErrArchive, dirSize, lim.MaxDirectory)
	}
	return nil
}

// openZip checks the directory bounds and every entry name, refusing
// duplicates and links, and returns the reader.
func openZip(r io.ReaderAt, size int64, lim Limits) (*zip.Reader, error) {
	if err := zipDirectory(r, size, lim); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrArchive, err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("%w: %d entries, at most %d allowed", ErrArchive, len(zr.File), lim.MaxEntries)
	}
	seen := make(map[string]bool, len(zr.File))
	for _, f := range zr.File {
		if err := checkEntryName(f.Name); err != nil {
			return nil, err
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("%w: duplicate entry %q", ErrArchive, truncate(f.Name))
		}
		seen[f.Name] = true
		if f.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%w: entry %q is a symbolic link", ErrArchive, truncate(f.Name))
		}
	}
	return zr, nil
}

// readZipFile reads one entry with a size limit.
func readZipFile(f *zip.File, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrArchive, f.Name, max)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrArchive, f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrArchive, f.Name, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrArchive, f.Name, max)
	}
	return b, nil
}

// matchesStem reports whether stem is NAME-VERSION for project name and
// normalised version (names compared by PEP 503, versions by PEP 440
// normalisation; wheels escape '-' as '_').
func matchesStem(stem, name, version string) bool {
	for i := 0; i < len(stem); i++ {
		if stem[i] != '-' {
			continue
		}
		n, v := stem[:i], stem[i+1:]
		if ValidateName(n) != nil || NormalizeName(n) != NormalizeName(name) {
			continue
		}
		if nv, err := ParseVersion(strings.ReplaceAll(v, "_", "-")); err == nil && nv == version {
			return true
		}
	}
	return false
}

// InspectWheel checks a wheel's structure and returns its
// .dist-info/METADATA. The archive must be a clean zip (see openZip) with
// exactly one top-level NAME-VERSION.dist-info directory, matching d,
// holding METADATA and WHEEL.
func InspectWheel(r io.ReaderAt, size int64, d Dist, lim Limits) ([]byte, error) {
	zr, err := openZip(r, size, lim)
	if err != nil {
		return nil, err
	}
	var distInfo string
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		top, _, _ := strings.Cut(f.Name, "/")
		if strings.HasSuffix(top, ".dist-info") && top != f.Name {
			if distInfo != "" && distInfo != top {
				return nil, fmt.Errorf("%w: more than one .dist-info directory (%s, %s)", ErrArchive, truncate(distInfo), truncate(top))
			}
			distInfo = top
		}
		files[f.Name] = f
	}
	if distInfo == "" {
		return nil, fmt.Errorf("%w: wheel has no .dist-info directory", ErrArchive)
	}
	stem := strings.TrimSuffix(distInfo, ".dist-info")
	if !matchesStem(stem, d.Name, d.Version) {
		return nil, fmt.Errorf("%w: the wheel's %s does not belong to %s %s named by the filename", ErrArchive, truncate(distInfo), d.Name, d.Version)
	}
	if _, ok := files[distInfo+"/WHEEL"]; !ok {
		return nil, fmt.Errorf("%w: %s/WHEEL is missing", ErrArchive, distInfo)
	}
	mf, ok := files[distInfo+"/METADATA"]
	if !ok {
		return nil, fmt.Errorf("%w: %s/METADATA is missing", ErrArchive, distInfo)
	}
	return readZipFile(mf, lim.MaxMetadata)
}

// InspectSdist checks a source distribution (.tar.gz, or .zip) and
// returns its PKG-INFO. Every entry must lie below the one top-level
// directory named like the file (d.Stem); links may not leave it.
func InspectSdist(r io.ReaderAt, size int64, d Dist, lim Limits) ([]byte, error) {
	want := d.Stem + "/PKG-INFO"
	under := func(name string) error {
		if err := checkEntryName(name); err != nil {
			return err
		}
		if top, _, _ := strings.Cut(name, "/"); top != d.Stem {
			return fmt.Errorf("%w: entry %q is not below the top-level directory %s/", ErrArchive, truncate(name), d.Stem)
		}
		return nil
	}
	if strings.HasSuffix(strings.ToLower(d.Filename), ".zip") {
		zr, err := openZip(r, size, lim)
		if err != nil {
			return nil, err
		}
		var pkgInfo *zip.File
		for _, f := range zr.File {
			if err := under(f.Name); err != nil {
				return nil, err
			}
			if f.Name == want {
				pkgInfo = f
			}
		}
		if pkgInfo == nil {
			return nil, fmt.Errorf("%w: %s is missing", ErrArchive, want)
		}
		return readZipFile(pkgInfo, lim.MaxMetadata)
	}

	gz, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip data: %w", ErrArchive, err)
	}
	gz.Multistream(false)
	maxOut := lim.MaxUnpacked
	if byRatio := size*lim.MaxRatio + (16 << 20); byRatio < maxOut {
		maxOut = byRatio
	}
	lr := &io.LimitedReader{R: gz, N: maxOut + 1}
	tr := tar.NewReader(lr)
	var pkgInfo []byte
	seen := map[string]bool{}
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("%w: unpacks to more than %d bytes", ErrArchive, maxOut)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrArchive, err)
		}
		if n >= lim.MaxEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrArchive, lim.MaxEntries)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if err := under(name); err != nil {
			return nil, err
		}
		clean := strings.TrimSuffix(name, "/")
		if seen[clean] && h.Typeflag != tar.TypeDir {
			return nil, fmt.Errorf("%w: duplicate entry %q", ErrArchive, truncate(name))
		}
		seen[clean] = true
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir:
		case tar.TypeSymlink, tar.TypeLink:
			target := h.Linkname
			if h.Typeflag == tar.TypeSymlink && !path.IsAbs(target) {
				target = path.Join(path.Dir(clean), target)
			}
			if path.IsAbs(target) || hasControl(target) || !strings.HasPrefix(path.Clean(target)+"/", d.Stem+"/") {
				return nil, fmt.Errorf("%w: link %q points outside the sdist (%q)", ErrArchive, truncate(name), truncate(h.Linkname))
			}
		default:
			return nil, fmt.Errorf("%w: entry %q has an unsupported type (%c)", ErrArchive, truncate(name), h.Typeflag)
		}
		if name == want && h.Typeflag == tar.TypeReg {
			if h.Size > lim.MaxMetadata {
				return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrArchive, want, lim.MaxMetadata)
			}
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(tr, lim.MaxMetadata+1)); err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrArchive, want, err)
			}
			pkgInfo = buf.Bytes()
		}
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w: unpacks to more than %d bytes", ErrArchive, maxOut)
	}
	if pkgInfo == nil {
		return nil, fmt.Errorf("%w: %s is missing", ErrArchive, want)
	}
	return pkgInfo, nil
}
