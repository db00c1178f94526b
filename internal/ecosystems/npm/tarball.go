package npm

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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
	// Readme is the root README (at most TarballLimits.MaxReadme bytes of
	// it) and its file name; ReadmeSize is the file's full size.
	Readme, ReadmeFilename string
	ReadmeSize             int64
	// Files lists the regular files outside node_modules/ (relative to the
	// package root) in archive order, for the expansion of
	// "directories.bin". FilesTruncated is set when the list stopped at
	// TarballLimits.MaxFileList bytes.
	Files          []string
	FilesTruncated bool
}

// TarballLimits bound the work of InspectTarball. Every decompressed byte
// is either file content (bounded by MaxUnpacked) or archive metadata —
// tar headers, PAX and GNU long-name records, padding (bounded by
// MaxHeaderBytes in total and MaxEntryHeader per entry) — so CPU time is
// bounded by MaxUnpacked+MaxHeaderBytes of gunzip, and memory by the
// per-entry bound plus a few words per entry.
type TarballLimits struct {
	MaxEntries  int
	MaxUnpacked int64
	// MaxHeaderBytes bounds all decompressed bytes that are not file content.
	MaxHeaderBytes int64
	// MaxEntryHeader bounds the header bytes of one entry (PAX/GNU records
	// included), so a long-name record is refused before it is buffered.
	MaxEntryHeader int64
	// MaxName bounds entry names and link targets, in bytes, and MaxDepth
	// their number of path components.
	MaxName        int
	MaxDepth       int
	MaxPackageJSON int64
	// MaxReadme bounds the README bytes kept; a longer README is truncated.
	MaxReadme int64
	// MaxTrailing bounds decompressed bytes after the end of the archive.
	MaxTrailing int64
	// MaxFileList bounds the path bytes kept in TarballInfo.Files.
	MaxFileList int
}

// DefaultTarballLimits are the limits the registry applies.
var DefaultTarballLimits = TarballLimits{
	MaxEntries:     200_000,
	MaxUnpacked:    2 << 30,
	MaxHeaderBytes: 256 << 20,
	MaxEntryHeader: 64 << 10,
	MaxName:        4096,
	MaxDepth:       256,
	MaxPackageJSON: 4 << 20,
	MaxReadme:      MaxReadmeBytes,
	MaxTrailing:    1 << 20,
	MaxFileList:    256 << 10,
}

var readmeRE = regexp.MustCompile(`(?i)^readme(\.(md|markdown|mkd|txt|rst))?$`)

// errBudget is what budgetReader returns once its limit is reached; the
// caller replaces it with a message naming the limit.
var errBudget = errors.New("decompression budget exhausted")

// budgetReader hands the tar reader at most limit decompressed bytes in
// total; beyond that it fails with errBudget.
type budgetReader struct {
	r       io.Reader
	n       int64
	limit   int64
	tripped bool
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		b.tripped = true
		return 0, errBudget
	}
	if rem := b.limit - b.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

