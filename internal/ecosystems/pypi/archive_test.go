package pypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func wheelDist(t *testing.T, name, version string) Dist {
	t.Helper()
	d, err := ParseFilename(Module(name)+"-"+version+"-py3-none-any.whl", name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestInspectWheel(t *testing.T) {
	_, good := BuildWheel(t, DistSpec{Name: "Good.Pkg", Version: "1.0"})
	raw, err := InspectWheel(bytes.NewReader(good), int64(len(good)), wheelDist(t, "Good.Pkg", "1.0"), DefaultLimits)
	if err != nil || !strings.Contains(string(raw), "Name: Good.Pkg") {
		t.Fatalf("good wheel: %v %q", err, raw)
	}
	// The same wheel named for another version.
	if _, err := InspectWheel(bytes.NewReader(good), int64(len(good)), wheelDist(t, "Good.Pkg", "2.0"), DefaultLimits); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("wrong version: %v", err)
	}
}

// zipOf writes entries (name → body) with optional header edits.
func zipOf(t *testing.T, entries []Entry, edit func(*zip.FileHeader)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: time.Unix(0, 0)}
		if e.Link {
			h.SetMode(fs.ModeSymlink | 0o777)
		}
		if edit != nil {
			edit(h)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, e.Body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestInspectWheelRefusals(t *testing.T) {
	d := wheelDist(t, "p", "1.0")
	meta := "Metadata-Version: 2.1\nName: p\nVersion: 1.0\n"
	base := []Entry{{Name: "p-1.0.dist-info/METADATA", Body: meta}, {Name: "p-1.0.dist-info/WHEEL", Body: "Wheel-Version: 1.0\n"}}
	with := func(extra ...Entry) []Entry { return append(append([]Entry{}, base...), extra...) }
	dup := zipOf(t, with(Entry{Name: "p/x.py", Body: "1"}, Entry{Name: "p/x.py", Body: "2"}), nil)
	bigMeta := zipOf(t, []Entry{{Name: "p-1.0.dist-info/METADATA", Body: strings.Repeat("a", 1<<20)}, {Name: "p-1.0.dist-info/WHEEL", Body: "x"}}, nil)
	lim := DefaultLimits
	lim.MaxMetadata = 1 << 10
	for _, c := range []struct {
		name string
		data []byte
		lim  Limits
		want string
	}{
		{"dot-dot", zipOf(t, with(Entry{Name: "p/../../x", Body: "x"}), nil), DefaultLimits, "leaves the archive"},
		{"absolute", zipOf(t, with(Entry{Name: "/x", Body: "x"}), nil), DefaultLimits, "absolute"},
		{"backslash", zipOf(t, with(Entry{Name: "p\\..\\x", Body: "x"}), nil), DefaultLimits, "backslash"},
		{"drive", zipOf(t, with(Entry{Name: "C:/x", Body: "x"}), nil), DefaultLimits, "drive"},
		{"control", zipOf(t, with(Entry{Name: "p/\x1bx", Body: "x"}), nil), DefaultLimits, "control"},
		{"symlink", zipOf(t, with(Entry{Name: "p/link", Body: "/etc/passwd", Link: true}), nil), DefaultLimits, "symbolic link"},
		{"duplicate", dup, DefaultLimits, "duplicate"},
		{"no WHEEL", zipOf(t, base[:1], nil), DefaultLimits, "WHEEL is missing"},
		{"two dist-info", zipOf(t, with(Entry{Name: "q-1.0.dist-info/METADATA", Body: meta}), nil), DefaultLimits, "more than one"},
		{"no dist-info", zipOf(t, []Entry{{Name: "p/x.py", Body: "x"}}, nil), DefaultLimits, "no .dist-info"},
		{"metadata bomb", bigMeta, lim, "larger than"},
		{"too many entries", zipOf(t, with(Entry{Name: "a", Body: ""}, Entry{Name: "b", Body: ""}), nil), Limits{MaxEntries: 3, MaxDirectory: 1 << 20, MaxMetadata: 1 << 20}, "entries"},
		{"empty", nil, DefaultLimits, "too short"},
	} {
		_, err := InspectWheel(bytes.NewReader(c.data), int64(len(c.data)), d, c.lim)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestZipDirectoryBoundsBeforeParsing: a directory that claims 10^6
// entries is refused from the end record alone, also via zip64.
func TestZipDirectoryBoundsBeforeParsing(t *testing.T) {
	eocd := make([]byte, 22)
	binary.LittleEndian.PutUint32(eocd, 0x06054b50)
	binary.LittleEndian.PutUint16(eocd[10:], 60000)
	if err := zipDirectory(bytes.NewReader(eocd), 22, Limits{MaxEntries: 1000, MaxDirectory: 1 << 20}); err == nil || !strings.Contains(err.Error(), "60000 entries") {
		t.Errorf("many entries: %v", err)
	}
	// zip64: record at 0, locator, then an EOCD with 0xffff.
	rec := make([]byte, 56)
	binary.LittleEndian.PutUint32(rec, 0x06064b50)
	binary.LittleEndian.PutUint64(rec[32:], 1_000_000)
	loc := make([]byte, 20)
	binary.LittleEndian.PutUint32(loc, 0x07064b50)
	end := make([]byte, 22)
	binary.LittleEndian.PutUint32(end, 0x06054b50)
	binary.LittleEndian.PutUint16(end[10:], 0xffff)
	binary.LittleEndian.PutUint32(end[12:], 0xffffffff)
	data := append(append(rec, loc...), end...)
	if err := zipDirectory(bytes.NewReader(data), int64(len(data)), DefaultLimits); err == nil || !strings.Contains(err.Error(), "1000000 entries") {
		t.Errorf("zip64 entries: %v", err)
	}
	trailing := append(append([]byte{}, eocd...), 'x')
	binary.LittleEndian.PutUint16(trailing[10:], 1)
	if err := zipDirectory(bytes.NewReader(trailing), int64(len(trailing)), DefaultLimits); err == nil || !strings.Contains(err.Error(), "data after") {
		t.Errorf("trailing data: %v", err)
	}
}

func tarGz(t *testing.T, hdrs []*tar.Header, bodies []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for i, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if bodies[i] != "" {
			_, _ = io.WriteString(tw, bodies[i])
		}
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func TestInspectSdist(t *testing.T) {
	fn, good := BuildSdist(t, DistSpec{Name: "Good.Pkg", Version: "1.0"})
	d, err := ParseFilename(fn, "Good.Pkg")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := InspectSdist(bytes.NewReader(good), int64(len(good)), d, DefaultLimits)
	if err != nil || !strings.Contains(string(raw), "Version: 1.0") {
		t.Fatalf("good sdist: %v", err)
	}
	pd, _ := ParseFilename("p-1.0.tar.gz", "p")
	meta := "Metadata-Version: 2.1\nName: p\nVersion: 1.0\n"
	reg := func(name, body string) (*tar.Header, string) {
		return &tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644}, body
	}
	pk, pkb := reg("p-1.0/PKG-INFO", meta)
	bomb := strings.Repeat("\x00", 4<<20)
	bh, bb := reg("p-1.0/zeros", bomb)
	for _, c := range []struct {
		name string
		hdrs []*tar.Header
		body []string
		lim  Limits
		want string
	}{
		{"hardlink out", []*tar.Header{pk, {Name: "p-1.0/l", Typeflag: tar.TypeLink, Linkname: "etc/passwd"}}, []string{pkb, ""}, DefaultLimits, "points outside"},
		{"absolute symlink", []*tar.Header{pk, {Name: "p-1.0/l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}, []string{pkb, ""}, DefaultLimits, "points outside"},
		{"device", []*tar.Header{pk, {Name: "p-1.0/dev", Typeflag: tar.TypeChar}}, []string{pkb, ""}, DefaultLimits, "unsupported type"},
		{"duplicate", []*tar.Header{pk, pk}, []string{pkb, pkb}, DefaultLimits, "duplicate"},
		{"no PKG-INFO", []*tar.Header{bh}, []string{bb}, DefaultLimits, "PKG-INFO is missing"},
		{"ratio bomb", []*tar.Header{pk, bh}, []string{pkb, bb}, Limits{MaxEntries: 10, MaxMetadata: 1 << 20, MaxUnpacked: 1 << 20, MaxRatio: 1}, "unpacks to more than"},
		{"too many entries", []*tar.Header{pk, bh}, []string{pkb, bb}, Limits{MaxEntries: 1, MaxMetadata: 1 << 20, MaxUnpacked: 1 << 30, MaxRatio: 1000}, "more than 1 entries"},
	} {
		data := tarGz(t, c.hdrs, c.body)
		_, err := InspectSdist(bytes.NewReader(data), int64(len(data)), pd, c.lim)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := InspectSdist(bytes.NewReader([]byte("nope")), 4, pd, DefaultLimits); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("not gzip: %v", err)
	}
	// A zip sdist.
	zd, _ := ParseFilename("p-1.0.zip", "p")
	z := zipOf(t, []Entry{{Name: "p-1.0/PKG-INFO", Body: meta}}, nil)
	if _, err := InspectSdist(bytes.NewReader(z), int64(len(z)), zd, DefaultLimits); err != nil {
		t.Errorf("zip sdist: %v", err)
	}
	z = zipOf(t, []Entry{{Name: "p-1.0/PKG-INFO", Body: meta}, {Name: "q/x", Body: ""}}, nil)
	if _, err := InspectSdist(bytes.NewReader(z), int64(len(z)), zd, DefaultLimits); err == nil {
		t.Errorf("zip sdist with a second top-level directory accepted")
	}
}
