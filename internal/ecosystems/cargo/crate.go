package cargo

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
)

// CrateInfo is what the registry learns from a .crate archive.
type CrateInfo struct {
	// Root is the directory every entry lives in ({name}-{version}).
	Root string
	// CargoToml is the content of {Root}/Cargo.toml.
	CargoToml []byte
	// Files and Unpacked count the regular files and their bytes.
	Files    int
	Unpacked int64
}

// CrateLimits bound the work of InspectCrate. All decompressed bytes are
// either file content (MaxUnpacked) or tar metadata (MaxMeta), so CPU is
// bounded by their sum; memory by Go's tar reader (1 MiB per special
// header), MaxManifest and MaxNameBytes for the duplicate check.
type CrateLimits struct {
	MaxEntries   int
	MaxUnpacked  int64
	MaxMeta      int64
	MaxName      int
	MaxNameBytes int
	MaxManifest  int64
	MaxTrailing  int64
}

// DefaultCrateLimits are the limits the registry applies.
var DefaultCrateLimits = CrateLimits{
	MaxEntries:   100_000,
	MaxUnpacked:  1 << 30,
	MaxMeta:      128 << 20,
	MaxName:      4096,
	MaxNameBytes: 16 << 20,
	MaxManifest:  2 << 20,
	MaxTrailing:  1 << 20,
}

var errBudget = errors.New("decompression budget exhausted")

type budgetReader struct {
	r     io.Reader
	left  int64
	trips bool
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.trips = true
		return 0, errBudget
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// InspectCrate reads a .crate (gzip-compressed tar) to its end and returns
// its Cargo.toml. Every entry must be a regular file or directory below one
// common root directory; absolute or traversing names, NUL or backslash in
// names, links of any kind (cargo package never writes them), devices,
// duplicate entries, data after the archive and archives beyond lim are
// refused.
func InspectCrate(r io.Reader, lim CrateLimits) (CrateInfo, error) {
	var info CrateInfo
	gz, err := gzip.NewReader(r)
	if err != nil {
		return info, fmt.Errorf("%w: not a gzip file: %v", ErrCrate, err)
	}
	br := &budgetReader{r: gz, left: lim.MaxUnpacked + lim.MaxMeta}
	tr := tar.NewReader(br)
	seen := map[string]bool{}
	nameBytes, entries := 0, 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, crateErr(br, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		entries++
		if entries > lim.MaxEntries {
			return info, fmt.Errorf("%w: the crate has more than %d entries", ecosystems.ErrTooLarge, lim.MaxEntries)
		}
		name := hdr.Name
		if len(name) > lim.MaxName {
			return info, fmt.Errorf("%w: entry %s has a name longer than %d bytes", ErrCrate, quote(name), lim.MaxName)
		}
		if nameBytes += len(name); nameBytes > lim.MaxNameBytes {
			return info, fmt.Errorf("%w: the entry names take more than %d bytes", ErrCrate, lim.MaxNameBytes)
		}
		root, rel, err := cratePath(name)
		if err != nil {
			return info, err
		}
		if info.Root == "" {
			info.Root = root
		} else if root != info.Root {
			return info, fmt.Errorf("%w: entry %s is outside %s/", ErrCrate, quote(name), info.Root)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return info, fmt.Errorf("%w: entry %s is a link (to %s); crates contain regular files only", ErrCrate, quote(name), quote(hdr.Linkname))
		default:
			return info, fmt.Errorf("%w: entry %s has unsupported type %q", ErrCrate, quote(name), hdr.Typeflag)
		}
		for k := range hdr.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return info, fmt.Errorf("%w: entry %s is a sparse file", ErrCrate, quote(name))
			}
		}
		if rel == "" {
			return info, fmt.Errorf("%w: entry %s is not inside a directory", ErrCrate, quote(name))
		}
		if seen[rel] {
			return info, fmt.Errorf("%w: duplicate entry %s", ErrCrate, quote(name))
		}
		seen[rel] = true
		info.Files++
		info.Unpacked += hdr.Size
		if hdr.Size < 0 || info.Unpacked > lim.MaxUnpacked {
			return info, fmt.Errorf("%w: the crate unpacks to more than %d bytes", ecosystems.ErrTooLarge, lim.MaxUnpacked)
		}
		if rel == "Cargo.toml" {
			if hdr.Size > lim.MaxManifest {
				return info, fmt.Errorf("%w: Cargo.toml is larger than %d bytes", ErrCrate, lim.MaxManifest)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return info, crateErr(br, err)
			}
			info.CargoToml = b
		}
	}
	if info.CargoToml == nil {
		return info, fmt.Errorf("%w: the crate has no Cargo.toml in its top directory", ErrCrate)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(gz, lim.MaxTrailing+1))
	if err != nil {
		return info, crateErr(br, err)
	}
	if n > lim.MaxTrailing {
		return info, fmt.Errorf("%w: data after the end of the archive", ErrCrate)
	}
	return info, nil
}

func crateErr(br *budgetReader, err error) error {
	if br.trips || errors.Is(err, errBudget) {
		return fmt.Errorf("%w: the crate decompresses to too much data", ecosystems.ErrTooLarge)
	}
	if errors.Is(err, ErrCrate) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the archive is truncated", ErrCrate)
	}
	return fmt.Errorf("%w: %v", ErrCrate, err)
}

// cratePath checks an entry name and splits it into its root directory
// and the path below it ("" for the root itself).
func cratePath(name string) (root, rel string, err error) {
	if name == "" || strings.ContainsAny(name, "\x00\\") {
		return "", "", fmt.Errorf("%w: entry name %s is empty or contains a NUL or backslash", ErrCrate, quote(name))
	}
	if strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':') {
		return "", "", fmt.Errorf("%w: entry %s has an absolute path", ErrCrate, quote(name))
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return "", "", fmt.Errorf("%w: entry %s leaves the crate directory", ErrCrate, quote(name))
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", "", fmt.Errorf("%w: entry %s is not inside a directory", ErrCrate, quote(name))
	}
	root, rel, _ = strings.Cut(clean, "/")
	return root, rel, nil
}