// InspectTarball reads a gzip-compressed npm package tarball to its end
// and returns its package.json and statistics. It refuses archives that are
// not gzip+tar, entries with absolute or traversing paths, names or link
// targets longer than lim.MaxName, symbolic links that leave the package
// (also through other links), entries below a symbolic link, hard links to
// anything but an earlier file, device entries, sparse files, duplicate
// entries, a missing or duplicate package.json and archives beyond the
// limits. Entries are rooted at the first path component, as npm extracts
// them. Work and memory are bounded by lim (see TarballLimits).
func InspectTarball(r io.Reader, lim TarballLimits) (TarballInfo, error) {
	var info TarballInfo
	gz, err := gzip.NewReader(r)
	if err != nil {
		return info, fmt.Errorf("%w: not a gzip file: %v", ErrTarball, err)
	}
	br := &budgetReader{r: gz}
	tr := tar.NewReader(br)
	paths := newPathSet()
	entries := 0
	fileList := 0
	var contentEnd, headerBytes int64 // br.n where the last entry's content ends; metadata read so far
	last := ""                        // name of the last entry
	for {
		room := min(lim.MaxHeaderBytes-headerBytes, lim.MaxEntryHeader)
		br.limit = contentEnd + room
		hdr, err := tr.Next()
		headerBytes += br.n - contentEnd
		contentEnd = br.n
		if err == io.EOF {
			break
		}
		if err != nil {
			if !br.tripped {
				return info, tarErr(err)
			}
			if room < lim.MaxEntryHeader {
				return info, fmt.Errorf("%w: the tarball's headers take more than %d bytes", ecosystems.ErrTooLarge, lim.MaxHeaderBytes)
			}
			after := "at the start of the archive"
			if last != "" {
				after = "after " + short(last)
			}
			return info, fmt.Errorf("%w: the entry %s has a header larger than %d bytes (entry names and link targets are limited to %d bytes)",
				ErrTarball, after, lim.MaxEntryHeader, lim.MaxName)
		}
		entries++
		if entries > lim.MaxEntries {
			return info, fmt.Errorf("%w: the tarball has more than %d entries", ecosystems.ErrTooLarge, lim.MaxEntries)
		}
		if len(hdr.Name) > lim.MaxName {
			return info, fmt.Errorf("%w: entry %s has a name of %d bytes; the limit is %d", ErrTarball, short(hdr.Name), len(hdr.Name), lim.MaxName)
		}
		if len(hdr.Linkname) > lim.MaxName {
			return info, fmt.Errorf("%w: link %s has a target of %d bytes; the limit is %d", ErrTarball, short(hdr.Name), len(hdr.Linkname), lim.MaxName)
		}
		if d := strings.Count(hdr.Name, "/") + 1; d > lim.MaxDepth {
			return info, fmt.Errorf("%w: entry %s has %d path components; the limit is %d", ErrTarball, short(hdr.Name), d, lim.MaxDepth)
		}
		if d := strings.Count(hdr.Linkname, "/") + 1; d > lim.MaxDepth {
			return info, fmt.Errorf("%w: link %s has a target of %d path components; the limit is %d", ErrTarball, short(hdr.Name), d, lim.MaxDepth)
		}
		last = hdr.Name
		for k := range hdr.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return info, fmt.Errorf("%w: entry %s is a sparse file", ErrTarball, short(hdr.Name))
			}
		}
		rel, err := entryPath(hdr.Name)
		if err != nil {
			return info, err
		}
		switch hdr.Typeflag {
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		case tar.TypeReg: // the reader reports old-style TypeRegA entries as TypeReg
		default:
			return info, fmt.Errorf("%w: entry %s has unsupported type %q", ErrTarball, short(hdr.Name), hdr.Typeflag)
		}
		if rel == "" {
			if hdr.Typeflag == tar.TypeDir {
				continue
			}
			return info, fmt.Errorf("%w: entry %s is not inside the package directory", ErrTarball, short(hdr.Name))
		}
		if link, ok := paths.linkAncestor(rel); ok {
			return info, fmt.Errorf("%w: entry %s is inside %s, which is a symbolic link", ErrTarball, short(hdr.Name), short(link))
		}
		kind := kindFile
		switch hdr.Typeflag {
		case tar.TypeDir:
			kind = kindDir
		case tar.TypeSymlink:
			kind = kindSymlink
			if err := paths.checkSymlink(hdr, rel); err != nil {
				return info, err
			}
		case tar.TypeLink:
			kind = kindHardlink
			if err := paths.checkHardlink(hdr); err != nil {
				return info, err
			}
		}
		if err := paths.add(rel, kind); err != nil {
			return info, fmt.Errorf("%w: entry %s: %v", ErrTarball, short(hdr.Name), err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		info.FileCount++
		info.UnpackedSize += hdr.Size
		if hdr.Size < 0 || info.UnpackedSize > lim.MaxUnpacked {
			return info, fmt.Errorf("%w: the tarball unpacks to more than %d bytes", ecosystems.ErrTooLarge, lim.MaxUnpacked)
		}
		contentEnd = br.n + hdr.Size
		br.limit = contentEnd
		if !strings.HasPrefix(rel, "node_modules/") && !info.FilesTruncated {
			if fileList += len(rel); fileList > lim.MaxFileList {
				info.FilesTruncated = true
			} else {
				info.Files = append(info.Files, rel)
			}
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
		case info.ReadmeFilename == "" && readmeRE.MatchString(rel):
			b, err := io.ReadAll(io.LimitReader(tr, lim.MaxReadme))
			if err != nil {
				return info, tarErr(err)
			}
			info.Readme, info.ReadmeFilename, info.ReadmeSize = string(b), rel, hdr.Size
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

// short quotes s for an error message, eliding the middle of long strings.
func short(s string) string {
	if len(s) > 120 {
		s = s[:60] + "…" + s[len(s)-60:]
	}
	return fmt.Sprintf("%q", s)
}

// entryPath checks an archive entry name and returns it relative to the
// package root (the first component stripped), "" for the root itself.
func entryPath(name string) (string, error) {
	if strings.ContainsAny(name, "\x00\\") {
		return "", fmt.Errorf("%w: entry name %s contains a NUL or backslash", ErrTarball, short(name))
	}
	if strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':') {
		return "", fmt.Errorf("%w: entry %s has an absolute path", ErrTarball, short(name))
	}
	for rest := name; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if seg == ".." {
			return "", fmt.Errorf("%w: entry %s leaves the package directory", ErrTarball, short(name))
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	_, rel, _ := strings.Cut(clean, "/")
	return rel, nil
}

// entryKind is the kind of an entry remembered by pathSet.
type entryKind uint8

// Entry kinds.
const (
	kindDir entryKind = iota + 1
	kindFile
	kindSymlink
	kindHardlink
)

// pathKey is a 128-bit seeded hash of a package-relative path. pathSet
// keeps keys rather than names so that its memory is a few words per
// entry however long the names are. Equal paths always have equal keys, so
// a collision could only make a tarball be refused, never accepted; with
// random seeds it does not happen in practice.
type pathKey [2]uint64

// pathHash hashes a path incrementally: FNV-1a with a random offset basis
// and a polynomial hash with a random odd multiplier. Its state is three
// words, so the link walk can keep one per path component.
type pathHash struct{ a, b, mul uint64 }

func (h *pathHash) write(s string) {
	for i := 0; i < len(s); i++ {
		c := uint64(s[i])
		h.a = (h.a ^ c) * 1099511628211
		h.b = h.b*h.mul + c + 1
	}
}

func (h *pathHash) key() pathKey { return pathKey{h.a, h.b} }

// maxLinkDirs bounds the directories remembered as resolved through by
// link targets.
const maxLinkDirs = 1 << 16

// pathSet tracks the entries of one archive: their kinds (duplicates),
// the symbolic links (nothing may be extracted below one) and the
// directories that link targets resolve through (which may not become
// links later).
type pathSet struct {
	seed  pathHash
	kinds map[pathKey]entryKind
	links map[pathKey]struct{}
	via   map[pathKey]struct{}
	stack []pathHash // scratch space of checkSymlink
}

func newPathSet() *pathSet {
	return &pathSet{seed: pathHash{a: rand.Uint64(), b: rand.Uint64(), mul: rand.Uint64() | 1},
		kinds: map[pathKey]entryKind{}, links: map[pathKey]struct{}{}, via: map[pathKey]struct{}{}}
}

func (s *pathSet) hasher() pathHash { return s.seed }

func (s *pathSet) key(rel string) pathKey {
	h := s.hasher()
	h.write(rel)
	return h.key()
}

// add records rel; only directories may appear twice.
func (s *pathSet) add(rel string, kind entryKind) error {
	k := s.key(rel)
	if old, dup := s.kinds[k]; dup && (old != kindDir || kind != kindDir) {
		return errors.New("duplicate entry")
	}
	if kind == kindSymlink {
		if _, used := s.via[k]; used {
			return errors.New("an earlier link resolves through this path, so it cannot be a symbolic link")
		}
		s.links[k] = struct{}{}
	}
	s.kinds[k] = kind
	return nil
}

// linkAncestor returns the first proper ancestor of rel that is a
// symbolic link, in time linear in len(rel).
func (s *pathSet) linkAncestor(rel string) (string, bool) {
	if len(s.links) == 0 {
		return "", false
	}
	h := s.hasher()
	start := 0
	for i := 0; i < len(rel); i++ {
		if rel[i] != '/' {
			continue
		}
		h.write(rel[start:i])
		start = i
		if _, ok := s.links[h.key()]; ok {
			return rel[:i], true
		}
	}
	return "", false
}

// checkSymlink refuses a symbolic link whose target is absolute, leaves
// the package, or resolves through another symbolic link of the archive
// (then its textual resolution would not be where the file system goes).
// Directories the target passes through are remembered so that a later
// entry cannot turn them into links.
func (s *pathSet) checkSymlink(hdr *tar.Header, rel string) error {
	target := hdr.Linkname
	if target == "" || strings.ContainsAny(target, "\x00\\") || strings.HasPrefix(target, "/") || (len(target) > 1 && target[1] == ':') {
		return fmt.Errorf("%w: link %s points to %s", ErrTarball, short(hdr.Name), short(target))
	}
	// stack[i] hashes the first i components of the current directory.
	stack := append(s.stack[:0], s.hasher())
	defer func() { s.stack = stack[:0] }()
	push := func(seg string) {
		h := stack[len(stack)-1]
		if len(stack) > 1 {
			h.write("/")
		}
		h.write(seg)
		stack = append(stack, h)
	}
	if dir := path.Dir(rel); dir != "." {
		for rest := dir; rest != ""; {
			var seg string
			seg, rest, _ = strings.Cut(rest, "/")
			push(seg)
		}
	}
	// final is where the last component that names something starts.
	trimmed := target
	for {
		switch {
		case strings.HasSuffix(trimmed, "/"):
			trimmed = trimmed[:len(trimmed)-1]
			continue
		case trimmed == ".":
			trimmed = ""
		case strings.HasSuffix(trimmed, "/."):
			trimmed = trimmed[:len(trimmed)-2]
			continue
		}
		break
	}
	final := strings.LastIndexByte(trimmed, '/') + 1
	for pos := 0; pos < len(target); {
		end := strings.IndexByte(target[pos:], '/')
		if end < 0 {
			end = len(target)
		} else {
			end += pos
		}
		seg, start := target[pos:end], pos
		pos = end + 1
		switch seg {
		case "", ".":
			continue
		case "..":
			if len(stack) == 1 {
				return fmt.Errorf("%w: link %s escapes the package directory", ErrTarball, short(hdr.Name))
			}
			stack = stack[:len(stack)-1]
			continue
		}
		push(seg)
		if start == final {
			break // the final component may itself be a link: it is checked on its own
		}
		k := stack[len(stack)-1].key()
		if _, ok := s.links[k]; ok {
			return fmt.Errorf("%w: link %s resolves through another symbolic link", ErrTarball, short(hdr.Name))
		}
		if len(s.via) >= maxLinkDirs {
			return fmt.Errorf("%w: the link targets pass through more than %d directories", ErrTarball, maxLinkDirs)
		}
		s.via[k] = struct{}{}
	}
	return nil
}

// checkHardlink refuses a hard link unless it names an earlier regular
// file of the archive that is not below a symbolic link.
func (s *pathSet) checkHardlink(hdr *tar.Header) error {
	if hdr.Linkname == "" {
		return fmt.Errorf("%w: link %s points to %s", ErrTarball, short(hdr.Name), short(hdr.Linkname))
	}
	target, err := entryPath(hdr.Linkname)
	if err != nil {
		return err
	}
	if _, below := s.linkAncestor(target); below || s.kinds[s.key(target)] != kindFile {
		return fmt.Errorf("%w: hard link %s points to %s, which is not an earlier file of the package", ErrTarball, short(hdr.Name), short(hdr.Linkname))
	}
	return nil
}
