package advisory

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxDocument bounds one OSV file (the largest real records are a few
// hundred KB).
const maxDocument = 16 << 20

// Source is one readable advisory document with where it came from.
type Source struct {
	Name string
	Raw  []byte
}

// ReadPath reads OSV documents from a JSON file (one record or an array
// of records), a directory (every *.json below it, recursively, hidden
// entries skipped) or a .zip archive of *.json files (the layout of the
// public OSV exports). Every record is validated; the first bad one
// fails the whole read with its file name.
func ReadPath(path string) ([]Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var out []Source
	switch {
	case st.IsDir():
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != path && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if strings.EqualFold(filepath.Ext(p), ".zip") {
				return readZip(p, &out)
			}
			if !strings.EqualFold(filepath.Ext(p), ".json") {
				return nil
			}
			raw, err := readBounded(p)
			if err != nil {
				return err
			}
			return add(&out, p, raw)
		})
	case strings.EqualFold(filepath.Ext(path), ".zip"):
		err = readZip(path, &out)
	default:
		var raw []byte
		if raw, err = readBounded(path); err == nil {
			err = add(&out, path, raw)
		}
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func add(out *[]Source, name string, raw []byte) error {
	_, raws, err := ParseMany(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, r := range raws {
		*out = append(*out, Source{Name: name, Raw: r})
	}
	return nil
}

func readBounded(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllMax(f, p)
}

func readAllMax(r io.Reader, name string) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(raw) > maxDocument {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxDocument)
	}
	return raw, nil
}

func readZip(path string, out *[]Source) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(f.Name), ".json") {
			continue
		}
		if f.UncompressedSize64 > maxDocument {
			return fmt.Errorf("%s!%s: larger than %d bytes", path, f.Name, maxDocument)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s!%s: %w", path, f.Name, err)
		}
		raw, err := readAllMax(rc, f.Name)
		rc.Close()
		if err != nil {
			return err
		}
		if err := add(out, path+"!"+f.Name, raw); err != nil {
			return err
		}
	}
	return nil
}

// Fingerprint summarises a directory's *.json and *.zip files (names,
// sizes, modification times) so a watcher can tell when to read it again.
func Fingerprint(dir string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		ext := strings.ToLower(filepath.Ext(p))
		if d.IsDir() || (ext != ".json" && ext != ".zip") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		fmt.Fprintf(&b, "%s\x00%d\x00%d\n", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return b.String(), err
}
