package pypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Entry is one archive member of a test distribution.
type Entry struct {
	Name string
	Body string
	// Link makes a tar entry a symbolic link to Body.
	Link bool
}

// DistSpec describes a test distribution. Zero fields take defaults.
type DistSpec struct {
	Name, Version string
	// MetaName and MetaVersion override what METADATA / PKG-INFO say.
	MetaName, MetaVersion string
	RequiresPython        string
	// Filename overrides the file name.
	Filename string
	// Salt changes the bytes without changing the metadata.
	Salt string
	// Extra entries (raw names, for bad-input tests).
	Extra []Entry
	// NoMetadata leaves METADATA / PKG-INFO out.
	NoMetadata bool
}

func (s DistSpec) metadata() string {
	name, ver := s.Name, s.Version
	if s.MetaName != "" {
		name = s.MetaName
	}
	if s.MetaVersion != "" {
		ver = s.MetaVersion
	}
	m := "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + ver + "\nSummary: drok test package " + name + "\n"
	if s.RequiresPython != "" {
		m += "Requires-Python: " + s.RequiresPython + "\n"
	}
	return m + "\nA test package.\n"
}

// Module is the importable module of a test project.
func Module(name string) string { return strings.ReplaceAll(NormalizeName(name), "-", "_") }

// BuildWheel writes a valid pure-Python wheel (METADATA, WHEEL, RECORD and
// a module whose VERSION is the version) and returns its filename and
// bytes.
func BuildWheel(t testing.TB, s DistSpec) (string, []byte) {
	t.Helper()
	esc := Module(s.Name)
	distInfo := esc + "-" + s.Version + ".dist-info"
	mod := Module(s.Name)
	files := map[string]string{
		mod + "/__init__.py":        fmt.Sprintf("VERSION = %q\nSALT = %q\n", s.Version, s.Salt),
		distInfo + "/WHEEL":         "Wheel-Version: 1.0\nGenerator: drok-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		distInfo + "/top_level.txt": mod + "\n",
	}
	if !s.NoMetadata {
		files[distInfo+"/METADATA"] = s.metadata()
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var record strings.Builder
	for _, n := range names {
		sum := sha256.Sum256([]byte(files[n]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	record.WriteString(distInfo + "/RECORD,,\n")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	write := func(name, body string) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		write(n, files[n])
	}
	write(distInfo+"/RECORD", record.String())
	for _, e := range s.Extra {
		write(e.Name, e.Body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	fn := s.Filename
	if fn == "" {
		fn = esc + "-" + s.Version + "-py3-none-any.whl"
	}
	return fn, buf.Bytes()
}

// BuildSdist writes a .tar.gz source distribution with PKG-INFO,
// pyproject.toml and the module, and returns its filename and bytes.
func BuildSdist(t testing.TB, s DistSpec) (string, []byte) {
	t.Helper()
	stem := Module(s.Name) + "-" + s.Version
	mod := Module(s.Name)
	entries := []Entry{
		{Name: stem + "/pyproject.toml", Body: "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"" + s.Name + "\"\nversion = \"" + s.Version + "\"\n"},
		{Name: stem + "/" + mod + "/__init__.py", Body: fmt.Sprintf("VERSION = %q\nSALT = %q\n", s.Version, s.Salt)},
	}
	if !s.NoMetadata {
		entries = append(entries, Entry{Name: stem + "/PKG-INFO", Body: s.metadata()})
	}
	entries = append(entries, s.Extra...)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: stem + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: 0o644, Size: int64(len(e.Body)), Typeflag: tar.TypeReg}
		if e.Link {
			h = &tar.Header{Name: e.Name, Mode: 0o777, Typeflag: tar.TypeSymlink, Linkname: e.Body}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if !e.Link {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	fn := s.Filename
	if fn == "" {
		fn = stem + ".tar.gz"
	}
	return fn, buf.Bytes()
}
